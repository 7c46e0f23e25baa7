import type { DragEvent } from "react";
import { label } from "../../shared/i18n.ts";
import type { Lifecycle, Target } from "./moves.ts";
import { useBoardText } from "./text.ts";

/**
 * Ended cases have no column, yet a drag may end one (reject, withdraw, close): while a card is dragged,
 * the ends it may reach appear above the columns as places to drop it.
 */
export function TerminalZones({
  states,
  targets,
  actionName,
  onDrop,
}: {
  states: Lifecycle["states"];
  targets: Target[];
  actionName: (slug: string) => string;
  onDrop: (status: string) => void;
}) {
  const { t } = useBoardText();
  const reachable = states.flatMap((s) => {
    const target = targets.find((x) => x.status === s.status);
    return target ? [{ state: s, target }] : [];
  });
  if (reachable.length === 0) return null;
  const accept = (e: DragEvent) => {
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
  };
  return (
    <section aria-label={t("closeZones")} style={{ display: "flex", gap: 12, flexWrap: "wrap" }}>
      {reachable.map(({ state, target }) => (
        // biome-ignore lint/a11y/noStaticElementInteractions: a place to drop on; the card's menu offers the same moves by keyboard
        <div
          key={state.status}
          data-status={state.status}
          data-drop="allowed"
          onDragOver={accept}
          onDragEnter={accept}
          onDrop={(e) => {
            e.preventDefault();
            onDrop(state.status);
          }}
          style={{
            flex: "1 1 160px",
            padding: "10px 12px",
            border: `2px dashed ${state.status === "rejected" ? "#cf1322" : "#595959"}`,
            borderRadius: 8,
            background: state.status === "rejected" ? "#fff1f0" : "#fafafa",
            color: state.status === "rejected" ? "#a8071a" : "#262626",
            textAlign: "center",
          }}
        >
          {label(state.label)} · {t("dropHere", { action: actionName(target.action) })}
        </div>
      ))}
    </section>
  );
}

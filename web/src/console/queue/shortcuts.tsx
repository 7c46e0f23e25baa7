import { Modal, Typography } from "antd";
import type { TFunction } from "i18next";
import { useEffect, useRef } from "react";

/** The workspace's keys, in the order the help lists them. */
export const SHORTCUTS = [
  ["j", "next"],
  ["k", "prev"],
  ["Enter", "open"],
  ["a", "approve"],
  ["r", "reject"],
  ["g", "grant"],
  ["o", "claim"],
  ["Esc", "close"],
  ["?", "help"],
] as const;
export type ShortcutName = (typeof SHORTCUTS)[number][1];

const KEY_OF: Record<string, ShortcutName> = Object.fromEntries(
  SHORTCUTS.map(([key, name]) => [key === "Esc" ? "Escape" : key, name]),
);

/** Typing goes to the field, not to the shortcuts: inputs, text areas, selects, editable text, menus. */
function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName)) return true;
  return Boolean(target.closest("[role=combobox],[role=listbox],[role=menu]"));
}

const dialogOpen = () =>
  [...document.querySelectorAll<HTMLElement>(".ant-modal-wrap")].some(
    (el) => getComputedStyle(el).display !== "none",
  );

/**
 * Calls the handler for each workspace key pressed outside a text field. While a dialog is open (a
 * reason picker, a confirmation, the case's own forms) only that dialog gets the keys.
 */
export function useShortcuts(handler: (name: ShortcutName, e: KeyboardEvent) => void, enabled: boolean) {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing || typing(e.target)) return;
      if (dialogOpen()) return;
      const name = KEY_OF[e.key];
      if (!name) return;
      // Enter on a focused button or link is that control's own.
      if (name === "open" && e.target instanceof HTMLElement && e.target.closest("button,a")) return;
      e.preventDefault();
      latest.current(name, e);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [enabled]);
}

export function ShortcutHelp({ t, open, onClose }: { t: TFunction; open: boolean; onClose: () => void }) {
  return (
    <Modal
      open={open}
      onCancel={onClose}
      footer={null}
      title={t("shortcutsTitle")}
      width={420}
      destroyOnHidden
    >
      <table style={{ width: "100%", borderCollapse: "collapse" }}>
        <caption style={{ textAlign: "start", paddingBottom: 8 }}>
          <Typography.Text type="secondary">{t("shortcutsOff")}</Typography.Text>
        </caption>
        <tbody>
          {SHORTCUTS.map(([key, name]) => (
            <tr key={key} style={{ borderTop: "1px solid #f0f0f0" }}>
              <th
                scope="row"
                style={{ textAlign: "start", padding: "6px 12px 6px 0", width: 80, fontWeight: 400 }}
              >
                <Typography.Text keyboard>{key}</Typography.Text>
              </th>
              <td style={{ padding: "6px 0" }}>{t(`keys.${name}`)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Modal>
  );
}

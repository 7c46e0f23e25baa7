import { type RefObject, useEffect } from "react";
import type { CaseViewHandle } from "./actions/action-bar.tsx";
import { ACTION_SPECS } from "./actions/registry.tsx";

/** The case keys: a approve, r reject, g grant refund (each opens its form; Enter confirms). */
export const CASE_HOTKEYS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(ACTION_SPECS).flatMap(([slug, spec]) => (spec.hotkey ? [[spec.hotkey, slug]] : [])),
);

/** Typing in a field, or a dialog in front: a key press is not meant for the case. */
function busy(e: KeyboardEvent): boolean {
  if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return true;
  const el = e.target as HTMLElement | null;
  if (
    el?.closest("input, textarea, select, [contenteditable=''], [contenteditable='true'], [role='combobox']")
  )
    return true;
  return [...document.querySelectorAll<HTMLElement>(".ant-modal-wrap, .ant-image-preview-wrap")].some(
    (w) => w.style.display !== "none",
  );
}

/**
 * Binds a/r/g on the page to the case view behind `handle` while `enabled`. The queue can use this as
 * it is, or bind its own keys and call `handle.current.open(CASE_HOTKEYS[key])`. `onUnavailable` hears
 * a key whose action this person cannot take on this case now.
 */
export function useCaseHotkeys(
  handle: RefObject<CaseViewHandle | null>,
  { enabled = true, onUnavailable }: { enabled?: boolean; onUnavailable?: (action: string) => void } = {},
) {
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      const action = CASE_HOTKEYS[e.key.toLowerCase()];
      if (!action || busy(e) || !handle.current) return;
      e.preventDefault();
      if (!handle.current.open(action)) onUnavailable?.(action);
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [handle, enabled, onUnavailable]);
}

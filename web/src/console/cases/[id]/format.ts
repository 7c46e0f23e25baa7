import type { TFunction } from "i18next";
import { useEffect, useState } from "react";
import { duration } from "../../../shared/sla.ts";

/** The time now, moving once a minute: the deadline turns amber and red while the case stays open. */
export function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** A length of time in words, in its largest whole unit: "3 小时", "2 d". */
export function span(t: TFunction, ms: number) {
  const d = duration(ms);
  return t(`span.${d.unit === "m" ? "minutes" : d.unit === "h" ? "hours" : "days"}`, { n: d.n });
}

/** "user:alice" → alice, "rule:small-refund@v3" → 规则 small-refund@v3: who did a step, in words. */
export function actorText(t: TFunction, actor: string | null | undefined) {
  if (!actor) return t("conflict.unknown");
  const i = actor.indexOf(":");
  const kind = i < 0 ? "user" : actor.slice(0, i);
  const id = i < 0 ? actor : actor.slice(i + 1);
  return ["user", "rule", "channel", "system"].includes(kind) ? t(`actors.${kind}`, { id }) : actor;
}

/** A share (0.125) as a percentage ("12.5%"); unknown stays a dash. */
export const percent = (rate: number | null | undefined) =>
  rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(rate > 0 && rate < 0.1 ? 1 : 0)}%`;

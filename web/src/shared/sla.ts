/** How urgent a case is by its SLA deadline: the same 4-hour "due soon" the queue's `due=soon` filter uses. */
export type Urgency = "none" | "ok" | "soon" | "overdue";

const SOON_MS = 4 * 3_600_000;

export function urgency(slaDueAt: string | null, now: number): Urgency {
  if (!slaDueAt) return "none";
  const left = new Date(slaDueAt).getTime() - now;
  return left < 0 ? "overdue" : left < SOON_MS ? "soon" : "ok";
}

/** Green, amber, red (shades with AA contrast on white) — always beside words saying the same. */
export const URGENCY_COLOUR: Record<Urgency, string> = {
  none: "#595959",
  ok: "#237804",
  soon: "#ad4e00",
  overdue: "#a8071a",
};

/** A length of time in its largest whole unit: 45 min, 3 h, 2 d. */
export function duration(ms: number): { unit: "m" | "h" | "d"; n: number } {
  const m = Math.max(0, Math.floor(Math.abs(ms) / 60_000));
  if (m < 60) return { unit: "m", n: m };
  if (m < 48 * 60) return { unit: "h", n: Math.floor(m / 60) };
  return { unit: "d", n: Math.floor(m / 1440) };
}

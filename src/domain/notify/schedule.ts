/**
 * When a message goes out. Every message waits a short burst window, so that moves in quick succession
 * (approved, refund sent, refund arrived within a minute) reach the customer as one message about where the
 * case ended up: a newer message for the same case and channel supersedes a queued one. SMS also keeps
 * quiet hours in the shop's time zone (no texts at night) unless the message is urgent; the others are read
 * when the customer chooses.
 */
export interface SchedulePolicy {
  burstMs: number;
  /** Local hours [from, to) in which no SMS is sent, e.g. 21 → 8; from = to: none. */
  quietFrom: number;
  quietTo: number;
  timeZone: string;
}

export const DEFAULT_SCHEDULE: Omit<SchedulePolicy, "timeZone"> = {
  burstMs: 60_000,
  quietFrom: 21,
  quietTo: 8,
};

/** The local hour and minute of `at` in `timeZone`. */
function localTime(at: Date, timeZone: string): { hour: number; minute: number; second: number } {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return { hour: get("hour"), minute: get("minute"), second: get("second") };
}

const inQuiet = (hour: number, from: number, to: number) =>
  from === to ? false : from < to ? hour >= from && hour < to : hour >= from || hour < to;

/** When a message raised at `at` is due on `channel`. */
export function dueAt(at: Date, channel: string, urgent: boolean, p: SchedulePolicy): Date {
  const due = new Date(at.getTime() + p.burstMs);
  if (channel !== "sms" || urgent) return due;
  // Step to the end of the quiet hours: whole hours to the next `quietTo`, less the minutes already gone —
  // again when a daylight-saving change in between lands the step an hour short.
  let next = due;
  for (let i = 0; i < 3; i++) {
    const t = localTime(next, p.timeZone);
    if (!inQuiet(t.hour, p.quietFrom, p.quietTo)) break;
    const hours = (p.quietTo - t.hour + 24) % 24;
    next = new Date(
      next.getTime() + hours * 3_600_000 - (t.minute * 60 + t.second) * 1000 - next.getMilliseconds(),
    );
  }
  // A step across the spring change lands an hour late: come back while the hour before is not quiet.
  const HOUR = 3_600_000;
  while (
    next.getTime() - HOUR >= due.getTime() &&
    !inQuiet(localTime(new Date(next.getTime() - HOUR), p.timeZone).hour, p.quietFrom, p.quietTo)
  )
    next = new Date(next.getTime() - HOUR);
  return next;
}

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_SCHEDULE, dueAt } from "../../../src/domain/notify/schedule.ts";

const hourIn = (at: Date, timeZone: string) =>
  Number(new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", hourCycle: "h23" }).format(at));

const ZONES = ["Asia/Shanghai", "America/New_York", "Europe/London", "Pacific/Auckland"];

describe("when a message goes out", () => {
  it("an SMS never goes in quiet hours, waits no longer than it must, and is never early", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("2020-01-01"), max: new Date("2035-01-01"), noInvalidDate: true }),
        fc.constantFrom(...ZONES),
        (at, timeZone) => {
          const p = { ...DEFAULT_SCHEDULE, timeZone };
          const due = dueAt(at, "sms", false, p);
          const earliest = at.getTime() + p.burstMs;
          expect(due.getTime()).toBeGreaterThanOrEqual(earliest);
          const h = hourIn(due, timeZone);
          expect(h >= p.quietFrom || h < p.quietTo).toBe(false);
          // Either at once, or at the first minute the quiet hours end (within a day).
          if (due.getTime() !== earliest) {
            expect(h).toBe(p.quietTo);
            expect(due.getTime() - earliest).toBeLessThan(13 * 3_600_000);
            expect(hourIn(new Date(due.getTime() - 60_000), timeZone)).not.toBe(p.quietTo);
          }
        },
      ),
    );
  });

  it("email, WeChat and urgent texts go after the burst window, day or night", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("2020-01-01"), max: new Date("2035-01-01"), noInvalidDate: true }),
        fc.constantFrom("email", "wechat", "sms"),
        (at, channel) => {
          const urgent = channel === "sms";
          const due = dueAt(at, channel, urgent, { ...DEFAULT_SCHEDULE, timeZone: "Asia/Shanghai" });
          expect(due.getTime()).toBe(at.getTime() + DEFAULT_SCHEDULE.burstMs);
        },
      ),
    );
  });
});

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

  it("keeps the morning's hour on the nights the clocks change, minute by minute", () => {
    // 2031: London falls back on 26 October and springs forward on 30 March; New York on 2 November / 9 March.
    for (const [timeZone, nights] of [
      ["Europe/London", ["2031-03-29T12:00:00Z", "2031-10-25T12:00:00Z"]],
      ["America/New_York", ["2031-03-08T12:00:00Z", "2031-11-01T12:00:00Z"]],
    ] as const) {
      for (const noon of nights) {
        for (let t = Date.parse(noon); t < Date.parse(noon) + 86_400_000; t += 60_000) {
          const due = dueAt(new Date(t), "sms", false, { ...DEFAULT_SCHEDULE, timeZone });
          const h = hourIn(due, timeZone);
          expect(h >= DEFAULT_SCHEDULE.quietFrom || h < DEFAULT_SCHEDULE.quietTo).toBe(false);
          if (due.getTime() !== t + DEFAULT_SCHEDULE.burstMs) {
            expect(h).toBe(DEFAULT_SCHEDULE.quietTo);
            expect(hourIn(new Date(due.getTime() - 60_000), timeZone)).not.toBe(DEFAULT_SCHEDULE.quietTo);
          }
        }
      }
    }
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

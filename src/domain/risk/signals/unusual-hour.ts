import type { RiskSignal } from "../signal.ts";
import { clock } from "../text.ts";

/** Whether `hour` falls in [start, end), wrapping past midnight when start > end; empty when equal. */
export const inHours = (hour: number, start: number, end: number): boolean =>
  start <= end ? hour >= start && hour < end : hour >= start || hour < end;

/** 非常规时段提交: submitted in the small hours, when scripted abuse runs and people sleep. */
export const unusualHour: RiskSignal = {
  code: "unusual_hour",
  label: { zh: "非常规时段提交", en: "Unusual hour" },
  defaultWeight: 5,
  test(p, t) {
    const h = p.submittedHour;
    if (!inHours(h, t.quietHoursStart, t.quietHoursEnd)) return null;
    const at = `${clock(h)}–${clock(h + 1)}`;
    const quiet = `${clock(t.quietHoursStart)}–${clock(t.quietHoursEnd)}`;
    return {
      reason: {
        zh: `提交于当地时间 ${at}（夜间时段 ${quiet}）`,
        en: `Submitted between ${at.replace("–", " and ")} local time (quiet hours ${quiet})`,
      },
      data: { submittedHour: h, quietHoursStart: t.quietHoursStart, quietHoursEnd: t.quietHoursEnd },
    };
  },
};

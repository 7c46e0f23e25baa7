import type { CaseType } from "../../catalogue.ts";
import type { RiskSignal } from "../signal.ts";
import { counted } from "../text.ts";

const MONEY_CASES: readonly CaseType[] = ["refund_only", "return_refund"];

/** 签收即退款: a refund asked for minutes after the parcel was signed for. */
export const refundAfterSigning: RiskSignal = {
  code: "refund_after_signing",
  label: { zh: "签收后立即申请退款", en: "Refund right after signing" },
  defaultWeight: 15,
  test(p, t) {
    const m = p.minutesSinceSigned;
    if (!MONEY_CASES.includes(p.caseType) || m === null || m < 0 || m > t.minutesAfterSigning) return null;
    const mins = Math.floor(m);
    return {
      reason: {
        zh: `签收后 ${mins} 分钟即申请退款（阈值 ${t.minutesAfterSigning} 分钟内）`,
        en: `Refund requested ${counted(mins, "minute")} after the parcel was signed for (threshold: within ${t.minutesAfterSigning} minutes)`,
      },
      data: { minutesSinceSigned: m, threshold: t.minutesAfterSigning },
    };
  },
};

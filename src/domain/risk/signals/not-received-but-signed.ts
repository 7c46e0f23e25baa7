import { REASONS } from "../../catalogue.ts";
import type { RiskSignal } from "../signal.ts";
import { duration } from "../text.ts";

/** 已签收却称未收到: the customer says the parcel never came, the carrier says it was signed for. */
export const notReceivedButSigned: RiskSignal = {
  code: "not_received_but_signed",
  label: { zh: "已签收却称未收到", en: "Claims not received, but signed for" },
  defaultWeight: 40,
  test(p) {
    if (p.reason !== "not_received" || p.parcel !== "signed") return null;
    const r = REASONS.not_received;
    const m = p.minutesSinceSigned;
    const ago = m === null ? null : duration(m);
    const data: Record<string, number | string> = { parcel: p.parcel };
    if (m !== null) data.minutesSinceSigned = m;
    return {
      reason: {
        zh: `以“${r.zh}”为由申请，但物流显示已签收${ago ? `（签收于 ${ago.zh}前）` : ""}`,
        en: `Reason given is “${r.en}”, but the parcel was signed for${ago ? ` ${ago.en} before the request` : ""}`,
      },
      data,
    };
  },
};

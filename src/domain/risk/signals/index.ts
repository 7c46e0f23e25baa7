import type { RiskSignal } from "../signal.ts";
import { amountUnusual } from "./amount-unusual.ts";
import { frequentRefunder } from "./frequent-refunder.ts";
import { notReceivedButSigned } from "./not-received-but-signed.ts";
import { refundAfterSigning } from "./refund-after-signing.ts";
import { refundOnlyAbuse } from "./refund-only-abuse.ts";
import { repeatedOnOrder } from "./repeated-on-order.ts";
import { sharedIdentity } from "./shared-identity.ts";
import { unusualHour } from "./unusual-hour.ts";

/** Every case risk signal, in the order a reviewer sees them. A new signal: one file, one line here. */
export const SIGNALS: readonly RiskSignal[] = [
  frequentRefunder,
  refundOnlyAbuse,
  amountUnusual,
  notReceivedButSigned,
  refundAfterSigning,
  sharedIdentity,
  unusualHour,
  repeatedOnOrder,
];

export const SIGNAL_CODES: readonly string[] = SIGNALS.map((s) => s.code);

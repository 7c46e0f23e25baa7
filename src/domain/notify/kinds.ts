import type { NotificationKind } from "./kind.ts";
import { approved } from "./kinds/approved.ts";
import { closed } from "./kinds/closed.ts";
import { inspected } from "./kinds/inspected.ts";
import { parcelReceived } from "./kinds/parcel-received.ts";
import { received } from "./kinds/received.ts";
import { refundArrived } from "./kinds/refund-arrived.ts";
import { refundSent } from "./kinds/refund-sent.ts";
import { rejected } from "./kinds/rejected.ts";
import { replacementShipped } from "./kinds/replacement-shipped.ts";
import { returnRequested } from "./kinds/return-requested.ts";

/** Every message a customer may get, one line each (a new kind: a file in kinds/ and a line here). */
export const NOTIFICATION_KINDS = {
  received,
  approved,
  return_requested: returnRequested,
  rejected,
  parcel_received: parcelReceived,
  inspected,
  refund_sent: refundSent,
  refund_arrived: refundArrived,
  replacement_shipped: replacementShipped,
  closed,
} as const satisfies Record<string, NotificationKind>;

export type NotificationKindCode = keyof typeof NOTIFICATION_KINDS;

/** The kinds a timeline event raises (usually one, often none). */
export const kindsRaisedBy = (e: { action: string; toStatus: string | null; caseType: string }) =>
  (Object.keys(NOTIFICATION_KINDS) as NotificationKindCode[]).filter((k) =>
    NOTIFICATION_KINDS[k].raisedBy(e),
  );

import { sql } from "kysely";
import { announceChanges } from "../../src/flows/announce-changes.ts";
import type { FlowContext } from "../../src/flows/context.ts";
import { fanOut } from "../../src/flows/fan-out.ts";
import { submitCase } from "../../src/flows/submit-case.ts";
import { placeOrder, REVIEWER } from "./fixtures.ts";

/** Ways a customer can be reached (通知), as an order brings them. */
export interface Contacts {
  phone?: string;
  email?: string;
  wechatOpenId?: string;
  language?: "en";
}

let seq = 0;

/** A refund-only case of a new customer reachable as `contacts` says, who refused `optOut`'s channels. */
export async function caseOfCustomer(ctx: FlowContext, contacts: Contacts, optOut?: string[]) {
  const customer = { id: `notify-${++seq}-${Date.now()}`, name: "李雷", ...contacts };
  const { orderId, lines } = await placeOrder(ctx, { customer });
  if (optOut)
    await sql`update customers set notify_opt_out = ${optOut}::text[] where id = ${customer.id}`.execute(
      ctx.db,
    );
  const { id } = await submitCase(ctx, REVIEWER, {
    orderId,
    type: "refund_only",
    reason: "quality",
    source: "chat",
    items: [{ lineId: lines[0]?.id ?? 0, quantity: 1 }],
  });
  return id;
}

/** What the announcer and the fan-out job do every second: committed events become messages. */
export async function fanOutNow(ctx: FlowContext) {
  await announceChanges(ctx);
  await fanOut(ctx);
}

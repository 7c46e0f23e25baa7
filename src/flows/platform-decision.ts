import { ChannelUnavailableError } from "../channels/payments/channel.ts";
import {
  type PlatformCase,
  type PlatformClient,
  type PlatformRef,
  PlatformRejectedError,
  type PlatformState,
  type Refusal,
  type ReturnAddress,
} from "../channels/platforms/platform.ts";
import type { CaseType } from "../domain/catalogue.ts";
import { AppError, fail } from "../domain/errors.ts";
import { REJECT_REASON_CODES, REJECT_REASONS, type RejectReasonCode } from "../domain/rules/actions.ts";
import { getSetting, putSetting } from "../store/settings.ts";
import { audit, SYSTEM_ACTOR } from "./audit.ts";
import type { Actor, FlowContext } from "./context.ts";
import { applyPlatformCase, connectShop, type ShopConnection } from "./sync-platform.ts";

/**
 * Our decisions back to the platform (回传平台): the outbox topic `platform.decision`, written in the same
 * statement as the approval, rejection or receipt it reports (flows/case-step.ts). The handler reads the
 * request afresh, brings our case in step if the platform moved meanwhile, and then makes the call the
 * table says — or none, when the platform already shows the decision or no longer allows it.
 */

export type Decision = "approve" | "reject" | "receive";
export interface DecisionPayload {
  caseId: number;
  decision: Decision;
  /** The timeline event of the decision: its note is the reason the buyer reads. */
  eventId: number;
}

/** What to do about a decision given the request's state on the platform, first match wins. */
type Plan = "call" | "done" | "moot";
export const DECISION_PLANS: Readonly<
  Record<
    Decision,
    readonly { types?: readonly CaseType[]; states: readonly PlatformState[] | "any"; plan: Plan }[]
  >
> = {
  approve: [
    // A refund_only approval is agreed by its refund (the `platform` payment channel); a reship has no
    // platform step.
    { types: ["refund_only", "reship"], states: "any", plan: "done" },
    { states: ["requested"], plan: "call" },
    { states: ["awaiting_return", "return_shipped", "refunding", "refunded", "completed"], plan: "done" },
    { states: "any", plan: "moot" },
  ],
  reject: [
    { states: ["requested", "return_shipped"], plan: "call" },
    { states: ["refused", "cancelled"], plan: "done" },
    { states: "any", plan: "moot" },
  ],
  receive: [
    { states: ["return_shipped"], plan: "call" },
    { states: ["refunding", "refunded", "completed"], plan: "done" },
    { states: "any", plan: "moot" },
  ],
};

export const planFor = (decision: Decision, state: PlatformState, type: CaseType): Plan =>
  DECISION_PLANS[decision].find(
    (p) => (p.states === "any" || p.states.includes(state)) && (!p.types || p.types.includes(type)),
  )?.plan ?? "moot";

const returnAddressKey = (shop: string) => `platform.return_address.${shop}`;

/** Where buyers of a shop send returns (退货地址), as the platform is told when a return is agreed. */
export async function getReturnAddress(ctx: FlowContext, shop: string): Promise<ReturnAddress | undefined> {
  return (await getSetting(ctx.db, returnAddressKey(shop))) as ReturnAddress | undefined;
}

export async function setReturnAddress(
  ctx: FlowContext,
  shop: string,
  address: ReturnAddress,
  actor: Actor = SYSTEM_ACTOR,
) {
  for (const k of ["name", "phone", "address"] as const) {
    if (typeof address[k] !== "string" || !address[k].trim())
      fail("INVALID_RETURN_ADDRESS", `The return address needs a ${k}`, { part: k });
  }
  const clean: ReturnAddress = {
    name: address.name.trim(),
    phone: address.phone.trim(),
    address: address.address.trim(),
    ...(address.postcode ? { postcode: address.postcode.trim() } : {}),
    ...(address.addressId ? { addressId: address.addressId.trim() } : {}),
  };
  await ctx.db.transaction().execute(async (tx) => {
    const before = (await getSetting(tx, returnAddressKey(shop))) ?? null;
    await putSetting(tx, returnAddressKey(shop), clean);
    await audit(tx, ctx, actor, {
      action: "shop.return_address",
      subject: shop,
      shops: [shop],
      before,
      after: clean,
    });
  });
  return clean;
}

const CALLS: Readonly<
  Record<
    Decision,
    (
      client: PlatformClient,
      ref: PlatformRef,
      ctx: FlowContext,
      facts: { shop: string; note: string; reason: RejectReasonCode | null },
    ) => Promise<string>
  >
> = {
  approve: async (client, ref, ctx, f) => {
    const address =
      (await getReturnAddress(ctx, f.shop)) ??
      fail(
        "RETURN_ADDRESS_MISSING",
        `Set shop ${f.shop}'s return address (PUT /api/v1/shops/${f.shop}/return-address)`,
        { shop: f.shop },
      );
    await client.agreeReturn(ref, address);
    return "agreeReturn";
  },
  reject: async (client, ref, _ctx, f) => {
    const refusal: Refusal = {
      reason: f.reason,
      text: f.note.trim() || (f.reason ? REJECT_REASONS[f.reason].zh : ""),
    };
    await client.refuseRefund(ref, refusal);
    return "refuseRefund";
  },
  receive: async (client, ref) => {
    await client.confirmReceipt(ref);
    return "confirmReceipt";
  },
};

async function note(
  ctx: FlowContext,
  caseId: number,
  status: string,
  channel: string,
  text: string,
  data: Record<string, unknown>,
) {
  await ctx.db
    .insertInto("case_events")
    .values({
      case_id: caseId,
      at: ctx.now(),
      actor: `channel:${channel}`,
      action: "platform_decision",
      from_status: status,
      to_status: status,
      note: text,
      data: JSON.stringify(data),
    })
    .execute();
}

export type DecisionResult = "done" | { retry: string };

/** The `platform.decision` handler: done, or try again later (and why). */
export async function sendPlatformDecision(
  ctx: FlowContext,
  payload: Record<string, unknown>,
): Promise<DecisionResult> {
  const p = payload as unknown as DecisionPayload;
  const c = await ctx.db
    .selectFrom("cases as c")
    .innerJoin("orders as o", "o.id", "c.order_id")
    .select([
      "c.id",
      "c.shop_id",
      "c.external_id",
      "c.type",
      "c.status",
      "o.external_id as order_external_id",
    ])
    .where("c.id", "=", Number(p.caseId))
    .executeTakeFirst();
  if (!c?.external_id) return "done";
  // A person overrode the decision (reopen, revoke) before it went out: the later decision speaks instead.
  const overridden = await ctx.db
    .selectFrom("case_events")
    .select("id")
    .where("case_id", "=", c.id)
    .where("id", ">", Number(p.eventId))
    .where("action", "in", ["reopen", "revoke"])
    .executeTakeFirst();
  if (overridden) return "done";
  const event = await ctx.db
    .selectFrom("case_events")
    .select(["note", "data"])
    .where("id", "=", Number(p.eventId))
    .executeTakeFirst();

  let conn: ShopConnection;
  try {
    conn = await connectShop(ctx, c.shop_id);
  } catch (e) {
    // The shop was disconnected since: nothing to tell.
    if (e instanceof AppError && e.code === "PLATFORM_NOT_CONNECTED") return "done";
    throw e;
  }
  const ref: PlatformRef = { externalId: c.external_id, orderExternalId: c.order_external_id };
  try {
    let pc = await conn.client.getAftersale(ref);
    if (!pc) {
      await note(ctx, c.id, c.status, conn.shop.channel, "平台已查不到该售后单，决定未回传", {
        decision: p.decision,
      });
      return "done";
    }
    pc = await inStep(ctx, conn, pc);
    const plan = planFor(p.decision, pc.state, c.type as CaseType);
    if (plan === "moot") {
      await note(ctx, c.id, c.status, conn.shop.channel, `平台状态为 ${pc.platformStatus}，决定未回传`, {
        decision: p.decision,
        platformStatus: pc.platformStatus,
      });
      return "done";
    }
    if (plan === "done") return "done";
    const call = await CALLS[p.decision](
      conn.client,
      { ...ref, ...(pc.version ? { version: pc.version } : {}) },
      ctx,
      {
        shop: c.shop_id,
        note: event?.note ?? "",
        reason: p.decision === "reject" ? await rejectionReason(ctx, event) : null,
      },
    );
    await note(ctx, c.id, c.status, conn.shop.channel, `已回传平台：${call}`, { decision: p.decision, call });
    // Read it back so the version we keep is the platform's latest (the next decision carries it).
    const after = await conn.client.getAftersale(ref);
    if (after) await applyPlatformCase(ctx, conn, after);
    return "done";
  } catch (e) {
    if (e instanceof ChannelUnavailableError) return { retry: e.message };
    if (e instanceof PlatformRejectedError) {
      if (e.kind === "stale_version") {
        // The request moved between our read and our call: bring our case in step, decide again next time.
        const fresh = await conn.client.getAftersale(ref);
        if (fresh) await applyPlatformCase(ctx, conn, fresh);
        return { retry: `${e.code}: ${e.message}` };
      }
      if (e.kind === "auth") return { retry: `${e.code}: ${e.message}` };
      await note(ctx, c.id, c.status, conn.shop.channel, `平台拒绝了回传：${e.message}`, {
        decision: p.decision,
        code: e.code,
      });
      return "done";
    }
    if (e instanceof AppError && e.code === "RETURN_ADDRESS_MISSING")
      return { retry: `${e.code}: ${e.message}` };
    throw e;
  }
}

/**
 * Which of our rejection reasons a rejection gave: the rule's (its decision names it), else the one a
 * reviewer's note starts with (its label or code, as a rule's note reads: "超出售后期限：…"); null when none fits.
 */
export async function rejectionReason(
  ctx: FlowContext,
  event: { note: string | null; data: unknown } | undefined,
): Promise<RejectReasonCode | null> {
  const data = (typeof event?.data === "string" ? JSON.parse(event.data) : event?.data) as
    | { decisionId?: number }
    | null
    | undefined;
  if (data?.decisionId) {
    const d = await ctx.db
      .selectFrom("case_decisions")
      .select("decision")
      .where("id", "=", Number(data.decisionId))
      .executeTakeFirst();
    const decision = (typeof d?.decision === "string" ? JSON.parse(d.decision) : d?.decision) as
      | { rejectReason?: string | null }
      | undefined;
    const code = decision?.rejectReason;
    if (code && (REJECT_REASON_CODES as string[]).includes(code)) return code as RejectReasonCode;
  }
  const note = (event?.note ?? "").trim().toLowerCase();
  if (!note) return null;
  return (
    REJECT_REASON_CODES.find((code) => {
      const label = REJECT_REASONS[code];
      return note.startsWith(label.zh) || note.startsWith(label.en.toLowerCase()) || note.startsWith(code);
    }) ?? null
  );
}

/** When the platform moved since we last applied it, apply it now (our case may follow) and use that copy. */
async function inStep(ctx: FlowContext, conn: ShopConnection, pc: PlatformCase): Promise<PlatformCase> {
  await applyPlatformCase(ctx, conn, pc);
  return pc;
}

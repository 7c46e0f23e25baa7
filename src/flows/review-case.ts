import { advance, type StepOptions, withCase } from "./case-step.ts";
import type { Actor, FlowContext } from "./context.ts";

/** 审核: approve a case. */
export const approveCase = (ctx: FlowContext, actor: Actor, caseId: number, opts: StepOptions = {}) =>
  withCase(ctx, caseId, async (tx, kase, order) => ({
    status: await advance(tx, ctx, kase, order, actor, "approve", caseGuard(kase), opts),
  }));

/** Reject a case; the reason is required and goes on the timeline (and to the customer). */
export const rejectCase = (ctx: FlowContext, actor: Actor, caseId: number, opts: StepOptions = {}) =>
  withCase(ctx, caseId, async (tx, kase, order) => ({
    status: await advance(tx, ctx, kase, order, actor, "reject", caseGuard(kase), opts),
  }));

/** The customer (or an agent for them) withdraws the case before goods or money moved. */
export const cancelCase = (ctx: FlowContext, actor: Actor, caseId: number, opts: StepOptions = {}) =>
  withCase(ctx, caseId, async (tx, kase, order) => ({
    status: await advance(tx, ctx, kase, order, actor, "cancel", caseGuard(kase), opts),
  }));

/** 完结: close a case whose money or goods have gone out. */
export const closeCase = (ctx: FlowContext, actor: Actor, caseId: number, opts: StepOptions = {}) =>
  withCase(ctx, caseId, async (tx, kase, order) => ({
    status: await advance(tx, ctx, kase, order, actor, "close", caseGuard(kase), opts),
  }));

/** Plain actions need no facts beyond the machine's own. */
const caseGuard = (_kase: unknown) => ({ caseQuantity: 0, receivedQuantity: 0 });

import type { Action } from "../domain/lifecycle.ts";
import { advance, type StepOptions, type StepResult, withCase } from "./case-step.ts";
import type { Actor, FlowContext } from "./context.ts";

/** Actions that need no facts beyond the machine's own. */
const plain =
  (action: Action) =>
  (ctx: FlowContext, actor: Actor, caseId: number, opts: StepOptions = {}): Promise<StepResult> =>
    withCase(ctx, caseId, (l) => advance(ctx, l, actor, action, {}, opts), opts);

/** 审核通过: approve a case. */
export const approveCase = plain("approve");
/** 拒绝: reject a case; the reason is required and goes on the timeline (and to the customer). */
export const rejectCase = plain("reject");
/** 撤销: the customer (or an agent for them) withdraws the case before goods or money moved. */
export const cancelCase = plain("cancel");
/** 完结: close a case whose money or goods have gone out. */
export const closeCase = plain("close");

import { Type } from "@fastify/type-provider-typebox";
import type { FlowContext } from "../../flows/context.ts";
import { settleOfflineRefund } from "../../flows/settle-offline-refund.ts";
import { principal } from "../auth.ts";
import type { App } from "../server.ts";

/** 退款: what finance does to a refund directly. */
export async function refundRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  app.post(
    "/refunds/:id/offline-settlement",
    {
      config: { permission: "case.issue_refund" },
      schema: {
        tags: ["refunds"],
        summary: "Record that finance paid an offline refund (bank transfer, wallet), with its reference",
        params: Type.Object({ id: Type.Integer() }),
        body: Type.Object({ reference: Type.String({ minLength: 1 }) }),
      },
    },
    async (req) => {
      const p = principal(req);
      return settleOfflineRefund(ctx, { kind: "user", id: p.name }, req.params.id, {
        reference: req.body.reference,
        shops: p.shops,
      });
    },
  );
}

import { Type } from "@fastify/type-provider-typebox";
import type { FlowContext } from "../../flows/context.ts";
import { sendNow } from "../../flows/issue-refund.ts";
import { settleOfflineRefund } from "../../flows/settle-offline-refund.ts";
import { switchRefundToOffline } from "../../flows/switch-refund.ts";
import { principal } from "../auth.ts";
import { langOf } from "../problems.ts";
import type { App } from "../server.ts";
import { inCallersWords } from "./cases.ts";
import { Enum } from "./schemas.ts";

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

  app.post(
    "/refunds/:id/switch-to-offline",
    {
      config: { permission: "case.issue_refund" },
      schema: {
        tags: ["refunds"],
        summary:
          "Pay a refund its channel refused for good another way (改线下退款): a new leg over bank transfer or wallet, same amount, own key; finance then records its reference",
        params: Type.Object({ id: Type.Integer() }),
        body: Type.Object(
          {
            tender: Enum(["bank_transfer", "wallet"]),
            note: Type.String({ minLength: 1 }),
            expectedVersion: Type.Optional(Type.Integer()),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const p = principal(req);
      const granted = await switchRefundToOffline(ctx, { kind: "user", id: p.name }, req.params.id, {
        ...req.body,
        shops: p.shops,
      });
      // Sent at once: the offline channel records that finance owes it; answered as granted whatever happens.
      return {
        id: granted.caseId,
        ...inCallersWords(await sendNow(ctx, granted, granted.refunds), langOf(req)),
      };
    },
  );
}

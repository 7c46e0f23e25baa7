import { NotificationRejectedError } from "../../channels/payments/channel.ts";
import { AppError } from "../../domain/errors.ts";
import type { FlowContext } from "../../flows/context.ts";
import { applyRefundNotification } from "../../flows/payment-notification.ts";
import type { App } from "../server.ts";

/**
 * Channel callbacks (支付回调): no API token — each adapter verifies the channel's own signature over
 * the raw body, which is why this plugin reads bodies as text.
 */
export async function callbackRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  // Signatures cover the exact bytes: no JSON or text parsing here, every body arrives as a string.
  app.removeContentTypeParser(["application/json", "text/plain"]);
  app.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => done(null, body));
  app.post<{ Params: { channel: string } }>(
    "/callbacks/payments/:channel",
    { schema: { tags: ["callbacks"], summary: "A payment channel's signed refund notification" } },
    async (req, reply) => {
      const { channel } = req.params;
      const adapter = ctx.payments.has(channel) ? ctx.payments.get(channel) : undefined;
      if (!adapter?.parseNotification || !adapter.notificationAck)
        throw new AppError("UNKNOWN_CHANNEL", `No payment channel "${channel}" takes callbacks here`, {
          channel,
        });
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(",") : v]),
      );
      let parsed: ReturnType<NonNullable<typeof adapter.parseNotification>>;
      try {
        parsed = adapter.parseNotification(headers, String(req.body ?? ""));
      } catch (e) {
        if (e instanceof NotificationRejectedError) throw new AppError(e.code, e.message);
        throw e;
      }
      await applyRefundNotification(ctx, channel, parsed);
      const ack = adapter.notificationAck;
      return reply.status(ack.status).type(ack.contentType).send(ack.body);
    },
  );
}

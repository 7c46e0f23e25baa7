import { PushRejectedError } from "../../channels/logistics/tracking.ts";
import { AppError } from "../../domain/errors.ts";
import type { FlowContext } from "../../flows/context.ts";
import { applyTrackingPush } from "../../flows/track-parcel.ts";
import type { App } from "../server.ts";

/**
 * Tracking pushes (快递100 推送): no API token — the adapter verifies the provider's signature over
 * the form body exactly as received (Kuaidi100: sign = MD5(param + salt)), which is why this plugin
 * reads every body as text. Unsigned or tampered pushes get a problem with a stable code and change
 * nothing; a repeat is acknowledged and changes nothing.
 */
export async function logisticsCallbackRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => done(null, body));
  app.post<{ Params: { provider: string } }>(
    "/callbacks/logistics/:provider",
    {
      schema: {
        tags: ["callbacks"],
        summary: "A tracking service's signed parcel push (Kuaidi100: form param + sign)",
      },
    },
    async (req, reply) => {
      const { provider } = req.params;
      const tracking = ctx.logistics?.tracking;
      if (!tracking || tracking.name !== provider)
        throw new AppError("UNKNOWN_TRACKING_PROVIDER", `No tracking service "${provider}" pushes here`, {
          provider,
        });
      let push: ReturnType<typeof tracking.parsePush>;
      try {
        push = tracking.parsePush(typeof req.body === "string" ? req.body : "");
      } catch (e) {
        if (e instanceof PushRejectedError) throw new AppError(e.code, e.message);
        throw e;
      }
      await applyTrackingPush(ctx, tracking.name, push);
      const ack = tracking.pushAck;
      return reply.status(ack.status).type(ack.contentType).send(ack.body);
    },
  );
}

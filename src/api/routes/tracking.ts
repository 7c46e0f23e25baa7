import { Type } from "@fastify/type-provider-typebox";
import { LOGISTICS_STATUSES } from "../../domain/order.ts";
import type { FlowContext } from "../../flows/context.ts";
import { recordTracking, type TrackingInput } from "../../flows/record-tracking.ts";
import { principal } from "../auth.ts";
import type { App } from "../server.ts";
import { Enum } from "./schemas.ts";

/** 物流轨迹: carrier scans for a parcel we know, from a tracking service or a person. */
export async function trackingRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  app.post(
    "/tracking",
    {
      config: { permission: "tracking.write" },
      schema: {
        tags: ["tracking"],
        body: Type.Object({
          carrier: Type.String({ minLength: 1 }),
          trackingNo: Type.String({ minLength: 1 }),
          eta: Type.Optional(Type.String({ format: "date-time" })),
          events: Type.Array(
            Type.Object({
              at: Type.String({ format: "date-time" }),
              status: Enum(LOGISTICS_STATUSES),
              description: Type.String(),
              location: Type.Optional(Type.String()),
            }),
          ),
        }),
      },
    },
    async (req) => {
      return recordTracking(ctx, { ...(req.body as TrackingInput), shops: principal(req).shops });
    },
  );
}

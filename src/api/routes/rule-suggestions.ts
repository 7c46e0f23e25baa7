import { Type } from "@fastify/type-provider-typebox";
import type { FlowContext } from "../../flows/context.ts";
import { dismissSuggestion, suggestFromHistory } from "../../flows/suggest-rules.ts";
import { actorOf, principal } from "../auth.ts";
import { answerInLines } from "../lines.ts";
import type { App } from "../server.ts";

/** 规则建议: approval rules learned from the cases people decided, each with its held-out backtest. */
export async function ruleSuggestionRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  app.post(
    "/rules/suggestions",
    {
      config: { permission: "rules.read" },
      schema: {
        tags: ["rules"],
        summary:
          "Propose approval rules learned from the cases people decided. Asked with `Accept: " +
          'application/x-ndjson`, the answer streams {"progress":{"done","total"}} lines while history ' +
          'is read, then {"result":{…}} (or {"error":{code,detail}}).',
        body: Type.Object({
          from: Type.Optional(Type.String({ format: "date-time" })),
          to: Type.Optional(Type.String({ format: "date-time" })),
          minAgreement: Type.Optional(
            Type.Number({
              minimum: 0.8,
              maximum: 1,
              description:
                "Agreement with people each suggestion must reach on held-out cases (default 0.995)",
            }),
          ),
        }),
      },
    },
    async (req, reply) =>
      answerInLines(req, reply, (long) =>
        suggestFromHistory(ctx, { ...req.body, shops: principal(req).shops, ...long }),
      ),
  );

  app.post(
    "/rules/suggestions/dismissed",
    {
      config: { permission: "rules.write", allShops: true },
      schema: {
        tags: ["rules"],
        summary: "Never propose a suggestion again",
        body: Type.Object({ fingerprint: Type.String({ minLength: 1, maxLength: 2000 }) }),
      },
    },
    async (req) => ({
      dismissed: (await dismissSuggestion(ctx, req.body.fingerprint, actorOf(principal(req)))).length,
    }),
  );
}

import { Type } from "@fastify/type-provider-typebox";
import { AppError } from "../../domain/errors.ts";
import { assessRisk } from "../../domain/risk/assess.ts";
import { validateRuleSet } from "../../domain/rules/definition.ts";
import { compileRuleSet } from "../../domain/rules/evaluate.ts";
import { explainDecision } from "../../domain/rules/explain.ts";
import { ruleVocabulary } from "../../domain/rules/vocabulary.ts";
import { backtestAgainstLive, backtestRules } from "../../flows/backtest.ts";
import type { FlowContext } from "../../flows/context.ts";
import {
  activateRules,
  compiledVersion,
  createRuleDraft,
  liveRules,
  removeRuleDraft,
  requestRulesActivation,
  updateRuleDraft,
} from "../../flows/rules.ts";
import { riskThresholds, rulesActivation, timeZone } from "../../flows/settings.ts";
import { findCase } from "../../store/cases.ts";
import { loadCaseContexts } from "../../store/facts.ts";
import { findRuleVersion, listRuleVersions } from "../../store/rules.ts";
import { actorOf, canSeeShop, principal } from "../auth.ts";
import { answerInLines } from "../lines.ts";
import { decimalMoney, decisionJson, factsJson } from "../serialize.ts";
import type { App } from "../server.ts";

const Version = Type.Object({ version: Type.Integer({ minimum: 1 }) });
const Draft = Type.Object({ definition: Type.Unknown(), note: Type.Optional(Type.String()) });

const versionJson = (v: Awaited<ReturnType<typeof listRuleVersions>>[number]) => ({
  version: v.version,
  status: v.status,
  note: v.note,
  createdBy: v.created_by,
  createdAt: v.created_at,
  activatedBy: v.activated_by,
  activatedAt: v.activated_at,
  authors: v.authors,
  requestedBy: v.requested_by,
  requestedAt: v.requested_at,
  definition: v.definition,
});

/** 规则: versioned rule sets, their vocabulary, dry runs and backtests. */
export async function ruleRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  app.get(
    "/rules/vocabulary",
    { config: { permission: "rules.read" }, schema: { tags: ["rules"] } },
    async (_req) => {
      return ruleVocabulary();
    },
  );

  app.get("/rules", { config: { permission: "rules.read" }, schema: { tags: ["rules"] } }, async (_req) => {
    const [versions, activation] = await Promise.all([listRuleVersions(ctx.db), rulesActivation(ctx.db)]);
    return {
      active: versions.find((v) => v.status === "active")?.version ?? null,
      secondPerson: activation.secondPerson,
      versions: versions.map(versionJson),
    };
  });

  app.get(
    "/rules/versions/:version",
    { config: { permission: "rules.read" }, schema: { tags: ["rules"], params: Version } },
    async (req) => {
      const v = await findRuleVersion(ctx.db, req.params.version);
      if (!v)
        throw new AppError(
          "RULE_VERSION_NOT_FOUND",
          `Rule set version ${req.params.version} does not exist`,
          { version: req.params.version },
        );
      return versionJson(v);
    },
  );

  app.post(
    "/rules/versions",
    { config: { permission: "rules.write", allShops: true }, schema: { tags: ["rules"], body: Draft } },
    async (req, reply) => {
      const p = principal(req);
      return reply.status(201).send(versionJson(await createRuleDraft(ctx, actorOf(p), req.body)));
    },
  );

  app.put(
    "/rules/versions/:version",
    {
      config: { permission: "rules.write", allShops: true },
      schema: { tags: ["rules"], params: Version, body: Draft },
    },
    async (req) => {
      return versionJson(await updateRuleDraft(ctx, req.params.version, req.body, actorOf(principal(req))));
    },
  );

  app.delete(
    "/rules/versions/:version",
    { config: { permission: "rules.write", allShops: true }, schema: { tags: ["rules"], params: Version } },
    async (req, reply) => {
      await removeRuleDraft(ctx, req.params.version, actorOf(principal(req)));
      return reply.status(204).send();
    },
  );

  app.post(
    "/rules/versions/:version/activate",
    {
      config: { permission: "rules.activate", allShops: true },
      schema: { tags: ["rules"], params: Version },
    },
    async (req) => {
      const p = principal(req);
      return versionJson(await activateRules(ctx, actorOf(p), req.params.version));
    },
  );

  app.post(
    "/rules/versions/:version/request-activation",
    {
      config: { permission: "rules.write", allShops: true },
      schema: {
        tags: ["rules"],
        summary: "Ask another person to activate this draft (maker–checker)",
        params: Version,
      },
    },
    async (req) => {
      return versionJson(await requestRulesActivation(ctx, actorOf(principal(req)), req.params.version));
    },
  );

  app.post(
    "/rules/dry-run",
    {
      config: { permission: "rules.read" },
      schema: {
        tags: ["rules"],
        summary: "Judge one case by a rule set without changing anything",
        body: Type.Object({
          caseId: Type.Integer(),
          version: Type.Optional(Type.Integer({ minimum: 1 })),
          definition: Type.Optional(Type.Unknown()),
        }),
      },
    },
    async (req) => {
      const p = principal(req);
      const kase = await findCase(ctx.db, req.body.caseId);
      if (!kase || !canSeeShop(p, kase.shop_id))
        throw new AppError("CASE_NOT_FOUND", `Case ${req.body.caseId} does not exist`, {
          caseId: req.body.caseId,
        });
      const rules =
        req.body.definition !== undefined
          ? compileRuleSet(validateRuleSet(req.body.definition), 0)
          : req.body.version !== undefined
            ? await compiledVersion(ctx, req.body.version)
            : (await liveRules(ctx)).rules;
      const [c] = await loadCaseContexts(ctx.db, [kase.id], await timeZone(ctx));
      if (!c)
        throw new AppError("CASE_NOT_FOUND", `Case ${req.body.caseId} does not exist`, {
          caseId: req.body.caseId,
        });
      const risk = assessRisk(c.profile, await riskThresholds(ctx), c.facts.currency);
      c.facts.riskScore = risk.score;
      const decision = rules.evaluate(c.facts);
      return {
        caseId: kase.id,
        facts: factsJson(c.facts),
        risk: decimalMoney(risk, c.facts.currency),
        decision: decisionJson(decision),
        explanation: { zh: explainDecision(decision, "zh"), en: explainDecision(decision, "en") },
      };
    },
  );

  app.post(
    "/rules/backtests",
    {
      config: { permission: "rules.read" },
      schema: {
        tags: ["rules"],
        summary:
          "Replay a rule set over past cases people decided and compare. With `againstLive` the live rule set " +
          "is replayed in the same pass (`live`). Asked with `Accept: application/x-ndjson`, the answer streams " +
          'one JSON line per batch, {"progress":{"done","total"}}, then {"result":{…}} (or {"error":{code,detail}}).',
        body: Type.Object({
          version: Type.Optional(Type.Integer({ minimum: 1 })),
          definition: Type.Optional(Type.Unknown()),
          from: Type.Optional(Type.String({ format: "date-time" })),
          to: Type.Optional(Type.String({ format: "date-time" })),
          againstLive: Type.Optional(
            Type.Boolean({ description: "Also replay the live rule set, side by side (`live`)" }),
          ),
        }),
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const { againstLive, ...body } = req.body;
      const run = async (input: Parameters<typeof backtestRules>[1]) => {
        if (!againstLive) return backtestRules(ctx, input);
        const { report, live, liveVersion } = await backtestAgainstLive(ctx, input);
        return { ...report, live, liveVersion };
      };
      return answerInLines(
        req,
        reply,
        (long) => run({ ...body, shops: p.shops, ...long }),
        // A draft that is not valid is refused as a problem before anything streams.
        () => body.definition !== undefined && validateRuleSet(body.definition),
      );
    },
  );
}

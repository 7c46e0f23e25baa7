// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildServer } from "../../src/api/server.ts";
import { DEFAULT_RULE_SET } from "../../src/domain/rules/default-rules.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop, sampleOrder } from "../support/fixtures.ts";

/**
 * What the console's rules screen relies on (issue 13): the vocabulary says how conditions and actions
 * read and what they take; a refused draft names each problem at its path in the caller's language;
 * maker–checker activation; a backtest that streams its progress and replays the live rules beside the
 * draft; the thresholds' fields.
 */

let env: TestEnv;
let app: App;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  env = await testEnv();
  await addShop(env.ctx, "tmall-1", "tmall");
  for (const name of ["admin", "reviewer", "supervisor", "supervisor2"])
    tokens[name] = (
      await createToken(env.ctx.db, { name, role: name.startsWith("supervisor") ? "supervisor" : name })
    ).token;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
});
afterAll(async () => {
  await app.close();
  await env.close();
});

async function call(
  who: string,
  method: "GET" | "POST" | "PUT",
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${tokens[who]}`, ...headers },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: res.body, json: () => res.json() };
}

const rule = (id: string, when: unknown, then: unknown[] = [{ action: "approve" }]) => ({
  id,
  name: { zh: id, en: id },
  priority: 10,
  when,
  then,
});

describe("the rules screen's API", () => {
  it("describes every condition and action well enough to build an editor and read a rule", async () => {
    const v = (await call("reviewer", "GET", "/rules/vocabulary")).json();
    const type = v.fields.find((f: { field: string }) => f.field === "case.type");
    expect(type).toMatchObject({ equalsReadsAsValue: true, values: { refund_only: { zh: "仅退款" } } });
    const delivered = v.fields.find((f: { field: string }) => f.field === "order.days_since_delivery");
    expect(delivered.nullLabel).toEqual({ zh: "未签收", en: "not delivered" });
    expect(delivered.operators.find((o: { op: string }) => o.op === "exists").flag.false.zh).toBe("为空");
    const route = v.actions.find((a: { action: string }) => a.action === "route");
    expect(route).toMatchObject({ outcome: "manual", label: { zh: "转人工审核" } });
    expect(route.params.map((p: { name: string; kind: string }) => [p.name, p.kind])).toEqual([
      ["queue", "text"],
      ["priority", "integer"],
    ]);
    expect(v.actions.find((a: { action: string }) => a.action === "reject").params[0]).toMatchObject({
      name: "reason",
      kind: "choice",
      values: "rejectReasons",
      required: true,
    });
  });

  it("names each problem of a refused draft at its path, in the caller's language", async () => {
    const draft = {
      rules: [
        rule("small", { all: [{ field: "case.quoted_amount", op: "lte", value: "5O.00" }] }),
        rule("small", { field: "case.type", op: "eq", value: "refund_only" }, [{ action: "reject" }]),
      ],
      solutions: [],
    };
    const zh = await call("supervisor", "POST", "/rules/versions", { definition: draft });
    expect(zh.status).toBe(422);
    const errors = zh.json().details.errors as { path: string; code: string; message: string }[];
    expect(errors.map((e) => e.path).sort()).toEqual([
      "rules[0].when.all[0].value",
      "rules[1].id",
      "rules[1].then[0].reason",
    ]);
    const byPath = Object.fromEntries(errors.map((e) => [e.path, e.message]));
    expect(byPath["rules[0].when.all[0].value"]).toContain("不是有效的 CNY 金额");
    expect(byPath["rules[1].then[0].reason"]).toBe("自动拒绝需要选择拒绝原因");
    expect(byPath["rules[1].id"]).toContain("编号不能重复");
    const en = await call(
      "supervisor",
      "POST",
      "/rules/versions",
      { definition: draft },
      { "accept-language": "en" },
    );
    const enErrors = en.json().details.errors as { path: string; message: string }[];
    expect(enErrors.find((e) => e.path === "rules[1].then[0].reason")?.message).toContain(
      '"reject" needs a reason',
    );

    const risk = await call("supervisor", "PUT", "/settings/risk", {
      mediumAt: 80,
      highAt: 60,
      refunds30: -1,
    });
    expect(risk.status).toBe(422);
    expect(risk.json().details.errors).toEqual([
      { path: "refunds30", message: "不能为负数（应为不小于 0 的整数）" },
      { path: "mediumAt", message: "中风险起点不能高于高风险起点（80 > 60）" },
    ]);
  });

  it("lets a draft go live only by someone who did not write it, once maker–checker is on", async () => {
    const draft = { ...DEFAULT_RULE_SET, rules: DEFAULT_RULE_SET.rules.slice(0, 3) };
    const v = (await call("supervisor", "POST", "/rules/versions", { definition: draft })).json();
    expect(v.authors).toEqual(["user:supervisor"]);
    expect((await call("supervisor", "GET", "/rules")).json().secondPerson).toBe(false);
    expect(
      (await call("supervisor", "PUT", "/settings/rules-activation", { secondPerson: true })).json(),
    ).toEqual({ secondPerson: true });

    const alone = await call("supervisor", "POST", `/rules/versions/${v.version}/activate`);
    expect(alone.status).toBe(409);
    expect(alone.json()).toMatchObject({ code: "RULES_SECOND_PERSON_REQUIRED" });
    expect(alone.json().detail).toContain("需由另一位主管复核后启用");

    const asked = (
      await call("supervisor", "POST", `/rules/versions/${v.version}/request-activation`)
    ).json();
    expect(asked.requestedBy).toBe("user:supervisor");
    // A change by the checker makes them an author too, and withdraws the request.
    const changed = (
      await call("supervisor2", "PUT", `/rules/versions/${v.version}`, { definition: draft, note: "改了" })
    ).json();
    expect(changed).toMatchObject({ authors: ["user:supervisor", "user:supervisor2"], requestedBy: null });
    expect((await call("supervisor2", "POST", `/rules/versions/${v.version}/activate`)).status).toBe(409);
    const live = await call("admin", "POST", `/rules/versions/${v.version}/activate`);
    expect(live.status).toBe(200);
    expect(live.json()).toMatchObject({ status: "active", activatedBy: "user:admin" });

    // Rolling back to a version that was live before needs no second person.
    const next = (
      await call("supervisor", "POST", "/rules/versions", { definition: DEFAULT_RULE_SET })
    ).json();
    expect((await call("supervisor2", "POST", `/rules/versions/${next.version}/activate`)).status).toBe(200);
    expect((await call("supervisor", "POST", `/rules/versions/${v.version}/activate`)).status).toBe(200);
    await call("supervisor", "PUT", "/settings/rules-activation", { secondPerson: false });
  });

  it("streams a backtest's progress and replays the live rules beside the draft", async () => {
    for (let i = 0; i < 3; i++) {
      const o = (
        await call("admin", "POST", "/orders", sampleOrder({ shop: "tmall-1", externalId: `BT${i}` }))
      ).json();
      const lines = (await call("admin", "GET", `/orders/${o.id}`)).json().lines as { id: number }[];
      const c = (
        await call("admin", "POST", "/cases", {
          orderId: o.id,
          type: "return_refund",
          reason: "size_fit",
          items: [{ lineId: lines[0]?.id, quantity: 1 }],
        })
      ).json();
      expect(
        (await call("reviewer", "POST", `/cases/${c.id}/${i === 0 ? "reject" : "approve"}`, { note: "尺码" }))
          .status,
      ).toBe(200);
    }
    const definition = {
      rules: [rule("size", { field: "case.reason", op: "eq", value: "size_fit" })],
      solutions: [],
    };
    const res = await call(
      "reviewer",
      "POST",
      "/rules/backtests",
      { definition, againstLive: true },
      { accept: "application/x-ndjson" },
    );
    expect(res.status).toBe(200);
    const lines = res.body
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ progress: { done: 0, total: 3 } });
    expect(lines.at(-2)).toEqual({ progress: { done: 3, total: 3 } });
    const result = lines.at(-1).result;
    expect(result).toMatchObject({ cases: 3, automated: 3, agreed: 2, falseApprovals: 1 });
    expect(result.perRule[0]).toMatchObject({ id: "size", decided: 3, falseApprovals: 1 });
    expect(result.disagreements).toHaveLength(1);
    expect(result.liveVersion).toEqual(expect.any(Number));
    expect(result.live).toMatchObject({ cases: 3 });

    // A refused draft is a problem before anything streams.
    const bad = await call(
      "reviewer",
      "POST",
      "/rules/backtests",
      { definition: { rules: [rule("x", { field: "case.nope", op: "eq", value: 1 })] } },
      { accept: "application/x-ndjson" },
    );
    expect(bad.status).toBe(422);
    expect(bad.json().details.errors[0]).toMatchObject({
      path: "rules[0].when.field",
      code: "UNKNOWN_FIELD",
    });
  });

  it("says what each threshold is, for the settings editor", async () => {
    const f = (await call("reviewer", "GET", "/settings/thresholds/fields")).json();
    expect(f.risk.fields.find((x: { key: string }) => x.key === "amountFloor")).toMatchObject({
      kind: "minor",
      label: { zh: "金额异常的最低金额" },
    });
    expect(f.risk.signals.map((s: { code: string }) => s.code)).toContain("frequent_refunder");
    expect(f.quality.fields.map((x: { key: string }) => x.key)).toContain("minLift");
  });
});

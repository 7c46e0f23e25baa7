import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PERMISSIONS, ROLE_NAMES } from "../../src/api/auth.ts";
import { negotiateLang } from "../../src/api/language.ts";
import { type App, buildServer } from "../../src/api/server.ts";
import { CASE_TYPES } from "../../src/domain/catalogue.ts";
import { CASE_STATE_NAMES } from "../../src/domain/lifecycle.ts";
import { CATALOGUES, LANGS } from "../../src/domain/messages/index.ts";
import { createToken } from "../../src/store/tokens.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { addShop, sampleOrder } from "../support/fixtures.ts";

/** Errors follow the caller's Accept-Language: Chinese by default, English when asked. */
let env: TestEnv;
let app: App;
const tokens: Record<string, string> = {};
const EN = { "accept-language": "en-US,en;q=0.9" };

beforeAll(async () => {
  env = await testEnv();
  await addShop(env.ctx, "tmall-1", "tmall");
  for (const role of ["admin", "cs_agent"])
    tokens[role] = (await createToken(env.ctx.db, { name: role, role })).token;
  app = await buildServer({ ctx: env.ctx, dbKind: env.store.kind });
});
afterAll(async () => {
  await app.close();
  await env.close();
});

async function call(method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) {
  const res = await app.inject({
    method: method as "GET",
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${tokens.admin}`, ...headers },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, headers: res.headers, body: res.json() };
}

interface FieldProblem {
  path: string;
  keyword: string;
  message: string;
  allowedValues?: string[];
}

async function newCaseBody() {
  const order = await call("POST", "/orders", sampleOrder());
  const lines = (await call("GET", `/orders/${order.body.id}`)).body.lines as { id: number }[];
  return {
    orderId: order.body.id,
    type: "refund_only",
    reason: "quality",
    source: "chat",
    items: [{ lineId: lines[0]?.id, quantity: 1 }],
  };
}

describe("errors in the caller's language", () => {
  it("answers in Chinese by default and in English with Accept-Language: en", async () => {
    const zh = await call("GET", "/cases/999999");
    expect(zh.status).toBe(404);
    expect(zh.headers["content-type"]).toContain("application/problem+json");
    expect(zh.headers["content-language"]).toBe("zh-CN");
    expect(zh.headers.vary).toContain("Accept-Language");
    expect(zh.body).toMatchObject({
      code: "CASE_NOT_FOUND",
      title: "未找到",
      detail: "售后单 999999 不存在",
      details: { caseId: 999999 },
    });

    const en = await call("GET", "/cases/999999", undefined, EN);
    expect(en.headers["content-language"]).toBe("en");
    expect(en.body).toMatchObject({
      code: "CASE_NOT_FOUND",
      title: "Not found",
      detail: "Case 999999 does not exist",
    });

    // The role and the permission in the reader's words.
    const forbidden = await app.inject({
      method: "POST",
      url: "/api/v1/shops",
      headers: { authorization: `Bearer ${tokens.cs_agent}` },
      payload: { id: "x-1", name: "X", channel: "manual" },
    });
    expect(forbidden.json()).toMatchObject({
      code: "FORBIDDEN",
      title: "无权操作",
      detail: "客服角色无权管理店铺",
    });

    const noToken = await app.inject({ url: "/api/v1/cases", headers: { "accept-language": "en" } });
    expect(noToken.json()).toMatchObject({
      code: "UNAUTHENTICATED",
      detail: "Sign in, or send an API token: Authorization: Bearer <token>",
    });
  });

  it("picks the language by q-value among the ones it speaks", () => {
    const cases: [string | undefined, string][] = [
      [undefined, "zh-CN"],
      ["", "zh-CN"],
      ["en-US,en;q=0.9", "en"],
      ["zh", "zh-CN"],
      ["zh-CN", "zh-CN"],
      ["zh-Hans", "zh-CN"],
      ["fr-FR", "zh-CN"],
      ["fr, en;q=0.5", "en"],
      ["en;q=0.2, zh-CN;q=0.8", "zh-CN"],
      ["zh;q=0, en", "en"],
      ["en;q=0", "zh-CN"],
      ["*", "zh-CN"],
      ["en-GB;q=0.7, zh-TW;q=0.7", "en"],
    ];
    expect(cases.map(([h]) => [h, negotiateLang(h)])).toEqual(cases);
  });

  it("lists the allowed values once when a value is not one of them", async () => {
    const zh = await call("GET", "/cases?status=bogus");
    expect(zh.status).toBe(400);
    expect(zh.body.code).toBe("VALIDATION_ERROR");
    const errors = zh.body.errors as FieldProblem[];
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ path: "/status", keyword: "enum", allowedValues: CASE_STATE_NAMES });
    expect(zh.body.detail).toBe(`查询参数 status 只能是以下值之一：${CASE_STATE_NAMES.join("、")}`);
    expect(JSON.stringify(zh.body)).not.toMatch(/constant|anyOf/);

    const en = await call("POST", "/cases", { ...(await newCaseBody()), type: "refund" }, EN);
    expect(en.status).toBe(400);
    expect(en.body.errors).toEqual([
      {
        path: "/type",
        keyword: "enum",
        allowedValues: [...CASE_TYPES],
        message: `The field type must be one of: ${CASE_TYPES.join(", ")}`,
      },
    ]);
  });

  it("names a missing field, a wrong type and an unknown field", async () => {
    const body = await newCaseBody();
    const { type: _omitted, ...withoutType } = body;
    const missing = await call("POST", "/cases", withoutType);
    expect(missing.body).toMatchObject({ code: "VALIDATION_ERROR", detail: "缺少字段 type" });
    expect(missing.body.errors).toEqual([{ path: "/type", keyword: "required", message: "缺少字段 type" }]);

    const wrongType = { ...body, items: [{ lineId: body.items[0]?.lineId, quantity: "x" }] };
    expect((await call("POST", "/cases", wrongType)).body.detail).toBe("字段 items[0].quantity 应为整数");
    expect((await call("POST", "/cases", wrongType, EN)).body.detail).toBe(
      "The field items[0].quantity must be an integer",
    );

    const unknown = await call("GET", "/cases?source=platform");
    expect(unknown.body).toMatchObject({
      code: "UNKNOWN_FIELD",
      detail: "未知查询参数 source：该接口不接受",
    });
    const unknownEn = await call("POST", "/cases", { ...body, amout: "1.00" }, EN);
    expect(unknownEn.body).toMatchObject({
      code: "UNKNOWN_FIELD",
      detail: "Unknown field amout: this operation does not take it",
      errors: [{ path: "/amout", keyword: "additionalProperties" }],
    });
  });

  it("has a word for every role and permission in both languages", () => {
    for (const lang of LANGS) {
      const terms = CATALOGUES[lang].terms;
      expect(
        PERMISSIONS.filter((p) => !terms.permission?.[p]),
        lang,
      ).toEqual([]);
      expect(
        ROLE_NAMES.filter((r) => !terms.role?.[r]),
        lang,
      ).toEqual([]);
    }
  });
});

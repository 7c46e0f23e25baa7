import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CATALOGUES, errorMessage, LANGS, langOfTag } from "../../src/domain/messages/index.ts";

/** Every .ts file under src/, with its text. */
function sources(dir = "src"): { path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith(".ts") ? [{ path, text: readFileSync(path, "utf8") }] : [];
  });
}

/**
 * Every error code src/ can answer with: thrown (AppError, fail, the channels' rejections and settings
 * errors, which the API turns into AppErrors), listed in the STATUS table, or sent with sendProblem.
 */
function codesInSource(): Map<string, string> {
  const found = new Map<string, string>();
  const files = sources();
  // `export const BILL_MALFORMED = "BILL_MALFORMED"`: codes thrown by name.
  const constants = new Map<string, string>();
  for (const f of files)
    for (const m of f.text.matchAll(/const ([A-Z][A-Z0-9_]+) = "([A-Z][A-Z0-9_]+)"/g))
      constants.set(m[1] as string, m[2] as string);
  const thrower =
    /(?:new (?:AppError|NotificationRejectedError|PushRejectedError|\w+ProtocolError)|\bfail|\breject|settingsError|throwIfProblems|usageError)\(\s*(?:"([A-Z][A-Z0-9_]+)"|([A-Z][A-Z0-9_]+)\s*,)/g;
  for (const f of files) {
    for (const m of f.text.matchAll(thrower)) {
      const code = m[1] ?? constants.get(m[2] as string);
      if (code) found.set(code, f.path);
    }
    for (const m of f.text.matchAll(/sendProblem\([^,]+,\s*\d+,\s*"([A-Z][A-Z0-9_]+)"/g))
      found.set(m[1] as string, f.path);
    // Codes a protocol module declares as a type (e.g. WechatPayVerifyCode), thrown by variable.
    for (const t of f.text.matchAll(/export type \w+VerifyCode =((?:\s*\|\s*"[A-Z][A-Z0-9_]+")+)/g))
      for (const m of (t[1] as string).matchAll(/"([A-Z][A-Z0-9_]+)"/g)) found.set(m[1] as string, f.path);
  }
  const problems = readFileSync("src/api/problems.ts", "utf8");
  const table = /const STATUS[^{]*\{([^}]*)\}/.exec(problems)?.[1] ?? "";
  for (const m of table.matchAll(/^\s*([A-Z][A-Z0-9_]+):/gm))
    found.set(m[1] as string, "src/api/problems.ts");
  return found;
}

describe("the message catalogue", () => {
  it("has a zh-CN and an en message for every error code in src/", () => {
    const codes = codesInSource();
    expect(codes.size).toBeGreaterThan(150);
    const missing = [...codes]
      .flatMap(([code, where]) =>
        LANGS.filter((l) => CATALOGUES[l].errors[code] === undefined).map((l) => `${code} (${l}; ${where})`),
      )
      .sort();
    expect(missing, "codes without a message in src/domain/messages/").toEqual([]);
  });

  it("says the same things in both languages", () => {
    const [zh, en] = [CATALOGUES["zh-CN"], CATALOGUES.en];
    expect(Object.keys(zh.errors).sort()).toEqual(Object.keys(en.errors).sort());
    expect(Object.keys(zh.titles).sort()).toEqual(Object.keys(en.titles).sort());
    expect(Object.keys(zh.validation.keywords).sort()).toEqual(Object.keys(en.validation.keywords).sort());
    expect(Object.keys(zh.validation.types).sort()).toEqual(Object.keys(en.validation.types).sort());
    expect(Object.keys(zh.terms).sort()).toEqual(Object.keys(en.terms).sort());
  });

  it("says something whole for every code even when a throw site gives no details", () => {
    for (const lang of LANGS) {
      for (const [code, t] of Object.entries(CATALOGUES[lang].errors)) {
        // The last alternative is what is said without particulars: it may need none.
        if (typeof t !== "function") expect([t].flat().at(-1), `${lang} ${code}`).not.toMatch(/\{\w+\}/);
        const text = errorMessage(code, {}, lang) ?? "";
        expect(text.length, `${lang} ${code}`).toBeGreaterThan(3);
        expect(text, `${lang} ${code}`).not.toMatch(/undefined|NaN|\[object/);
      }
    }
  });

  it("writes Chinese in Chinese", () => {
    for (const [code, t] of Object.entries(CATALOGUES["zh-CN"].errors)) {
      const text = typeof t === "function" ? t({}, () => "") : typeof t === "string" ? t : t.join("");
      expect(text, code).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it("fills templates from the error's details, in the language's words", () => {
    const cap = { requested: "60.00", cap: "50.00", currency: "CNY" };
    expect(errorMessage("REFUND_ABOVE_CAP", cap, "zh-CN")).toBe("退款金额 ¥60.00 超过可退上限 ¥50.00");
    expect(errorMessage("REFUND_ABOVE_CAP", cap, "en")).toBe("The refund ¥60.00 is above the cap ¥50.00");
    // Every amount says its currency; one without a symbol follows it as its code.
    expect(
      errorMessage("REFUND_ABOVE_CAP", { requested: "60.00", cap: "50.00", currency: "SGD" }, "en"),
    ).toBe("The refund 60.00 SGD is above the cap 50.00 SGD");
    // Without the amounts, the alternative that needs none.
    expect(errorMessage("REFUND_ABOVE_CAP", {}, "zh-CN")).toBe("退款金额超过可退上限");
    const transition = { state: "refunded", action: "approve", allowed: ["close"] };
    expect(errorMessage("INVALID_TRANSITION", transition, "zh-CN")).toBe(
      "售后单当前为“已退款”，不能同意（现在可以：完结）",
    );
    expect(errorMessage("FORBIDDEN", { role: "cs_agent", permission: "case.approve" }, "zh-CN")).toBe(
      "客服角色无权同意售后",
    );
    expect(errorMessage("CREDENTIAL_FIELDS_MISSING", { missing: ["app_key", "app_secret"] }, "zh-CN")).toBe(
      "缺少凭证字段：app_key、app_secret",
    );
    expect(errorMessage("NO_SUCH_CODE", {}, "en")).toBeUndefined();
  });

  it("maps language tags and locales to the languages it speaks", () => {
    expect(["zh", "zh-CN", "zh-Hans", "zh-Hans-CN", "zh_CN.UTF-8", "ZH-tw"].map(langOfTag)).toEqual(
      Array(6).fill("zh-CN"),
    );
    expect(["en", "en-US", "en_GB.UTF-8", "EN"].map(langOfTag)).toEqual(Array(4).fill("en"));
    expect(["fr", "*", "", "C", "POSIX"].map(langOfTag)).toEqual(Array(5).fill(undefined));
  });
});

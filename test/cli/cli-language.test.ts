import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";
import { cliLang, formatError, usageError } from "../../src/cli/messages.ts";
import { AppError } from "../../src/domain/errors.ts";

/** The CLI as a person runs it, in a given locale (nothing inherited that would pick another). */
function aftersales(locale: Record<string, string>, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, AFTERSALES_DEMO: "0", ...locale };
  for (const k of ["LC_ALL", "LC_MESSAGES", "LANG", "AFTERSALES_LANG", "DATABASE_URL"])
    if (!(k in locale)) delete env[k];
  return new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, ["src/cli/main.ts", ...args], { env, timeout: 180_000 }, (err, _out, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stderr }),
    );
  });
}

describe("the CLI's language", () => {
  it("follows AFTERSALES_LANG, then the locale, and speaks Chinese by default", () => {
    expect(cliLang({})).toBe("zh-CN");
    expect(cliLang({ LANG: "C.UTF-8" })).toBe("zh-CN");
    expect(cliLang({ LANG: "en_US.UTF-8" })).toBe("en");
    expect(cliLang({ LANG: "zh_CN.UTF-8" })).toBe("zh-CN");
    // LC_ALL wins over LANG, LC_MESSAGES too; AFTERSALES_LANG over both.
    expect(cliLang({ LANG: "zh_CN.UTF-8", LC_ALL: "en_GB.UTF-8" })).toBe("en");
    expect(cliLang({ LANG: "en_US.UTF-8", LC_MESSAGES: "zh_CN.UTF-8" })).toBe("zh-CN");
    expect(cliLang({ LC_ALL: "en_US.UTF-8", AFTERSALES_LANG: "zh" })).toBe("zh-CN");
  });

  it("says an error, its code, each problem and where the usage is", () => {
    const e = new AppError("RULES_INVALID", "rules.json is not a valid rule set — 1 problem", {
      file: "rules.json",
      errors: [{ path: "rules[0].then", message: "A rule needs at least one action" }],
    });
    expect(formatError(e, "zh-CN")).toBe(
      "aftersales: rules.json 不是有效的规则集，共 1 处问题 [RULES_INVALID]\n  rules[0].then: A rule needs at least one action",
    );
    const usage = usageError(
      "--batch needs a value",
      "needs_value",
      { option: "--batch" },
      "aftersales import help",
    );
    expect(formatError(usage, "zh-CN")).toBe(
      "aftersales: 选项 --batch 需要一个值 [INVALID_ARGUMENTS]\n查看用法：aftersales import help",
    );
    expect(formatError(usage, "en")).toBe(
      "aftersales: --batch needs a value [INVALID_ARGUMENTS]\nSee: aftersales import help",
    );
    // Node's own argument parser refuses an unknown option the same way.
    const parse = Object.assign(new TypeError("Unknown option '--colour'. To specify …"), {
      code: "ERR_PARSE_ARGS_UNKNOWN_OPTION",
    });
    expect(formatError(parse, "zh-CN")).toBe("aftersales: 没有 --colour 这个选项 [INVALID_ARGUMENTS]");
  });

  it("prints an error in Chinese by default and in English with LANG=en_US.UTF-8", async () => {
    const zh = await aftersales({}, "worker");
    expect(zh.code).toBe(1);
    expect(zh.stderr).toContain(
      "内置数据库的派发任务在 `aftersales start` 中运行；要单独运行 worker，请设置 DATABASE_URL 使用 PostgreSQL [WORKER_NEEDS_POSTGRES]",
    );
    const en = await aftersales({ LANG: "en_US.UTF-8" }, "worker");
    expect(en.code).toBe(1);
    expect(en.stderr).toContain("set DATABASE_URL to run separate workers [WORKER_NEEDS_POSTGRES]");
    expect(en.stderr).not.toMatch(/[\u4e00-\u9fff]/);

    // A usage mistake and where to read the usage, in each language.
    const usageZh = await aftersales({ LANG: "zh_CN.UTF-8" }, "import", "orders");
    expect(usageZh.stderr).toContain(
      "aftersales: 请指定一个要导入的文件 [INVALID_ARGUMENTS]\n查看用法：aftersales import help",
    );
    const usageEn = await aftersales({ AFTERSALES_LANG: "en" }, "import", "orders");
    expect(usageEn.stderr).toContain(
      "aftersales: Give one file to import [INVALID_ARGUMENTS]\nSee: aftersales import help",
    );
  }, 120_000);
});

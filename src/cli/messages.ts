import { AppError } from "../domain/errors.ts";
import { DEFAULT_LANG, describeError, type Lang, langOfTag } from "../domain/messages/index.ts";

/**
 * The language the CLI speaks: AFTERSALES_LANG when set; else the locale (LC_ALL, LC_MESSAGES, LANG —
 * the first one set decides, as POSIX has it): `zh…` → zh-CN, `en…` → en; zh-CN otherwise.
 */
export function cliLang(env: NodeJS.ProcessEnv = process.env): Lang {
  for (const v of [env.AFTERSALES_LANG, env.LC_ALL, env.LC_MESSAGES, env.LANG]) {
    if (v) return langOfTag(v) ?? DEFAULT_LANG;
  }
  return DEFAULT_LANG;
}

/**
 * A mistake on the command line (INVALID_ARGUMENTS): `problem` picks the catalogue's sentence, the
 * other details fill it, `help` names the command that prints the usage.
 */
export const usageError = (
  message: string,
  problem: string,
  details: Record<string, unknown> = {},
  help?: string,
) => new AppError("INVALID_ARGUMENTS", message, { problem, ...details, ...(help ? { help } : {}) });

/** Node's parseArgs refusals (unknown option, missing value) as our usage errors. */
export function fromParseArgs(e: unknown, help?: string): unknown {
  const code = (e as { code?: unknown }).code;
  if (typeof code !== "string" || !code.startsWith("ERR_PARSE_ARGS_")) return e;
  const quoted = /'([^']+)'/.exec((e as Error).message)?.[1];
  const problem =
    code === "ERR_PARSE_ARGS_UNKNOWN_OPTION"
      ? "unknown_option"
      : code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL"
        ? "unexpected"
        : "needs_value";
  return usageError((e as Error).message, problem, { option: quoted, value: quoted }, help);
}

const HINT: Record<Lang, (help: string) => string> = {
  "zh-CN": (help) => `查看用法：${help}`,
  en: (help) => `See: ${help}`,
};
const WHOLE_FILE: Record<Lang, string> = { "zh-CN": "（整个文件）", en: "(the whole file)" };

/**
 * How every command reports an error: the catalogue's sentence in the environment's language with the
 * stable code, then each listed problem on its own line and where to read the usage. Anything that
 * is not an expected failure keeps its stack: that is a bug to report.
 */
export function formatError(e: unknown, lang: Lang = cliLang()): string {
  const err = fromParseArgs(e);
  if (!(err instanceof AppError)) return err instanceof Error ? (err.stack ?? err.message) : String(err);
  const lines = [`aftersales: ${describeError(err, lang)} [${err.code}]`];
  const problems = err.details?.errors;
  if (Array.isArray(problems)) {
    for (const p of problems as { path?: unknown; message?: unknown }[])
      lines.push(`  ${String(p.path || WHOLE_FILE[lang])}: ${String(p.message ?? "")}`);
  }
  if (typeof err.details?.help === "string") lines.push(HINT[lang](err.details.help));
  return lines.join("\n");
}

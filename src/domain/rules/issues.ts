import { didYouMean, type Label } from "./text.ts";

/** Problems found in a merchant's rule set, each at a path such as `rules[2].when.all[0].op`. */

export type IssueCode =
  | "UNKNOWN_FIELD"
  | "UNKNOWN_OPERATOR"
  | "OPERATOR_NOT_FOR_FIELD"
  | "INVALID_VALUE"
  | "INVALID_WINDOW"
  | "UNKNOWN_ACTION"
  | "INVALID_ACTION"
  | "DUPLICATE_ID"
  | "INVALID_ID"
  | "UNKNOWN_KEY"
  | "MISSING"
  | "INVALID_NODE";

export interface Issue {
  path: string;
  code: IssueCode;
  /** The developer's English text (command line, logs). */
  message: string;
  /** What a person reads, in both languages (the API answers in the caller's). */
  text: Label;
}

export class Issues {
  readonly list: Issue[] = [];
  add(path: string, code: IssueCode, text: Label): void {
    this.list.push({ path, code, message: text.en, text });
  }
}

export const at = (path: string, key: string): string => (path === "" ? key : `${path}.${key}`);
export const item = (path: string, index: number): string => `${path}[${index}]`;

export type Obj = Record<string, unknown>;

export const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Report every property of `obj` that is not in `allowed`; returns whether there were any. */
export function unknownKeys(obj: Obj, allowed: readonly string[], path: string, issues: Issues): boolean {
  let found = false;
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    found = true;
    const hint = didYouMean(key, allowed);
    issues.add(at(path, key), "UNKNOWN_KEY", {
      en: `Unexpected property "${key}"${hint.en}${allowed.length > 0 ? ` (allowed here: ${allowed.join(", ")})` : " (nothing else is allowed here)"}`,
      zh: `不认识的属性“${key}”${hint.zh}${allowed.length > 0 ? `（此处可用：${allowed.join("、")}）` : "（此处不能再有其他属性）"}`,
    });
  }
  return found;
}

/** A bilingual text property: `{ zh, en }`, both non-empty strings. */
export function readLabel(raw: unknown, path: string, issues: Issues, what: Label) {
  if (!isObject(raw)) {
    issues.add(path, "INVALID_VALUE", {
      en: `${what.en} must be { "zh": "…", "en": "…" }`,
      zh: `${what.zh}应为 { "zh": "…", "en": "…" }`,
    });
    return null;
  }
  unknownKeys(raw, ["zh", "en"], path, issues);
  let ok = true;
  for (const lang of ["zh", "en"] as const) {
    const text = raw[lang];
    if (text === undefined) {
      issues.add(at(path, lang), "MISSING", {
        en: `${what.en} needs a ${lang === "zh" ? "Chinese" : "English"} text`,
        zh: `${what.zh}缺少${lang === "zh" ? "中文" : "英文"}`,
      });
      ok = false;
    } else if (typeof text !== "string" || text.trim() === "" || text.length > 500) {
      issues.add(at(path, lang), "INVALID_VALUE", {
        en: `${what.en} must be a non-empty text of at most 500 characters`,
        zh: `${what.zh}应为不超过 500 字的非空文字`,
      });
      ok = false;
    }
  }
  return ok ? { zh: raw.zh as string, en: raw.en as string } : null;
}

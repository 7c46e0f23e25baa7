import { en } from "./en.ts";
import { render } from "./render.ts";
import type { Details, Messages } from "./types.ts";
import { zhCN } from "./zh-CN.ts";

/**
 * The message catalogue: what each error code says to a person, in zh-CN (the default: merchants'
 * staff read Chinese) and en. The throw site's English message stays as the developer's text; people
 * read these. Pure data and pure functions, so the API and the CLI both use it.
 */
export { render, show } from "./render.ts";
export type { Details, Messages, Template } from "./types.ts";

export const LANGS = ["zh-CN", "en"] as const;
export type Lang = (typeof LANGS)[number];
export const DEFAULT_LANG: Lang = "zh-CN";

export const CATALOGUES: Readonly<Record<Lang, Messages>> = { "zh-CN": zhCN, en };

/**
 * The language a tag asks for, if we speak it: `zh`, `zh-CN`, `zh-Hans`, `zh_CN.UTF-8` → zh-CN;
 * `en`, `en-US`, `en_GB.UTF-8` → en. (Traditional Chinese readers get zh-CN too: closer than English.)
 */
export function langOfTag(tag: string): Lang | undefined {
  const primary = tag
    .trim()
    .toLowerCase()
    .split(/[-_.@]/)[0];
  if (primary === "zh") return "zh-CN";
  if (primary === "en") return "en";
  return undefined;
}

/** The message for an error code in `lang`, or undefined when the catalogue has none. */
export function errorMessage(code: string, details: Details | undefined, lang: Lang): string | undefined {
  const m = CATALOGUES[lang];
  const t = m.errors[code];
  return t === undefined ? undefined : render(t, details ?? {}, m);
}

/** For a caught error: the catalogue's message, or the developer's text when the code has none yet. */
export function describeError(
  e: { code: string; message: string; details?: Details | undefined },
  lang: Lang,
): string {
  return errorMessage(e.code, e.details, lang) ?? e.message;
}

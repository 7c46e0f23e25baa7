import type { ErrorObject } from "ajv";
import {
  CATALOGUES,
  DEFAULT_LANG,
  type Lang,
  langOfTag,
  type Messages,
  render,
} from "../domain/messages/index.ts";

/**
 * The language an `Accept-Language` header prefers among those we speak, by its q-values (ties: the
 * first named); zh-CN when it names none of ours. `en-US,en;q=0.9` → en; `zh-Hans`, `zh` → zh-CN.
 */
export function negotiateLang(header: string | undefined): Lang {
  let best: Lang | undefined;
  let bestQ = 0;
  for (const range of (header ?? "").split(",")) {
    const [tag = "", ...params] = range.split(";");
    const qParam = params.map((p) => p.trim()).find((p) => /^q=/i.test(p));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    const lang = langOfTag(tag);
    if (lang && Number.isFinite(q) && q > bestQ) {
      best = lang;
      bestQ = q;
    }
  }
  return best ?? DEFAULT_LANG;
}

/** One refused value, said so that a person knows what to change. */
export interface FieldProblem {
  /** JSON pointer to the field (for a missing or unknown one: the field itself, not its parent). */
  path: string;
  keyword: string;
  message: string;
  allowedValues?: unknown[];
}

/** `/items/0/quantity` → `items[0].quantity`. */
const fieldName = (pointer: string) =>
  pointer
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((name, p) => (/^\d+$/.test(p) ? `${name}[${p}]` : name ? `${name}.${p}` : p), "");

/**
 * A union of plain types or of constants fails as one error per branch plus `anyOf`; a person needs
 * one sentence: "must be a string or null", "must be one of: a, b". Other unions stay one `anyOf`.
 */
function collapseUnions(errors: readonly ErrorObject[]): ErrorObject[] {
  const out: ErrorObject[] = [];
  const absorbed = new Set<ErrorObject>();
  for (const e of errors) {
    if (e.keyword !== "anyOf" && e.keyword !== "oneOf") continue;
    const branches = errors.filter(
      (b) => b !== e && b.instancePath === e.instancePath && b.schemaPath.startsWith(`${e.schemaPath}/`),
    );
    for (const b of branches) absorbed.add(b);
    if (branches.length && branches.every((b) => b.keyword === "const" || b.keyword === "enum")) {
      const allowedValues = branches.flatMap((b) =>
        b.keyword === "const" ? [b.params.allowedValue] : (b.params.allowedValues as unknown[]),
      );
      out.push({ ...e, keyword: "enum", params: { allowedValues } });
    } else if (branches.length && branches.every((b) => b.keyword === "type")) {
      out.push({ ...e, keyword: "type", params: { type: branches.map((b) => b.params.type) } });
    } else out.push(e);
  }
  return [
    ...errors.filter((e) => !absorbed.has(e) && e.keyword !== "anyOf" && e.keyword !== "oneOf"),
    ...out,
  ];
}

/** Ajv's errors for one part of a request (body, querystring, params, headers), in `lang`. */
export function fieldProblems(errors: readonly ErrorObject[], where: string, lang: Lang): FieldProblem[] {
  const m: Messages = CATALOGUES[lang];
  const v = m.validation;
  return collapseUnions(errors).map((e) => {
    const child = e.params.missingProperty ?? e.params.additionalProperty;
    const path = child === undefined ? e.instancePath : `${e.instancePath}/${String(child)}`;
    const name = fieldName(path);
    const types = [e.params.type ?? []].flat().map((t: string) => v.types[t] ?? t);
    const allowed = e.keyword === "const" ? [e.params.allowedValue] : (e.params.allowedValues as unknown[]);
    const message = render(
      v.keywords[e.keyword] ?? v.other,
      {
        field: name ? `${v.where[where] ?? ""}${name}` : (v.whole[where] ?? where),
        type: types.join(v.or),
        values: allowed?.map((x) => (typeof x === "string" ? x : JSON.stringify(x))),
        limit: e.params.limit,
        format: e.params.format,
      },
      m,
    );
    return { path, keyword: e.keyword, message, ...(allowed ? { allowedValues: allowed } : {}) };
  });
}

/** Problem titles by status, in `lang`. */
export const titleOf = (status: number, lang: Lang): string =>
  CATALOGUES[lang].titles[status] ?? CATALOGUES[lang].titles[status >= 500 ? 500 : 400] ?? "Error";

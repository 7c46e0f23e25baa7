import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import type { FastifySchema, FastifySchemaCompiler } from "fastify";

/**
 * Request validation, strict by default so a whole class of mistakes cannot get in:
 * - an object schema refuses properties it does not name (a typo such as "amout" is an error, never ignored);
 * - JSON bodies are never coerced: `1.5` is not the string "1.50", `null` is not `[""]`;
 * - query strings and path parameters (always text) are converted by the schema's type, strictly:
 *   "0x10", "1e3" and " 7" are not integers;
 * - integers are bounded by what the database stores (ids bigint, everything else int4);
 * - text may not hold NUL or lone UTF-16 surrogates, which PostgreSQL cannot store.
 */

const INT4 = 2 ** 31 - 1;
/** Identifiers and cursors are bigint in the database; JavaScript holds them exactly up to 2^53. */
const isIdName = (name: string) => name === "id" || name === "cursor" || /Id$/.test(name);

type Schema = Record<string, unknown>;

/** A copy of the schema with the strict defaults filled in where the route said nothing. */
export function strictSchema(schema: unknown, name = ""): unknown {
  if (Array.isArray(schema)) return schema.map((s) => strictSchema(s, name));
  if (!schema || typeof schema !== "object") return schema;
  const s: Schema = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === "properties" && v && typeof v === "object") {
      s[k] = Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, strictSchema(ps, p)]));
    } else if (k === "items" || k === "anyOf" || k === "oneOf" || k === "allOf") {
      s[k] = strictSchema(v, name);
    } else s[k] = v;
  }
  const isObject = s.type === "object" || s.properties !== undefined;
  if (isObject && s.additionalProperties === undefined && s.patternProperties === undefined) {
    s.additionalProperties = false;
  }
  if (s.type === "integer") {
    const bound = isIdName(name) ? Number.MAX_SAFE_INTEGER : INT4;
    if (s.maximum === undefined) s.maximum = bound;
    if (s.minimum === undefined) s.minimum = -bound;
  }
  return s;
}

const ajv = new Ajv({ coerceTypes: false, useDefaults: true, allErrors: false, strict: false });
addFormats.default(ajv);
ajv.addKeyword({ keyword: "x-permission" });

/** Text PostgreSQL can store: no NUL, no unpaired surrogate. */
const BAD_TEXT = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function badText(value: unknown, path: string): ErrorObject | undefined {
  if (typeof value === "string") {
    if (!BAD_TEXT.test(value)) return undefined;
    return {
      instancePath: path,
      schemaPath: "#/text",
      keyword: "text",
      params: { reason: value.includes("\0") ? "nul" : "surrogate" },
      message: "must not contain NUL characters or unpaired surrogates",
    };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const e = badText(value[i], `${path}/${i}`);
      if (e) return e;
    }
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const e = badText(k, path) ?? badText(v, `${path}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`);
      if (e) return e;
    }
  }
  return undefined;
}

const INTEGER = /^-?(0|[1-9]\d{0,17})$/;
const NUMBER = /^-?(0|[1-9]\d{0,17})(\.\d{1,18})?$/;

function typesOf(schema: Schema | undefined): string[] {
  if (!schema) return [];
  if (typeof schema.type === "string") return [schema.type];
  if (Array.isArray(schema.type)) return schema.type as string[];
  const branches = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  return branches ? branches.flatMap(typesOf) : [];
}

/** Text from a URL made into the schema's type, only when it is exactly that type written plainly. */
function fromText(value: unknown, schema: Schema | undefined): unknown {
  const types = typesOf(schema);
  if (types.includes("array")) {
    const list = Array.isArray(value) ? value : [value];
    return list.map((v) => fromText(v, schema?.items as Schema | undefined));
  }
  if (typeof value !== "string") return value;
  if (types.includes("integer") && INTEGER.test(value)) return Number(value);
  if (types.includes("number") && NUMBER.test(value)) return Number(value);
  if (types.includes("boolean") && (value === "true" || value === "false")) return value === "true";
  return value;
}

type Part = "body" | "querystring" | "params" | "headers";

/** The validator compiler for every route: strict schemas, text converted for URL parts only. */
export const validatorCompiler: FastifySchemaCompiler<FastifySchema> = ({ schema, httpPart }) => {
  const part = httpPart as Part;
  if (part === "headers") {
    const check = new Ajv({ coerceTypes: true, strict: false }).compile(schema as object);
    return (data: unknown) => (check(data) ? { value: data } : { error: validationError(check.errors) });
  }
  const strict = strictSchema(schema) as Schema;
  const check: ValidateFunction = ajv.compile(strict);
  const props = (strict.properties ?? {}) as Record<string, Schema>;
  return (data: unknown) => {
    let value = data;
    if (part !== "body" && data && typeof data === "object") {
      value = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, fromText(v, props[k])]));
    } else if (part === "body" && data === null && strict.type === "object" && !strict.required) {
      // No body at all is an empty one when nothing is required.
      value = {};
    }
    const text = badText(value, "");
    if (text) return { error: validationError([text]) };
    return check(value) ? { value } : { error: validationError(check.errors) };
  };
};

function validationError(errors: ErrorObject[] | null | undefined) {
  const e = new Error(errors?.[0]?.message ?? "invalid") as Error & { validation: ErrorObject[] };
  e.validation = errors ?? [];
  return e;
}

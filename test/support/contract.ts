import { Ajv, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";

/**
 * The response contract of an OpenAPI document: what each operation declares it answers, checked
 * against what it really answered. Validated against the document as integrators read it (its
 * `components.schemas` and `$ref`s), so a property a schema does not name, a status or a content type
 * an operation does not declare, is a broken contract.
 */

// biome-ignore lint/suspicious/noExplicitAny: an OpenAPI document is read field by field
type Json = any;

export interface Answer {
  method: string;
  url: string;
  status: number;
  contentType: string;
  body: string;
}

export interface Operation {
  key: string;
  method: string;
  path: string;
  pattern: RegExp;
  params: number;
  op: Json;
}

/** `#/components/schemas/X` as seen from outside the document. */
const outside = (v: Json): Json =>
  Array.isArray(v)
    ? v.map(outside)
    : v && typeof v === "object"
      ? Object.fromEntries(
          Object.entries(v).map(([k, x]) => [
            k,
            k === "$ref" && typeof x === "string" && x.startsWith("#/") ? `openapi${x}` : outside(x),
          ]),
        )
      : v;

export function responseContract(doc: Json) {
  // OpenAPI 3.0: `nullable` is Ajv's own; `example` and x- extensions are notes, not rules.
  const ajv = new Ajv({ strict: false, allErrors: true, discriminator: true });
  addFormats.default(ajv);
  ajv.addFormat("binary", true);
  ajv.addSchema({ $id: "openapi", components: doc.components ?? {} });

  const operations: Operation[] = [];
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    for (const [m, op] of Object.entries(ops)) {
      const segments = path
        .split("/")
        .map((s) => (/^\{\w+\}$/.test(s) ? "[^/]+" : s.replace(/[.*+?^$()|[\]\\]/g, "\\$&")));
      operations.push({
        key: `${m.toUpperCase()} ${path}`,
        method: m.toUpperCase(),
        path,
        pattern: new RegExp(`^${segments.join("/")}$`),
        params: (path.match(/\{/g) ?? []).length,
        op,
      });
    }
  }

  /** The operation a request reached: a literal segment wins over a parameter (/rules/versions vs {version}). */
  const operationOf = (method: string, url: string) =>
    operations
      .filter((o) => o.method === method && o.pattern.test(decodeURI(url.split("?")[0] ?? "")))
      .sort((a, b) => a.params - b.params)[0];

  const compiled = new Map<object, ValidateFunction>();
  const validator = (schema: object) => {
    let v = compiled.get(schema);
    if (!v) {
      v = ajv.compile(outside(schema));
      compiled.set(schema, v);
    }
    return v;
  };

  /** What is wrong with one answer; empty when it keeps the contract. */
  function check(a: Answer): { operation?: Operation; errors: string[] } {
    const operation = operationOf(a.method, a.url);
    if (!operation) return { errors: [`no operation in the document for ${a.method} ${a.url}`] };
    const response = operation.op.responses?.[String(a.status)];
    if (!response) return { operation, errors: [`status ${a.status} is not declared`] };
    const media = a.contentType.split(";")[0]?.trim() ?? "";
    if (!response.content) {
      return { operation, errors: a.body === "" ? [] : [`${a.status} declares no content but got ${media}`] };
    }
    const declared = response.content[media];
    if (!declared) {
      return {
        operation,
        errors: [
          `${a.status} ${media || "(no type)"} not declared (${Object.keys(response.content).join(", ")})`,
        ],
      };
    }
    if (!media.endsWith("json")) return { operation, errors: [] };
    const validate = validator(declared.schema);
    if (validate(JSON.parse(a.body))) return { operation, errors: [] };
    return {
      operation,
      errors: (validate.errors ?? []).map(
        (e) =>
          `${e.instancePath || "/"} ${e.message}${e.params && "additionalProperty" in e.params ? ` (${e.params.additionalProperty})` : ""}`,
      ),
    };
  }

  return { operations, operationOf, check };
}

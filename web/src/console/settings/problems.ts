import type { FormInstance } from "antd";
import { ApiError } from "../../shared/api.ts";

type Name = (string | number)[];
/** Where a refusal with this code belongs, from its details (e.g. INVALID_RETURN_ADDRESS → its `part`). */
export type FieldsOf = Record<string, (details: Record<string, unknown>) => Name[]>;

/**
 * Put a refusal under the field(s) it concerns, in the words the server chose for the person's language:
 * a value the schema refused names its field (details.errors[].path, a JSON pointer); a refusal by the
 * domain is placed by its stable code. Returns false when it concerns no field of this form.
 */
export function showAtFields(form: FormInstance, e: unknown, byCode: FieldsOf = {}): boolean {
  if (!(e instanceof ApiError)) return false;
  const found = new Map<string, { name: Name; errors: string[] }>();
  const add = (name: Name, message: string) => {
    const key = name.join(".");
    const entry = found.get(key) ?? { name, errors: [] };
    entry.errors.push(message);
    found.set(key, entry);
  };
  const listed = Array.isArray(e.details.errors)
    ? (e.details.errors as { path?: string; message: string }[])
    : [];
  for (const p of listed) {
    const name = (p.path ?? "").replace(/^\//, "").split(/[/.]/).filter(Boolean);
    if (name.length) add(name, p.message);
  }
  if (found.size === 0) for (const name of byCode[e.code]?.(e.details) ?? []) add(name, e.message);
  if (found.size === 0) return false;
  form.setFields([...found.values()]);
  return true;
}

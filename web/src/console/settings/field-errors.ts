import type { FormInstance } from "antd";
import { ApiError } from "../../shared/api.ts";

/**
 * The form field a refusal concerns: the API's stable code picks it (`"*"`: the field its details name),
 * undefined when no field owns it (then it is for the form's own alert).
 */
export function fieldOf(error: unknown, fieldsByCode: Record<string, string>): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const field = fieldsByCode[error.code];
  if (field !== "*") return field;
  return typeof error.details.field === "string" ? error.details.field : undefined;
}

/** Show a refusal under its field, in the words the API said it (the person's language). */
export function showAtField<T>(form: FormInstance<T>, error: unknown, fieldsByCode: Record<string, string>) {
  const field = fieldOf(error, fieldsByCode);
  if (field) form.setFields([{ name: field as never, errors: [(error as Error).message] }]);
}

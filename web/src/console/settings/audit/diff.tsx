import { Typography } from "antd";
import dayjs from "dayjs";
import type { TFunction } from "i18next";

/**
 * What a change did, readably: the before and after documents flattened to their fields (`shops`,
 * `review.autoRefundLimit`, `rules[2].then`), and each field that differs shown as before → after.
 * A list of plain values (shops, policies) is one field; a whole new or removed thing says so.
 */
export interface Changed {
  field: string;
  before: unknown;
  after: unknown;
}

const isPlain = (v: unknown) => v === null || typeof v !== "object";
const isLeaf = (v: unknown) => isPlain(v) || (Array.isArray(v) && v.every(isPlain));

function flatten(v: unknown, at: string, out: Map<string, unknown>) {
  if (v === undefined) return;
  if (isLeaf(v)) {
    out.set(at, v);
    return;
  }
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) flatten(x, `${at}[${i}]`, out);
  } else for (const [k, x] of Object.entries(v as object)) flatten(x, at ? `${at}.${k}` : k, out);
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export function changedFields(before: unknown, after: unknown): Changed[] {
  const b = new Map<string, unknown>();
  const a = new Map<string, unknown>();
  flatten(before, "", b);
  flatten(after, "", a);
  const fields = [...new Set([...b.keys(), ...a.keys()])];
  // A thing's own id is in the log's object column already.
  return fields
    .filter((f) => f !== "id" && !same(b.get(f), a.get(f)))
    .map((f) => ({ field: f, before: b.get(f), after: a.get(f) }));
}

const empty = (v: unknown) => v === null || v === undefined || (Array.isArray(v) && v.length === 0);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** A value as a person reads it: times in local time, lists joined, codes in words where known. */
export function valueTextOf(t: TFunction, words: (field: string, code: string) => string | undefined) {
  return (field: string, v: unknown): string => {
    if (empty(v)) return t("nothing");
    if (Array.isArray(v)) return v.map((x) => words(field, String(x)) ?? String(x)).join("、");
    if (typeof v === "boolean") return v ? "✓" : "✗";
    if (typeof v === "string" && ISO.test(v)) return dayjs(v).format("YYYY-MM-DD HH:mm:ss");
    if (typeof v === "string") return words(field, v) ?? v;
    return JSON.stringify(v);
  };
}

/** The change as rows of field: before → after (removed text struck through, new text marked). */
export function Diff({
  before,
  after,
  fieldName,
  valueText,
  t,
}: {
  before: unknown;
  after: unknown;
  fieldName: (field: string) => string;
  valueText: (field: string, v: unknown) => string;
  t: TFunction;
}) {
  const rows = changedFields(before, after);
  const whole = before === null ? t("created") : after === null ? t("removed") : null;
  return (
    <div data-testid="audit-diff" style={{ display: "grid", gap: 2, minWidth: 260 }}>
      {whole && <Typography.Text strong>{whole}</Typography.Text>}
      {rows.slice(0, 12).map((r) => (
        <div key={r.field} data-field={r.field} style={{ lineHeight: 1.5 }}>
          {r.field && <Typography.Text type="secondary">{fieldName(r.field)}: </Typography.Text>}
          {before !== null && (
            <>
              {empty(r.before) ? (
                <Typography.Text type="secondary">{valueText(r.field, r.before)}</Typography.Text>
              ) : (
                <Typography.Text delete style={{ color: "#a8071a" }}>
                  {valueText(r.field, r.before)}
                </Typography.Text>
              )}
              {" → "}
            </>
          )}
          <Typography.Text style={{ color: "#135200" }}>{valueText(r.field, r.after)}</Typography.Text>
        </div>
      ))}
      {rows.length > 12 && <Typography.Text type="secondary">… +{rows.length - 12}</Typography.Text>}
    </div>
  );
}

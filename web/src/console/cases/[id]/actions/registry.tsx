import type { ReactNode } from "react";
import type { CaseViewData } from "../data.ts";
import { moneyValue, noteValue } from "./fields.tsx";
import { CompensateFields, InspectFields, outstanding, ParcelFields, ReceiveFields } from "./goods-forms.tsx";
import { GrantFields, type GrantValues, grantBody } from "./grant-form.tsx";
import { AssignFields } from "./owner-forms.tsx";
import {
  ConfirmFields,
  OverrideFields,
  RejectFields,
  type RejectValues,
  rejectNote,
} from "./review-forms.tsx";

type Values = Record<string, unknown>;

/** What a dialog needs beyond the form: the rejection reasons, for the note a rejection sends. */
export interface BodyContext {
  rejectReasons?: Record<string, { zh: string; en: string }>;
}

/** One action of the case: how it looks, what its form asks and what it sends (expectedVersion is added). */
export interface ActionSpec {
  /** A key of the "actions" texts. */
  label: string;
  tone?: "primary" | "danger";
  /** The key that opens it (in the full page, and wherever the queue binds useCaseHotkeys). */
  hotkey?: string;
  width?: number;
  fields: (view: CaseViewData) => ReactNode;
  initial?: (view: CaseViewData) => Values;
  body: (values: Values, view: CaseViewData, ctx: BodyContext) => object;
}

const confirm = (question: string, label: string, extra: Partial<ActionSpec> = {}): ActionSpec => ({
  label,
  fields: (view) => <ConfirmFields view={view} question={question} />,
  body: (v) => noteValue(v.note),
  ...extra,
});

const parcel = (label: string): ActionSpec => ({
  label,
  fields: () => <ParcelFields />,
  body: (v) => ({
    carrier: String(v.carrier).trim(),
    trackingNo: String(v.trackingNo).trim(),
    ...noteValue(v.note),
  }),
});

/** Every action the case view offers, by the slug of POST /cases/{id}/<slug>, in the order shown. */
export const ACTION_SPECS: Record<string, ActionSpec> = {
  claim: confirm("form.claimConfirm", "claim"),
  approve: confirm("form.approveConfirm", "approve", { tone: "primary", hotkey: "a" }),
  "grant-refund": {
    label: "grant-refund",
    tone: "primary",
    hotkey: "g",
    width: 680,
    fields: (view) => <GrantFields view={view} />,
    initial: () => ({ deductions: [] }),
    body: (v, view) => grantBody(v as GrantValues, view.currency),
  },
  reject: {
    label: "reject",
    tone: "danger",
    hotkey: "r",
    fields: (view) => <RejectFields view={view} />,
    body: (v, _view, ctx) => ({ note: rejectNote(v as RejectValues, ctx.rejectReasons) }),
  },
  "issue-refund": confirm("form.issueConfirm", "issue-refund"),
  "return-shipment": parcel("return-shipment"),
  receive: {
    label: "receive",
    fields: (view) => <ReceiveFields view={view} />,
    initial: (view) => ({ quantity: Math.max(1, outstanding(view)), condition: "intact" }),
    body: (v) => ({ quantity: Number(v.quantity), condition: v.condition, ...noteValue(v.note) }),
  },
  inspect: {
    label: "inspect",
    fields: () => <InspectFields />,
    initial: () => ({ result: "pass" }),
    body: (v) => ({ result: v.result, ...noteValue(v.note) }),
  },
  "replacement-shipment": parcel("replacement-shipment"),
  compensate: {
    label: "compensate",
    fields: (view) => <CompensateFields view={view} />,
    initial: () => ({ type: "cash" }),
    body: (v, view) => ({
      type: v.type,
      amount: moneyValue(v.amount as string, view.currency),
      ...(typeof v.reference === "string" && v.reference.trim() ? { reference: v.reference.trim() } : {}),
      ...noteValue(v.note),
    }),
  },
  override: {
    label: "override",
    fields: () => <OverrideFields />,
    body: (v) => ({ decision: v.decision, ...noteValue(v.note) }),
  },
  close: confirm("form.closeConfirm", "close"),
  cancel: confirm("form.cancelConfirm", "cancel"),
  review: confirm("form.reviewConfirm", "review"),
  assign: {
    label: "assign",
    fields: (view) => <AssignFields view={view} />,
    body: (v) => ({ userId: Number(v.userId), ...noteValue(v.note) }),
  },
  unassign: confirm("form.unassignConfirm", "unassign"),
};

/** The label of an action for this case: approving a case that has its first approval is the second. */
export const actionLabel = (slug: string, view: CaseViewData) =>
  slug === "approve" && view.review.awaitingSecondApproval
    ? "secondApproval"
    : (ACTION_SPECS[slug]?.label ?? slug);

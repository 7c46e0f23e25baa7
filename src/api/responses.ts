import { type Static, type TProperties, type TSchema, Type } from "@fastify/type-provider-typebox";
import { CASE_SOURCES, CASE_TYPES, REASON_CODES } from "../domain/catalogue.ts";
import { CONDITIONS } from "../domain/inventory.ts";
import { CASE_STATE_NAMES } from "../domain/lifecycle.ts";
import { CHANNELS, LOGISTICS_STATUSES, TENDERS } from "../domain/order.ts";
import { ORDER_AFTERSALES_STATUSES } from "../domain/order-status.ts";
import { CATEGORIES as RECONCILIATION_CATEGORIES } from "../domain/reconcile/match.ts";
import { PERMISSIONS, ROLE_NAMES } from "./auth.ts";
import { Enum } from "./routes/schemas.ts";

/**
 * The shapes the API answers with, for the OpenAPI document (so integrators can generate clients).
 * They describe what is sent and never change it: serialization does not read them (server.ts). The
 * contract test (test/api/response-contract.test.ts) proves them true against real answers; objects
 * refuse properties they do not name, so a field added to an answer must be added here too.
 *
 * Shapes used in several answers are components (`$id`, registered once by `addSharedSchemas`) and
 * referenced with `ref(...)`; the rest are built inline by operations.ts.
 */

/** An object that names every property it may have. */
export const Obj = <P extends TProperties>(props: P, opts: { description?: string; $id?: string } = {}) =>
  Type.Object(props, { additionalProperties: false, ...opts });
/** `T` or null. (An enum lists null among its values: OpenAPI 3.0 reads `nullable` so.) */
export const Nullable = <T extends TSchema>(t: T) =>
  "enum" in t && Array.isArray(t.enum)
    ? Type.Unsafe<Static<T> | null>({ ...t, enum: [...t.enum, null], nullable: true })
    : Type.Union([t, Type.Null()]);
/** An object keyed by codes or names (not by fixed field names), every value a `T`. */
export const Dict = (value: TSchema, description?: string) =>
  Type.Unsafe<Record<string, unknown>>({
    type: "object",
    additionalProperties: value,
    ...(description ? { description } : {}),
  });
/** Data whose shape is its own (a rule definition, a timeline event's data, a setting's before/after). */
export const Any = (description: string) => Type.Unknown({ description });
/** A reference to a shared component. */
export const ref = (schema: object) => Type.Unsafe({ $ref: `${(schema as { $id?: string }).$id}#` });

export const Str = Type.String();
export const Int = Type.Integer();
export const Num = Type.Number();
export const Bool = Type.Boolean();
export const Time = Type.String({ format: "date-time" });
export const Day = Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$", description: "YYYY-MM-DD" });
export const Ids = Type.Array(Type.Integer());
export const Strs = Type.Array(Type.String());

// ---------------------------------------------------------------------------------------------------
// Components

export const Amount = Type.String({
  $id: "Amount",
  pattern: "^-?\\d+(\\.\\d+)?$",
  description:
    'An exact decimal amount, as a string, in the currency named beside it (`currency`), e.g. "19.90"',
});
const Money = ref(Amount);
const MaybeMoney = Nullable(Money);

export const Label = Obj({ zh: Str, en: Str }, { $id: "Label", description: "Text in Chinese and English" });
const Text = ref(Label);

export const FieldProblem = Obj(
  {
    path: Type.String({ description: "JSON pointer of the refused field, e.g. /items/0/quantity" }),
    keyword: Type.String({ description: "The rule it broke: required, type, enum, additionalProperties, …" }),
    message: Str,
    allowedValues: Type.Optional(Type.Array(Type.Unknown(), { description: "The values it may take" })),
  },
  { $id: "FieldProblem" },
);

export const Problem = Obj(
  {
    type: Type.String({ description: "urn:aftersales:problem:<code>" }),
    title: Type.String({ description: "The status in words, in the caller's language" }),
    status: Int,
    code: Type.String({ description: "Stable machine code: match on this, never on the text" }),
    detail: Type.String({ description: "What went wrong, in the caller's language (Accept-Language)" }),
    details: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: "The particulars the message names (ids, amounts with their currency, allowed values)",
      }),
    ),
    in: Type.Optional(
      Enum(["body", "querystring", "params", "headers"], { description: "Where the refused field is" }),
    ),
    field: Type.Optional(Type.String({ description: "The refused field, dotted (items.0.quantity)" })),
    errors: Type.Optional(Type.Array(ref(FieldProblem), { description: "Every refused field" })),
  },
  { $id: "Problem", description: "RFC 9457 problem details (application/problem+json)" },
);

export const Shop = Obj({ id: Str, name: Str, channel: Enum(CHANNELS) }, { $id: "Shop" });

export const tokenFields = {
  id: Int,
  name: Str,
  role: Str,
  shops: Nullable(Type.Array(Str, { description: "The shops it is limited to; null: every shop" })),
  prefix: Nullable(
    Type.String({
      description: "The secret's first characters, to tell it apart; null: made before they were kept",
    }),
  ),
  createdAt: Time,
  lastUsedAt: Nullable(Time),
  revokedAt: Nullable(Time),
};
export const Token = Obj(tokenFields, {
  $id: "Token",
  description: "An API token (its secret is shown once, when it is made)",
});

export const webhookEndpointFields = {
  id: Int,
  url: Str,
  description: Str,
  eventTypes: Type.Array(Str, { description: "The event types it hears of; empty: every type" }),
  shops: Nullable(Type.Array(Str, { description: "The shops whose events it hears of; null: every shop" })),
  enabled: Bool,
  disabledAt: Nullable(Time),
  disabledReason: Nullable(
    Type.String({ description: "Why it stopped: by whom, a 410 Gone, days of failures" }),
  ),
  createdBy: Str,
  createdAt: Time,
  updatedAt: Time,
};
export const WebhookEndpoint = Obj(webhookEndpointFields, {
  $id: "WebhookEndpoint",
  description: "Where signed webhooks are sent (its secret is shown once, when it is made or rotated)",
});

export const WebhookDelivery = Obj(
  {
    id: Int,
    endpointId: Int,
    messageId: Type.String({ description: "The webhook-id header: the same on every retry and replay" }),
    eventId: Nullable(Type.Integer({ description: "The case timeline event; null for a test event" })),
    eventType: Str,
    payload: Any("The body sent: {type, timestamp, data}"),
    status: Enum(["pending", "succeeded", "failed", "dead"]),
    attempts: Int,
    nextAttemptAt: Nullable(Time),
    lastStatusCode: Nullable(Int),
    lastError: Nullable(Str),
    responseExcerpt: Nullable(Type.String({ description: "The start of the receiver's last answer" })),
    createdAt: Time,
    deliveredAt: Nullable(Time),
  },
  { $id: "WebhookDelivery", description: "One message to one webhook endpoint, and how sending it went" },
);

export const User = Obj(
  {
    id: Int,
    login: Str,
    name: Str,
    role: Enum(ROLE_NAMES),
    shops: Nullable(Type.Array(Str, { description: "The shops the person works on; null: every shop" })),
    onDuty: Type.Boolean({ description: "On duty (在岗): takes automatically assigned cases" }),
    language: Nullable(Type.String({ description: "The console's language they chose (zh-CN, en)" })),
    disabled: Type.Boolean({ description: "Disabled: may not sign in, and every session ended" }),
    lockedUntil: Nullable(
      Type.String({ format: "date-time", description: "Locked after too many failed sign-ins, until then" }),
    ),
    lastSignInAt: Nullable(Time),
    createdAt: Time,
  },
  { $id: "User", description: "A person who signs in to the console (人员)" },
);

export const Session = Obj(
  {
    user: ref(User),
    permissions: Type.Array(Enum(PERMISSIONS), { description: "What the person's role may do" }),
    csrfToken: Type.String({
      description:
        "Send it as the x-csrf-token header with every write (POST, PUT, PATCH, DELETE) made with the session cookie",
    }),
  },
  { $id: "Session", description: "Who is signed in to the console" },
);

const Payment = Obj({ id: Int, tender: Enum(TENDERS), amount: Money, transactionId: Nullable(Str) });
export const Shipment = Obj(
  {
    id: Int,
    direction: Enum(["outbound", "return", "replacement"]),
    carrier: Str,
    trackingNo: Str,
    status: Enum(LOGISTICS_STATUSES),
    shippedAt: Nullable(Time),
    caseId: Nullable(Int),
  },
  { $id: "Shipment", description: "A parcel: the order's, the buyer's return, or a replacement" },
);

export const CaseState = Type.Unsafe<string>({
  $id: "CaseState",
  type: "string",
  enum: [...CASE_STATE_NAMES],
  description: "A case's state (售后状态)",
});
const CaseStatus = ref(CaseState);
const CaseType = Enum(CASE_TYPES);
const Reason = Enum(REASON_CODES);
const OrderStatus = Enum(
  Object.keys(ORDER_AFTERSALES_STATUSES) as (keyof typeof ORDER_AFTERSALES_STATUSES)[],
);

export const Order = Obj(
  {
    id: Int,
    shop: Str,
    externalId: Str,
    customerId: Nullable(Str),
    currency: Str,
    discountTotal: Money,
    shippingFee: Money,
    paidTotal: Money,
    refundedTotal: Money,
    aftersalesStatus: OrderStatus,
    aftersalesStatusLabel: Text,
    placedAt: Nullable(Time),
    paidAt: Nullable(Time),
    version: Int,
    lines: Type.Array(
      Obj({
        id: Int,
        lineNo: Int,
        externalId: Nullable(Str),
        sku: Str,
        title: Nullable(Str),
        category: Nullable(Str),
        quantity: Int,
        unitPrice: Money,
        lineDiscount: Money,
        orderDiscount: Money,
        paid: Money,
      }),
    ),
    payments: Type.Array(Payment),
    shipments: Type.Array(ref(Shipment)),
    cases: Type.Array(Obj({ id: Int, type: CaseType, status: CaseStatus, reason: Reason, createdAt: Time })),
  },
  { $id: "Order", description: "An order as its channel reported it; amounts in its currency" },
);

export const Deduction = Obj(
  {
    kind: Enum(["restocking_fee", "return_shipping", "other"]),
    amount: Money,
    note: Nullable(Str),
  },
  { $id: "Deduction", description: "An amount kept back from a refund, with its reason" },
);

export const Quote = Obj(
  {
    currency: Str,
    total: Money,
    cap: Money,
    goods: Money,
    shipping: Money,
    shippingComputed: Money,
    wholeOrder: Bool,
    overridden: Bool,
    lines: Type.Array(
      Obj({
        lineId: Int,
        quantity: Int,
        amount: Money,
        computed: Money,
        paid: Money,
        alreadyRefunded: Money,
      }),
    ),
    deductions: Type.Array(ref(Deduction)),
  },
  { $id: "Quote", description: "A refund computed to the cent: per line, shipping, deductions and the cap" },
);

const RefundStatus = Enum(["requested", "processing", "succeeded", "failed"]);

export const Refund = Obj(
  {
    id: Int,
    grant: Type.Integer({
      description: "The grant it belongs to: a grant split over tenders is several refunds",
    }),
    amount: Money,
    goods: Money,
    shipping: Money,
    channel: Str,
    idempotencyKey: Type.String({ description: "The key the channel sees (out_refund_no)" }),
    status: RefundStatus,
    channelRefundId: Nullable(Str),
    attempts: Int,
    lastError: Nullable(Str),
    createdAt: Time,
    succeededAt: Nullable(Time),
  },
  { $id: "Refund", description: "The money leg of a case, in the case's currency" },
);

/** An error reported inside a success: the step stands, this part of it went wrong. */
export const Reported = Obj({ code: Str, message: Str });

export const SendingProblem = Obj(
  { code: Str, message: Str },
  { $id: "SendingProblem", description: "Why a refund failed, or why its outcome is not known yet" },
);

export const RefundAttempt = Obj(
  {
    refundId: Int,
    status: RefundStatus,
    error: Type.Optional(ref(SendingProblem)),
    channel: Type.Optional(
      Type.String({ description: "The payment channel, while the refund is still processing" }),
    ),
    caseStatus: Type.Optional(CaseStatus),
    caseVersion: Type.Optional(Int),
  },
  {
    $id: "RefundAttempt",
    description:
      "What sending a refund came to. The grant is committed whatever this says: a refund not yet settled is sent again or looked up later",
  },
);

export const TrackingEvent = Obj(
  { at: Time, status: Str, description: Str, location: Nullable(Str) },
  { $id: "TrackingEvent", description: "A carrier's scan of a parcel" },
);

const Evidence = Obj({ kind: Str, url: Str });
const Event = Obj({
  id: Int,
  at: Time,
  actor: Type.String({ description: 'Who or what: "user:alice", "rule:small-refund@v3", "channel:alipay"' }),
  action: Str,
  from: Nullable(CaseStatus),
  to: Nullable(CaseStatus),
  note: Nullable(Str),
  data: Any("What the step recorded; amounts as decimal strings with their currency"),
});

export const CaseOwner = Obj(
  { id: Int, login: Str, name: Str },
  { $id: "CaseOwner", description: "Who works on a case (负责人)" },
);

const caseHead = {
  id: Int,
  orderId: Int,
  orderExternalId: Str,
  shop: Str,
  customerId: Nullable(Str),
  type: CaseType,
  status: CaseStatus,
  statusLabel: Text,
  statusSince: Time,
  reason: Reason,
  source: Enum(CASE_SOURCES),
  currency: Str,
  requestedAmount: MaybeMoney,
  version: Type.Integer({ description: "Send it back as expectedVersion: a stale one is a conflict" }),
  createdAt: Time,
  updatedAt: Time,
  owner: Nullable(ref(CaseOwner)),
};

export const CaseSummary = Obj(caseHead, {
  $id: "CaseSummary",
  description: "One row of the case list: enough for a queue or a kanban card",
});

export const QueueItem = Obj(
  {
    id: Int,
    version: Type.Integer({ description: "Send it back as expectedVersion: a stale one is a conflict" }),
    status: CaseStatus,
    statusLabel: Text,
    type: CaseType,
    reason: Reason,
    shop: Str,
    source: Enum(CASE_SOURCES),
    riskScore: Int,
    amount: Nullable(
      Obj(
        { amount: Money, currency: Str },
        { description: "What the buyer asked for (null: the quote decides)" },
      ),
    ),
    customer: Nullable(Obj({ id: Str, name: Nullable(Str), tier: Str })),
    owner: Nullable(ref(CaseOwner)),
    slaDueAt: Nullable(Time),
    createdAt: Time,
    statusSince: Time,
    orderId: Int,
    orderExternalId: Str,
    externalId: Nullable(Type.String({ description: "The platform's own after-sales id" })),
    trackingNo: Nullable(
      Type.String({ description: "The case's return parcel, else the order's latest parcel" }),
    ),
    awaitingSecondApproval: Bool,
    tags: Strs,
  },
  { $id: "QueueItem", description: "A line of the reviewer queue, a card of the kanban" },
);

export const QueuedCase = Obj(
  {
    ...caseHead,
    queue: Str,
    priority: Int,
    slaDueAt: Nullable(Time),
    riskScore: Int,
    tags: Strs,
    awaitingSecondApproval: Bool,
    firstApproval: Nullable(Type.String({ description: "Who gave the first of two approvals" })),
  },
  { $id: "QueuedCase", description: "A case awaiting review, with its place in the queues" },
);

export const Case = Obj(
  {
    ...caseHead,
    externalId: Nullable(Type.String({ description: "The channel's own after-sales id" })),
    reasonLabel: Nullable(Text),
    description: Nullable(Str),
    evidence: Type.Array(Evidence),
    availableActions: Type.Array(Str, {
      description: "The actions (URL slugs under /cases/{id}/) that would succeed for the caller now",
    }),
    items: Type.Array(
      Obj({ lineId: Int, sku: Str, title: Nullable(Str), quantity: Int, bought: Int, paid: Money }),
    ),
    quote: Nullable(ref(Quote)),
    refunds: Type.Array(ref(Refund)),
    receipts: Type.Array(
      Obj({
        id: Int,
        quantity: Int,
        condition: Enum(CONDITIONS),
        qcResult: Nullable(Enum(["pass", "fail"])),
        qcNote: Nullable(Str),
        receivedAt: Time,
        inspectedAt: Nullable(Time),
      }),
    ),
    shipments: Type.Array(ref(Shipment)),
    timeline: Type.Array(Event),
  },
  { $id: "Case", description: "An after-sales case (售后单) with its items, refunds, receipts and timeline" },
);

// Rules and risk ------------------------------------------------------------------------------------

export const Trace = Type.Union(
  [
    Obj({
      node: Enum(["leaf"]),
      field: Str,
      op: Str,
      value: Type.Optional(
        Any("What the case's value was compared with; amounts as decimal strings in `currency`"),
      ),
      window: Nullable(Int),
      actual: Type.Optional(
        Any("The case's value (null: unknown); amounts as decimal strings in `caseCurrency`"),
      ),
      result: Bool,
      currency: Type.Optional(Str),
      caseCurrency: Type.Optional(Str),
    }),
    Obj({ node: Enum(["all", "any"]), result: Bool, children: Type.Array(Type.Unsafe({ $ref: "Trace#" })) }),
    Obj({ node: Enum(["not"]), result: Bool, child: Type.Unsafe({ $ref: "Trace#" }) }),
  ],
  { $id: "Trace", description: "How a rule's condition came out on the case, node by node" },
);

const RuleAction = Type.Object(
  { action: Str },
  { additionalProperties: true, description: "A rule's action, as its definition says it" },
);

export const Recommendation = Obj(
  { solution: Str, from: Enum(["rule", "solution"]), id: Str, why: Text },
  { $id: "Recommendation", description: "The solution the rules recommend to the reviewer" },
);

export const Decision = Obj(
  {
    ruleSetVersion: Int,
    outcome: Enum(["approve", "reject", "manual"]),
    decidedBy: Nullable(Type.String({ description: "The rule that set the outcome; null: none did" })),
    rejectReason: Nullable(Str),
    rejectNote: Nullable(Str),
    queue: Str,
    priority: Int,
    slaHours: Nullable(Num),
    evidence: Obj({ required: Bool, kinds: Strs }),
    tags: Strs,
    recommendation: Nullable(ref(Recommendation)),
    matched: Type.Array(
      Obj({ id: Str, name: Text, priority: Int, actions: Type.Array(RuleAction), trace: ref(Trace) }),
    ),
  },
  { $id: "Decision", description: "An automatic-review decision (自动审核结论) and every rule that matched" },
);

export const Risk = Obj(
  {
    score: Type.Integer({ description: "0–100" }),
    level: Enum(["low", "medium", "high"]),
    signals: Type.Array(
      Obj({
        code: Str,
        weight: Int,
        label: Text,
        reason: Text,
        data: Dict(Type.Union([Str, Num]), "What the signal saw; amounts as decimal strings with `currency`"),
      }),
    ),
  },
  { $id: "Risk", description: "A case's risk (风险评估): its score, level and the signals behind it" },
);

export const RuleVersion = Obj(
  {
    version: Int,
    status: Enum(["draft", "active", "retired"]),
    note: Nullable(Str),
    createdBy: Str,
    createdAt: Time,
    activatedBy: Nullable(Str),
    activatedAt: Nullable(Time),
    authors: Type.Array(Str, {
      description: "Who wrote it: its creator and everyone who changed the draft (maker–checker)",
    }),
    requestedBy: Nullable(Type.String({ description: "The author who asked another person to activate it" })),
    requestedAt: Nullable(Time),
    definition: Any("The rule set as written (docs/rules.md)"),
  },
  { $id: "RuleVersion", description: "One version of the rule set" },
);

export const SuggestionTotals = Obj(
  {
    automationRate: Num,
    agreementRate: Nullable(Num),
    automated: Int,
    falseApprovals: Int,
  },
  { $id: "SuggestionTotals", description: "A rule set replayed over the held-out cases" },
);

export const SuggestionScore = Obj(
  { decided: Int, agreed: Int, falseApprovals: Int, agreementRate: Nullable(Num) },
  { $id: "SuggestionScore", description: "What one suggested rule decided and how often people agreed" },
);

// Refund answers ------------------------------------------------------------------------------------

export const qcAdviceFields = {
  kind: Enum(["refuse", "deduct", "full"]),
  reasons: Type.Array(Obj({ finding: Str, sku: Str, quantity: Int })),
  currency: Str,
  deductions: Type.Array(Obj({ kind: Enum(["other"]), amount: Money, note: Str })),
};
export const QcAdvice = Obj(qcAdviceFields, {
  $id: "QcAdvice",
  description: "What quality control recommends for the refund, from every unit inspected",
});

export const ReceivedLine = Obj(
  { id: Int, lineId: Int, sku: Str, quantity: Int, condition: Enum(CONDITIONS) },
  { $id: "ReceivedLine", description: "Units received against one order line" },
);

export const Alert = Obj(
  {
    id: Int,
    kind: Enum(["case_risk", "sku_quality", "category_quality"]),
    subject: Type.String({ description: "The customer, SKU or category it is about" }),
    severity: Enum(["warning", "critical"]),
    status: Enum(["open", "acknowledged"]),
    caseId: Nullable(Int),
    shop: Nullable(Str),
    reason: Nullable(Text),
    data: Any("What raised it (score and signals, or the refund rates compared)"),
    createdAt: Time,
    updatedAt: Time,
    acknowledgedBy: Nullable(Str),
    acknowledgedAt: Nullable(Time),
    note: Nullable(Str),
  },
  {
    $id: "Alert",
    description: "A warning (预警): a risky case, or a SKU or category whose refund rate jumped",
  },
);

export const importJobFields = {
  id: Int,
  shop: Str,
  fileName: Str,
  format: Enum(["csv", "xlsx"]),
  preset: Nullable(Str),
  fileSha256: Str,
  state: Enum(["running", "stopped", "failed", "completed"]),
  rows: Obj({ read: Int, total: Nullable(Int) }),
  bytes: Obj({ read: Int, total: Int }),
  percent: Num,
  rowsPerSecond: Nullable(Int),
  resumedFromRow: Int,
  counts: Dict(Int, "Orders and refunds created, found existing, …"),
  rejected: Obj({
    rows: Int,
    byReason: Type.Array(Obj({ reason: Str, rows: Int, meaning: Nullable(Str) })),
  }),
  error: Nullable(Reported),
  startedAt: Time,
  updatedAt: Time,
  completedAt: Nullable(Time),
  rejectsUrl: Str,
};
export const ImportJob = Obj(importJobFields, {
  $id: "ImportJob",
  description: "An import of order history, followed as a job",
});

const runHead = {
  id: Int,
  channel: Str,
  date: Day,
  source: Enum(["channel", "upload"], {
    description: "channel: fetched over its API; upload: a file a person gave",
  }),
  shops: Nullable(
    Type.Array(Str, { description: "For a token limited to some shops: the counts and totals are theirs" }),
  ),
  billSha1: Nullable(Str),
  billRows: Nullable(Int),
  counts: Dict(Int, "Items by category"),
  problems: Int,
  openProblems: Type.Integer({ description: "Problems not marked resolved yet (待处理)" }),
  resolvedProblems: Type.Integer({ description: "Problems marked resolved (已处理)" }),
  awaiting: Int,
  ignored: Nullable(Int),
  currency: Str,
  billSucceededTotal: Money,
  ourSucceededTotal: Money,
  reconciledBy: Str,
  reconciledAt: Time,
  runs: Type.Integer({ description: "How many times the day was reconciled" }),
};
export const Reconciliation = Obj(runHead, {
  $id: "Reconciliation",
  description: "A channel's refund bill for one day compared with our refunds",
});
const resolutionFields = {
  note: Type.String({ description: "What was done about the problem" }),
  by: Type.String({ description: "Who marked it resolved" }),
  at: Time,
};
export const ReconciliationResolution = Obj(resolutionFields, {
  $id: "ReconciliationResolution",
  description: "A reconciliation problem marked resolved (已处理): by whom, when, what was done",
});
export const ReconciliationItem = Obj(
  {
    category: Enum(RECONCILIATION_CATEGORIES),
    key: Nullable(Str),
    refundId: Nullable(Int),
    caseId: Nullable(Type.Integer({ description: "The case of our refund, where it is acted on" })),
    currency: Str,
    ourAmount: MaybeMoney,
    ourStatus: Nullable(Str),
    billAmount: MaybeMoney,
    billStatus: Nullable(Str),
    channelRefundId: Nullable(Str),
    billDate: Nullable(Day),
    billLine: Nullable(Int),
    /** What was found (amounts differ, which bills it was looked for on…), in Chinese and English. */
    note: Nullable(Text),
    resolution: Nullable(ref(ReconciliationResolution)),
    earlierResolution: Nullable(
      Obj(
        {
          ...resolutionFields,
          category: Enum(RECONCILIATION_CATEGORIES),
          date: Day,
        },
        {
          description:
            "The last resolution of the same refund that does not apply to this item: this day's report when the problem has become another kind since, or another day's report",
        },
      ),
    ),
  },
  { $id: "ReconciliationItem", description: "One refund as we and the bill see it" },
);
export const ReconciliationReport = Obj(
  {
    ...runHead,
    items: Type.Array(ref(ReconciliationItem)),
    nextCursor: Nullable(Type.Integer({ description: "With `limit`: the next page's cursor" })),
  },
  { $id: "ReconciliationReport" },
);

export const Warehouse = Obj(
  { id: Str, name: Str, allowBackorder: Bool, isDefault: Bool, createdAt: Time },
  { $id: "Warehouse" },
);

export const ReviewSettings = Obj(
  {
    autoRefundLimit: Nullable(Money),
    secondApprovalAbove: Nullable(Money),
  },
  {
    $id: "ReviewSettings",
    description:
      "A shop's review limits, each in each case's own currency (null: none): rules refund on their own up to autoRefundLimit; above secondApprovalAbove two people approve",
  },
);

export const PlatformConnection = Obj(
  {
    shop: Str,
    channel: Str,
    supported: Type.Boolean({ description: "Whether there is an adapter for the shop's platform" }),
    connected: Bool,
    fields: Type.Array(Str, { description: "The credential fields set (never their values)" }),
    required: Strs,
    optional: Strs,
    updatedAt: Nullable(Time),
  },
  { $id: "PlatformConnection", description: "A shop's connection to its platform" },
);

export const ReturnAddress = Obj(
  {
    name: Str,
    phone: Str,
    address: Str,
    postcode: Type.Optional(Str),
    addressId: Type.Optional(Str),
  },
  { $id: "ReturnAddress", description: "Where the shop's buyers send returns" },
);

/** Every component, for `addSharedSchemas` (in an order where each is declared before it is used). */
export const SHARED_SCHEMAS: object[] = [
  Amount,
  Label,
  CaseState,
  FieldProblem,
  Problem,
  Shop,
  Token,
  WebhookEndpoint,
  WebhookDelivery,
  User,
  Session,
  Shipment,
  Order,
  Deduction,
  Quote,
  Refund,
  SendingProblem,
  RefundAttempt,
  CaseOwner,
  CaseSummary,
  QueueItem,
  QueuedCase,
  Case,
  TrackingEvent,
  Trace,
  Recommendation,
  Decision,
  Risk,
  RuleVersion,
  SuggestionTotals,
  SuggestionScore,
  QcAdvice,
  ReceivedLine,
  Alert,
  ImportJob,
  Reconciliation,
  ReconciliationItem,
  ReconciliationResolution,
  ReconciliationReport,
  Warehouse,
  ReviewSettings,
  PlatformConnection,
  ReturnAddress,
];

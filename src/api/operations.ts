import { type TSchema, Type } from "@fastify/type-provider-typebox";
import type { RouteOptions } from "fastify";
import { CASE_TYPES, REASON_CODES } from "../domain/catalogue.ts";
import { FINDING_CODES } from "../domain/inspection.ts";
import { CONDITIONS, DISPOSITIONS, SOURCE_KINDS } from "../domain/inventory.ts";
import { COMPENSATION_TYPES, LEDGER_KINDS } from "../domain/ledger.ts";
import { NOTIFICATION_KINDS } from "../domain/notify/kinds.ts";
import { TENDERS } from "../domain/order.ts";
import { AUDIT_ACTION_NAMES } from "../flows/audit.ts";
import { NOTIFICATION_STATUSES, NOTIFY_KINDS } from "../flows/notify-customers.ts";
import { SCAN_KINDS } from "../flows/receive-scan.ts";
import {
  Alert,
  Amount,
  Any,
  Bool,
  Case,
  CaseOwner,
  CaseState,
  CaseSummary,
  Day,
  Decision,
  Deduction,
  Dict,
  Ids,
  ImportJob,
  Int,
  importJobFields,
  Label,
  Nullable,
  Num,
  Obj,
  Order,
  PlatformConnection,
  Problem,
  QcAdvice,
  QueuedCase,
  QueueItem,
  Quote,
  qcAdviceFields,
  ReceivedLine,
  Recommendation,
  Reconciliation,
  ReconciliationReport,
  ReconciliationResolution,
  RefundAttempt,
  Reported,
  ReturnAddress,
  ReviewSettings,
  Risk,
  RuleVersion,
  ref,
  Session,
  SHARED_SCHEMAS,
  Shop,
  Str,
  Strs,
  SuggestionScore,
  SuggestionTotals,
  Time,
  Token,
  TrackingEvent,
  tokenFields,
  User,
  Warehouse,
  WebhookDelivery,
  WebhookEndpoint,
  webhookEndpointFields,
} from "./responses.ts";
import { Enum, QueueFilterFields } from "./routes/schemas.ts";

/**
 * What every operation answers: its success statuses with their shapes, and the problem statuses it
 * can give beyond the ones every route shares (see `declareResponses`). One table, keyed by method and
 * path under /api/v1, applied to the routes by an onRoute hook, so the route modules stay as they are.
 * A route may instead declare `schema.response` itself; that wins.
 */

/** A shop's platform sync: each stream's progress, and the platform requests that could not be taken. */
const SyncStatus = Obj({
  shop: Str,
  streams: Type.Array(
    Obj({
      stream: Str,
      syncedTo: Nullable(Time),
      inWindow: Nullable(
        Dict(Type.Unknown(), "Where the sync stands inside its window (the platform's paging)"),
      ),
      running: Bool,
      lastError: Nullable(Str),
      lastRunAt: Type.String({ format: "date-time", description: "When a pass last touched the stream" }),
    }),
  ),
  failedRequests: Type.Array(Obj({ externalId: Str, error: Nullable(Str), attempts: Int, at: Time })),
});

interface Answer {
  description: string;
  /** The JSON body; none for 204. */
  schema?: TSchema;
  /** Other media types, e.g. a CSV download. */
  media?: Record<string, TSchema>;
}
interface Declared {
  ok: Record<number, Answer>;
  /** Problem statuses particular to this operation. */
  errors?: number[];
}

const M = ref(Amount);

const Text = ref(Label);
/** A backtest's figures: overall, per rule (in evaluation order) and the first disagreements. */
const backtestFields = {
  ruleSetVersion: Int,
  cases: Int,
  automated: Int,
  automationRate: Num,
  agreed: Int,
  agreementRate: Nullable(Num),
  falseApprovals: Int,
  falseRejections: Int,
  manual: Int,
  perRule: Type.Array(
    Obj({
      id: Str,
      name: Text,
      hits: Int,
      decided: Int,
      agreed: Int,
      falseApprovals: Int,
      falseRejections: Int,
    }),
  ),
  disagreements: Type.Array(
    Obj({
      caseId: Str,
      ruleId: Str,
      rule: Enum(["approve", "reject"]),
      human: Enum(["approve", "reject"]),
    }),
  ),
};

const CaseStatus = ref(CaseState);
const json = (description: string, schema: TSchema): Answer => ({ description, schema });
const none = (description: string): Answer => ({ description });
/** A page of a list: `nextCursor` goes back as `cursor` for the next page (null: the last page). */
const Page = (item: TSchema, cursor: TSchema = Int) =>
  Obj({ items: Type.Array(item), nextCursor: Nullable(cursor) });
const List = (item: TSchema) => Obj({ items: Type.Array(item) });

// Case actions -------------------------------------------------------------------------------------

const step = { id: Int, status: CaseStatus, version: Int };
const Step = Obj(step, { description: "The case after the step" });
const Approved = Obj({
  ...step,
  awaitingSecondApproval: Type.Optional(
    Type.Boolean({ description: "A first approval of two: a different person must give the second" }),
  ),
  firstApproval: Type.Optional(Type.String({ description: "Who gave the first of the two approvals" })),
});
const Sent = {
  refund: Type.Optional(ref(RefundAttempt)),
  refunds: Type.Optional(
    Type.Array(ref(RefundAttempt), { description: "Every leg, when the grant is split over tenders" }),
  ),
};
const Granted = Obj(
  { ...step, ...Sent },
  {
    description:
      "The refund is decided (committed) and was sent: `refund` says what sending came to; a refund not yet settled is sent again later",
  },
);
const Owned = Obj(
  { ...step, owner: Nullable(ref(CaseOwner)) },
  { description: "The case and its owner now" },
);
const receipt = {
  receiptId: Int,
  replayed: Type.Boolean({ description: "The key was received already: nothing changed" }),
  lines: Type.Array(ref(ReceivedLine)),
};
const Inspected = Obj({
  ...step,
  inspections: Ids,
  replayed: Bool,
  caseResult: Type.Optional(Enum(["pass", "fail"], { description: "Once every received unit is inspected" })),
  recommendation: Type.Optional(ref(QcAdvice)),
});

const CASE_ACTIONS: Record<string, Answer> = {
  approve: json("Approved, or the first of two approvals given", Approved),
  reject: json("Rejected", Step),
  cancel: json("Withdrawn", Step),
  "return-shipment": json("The return parcel is recorded", Step),
  receive: json("The goods are received", Obj({ ...step, ...receipt })),
  inspect: json("Quality control recorded", Inspected),
  "grant-refund": json("Granted and sent", Granted),
  "issue-refund": json("Sent (or checked with the channel)", Granted),
  "replacement-shipment": json("The replacement is shipped", Step),
  close: json("Closed", Step),
  compensate: json(
    "Compensation posted to the ledger",
    Obj({ ...step, type: Enum(COMPENSATION_TYPES), amount: M, currency: Str, entryId: Str }),
  ),
  override: json("The rule's decision is overridden", Approved),
  claim: json("The case is yours", Owned),
  assign: json("The case is the person's", Owned),
  unassign: json("Nobody owns the case now", Owned),
  review: json(
    "Judged by the live rules again",
    Obj({
      ...step,
      decision: Obj({
        outcome: Enum(["approve", "reject", "manual"]),
        decidedBy: Nullable(Str),
        applied: Nullable(Enum(["approve", "reject"])),
      }),
      riskScore: Int,
    }),
  ),
};

// The queue, views, the kanban, batches ---------------------------------------------------------------

const Item = ref(QueueItem);
const Filters = Obj(QueueFilterFields, { description: "Which cases (the queue's filters)" });
const View = Obj(
  {
    id: Type.String({
      description: 'A built-in view\'s name ("mine", "due_soon", …) or "v<n>" for a saved one',
    }),
    name: Str,
    label: Nullable(Text),
    builtIn: Bool,
    shared: Bool,
    mine: Type.Boolean({ description: "A personal view of the caller's" }),
    filters: Filters,
    count: Type.Integer({ description: "Cases it matches now, within the caller's shops" }),
  },
  { description: "A view of the queue" },
);
const Assignment = Obj(
  { auto: Bool },
  { description: "Whether cases left for a person are given out round robin" },
);

// The integrated case view ---------------------------------------------------------------------------

const Parcel = Obj({
  id: Int,
  direction: Str,
  carrier: Str,
  trackingNo: Str,
  status: Str,
  shippedAt: Nullable(Time),
  signedAt: Nullable(Time),
  eta: Nullable(Time),
  overdue: Bool,
  caseId: Nullable(Int),
  events: Type.Array(ref(TrackingEvent)),
  interception: Nullable(
    Obj(
      {
        caseId: Int,
        method: Str,
        status: Str,
        label: Nullable(Text),
        requestedAt: Time,
        resolvedAt: Nullable(Time),
        lastError: Nullable(Str),
      },
      { description: "The latest attempt to stop the parcel (快递拦截) or cancel it before it left" },
    ),
  ),
});
const Highlight = Type.Union([
  Obj({
    kind: Enum(["ordered_vs_received"]),
    ordered: Type.Array(Obj({ sku: Str, title: Nullable(Str), quantity: Int })),
    received: Obj({ sku: Nullable(Str), title: Nullable(Str), warehouseConditions: Strs }),
  }),
  Obj({
    kind: Enum(["parcel_progress"]),
    status: Str,
    lastEvent: Nullable(ref(TrackingEvent)),
    eta: Nullable(Time),
    overdue: Bool,
    daysInTransit: Nullable(Num),
  }),
  Obj({
    kind: Enum(["evidence"]),
    items: Type.Array(Obj({ kind: Str, url: Str })),
    description: Nullable(Str),
  }),
  Obj({
    kind: Enum(["sku_refund_rate"]),
    skus: Type.Array(Obj({ sku: Str, refundRate90d: Nullable(Num), claimed: Int, sold: Int })),
  }),
  Obj({
    kind: Enum(["delivery_proof"]),
    signed: Bool,
    signedAt: Nullable(Time),
    proof: Nullable(ref(TrackingEvent)),
    carrier: Nullable(Str),
    trackingNo: Nullable(Str),
  }),
  Obj({
    kind: Enum(["policies"]),
    products: Type.Array(Obj({ sku: Str, policies: Type.Array(Obj({ code: Str, zh: Str, en: Str })) })),
  }),
]);
const CaseView = Obj(
  {
    currency: Str,
    case: ref(Case),
    review: Obj({
      slaDueAt: Nullable(Time),
      platformDueAt: Nullable(Time),
      riskScore: Int,
      queue: Str,
      priority: Int,
      tags: Strs,
      awaitingSecondApproval: Bool,
      firstApproval: Nullable(Str),
    }),
    order: Obj({
      id: Int,
      externalId: Str,
      shop: Str,
      paidTotal: M,
      refundedTotal: M,
      aftersalesStatus: Str,
      placedAt: Nullable(Time),
      paidAt: Nullable(Time),
    }),
    lines: Type.Array(
      Obj({
        id: Int,
        sku: Str,
        title: Nullable(Str),
        category: Nullable(Str),
        quantity: Int,
        unitPrice: M,
        paid: M,
        inCase: Bool,
        caseQuantity: Type.Integer({ description: "Units of the line this case is about" }),
        shipped: Type.Integer({ description: "Units that left on an outbound parcel" }),
        returned: Type.Integer({ description: "Units received back by the warehouse (any case)" }),
        refundedQuantity: Type.Integer({ description: "Units refunds hold (sent or on their way)" }),
        refunded: M,
      }),
    ),
    payments: Type.Array(Obj({ id: Int, tender: Enum(TENDERS), amount: M, transactionId: Nullable(Str) })),
    parcel: Nullable(Parcel),
    parcels: Type.Array(Parcel),
    customer: Nullable(
      Obj({
        id: Str,
        name: Nullable(Str),
        tier: Str,
        creditScore: Nullable(Int),
        tags: Strs,
        since: Time,
        orders: Int,
        refundRate365d: Nullable(Num),
        paidTotal: Nullable(M),
        refundedTotal: Nullable(M),
        recentOrders: Type.Array(
          Obj({
            id: Int,
            shop: Str,
            externalId: Str,
            currency: Str,
            paidTotal: M,
            refundedTotal: M,
            aftersalesStatus: Str,
            placedAt: Nullable(Time),
          }),
        ),
        earlierCases: Type.Array(
          Obj({
            id: Int,
            orderId: Int,
            type: Enum(CASE_TYPES),
            reason: Enum(REASON_CODES),
            status: CaseStatus,
            currency: Str,
            refunded: M,
            createdAt: Time,
          }),
        ),
      }),
    ),
    products: Type.Array(
      Obj({
        sku: Str,
        title: Nullable(Str),
        category: Nullable(Str),
        policies: Type.Array(Obj({ code: Str, zh: Str, en: Str })),
        refundRate90d: Nullable(Num),
        sold90d: Int,
        claimed90d: Int,
      }),
    ),
    messages: Type.Array(
      Obj({
        id: Int,
        eventId: Int,
        kind: Enum(Object.keys(NOTIFICATION_KINDS)),
        channel: Enum(NOTIFY_KINDS),
        to: Type.String({ description: "The contact, masked (138****8000)" }),
        status: Enum(NOTIFICATION_STATUSES),
        dueAt: Time,
        sentAt: Nullable(Time),
        error: Nullable(Str),
        cost: Nullable(Obj({ amount: M, currency: Str })),
      }),
      {
        description: "What the customer was told (通知), per timeline event, and what became of each message",
      },
    ),
    sameOrderCases: Type.Array(
      Obj({
        id: Int,
        type: Enum(CASE_TYPES),
        reason: Enum(REASON_CODES),
        status: CaseStatus,
        resolved: Bool,
        createdAt: Time,
      }),
    ),
    risk: Nullable(ref(Risk)),
    decision: Nullable(
      Obj({
        id: Int,
        at: Time,
        trigger: Str,
        ruleVersion: Nullable(Int),
        outcome: Str,
        decidedBy: Nullable(Str),
        applied: Nullable(Str),
        queue: Nullable(Str),
        priority: Nullable(Int),
        slaHours: Nullable(Num),
        evidence: Nullable(Obj({ required: Bool, kinds: Strs })),
        tags: Strs,
        explanation: Nullable(Obj({ zh: Strs, en: Strs })),
      }),
    ),
    recommendation: Nullable(ref(Recommendation)),
    highlights: Obj({
      reason: Enum(REASON_CODES),
      reasonLabel: Nullable(Text),
      items: Type.Array(Highlight),
    }),
  },
  { description: "The case and every fact around it (售后全景)" },
);

// Receiving ------------------------------------------------------------------------------------------

const Candidate = Obj({
  caseId: Int,
  orderId: Int,
  orderExternalId: Str,
  shop: Str,
  type: Enum(CASE_TYPES),
  status: CaseStatus,
  reason: Enum(REASON_CODES),
  matchedBy: Enum(SCAN_KINDS),
  returnParcel: Nullable(Obj({ carrier: Str, trackingNo: Str, signedAt: Nullable(Time) })),
  outstanding: Type.Array(Obj({ lineId: Int, sku: Str, title: Nullable(Str), quantity: Int })),
  createdAt: Time,
});
const ScanReceived = Obj({
  outcome: Enum(["received"]),
  caseId: Int,
  matchedBy: Enum(SCAN_KINDS),
  status: CaseStatus,
  version: Int,
  ...receipt,
});
const ScanResult = Type.Union(
  [
    ScanReceived,
    Obj({
      outcome: Enum(["choose"]),
      matchedBy: Enum(SCAN_KINDS),
      candidates: Type.Array(Candidate),
    }),
    Obj({ outcome: Enum(["unidentified"]), parcelId: Int, replayed: Bool }),
  ],
  { description: "received: into the one matching case; choose: several match; unidentified: none (无头件)" },
);

// Analytics -------------------------------------------------------------------------------------------

const RefundRates = Obj({
  by: Str,
  rows: Type.Array(
    Obj({
      key: Str,
      currency: Str,
      soldQty: Int,
      soldAmount: M,
      refundedQty: Int,
      refundedAmount: M,
      rate: Nullable(Num),
      amountRate: Nullable(Num),
    }),
  ),
});

const RiskSettings = Obj(
  {
    refunds30: Int,
    refunds90: Int,
    refundRate90: Num,
    refundRateMinOrders: Int,
    refundOnlyAfterDelivery: Int,
    amountMultiple: Num,
    amountFloor: M,
    minutesAfterSigning: Num,
    sharedAddressAccounts: Int,
    quietHoursStart: Int,
    quietHoursEnd: Int,
    casesOnOrder: Int,
    mediumAt: Int,
    highAt: Int,
    weights: Dict(Int, "Each signal's weight, by its code"),
    currency: Type.String({ description: "The currency of amountFloor (the installation's base currency)" }),
  },
  { description: "The risk thresholds and signal weights" },
);
const ThresholdField = Obj({
  key: Str,
  kind: Enum(["count", "days", "minor", "number", "rate", "openRate", "hour", "score"]),
  label: Text,
  hint: Text,
});
const RulesActivation = Obj({
  secondPerson: Type.Boolean({
    description: "Maker–checker: a rule set draft is activated by a person who did not write it",
  }),
});
const QualitySettings = Obj({
  recentDays: Int,
  baselineDays: Int,
  minSold: Int,
  minRefunded: Int,
  minLift: Num,
  minIncrease: Num,
  minZ: Num,
  defaultBaselineRate: Num,
  criticalLift: Num,
});
const Fees = Obj({
  fees: Dict(Obj({ rateBp: Int, returnedOnRefund: Bool }), "Per payment channel: its fee in basis points"),
});

const FinanceReport = Obj({
  from: Day,
  to: Day,
  timeZone: Str,
  by: Strs,
  rows: Type.Array(
    Type.Object(
      {
        currency: Str,
        goods: M,
        shipping: M,
        compensation: M,
        subsidies: M,
        fees: M,
        net: M,
        entries: Int,
        day: Type.Optional(Day),
        month: Type.Optional(Str),
        shop: Type.Optional(Nullable(Str)),
        channel: Type.Optional(Nullable(Str)),
        reason: Type.Optional(Nullable(Str)),
      },
      {
        additionalProperties: false,
        description: "One group: the dimensions asked for (`by`), then the sums",
      },
    ),
  ),
});
const RefundRow = Obj(
  {
    id: Int,
    caseId: Int,
    caseExternalId: Nullable(Str),
    caseStatus: CaseStatus,
    caseVersion: Int,
    orderId: Int,
    orderExternalId: Str,
    shop: Str,
    reason: Str,
    customerName: Nullable(Str),
    grant: Type.Integer({ description: "The case's nth grant; a grant split over tenders is several legs" }),
    legs: Type.Integer({ description: "How many legs (tenders) its grant has" }),
    currency: Str,
    amount: M,
    goods: M,
    shipping: M,
    channel: Type.String({ description: "The tender it goes back over: wechat_pay, alipay, bank_transfer…" }),
    byHand: Type.Boolean({
      description: "Finance pays it by hand and records the transfer (offline tender)",
    }),
    idempotencyKey: Type.String({ description: "The key the channel sees (out_refund_no)" }),
    status: Enum(["requested", "processing", "succeeded", "failed"]),
    channelRefundId: Nullable(
      Type.String({ description: "The channel's refund id, or the transfer's reference" }),
    ),
    attempts: Int,
    lastError: Nullable(Obj({ code: Str, message: Str })),
    replacedBy: Nullable(
      Type.Integer({ description: "The leg sent in its place (sent again, or switched)" }),
    ),
    createdAt: Time,
    updatedAt: Time,
    succeededAt: Nullable(Time),
    actions: Type.Array(
      Enum(["settle", "recheck", "resend", "switch"], {
        description:
          "settle: POST /refunds/{id}/offline-settlement; recheck: POST /cases/{caseId}/issue-refund; resend: POST /cases/{caseId}/grant-refund; switch: POST /refunds/{id}/switch-to-offline",
      }),
    ),
  },
  { description: "A refund leg as finance follows it" },
);

const LedgerEntry = Obj({
  id: Int,
  source: Type.String({ description: "What posted it, once: refund:<id>:goods, compensation:…" }),
  kind: Enum(LEDGER_KINDS),
  tender: Nullable(Str),
  caseId: Nullable(Int),
  orderId: Nullable(Int),
  paymentId: Nullable(Int),
  refundId: Nullable(Int),
  shop: Nullable(Str),
  reason: Nullable(Str),
  currency: Str,
  amount: M,
  reference: Nullable(Str),
  note: Nullable(Str),
  actor: Nullable(Str),
  occurredAt: Time,
});

const AuditEntry = Obj({
  id: Int,
  at: Time,
  actor: Str,
  actorTokenId: Nullable(Int),
  action: Enum(AUDIT_ACTION_NAMES),
  subject: Nullable(Str),
  shops: Nullable(Strs),
  before: Any("The setting, rule, shop or token before (null: it did not exist)"),
  after: Any("… and after"),
});

const Job = ref(ImportJob);
const JobAnswer = Obj({
  ...importJobFields,
  alreadyImported: Type.Boolean({ description: "This file was imported already: nothing was done" }),
});
const Rows = Type.String({ description: "CSV" });
const CSV = "text/csv";
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/** An analytics answer: JSON, or what it shows as a CSV or XLSX download (`format`). */
const report = (description: string, schema: TSchema): Answer => ({
  description: `${description}; or the same as a CSV or XLSX download (\`format\`)`,
  schema,
  media: { [CSV]: Rows, [XLSX]: Type.String({ format: "binary" }) },
});
const DecisionCounts = {
  cases: Int,
  decided: Int,
  automated: Int,
  overridden: Int,
  rate: Nullable(Num),
  agreement: Nullable(Num),
};
const StageHours = {
  n: Int,
  p50Hours: Nullable(Num),
  p90Hours: Nullable(Num),
  meanHours: Nullable(Num),
};

/** Every operation under /api/v1, by method and path as the route declares it. */
export const OPERATIONS: Record<string, Declared> = {
  // Shops, tokens, audit
  "GET /shops": { ok: { 200: json("The shops this token may see", List(ref(Shop))) } },
  "POST /shops": { ok: { 201: json("Created", ref(Shop)) }, errors: [409] },
  "GET /tokens": {
    ok: { 200: json("Tokens, newest first", Obj({ items: Type.Array(ref(Token)), total: Int })) },
  },
  "POST /tokens": {
    ok: {
      201: json("Created: `token` is its secret, shown this once", Obj({ ...tokenFields, token: Str })),
    },
    errors: [422],
  },
  "DELETE /tokens/:id": { ok: { 200: json("Revoked (or already revoked)", ref(Token)) } },
  "GET /webhooks/event-types": {
    ok: { 200: json("The event types an endpoint may subscribe to", Obj({ items: Strs })) },
  },
  "GET /webhooks": { ok: { 200: json("Webhook endpoints, oldest first", List(ref(WebhookEndpoint))) } },
  "POST /webhooks": {
    ok: {
      201: json(
        "Created: `secret` (whsec_…) signs its messages, shown this once",
        Obj({ ...webhookEndpointFields, secret: Str }),
      ),
    },
    errors: [422, 503],
  },
  "PATCH /webhooks/:id": { ok: { 200: json("Changed", ref(WebhookEndpoint)) }, errors: [422] },
  "DELETE /webhooks/:id": { ok: { 200: json("Deleted, with its deliveries", ref(WebhookEndpoint)) } },
  "POST /webhooks/:id/secret": {
    ok: { 200: json("A new secret, shown this once", Obj({ ...webhookEndpointFields, secret: Str })) },
    errors: [503],
  },
  "POST /webhooks/:id/test": {
    ok: { 202: json("A webhook.test delivery, queued", ref(WebhookDelivery)) },
    errors: [409],
  },
  "GET /webhooks/:id/deliveries": {
    ok: {
      200: json("Deliveries, newest first", Obj({ items: Type.Array(ref(WebhookDelivery)), total: Int })),
    },
  },
  "POST /webhooks/:id/deliveries/:deliveryId/replay": {
    ok: { 202: json("Queued again, with the same webhook-id", ref(WebhookDelivery)) },
    errors: [409],
  },
  "GET /audit-log": { ok: { 200: json("Entries, newest first", Page(AuditEntry)) } },

  // Console sign-in and accounts
  "POST /session": {
    ok: { 200: json("Signed in: the session cookie is set (a new session id)", ref(Session)) },
    errors: [400, 401, 423, 429],
  },
  "GET /session": {
    ok: { 200: json("The signed-in person", ref(Session)) },
    errors: [404],
  },
  "DELETE /session": { ok: { 204: none("Signed out: the session is over and its cookie cleared") } },
  "PATCH /me": { ok: { 200: json("Saved", ref(Session)) }, errors: [404, 422] },
  "GET /users": {
    ok: { 200: json("People, by login", Obj({ items: Type.Array(ref(User)), total: Int })) },
  },
  "POST /users": { ok: { 201: json("Created", ref(User)) }, errors: [409, 422] },
  "PATCH /users/:id": { ok: { 200: json("Saved", ref(User)) }, errors: [422] },

  // Orders and quotes
  "POST /orders": {
    ok: {
      201: json("Created", Obj({ id: Int, outcome: Enum(["created"]) })),
      200: json(
        "Known already: updated, or unchanged",
        Obj({ id: Int, outcome: Enum(["updated", "unchanged"]) }),
      ),
    },
    errors: [409, 422],
  },
  "GET /orders": {
    ok: { 200: json("The order with that external id in that shop, if any", List(ref(Order))) },
  },
  "GET /orders/:id": { ok: { 200: json("The order", ref(Order)) } },
  "POST /refund-quotes": { ok: { 200: json("The refund, computed", ref(Quote)) }, errors: [404, 422] },

  // Cases
  "POST /cases": {
    ok: {
      201: json(
        "Created and judged by the rules (`review`), or not judged yet (`reviewError`; the sweep tries again)",
        Obj({
          id: Int,
          created: Bool,
          status: CaseStatus,
          version: Int,
          review: Type.Optional(
            Obj({
              decisionId: Int,
              decision: ref(Decision),
              risk: ref(Risk),
              applied: Nullable(Enum(["approve", "reject"])),
              refundId: Type.Optional(Type.Integer({ description: "The refund the rules granted" })),
            }),
          ),
          reviewError: Type.Optional(Reported),
        }),
      ),
      200: json(
        "The case with this externalId exists already",
        Obj({ id: Int, created: Bool, status: CaseStatus, version: Int }),
      ),
    },
    errors: [404, 409, 422],
  },
  "GET /cases": { ok: { 200: json("Cases, newest first", Page(ref(CaseSummary))) } },
  "GET /cases/:id": { ok: { 200: json("The case", ref(Case)) } },
  "GET /cases/:id/view": { ok: { 200: json("The integrated case view", CaseView) } },
  "GET /review-queue": {
    ok: {
      200: json(
        "Cases awaiting review, most urgent first",
        Obj({ queues: Dict(Int, "Cases waiting in each queue"), items: Type.Array(ref(QueuedCase)) }),
      ),
    },
  },
  ...Object.fromEntries(
    Object.entries(CASE_ACTIONS).map(([slug, answer]) => [
      `POST /cases/:id/${slug}`,
      { ok: { 200: answer }, errors: slug.endsWith("-refund") ? [409, 422, 503] : [409, 422] },
    ]),
  ),

  // The reviewer's desk
  "GET /queue": {
    ok: {
      200: json(
        "A page of the queue and how many cases match in all",
        Obj({ total: Int, items: Type.Array(Item) }),
      ),
    },
    errors: [404],
  },
  "GET /board": {
    ok: {
      200: json(
        "A column per open state: its count and first cards, nearest SLA first",
        Obj({
          columns: Type.Array(Obj({ status: CaseStatus, label: Text, count: Int, items: Type.Array(Item) })),
        }),
      ),
    },
    errors: [404],
  },
  "GET /views": { ok: { 200: json("Built-in views, then saved ones, each with its count", List(View)) } },
  "POST /views": { ok: { 201: json("Saved", View) }, errors: [422] },
  "PATCH /views/:id": { ok: { 200: json("Saved", View) }, errors: [409, 422] },
  "DELETE /views/:id": { ok: { 204: none("Deleted") }, errors: [409] },
  "GET /lifecycle": {
    ok: {
      200: json(
        "The states and the moves between them",
        Obj({
          states: Type.Array(Obj({ status: CaseStatus, label: Text, terminal: Bool })),
          transitions: Type.Array(
            Obj({
              type: Enum(CASE_TYPES),
              from: CaseStatus,
              to: CaseStatus,
              action: Type.String({
                description: "The action (POST /cases/{id}/<action>) that makes the move",
              }),
            }),
          ),
        }),
      ),
    },
  },
  "POST /cases/batch": {
    ok: {
      200: json(
        "Each case's own answer, in the caller's language",
        Obj({
          total: Int,
          succeeded: Int,
          failed: Int,
          results: Type.Array(
            Obj({
              id: Int,
              orderExternalId: Type.Optional(
                Type.String({ description: "The case's order number, when the caller may see the case" }),
              ),
              ok: Bool,
              status: Type.Optional(CaseStatus),
              version: Type.Optional(Int),
              error: Type.Optional(Reported),
            }),
          ),
        }),
      ),
    },
    errors: [404, 409, 422],
  },

  // Rules
  "GET /rules/vocabulary": {
    ok: {
      200: json(
        "Everything a rule may say",
        Obj({
          fields: Type.Array(
            Obj({
              field: Str,
              type: Str,
              label: Text,
              nullable: Bool,
              nullLabel: Text,
              values: Nullable(Dict(Type.Object({ zh: Str, en: Str }, { additionalProperties: true }))),
              equalsReadsAsValue: Type.Boolean({
                description: "An equality on this field reads as the value's label alone (仅退款, 未发货)",
              }),
              windows: Type.Array(Int),
              defaultWindow: Nullable(Int),
              operators: Type.Array(
                Obj({
                  op: Str,
                  operand: Enum(["scalar", "range", "list", "flag"]),
                  label: Text,
                  flag: Type.Optional(Obj({ true: Text, false: Text })),
                }),
              ),
            }),
          ),
          actions: Type.Array(
            Obj({
              action: Str,
              label: Text,
              outcome: Nullable(Enum(["approve", "reject", "manual"])),
              params: Type.Array(
                Obj({
                  name: Str,
                  kind: Enum(["choice", "choices", "text", "texts", "integer", "number"]),
                  label: Text,
                  required: Bool,
                  values: Type.Optional(Enum(["rejectReasons", "evidenceKinds", "solutions"])),
                  default: Type.Optional(Type.Unknown()),
                  min: Type.Optional(Num),
                  max: Type.Optional(Num),
                  maxLength: Type.Optional(Int),
                  pattern: Type.Optional(Str),
                  unit: Type.Optional(Text),
                }),
              ),
            }),
          ),
          rejectReasons: Dict(Text),
          evidenceKinds: Dict(Text),
          solutions: Dict(Text),
          policies: Dict(Text),
        }),
      ),
    },
  },
  "GET /rules": {
    ok: {
      200: json(
        "Every version, newest first",
        Obj({
          active: Nullable(Int),
          secondPerson: Type.Boolean({
            description: "Maker–checker is on: a draft is activated by someone who did not write it",
          }),
          versions: Type.Array(ref(RuleVersion)),
        }),
      ),
    },
  },
  "GET /rules/versions/:version": { ok: { 200: json("The version", ref(RuleVersion)) } },
  "POST /rules/versions": { ok: { 201: json("The new draft", ref(RuleVersion)) }, errors: [422] },
  "PUT /rules/versions/:version": { ok: { 200: json("The draft", ref(RuleVersion)) }, errors: [409, 422] },
  "DELETE /rules/versions/:version": { ok: { 204: none("The draft is removed") }, errors: [409] },
  "POST /rules/versions/:version/activate": {
    ok: { 200: json("Live now", ref(RuleVersion)) },
    errors: [409, 422],
  },
  "POST /rules/versions/:version/request-activation": {
    ok: { 200: json("Waiting for another person to activate it", ref(RuleVersion)) },
    errors: [404, 409],
  },
  "POST /rules/dry-run": {
    ok: {
      200: json(
        "How the rule set judges the case, changing nothing",
        Obj({
          caseId: Int,
          facts: Dict(
            Type.Unknown(),
            "What rules look at about the case; amounts as decimal strings in `currency`",
          ),
          risk: ref(Risk),
          decision: ref(Decision),
          explanation: Obj({ zh: Strs, en: Strs }),
        }),
      ),
    },
    errors: [404, 422],
  },
  "POST /rules/backtests": {
    ok: {
      200: {
        description: "The rule set replayed over cases people decided (and the live one beside it)",
        schema: Obj({
          ...backtestFields,
          live: Type.Optional(
            Nullable(
              Obj(backtestFields, {
                description: "The live rule set over the same cases (againstLive); null: none is live",
              }),
            ),
          ),
          liveVersion: Type.Optional(Nullable(Int)),
        }),
        media: {
          "application/x-ndjson": Type.String({
            description:
              'One JSON object a line: {"progress":{"done","total"}} after each batch, then {"result":{…}} as the JSON answer, or {"error":{"code","status","detail"}}',
          }),
        },
      },
    },
    errors: [404, 422],
  },
  "POST /rules/suggestions": {
    ok: {
      200: json(
        "Approval rules learned from history, judged on held-out cases",
        Obj({
          cases: Int,
          fitted: Int,
          heldOut: Int,
          live: ref(SuggestionTotals),
          withSuggestions: ref(SuggestionTotals),
          suggestions: Type.Array(
            Obj({
              fingerprint: Str,
              rule: Dict(Type.Unknown(), "The rule, ready to add to a draft (below every live rule)"),
              text: Text,
              fitted: ref(SuggestionScore),
              heldOut: ref(SuggestionScore),
              examples: Strs,
            }),
          ),
        }),
      ),
    },
    errors: [422],
  },
  "POST /rules/suggestions/dismissed": {
    ok: { 200: json("Dismissed: never proposed again", Obj({ dismissed: Int })) },
    errors: [422],
  },

  // Alerts and settings
  "GET /alerts": {
    ok: {
      200: json(
        "Alerts, newest first, and how many match",
        Obj({
          items: Type.Array(ref(Alert)),
          nextCursor: Nullable(Int),
          total: Type.Integer({ description: "Alerts matching the filter, all pages" }),
        }),
      ),
    },
  },
  "POST /alerts/:id/acknowledge": { ok: { 200: json("Acknowledged", ref(Alert)) }, errors: [409] },
  "POST /alerts/quality-scan": {
    ok: {
      200: json(
        "Refund rates scanned",
        Obj({ subjects: Int, alerts: Type.Integer({ description: "Raised or updated" }) }),
      ),
    },
  },
  "GET /shops/:shop/review-settings": {
    ok: {
      200: json(
        "The shop's review limits, and the currency its orders are in",
        Obj({
          ...ReviewSettings.properties,
          currency: Nullable(
            Type.String({ description: "The currency of the shop's orders; null before its first order" }),
          ),
        }),
      ),
    },
    errors: [422],
  },
  "PUT /shops/:shop/review-settings": { ok: { 200: json("Saved", ref(ReviewSettings)) }, errors: [422] },
  "GET /settings/risk": { ok: { 200: json("The risk settings", RiskSettings) } },
  "PUT /settings/risk": { ok: { 200: json("Saved", RiskSettings) }, errors: [422] },
  "GET /settings/quality": { ok: { 200: json("The quality-alert thresholds", QualitySettings) } },
  "PUT /settings/quality": { ok: { 200: json("Saved", QualitySettings) }, errors: [422] },
  "GET /settings/thresholds/fields": {
    ok: {
      200: json(
        "Each threshold's kind of value, label and hint; the signals whose weights they set",
        Obj({
          risk: Obj({
            fields: Type.Array(ThresholdField),
            signals: Type.Array(Obj({ code: Str, label: Text, defaultWeight: Int })),
            currency: Type.String({ description: "The currency of amount thresholds" }),
          }),
          quality: Obj({ fields: Type.Array(ThresholdField) }),
        }),
      ),
    },
  },
  "GET /settings/rules-activation": {
    ok: { 200: json("Who may make a rule set live", RulesActivation) },
  },
  "PUT /settings/rules-activation": { ok: { 200: json("Saved", RulesActivation) } },
  "GET /settings/refunds": {
    ok: { 200: json("The order refunds go back over an order's tenders", Obj({ tenderOrder: Strs })) },
  },
  "PUT /settings/refunds": { ok: { 200: json("Saved", Obj({ tenderOrder: Strs })) } },
  "GET /settings/assignment": { ok: { 200: json("Whether assignment is automatic", Assignment) } },
  "PUT /settings/assignment": { ok: { 200: json("Saved", Assignment) } },
  "GET /settings/timezone": { ok: { 200: json("The merchant's time zone", Obj({ timeZone: Str })) } },
  "PUT /settings/timezone": { ok: { 200: json("Saved", Obj({ timeZone: Str })) } },
  "GET /catalog/policies": {
    ok: {
      200: json(
        "SKUs and categories with after-sales policies",
        Obj({
          items: Type.Array(
            Obj({ kind: Enum(["sku", "category"]), key: Str, policies: Strs, updatedAt: Time }),
          ),
          total: Int,
        }),
      ),
    },
  },
  "PUT /catalog/policies/:kind/:key": {
    ok: { 200: json("Saved", Obj({ kind: Enum(["sku", "category"]), key: Str, policies: Strs })) },
  },
  "GET /settings/finance": { ok: { 200: json("Channel fees", Fees) } },
  "PUT /settings/finance": { ok: { 200: json("Saved", Fees) } },

  // Tracking and platforms
  "POST /tracking": {
    ok: {
      200: json(
        "Scans recorded",
        Obj({
          added: Type.Integer({ description: "Scans not known before" }),
          status: Nullable(Type.String({ description: "The parcel's state: its latest scan" })),
          reviewed: Type.Array(Int, { description: "Cases judged again because the parcel was signed for" }),
        }),
      ),
    },
    errors: [404, 422],
  },
  "GET /shops/:shop/credentials": {
    ok: { 200: json("The shop's connection", ref(PlatformConnection)) },
    errors: [422],
  },
  "PUT /shops/:shop/credentials": {
    ok: { 200: json("Saved (sealed)", ref(PlatformConnection)) },
    errors: [422, 503],
  },
  "DELETE /shops/:shop/credentials": { ok: { 204: none("Disconnected") }, errors: [422] },
  "GET /shops/:shop/return-address": {
    ok: { 200: json("The shop's return address (null: none set)", Nullable(ref(ReturnAddress))) },
    errors: [422],
  },
  "PUT /shops/:shop/return-address": { ok: { 200: json("Saved", ref(ReturnAddress)) }, errors: [422] },
  "GET /shops/:shop/sync": {
    ok: { 200: json("Each sync stream's progress and the requests that failed", SyncStatus) },
    errors: [422],
  },
  "POST /shops/:shop/sync": {
    ok: {
      200: json(
        "The pass ran (what failed is in the streams' lastError); where the sync now stands",
        SyncStatus,
      ),
    },
    errors: [422],
  },

  // Refunds and finance
  "GET /refunds": {
    ok: {
      200: json(
        "One page of refund legs and how many match",
        Obj({ total: Int, items: Type.Array(RefundRow) }),
      ),
    },
  },
  "POST /refunds/:id/offline-settlement": {
    ok: { 200: json("Settled with its reference", ref(RefundAttempt)) },
    errors: [409],
  },
  "POST /refunds/:id/switch-to-offline": {
    ok: { 200: json("Granted again over the offline tender", Granted) },
    errors: [409, 422, 503],
  },
  "GET /finance/report": {
    ok: {
      200: {
        description: "The report: JSON, or a CSV or XLSX download (`format`)",
        schema: FinanceReport,
        media: { [CSV]: Rows, [XLSX]: Type.String({ format: "binary" }) },
      },
    },
  },
  "GET /finance/ledger": {
    ok: {
      200: json(
        "Entries, newest first; `next` goes back as `before` for the next page (null: the last)",
        Obj({ entries: Type.Array(LedgerEntry), next: Nullable(Int) }),
      ),
    },
  },

  // Analytics
  "GET /analytics/refund-rates": { ok: { 200: report("Refund rates, worst first", RefundRates) } },
  "GET /analytics/reasons": {
    ok: {
      200: report(
        "Cases by reason",
        Obj({
          cases: Int,
          rows: Type.Array(Obj({ reason: Enum(REASON_CODES), cases: Int, share: Nullable(Num) })),
        }),
      ),
    },
  },
  "GET /analytics/automation": {
    ok: {
      200: report(
        "The share of decisions rules made, and of those the share nobody overrode (agreement)",
        Obj({ ...DecisionCounts, months: Type.Array(Obj({ month: Str, ...DecisionCounts })) }),
      ),
    },
  },
  "GET /analytics/stage-times": {
    ok: {
      200: report(
        "Hours cases spend in each state, over the months and month by month (trend)",
        Obj({
          stages: Type.Array(
            Obj({
              stage: Str,
              zh: Type.Optional(Str),
              en: Type.Optional(Str),
              ...StageHours,
            }),
          ),
          trend: Type.Array(Obj({ month: Str, stage: Str, ...StageHours })),
        }),
      ),
    },
  },
  "GET /analytics/refund-trend": {
    ok: {
      200: report(
        "Refund rate month by month per subject, and the quality scan's jumps",
        Obj({
          by: Enum(["category", "sku", "shop"]),
          months: Strs,
          series: Type.Array(
            Obj({
              key: Str,
              soldQty: Int,
              refundedQty: Int,
              points: Type.Array(Obj({ month: Str, soldQty: Int, refundedQty: Int, rate: Nullable(Num) })),
            }),
          ),
          spikes: Type.Array(
            Obj({
              alertId: Int,
              kind: Enum(["sku_quality", "category_quality"]),
              key: Str,
              subject: Str,
              shop: Str,
              month: Str,
              severity: Str,
              reason: Label,
              recentRate: Nullable(Num),
              baselineRate: Nullable(Num),
            }),
          ),
        }),
      ),
    },
  },
  "GET /analytics/costs": {
    ok: {
      200: report(
        "After-sales cost by month and kind, and each kind's total",
        Obj({
          rows: Type.Array(
            Obj({ month: Str, kind: Enum(LEDGER_KINDS), currency: Str, amount: M, entries: Int }),
          ),
          totals: Type.Array(Obj({ kind: Enum(LEDGER_KINDS), currency: Str, amount: M, entries: Int })),
        }),
      ),
    },
  },
  "POST /analytics/rebuild": { ok: { 204: none("Rebuilt") } },

  // Receiving and inspection
  "GET /receiving/candidates": {
    ok: {
      200: json(
        "The cases the code may belong to, most likely first",
        Obj({
          matchedBy: Enum(SCAN_KINDS),
          candidates: Type.Array(Candidate),
          parcelKnown: Bool,
          parcelCases: Ids,
        }),
      ),
    },
  },
  "POST /receiving/scan": {
    ok: {
      201: json("Received into a case, or recorded as an unidentified parcel", ScanResult),
      200: json("Several cases match (choose one), or the scan's key was seen already", ScanResult),
    },
    errors: [404, 409, 422],
  },
  "POST /receiving/receive": {
    ok: { 201: json("Received", ScanReceived), 200: json("The key was received already", ScanReceived) },
    errors: [404, 409, 422],
  },
  "POST /receiving/batch": {
    ok: {
      200: json(
        "Each scan's own answer",
        Obj({
          ok: Int,
          failed: Int,
          results: Type.Array(
            Obj({
              index: Int,
              ok: Bool,
              result: Type.Optional(ScanResult),
              error: Type.Optional(
                Obj({ code: Str, message: Str, details: Type.Optional(Dict(Type.Unknown())) }),
              ),
            }),
          ),
        }),
      ),
    },
  },
  "POST /unidentified-parcels": {
    ok: {
      201: json("Recorded", Obj({ id: Int, replayed: Bool })),
      200: json("The key was recorded already", Obj({ id: Int, replayed: Bool })),
    },
    errors: [404],
  },
  "GET /unidentified-parcels": {
    ok: {
      200: json(
        "Unidentified parcels (无头件), newest first",
        Page(
          Obj({
            id: Int,
            status: Enum(["open", "matched"]),
            scanned: Str,
            trackingNo: Nullable(Str),
            carrier: Nullable(Str),
            warehouse: Nullable(Str),
            contents: Nullable(Str),
            photos: Strs,
            note: Nullable(Str),
            receivedBy: Str,
            receivedAt: Time,
            caseId: Nullable(Int),
            receiptId: Nullable(Int),
            matchedBy: Nullable(Str),
            matchedAt: Nullable(Time),
          }),
        ),
      ),
    },
  },
  "POST /unidentified-parcels/:id/match": {
    ok: {
      200: json(
        "Matched: the case received it",
        Obj({ status: CaseStatus, version: Int, ...receipt, parcelId: Int }),
      ),
    },
    errors: [409, 422],
  },
  "GET /cases/:id/receipt-lines": {
    ok: {
      200: json(
        "What arrived for the case and what QC found",
        Obj({
          lines: Type.Array(
            Obj({
              id: Int,
              receiptId: Int,
              lineId: Int,
              sku: Str,
              title: Nullable(Type.String({ description: "The order line's item name" })),
              quantity: Int,
              condition: Enum(CONDITIONS),
              photos: Strs,
              stocked: Type.Boolean({ description: "The units went into stock (quarantine)" }),
              qualityHold: Bool,
              inspected: Type.Integer({ description: "Units inspected so far" }),
              warehouse: Nullable(Str),
              receivedAt: Time,
            }),
          ),
          currency: Str,
          inspections: Type.Array(
            Obj({
              id: Int,
              receiptLineId: Int,
              quantity: Int,
              result: Enum(["pass", "fail"]),
              disposition: Enum(DISPOSITIONS),
              finding: Nullable(Enum(FINDING_CODES)),
              deduction: Nullable(M),
              note: Nullable(Str),
              inspectedBy: Str,
              inspectedAt: Time,
            }),
          ),
        }),
      ),
    },
  },
  "POST /cases/:id/inspections/quote": {
    ok: {
      200: json(
        "What the inspection would record and QC's advice after it; nothing is saved",
        Obj({
          caseId: Int,
          lines: Type.Array(
            Obj({
              receiptLineId: Int,
              quantity: Int,
              result: Enum(["pass", "fail"]),
              disposition: Enum(DISPOSITIONS),
              finding: Enum(FINDING_CODES),
              deduction: M,
            }),
          ),
          ...qcAdviceFields,
        }),
      ),
    },
    errors: [422],
  },
  "POST /cases/:id/inspections": { ok: { 200: json("Inspected", Inspected) }, errors: [409, 422] },
  "GET /cases/:id/refund-recommendation": {
    ok: {
      200: json(
        "QC's advice, and whether the refund is granted yet",
        Obj({
          caseId: Int,
          status: CaseStatus,
          inspected: Bool,
          refundGranted: Bool,
          ...qcAdviceFields,
        }),
      ),
    },
  },
  "POST /cases/:id/grant-recommended-refund": {
    ok: {
      200: json(
        "Granted with QC's deductions and sent",
        Obj({
          ...step,
          currency: Str,
          deductions: Type.Array(ref(Deduction)),
          refunds: Type.Array(Nullable(ref(RefundAttempt))),
        }),
      ),
    },
    errors: [409, 422, 503],
  },

  // Inventory
  "GET /inventory": {
    ok: {
      200: json(
        "Stock per SKU and warehouse",
        Page(
          Obj({
            warehouse: Str,
            sku: Str,
            sellable: Int,
            quarantine: Int,
            defective: Int,
            scrapped: Int,
            returnedToVendor: Int,
            allowBackorder: Bool,
            backorderSetFor: Enum(["warehouse", "sku"]),
            updatedAt: Time,
          }),
          Str,
        ),
      ),
    },
  },
  "GET /inventory/movements": {
    ok: {
      200: json(
        "The inventory ledger, newest first",
        Page(
          Obj({
            id: Int,
            source: Obj({ kind: Enum(SOURCE_KINDS), key: Str }),
            warehouse: Str,
            sku: Str,
            change: Obj({
              sellable: Int,
              quarantine: Int,
              defective: Int,
              scrapped: Int,
              returnedToVendor: Int,
            }),
            caseId: Nullable(Int),
            actor: Nullable(Str),
            note: Nullable(Str),
            at: Time,
          }),
        ),
      ),
    },
  },
  "POST /inventory/adjustments": {
    ok: {
      201: json("Applied", Obj({ warehouse: Str, sku: Str, applied: Bool })),
      200: json("This document's key was applied already", Obj({ warehouse: Str, sku: Str, applied: Bool })),
    },
    errors: [404, 409, 422],
  },
  "PUT /inventory/backorder": {
    ok: { 200: json("Saved", Obj({ warehouse: Str, sku: Str, allowBackorder: Nullable(Bool) })) },
    errors: [404],
  },
  "GET /warehouses": { ok: { 200: json("Warehouses", List(ref(Warehouse))) } },
  "POST /warehouses": { ok: { 201: json("Created", ref(Warehouse)) }, errors: [409] },
  "PATCH /warehouses/:id": { ok: { 200: json("Saved", ref(Warehouse)) } },

  // Reconciliation
  "GET /reconciliations": { ok: { 200: json("Reports, newest day first", Page(ref(Reconciliation))) } },
  "GET /reconciliations/:id": { ok: { 200: json("The report with its items", ref(ReconciliationReport)) } },
  "POST /reconciliations": {
    ok: { 201: json("Reconciled: the report with its problem items", ref(ReconciliationReport)) },
    errors: [409, 422, 502],
  },
  "POST /reconciliations/:id/resolve": {
    ok: { 200: json("Marked resolved", ref(ReconciliationResolution)) },
    errors: [404, 409, 422],
  },
  "POST /reconciliations/:id/reopen": {
    ok: { 204: none("Open again") },
    errors: [404, 409],
  },

  // Imports
  "POST /imports": {
    ok: {
      202: json("Accepted: follow the job (Location)", JobAnswer),
      200: json("This file was imported already", JobAnswer),
    },
    errors: [409, 422],
  },
  "POST /imports/preview": {
    ok: {
      200: json(
        "The header, the first rows and the presets to map from",
        Obj({
          format: Enum(["csv", "xlsx"]),
          header: Strs,
          sample: Type.Array(Strs),
          preset: Obj({ name: Str, matches: Bool }),
          presets: Type.Array(
            Obj({ name: Str, columns: Dict(Str, "field → column header"), currency: Nullable(Str) }),
          ),
          fields: Type.Array(Obj({ name: Str, required: Bool })),
        }),
      ),
    },
    errors: [413, 415, 422],
  },
  "GET /imports": {
    ok: {
      200: json(
        "Imports, newest first, and how many there are",
        Obj({
          items: Type.Array(Job),
          nextCursor: Nullable(Int),
          total: Type.Integer({ description: "Imports of these shops, all pages" }),
        }),
      ),
    },
  },
  "GET /imports/:id": { ok: { 200: json("The import", Job) } },
  "POST /imports/:id/stop": { ok: { 202: json("Stopping after the batch in flight", Job) }, errors: [409] },
  "GET /imports/:id/rejects": {
    ok: { 200: { description: "The rejected rows as CSV", media: { [CSV]: Rows } } },
  },

  // Live changes (server-sent events)
  "GET /events": {
    ok: {
      200: {
        description:
          "An endless stream of server-sent events (`event: change`, JSON `data`) until either side ends it",
        media: { "text/event-stream": Type.String({ description: "text/event-stream" }) },
      },
    },
  },

  // Callbacks from the channels (no token: each checks the channel's own signature)
  "POST /callbacks/payments/:channel": {
    ok: {
      200: {
        description: "Acknowledged, in the channel's own form (WeChat Pay: JSON; Alipay: the text success)",
        schema: Obj({ code: Str, message: Str }),
        media: { "text/plain": Type.String({ enum: ["success"] }) },
      },
    },
    errors: [400, 401, 413, 415, 429],
  },
  "POST /callbacks/platforms/:shop": {
    ok: { 200: json("Acknowledged", Obj({ success: Bool, status: Enum(["applied", "duplicate"]) })) },
    errors: [400, 401, 409, 413, 415, 422, 429, 503],
  },
  "POST /callbacks/logistics/:provider": {
    ok: {
      200: json("Acknowledged (Kuaidi100's form)", Obj({ result: Bool, returnCode: Str, message: Str })),
    },
    errors: [400, 401, 409, 413, 415, 429],
  },
};

const PROBLEMS: Record<number, string> = {
  400: "Refused: a field, filter or value is wrong (VALIDATION_ERROR, UNKNOWN_FIELD, INVALID_TEXT, …)",
  401: "No token or session, an unknown or revoked token, a session that ended (UNAUTHENTICATED); a failed sign-in (SIGN_IN_FAILED); for a callback, a bad signature",
  403: "The role lacks the permission, or its shops do not reach this (FORBIDDEN, ALL_SHOPS_REQUIRED, …); a write with the session cookie but without its CSRF token (CSRF_TOKEN_INVALID)",
  404: "Not found — or not in the token's shops",
  409: "In conflict with the current state (INVALID_TRANSITION, VERSION_CONFLICT, …): reload and decide again",
  413: "The body is too large (BODY_TOO_LARGE, FILE_TOO_LARGE_UNCOMPRESSED)",
  415: "The content type is not one this operation takes",
  422: "Understood, but refused by a business rule: caps, guards, settings that do not hold",
  423: "The account is locked after too many failed sign-ins (ACCOUNT_LOCKED; details.until)",
  429: "Too many failed authentications (or callbacks) from this address (RATE_LIMITED)",
  502: "A channel answered with something we cannot use",
  503: "Something it needs is not available now; try again",
};

const problem = (status: number) => ({
  description: PROBLEMS[status] ?? "A problem",
  content: { "application/problem+json": { schema: ref(Problem) } },
});

function answer(a: Answer) {
  if (!a.schema && !a.media) return { description: a.description, type: "null" };
  return {
    description: a.description,
    content: {
      ...(a.schema ? { "application/json": { schema: a.schema } } : {}),
      ...Object.fromEntries(Object.entries(a.media ?? {}).map(([type, schema]) => [type, { schema }])),
    },
  };
}

/** The component schemas, once, for every route's references (and the document's components). */
export function addSharedSchemas(app: { addSchema(schema: unknown): unknown }) {
  for (const s of SHARED_SCHEMAS) app.addSchema(s);
}

/**
 * onRoute: the operation's responses from OPERATIONS, with the problems every route can give — an
 * authenticated one 400, 401, 429 and 403 (unless anyone may call it and it only reads: a write with
 * the session cookie may lack its CSRF token); one that takes a body 413
 * and 415; one with an id in its path 404.
 */
export function declareResponses(route: RouteOptions) {
  route.schema ??= {};
  const schema = route.schema as Record<string, unknown>;
  if (schema.response) return;
  const path = route.url.replace(/^\/api\/v1/, "");
  const method = [route.method].flat()[0] as string;
  const declared = OPERATIONS[`${method} ${path}`];
  if (!declared) return;
  const authenticated = route.config?.permission !== undefined;
  const statuses = new Set(declared.errors ?? []);
  const write = method !== "GET" && method !== "HEAD";
  if (authenticated) {
    for (const s of [400, 401, 429]) statuses.add(s);
    // A write with the session cookie may also lack its CSRF token.
    if (route.config?.permission !== "any" || route.config?.allShops || write) statuses.add(403);
  }
  if (write) {
    statuses.add(413);
    statuses.add(415);
  }
  if (path.includes(":")) statuses.add(404);
  schema.response = {
    ...Object.fromEntries(Object.entries(declared.ok).map(([s, a]) => [s, answer(a)])),
    ...Object.fromEntries([...statuses].sort().map((s) => [s, problem(s)])),
  };
}

import { CASE_STATES } from "../lifecycle.ts";
import type { Details, Messages } from "./types.ts";

/** English: what the throw sites say, written for the merchant's staff rather than the developer. */

const CHANNELS: Record<string, string> = {
  taobao: "Taobao",
  tmall: "Tmall",
  jd: "JD",
  pdd: "Pinduoduo",
  douyin: "Douyin",
  wechat_channels: "WeChat Channels",
  shopify: "Shopify",
  manual: "manual entry",
  wechat_pay: "WeChat Pay",
  alipay: "Alipay",
  platform: "the platform",
  card: "card",
  bank_transfer: "bank transfer",
  wallet: "wallet",
  coupon: "coupon",
  points: "points",
};

const ACTIONS: Record<string, string> = {
  approve: "approve",
  reject: "reject",
  cancel: "cancel",
  ship_return: "record the return shipment",
  receive: "receive goods",
  inspect: "inspect",
  grant_refund: "refund",
  refund_succeeded: "record a refund success",
  refund_failed: "record a refund failure",
  ship_replacement: "ship a replacement",
  close: "close",
  reopen: "reopen",
  revoke: "revoke the approval",
};

const ROLES: Record<string, string> = {
  admin: "admin",
  cs_agent: "customer service",
  reviewer: "reviewer",
  supervisor: "supervisor",
  warehouse: "warehouse",
  finance: "finance",
};

const PERMISSIONS: Record<string, string> = {
  "shops.write": "manage shops",
  "tokens.write": "manage API tokens",
  "orders.read": "read orders",
  "orders.write": "enter orders",
  "cases.read": "read cases",
  "cases.create": "open cases",
  quotes: "quote refunds",
  "case.approve": "approve cases",
  "case.reject": "reject cases",
  "case.cancel": "cancel cases",
  "case.ship_return": "record return shipments",
  "case.receive": "receive returns",
  "case.inspect": "inspect returns",
  "case.grant_refund": "grant refunds",
  "case.issue_refund": "send refunds",
  "case.ship_replacement": "ship replacements",
  "case.close": "close cases",
  "case.override": "override rule decisions",
  "rules.read": "read rules",
  "rules.write": "edit rules",
  "rules.activate": "activate rule sets",
  "alerts.read": "read alerts",
  "alerts.ack": "acknowledge alerts",
  "settings.write": "change settings",
  "tracking.write": "record tracking",
  "case.compensate": "compensate customers",
  "finance.read": "read finance",
  "reconciliations.read": "read reconciliation reports",
  "reconciliations.run": "reconcile payment channels",
  "inventory.read": "read stock",
  "inventory.write": "adjust stock",
  "audit.read": "read the audit log",
  "imports.write": "import orders",
  "tokens.read": "read API tokens",
  "users.write": "manage console accounts",
  "case.claim": "take cases as their own",
  "case.assign": "assign cases",
  "webhooks.read": "read webhook subscriptions and deliveries",
  "webhooks.write": "manage webhook subscriptions",
};

const GUARDS: Record<string, string> = {
  has_tracking: "a carrier and a tracking number are required",
  all_received: "not every unit has been received",
  some_outstanding: "every unit has been received",
  qc_pass: "QC did not pass",
  qc_fail: "QC passed",
  positive_refund: "nothing is left to refund",
  has_note: "a reason is required",
};

const STATES: Record<string, string> = Object.fromEntries(
  Object.entries(CASE_STATES).map(([k, v]) => [k, v.en]),
);

const BUCKETS: Record<string, string> = {
  sellable: "sellable",
  quarantine: "quarantined",
  defective: "defective",
  scrapped: "scrapped",
  returned_to_vendor: "returned-to-vendor",
  reserved: "reserved",
};

const settingsProblems = (what: string) => (d: Details) => {
  const errors = Array.isArray(d.errors) ? (d.errors as { path?: unknown }[]) : [];
  const paths = errors.map((e) => String(e.path ?? "")).filter(Boolean);
  return paths.length
    ? `The ${what} have ${errors.length} problem${errors.length === 1 ? "" : "s"}: ${paths.join(", ")}`
    : `The ${what} are not valid`;
};

const usage: Record<string, (say: (k: string) => string) => string> = {
  needs_value: (say) => `${say("option")} needs a value`,
  takes_no_value: (say) => `${say("option")} takes no value`,
  unknown_command: (say) => `There is no command "${say("command")}"`,
  unknown_option: (say) => `There is no option ${say("option")}`,
  one_file: () => "Give one file to import",
  positive_integer: (say) => `${say("option")} must be a positive whole number, got "${say("value")}"`,
  integer: (say) => `${say("option")} must be a whole number, got "${say("value")}"`,
  port: (say) => `The port must be a number from 0 to 65535, got "${say("value")}"`,
  unexpected: (say) => `Unexpected "${say("value")}"`,
  one_of: (say) => `${say("option")} is one of ${say("allowed")}`,
  needs_option: (say) => `${say("option")} needs ${say("needs")}`,
  either_or: (say) => `Give either ${say("options")}, not both`,
  needs_args: (say) => `${say("command")} needs ${say("args")}`,
  takes_args: (say) => `${say("command")} takes ${say("args") || "no arguments"}, got "${say("value")}"`,
  not_applicable: (say) => `${say("option")} does not apply to ${say("command")}`,
  no_bill_channel: () => "No payment channel can fetch bills here; give the bill with --file",
  alerts_usage: () =>
    "Usage: aftersales alerts scan (raise quality alerts for SKUs and categories whose refund rate jumped)",
};

export const en: Messages = {
  listSeparator: ", ",
  terms: {
    channel: CHANNELS,
    channels: CHANNELS,
    platform: CHANNELS,
    tender: CHANNELS,
    state: STATES,
    action: ACTIONS,
    allowed: ACTIONS,
    role: ROLES,
    grantable: ROLES,
    permission: PERMISSIONS,
    guard: GUARDS,
    bucket: BUCKETS,
    decision: { approve: "approve", reject: "reject" },
    part: { name: "recipient", phone: "phone number", address: "street address" },
  },
  titles: {
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Content too large",
    414: "URI too long",
    415: "Unsupported media type",
    422: "Unprocessable",
    423: "Locked",
    429: "Too many requests",
    500: "Internal error",
    502: "Bad gateway",
    503: "Service unavailable",
  },
  validation: {
    keywords: {
      required: "Missing {field}",
      type: "The {field} must be {type}",
      enum: "The {field} must be one of: {values}",
      const: "The {field} must be {values}",
      additionalProperties: "Unknown {field}: this operation does not take it",
      minimum: "The {field} must be at least {limit}",
      maximum: "The {field} must be at most {limit}",
      exclusiveMinimum: "The {field} must be more than {limit}",
      exclusiveMaximum: "The {field} must be less than {limit}",
      minLength: ["The {field} must be at least {limit} characters", "The {field} must not be empty"],
      maxLength: "The {field} must be at most {limit} characters",
      minItems: "The {field} needs at least {limit} items",
      maxItems: "The {field} takes at most {limit} items",
      uniqueItems: "The {field} has duplicate items",
      pattern: "The {field} is not in the expected format",
      format: "The {field} is not a valid {format}",
      multipleOf: "The {field} must be a multiple of {limit}",
      minProperties: "The {field} must not be empty",
      text: "The {field} must not contain NUL characters or unpaired surrogates",
    },
    other: "The {field} is not valid",
    types: {
      string: "a string",
      integer: "an integer",
      number: "a number",
      boolean: "true or false",
      array: "a list",
      object: "an object",
      null: "null",
    },
    or: " or ",
    where: { body: "field ", querystring: "query parameter ", params: "path parameter ", headers: "header " },
    whole: { body: "request body", querystring: "query", params: "path", headers: "headers" },
  },
  errors: {
    // Requests and permissions
    BAD_REQUEST: "The request is malformed",
    VALIDATION_ERROR: "The request is not valid",
    UNKNOWN_FIELD: ["Unknown field {field}", "The request has a field this operation does not take"],
    INTERNAL: "Something went wrong on our side; nothing was lost, try again",
    NOT_FOUND: "Not found",
    UNAUTHENTICATED: (d) =>
      d.reason === "missing"
        ? "Sign in, or send an API token: Authorization: Bearer <token>"
        : d.reason === "unknown"
          ? "Unknown or revoked API token"
          : d.reason === "session_ended"
            ? "Your session has ended; sign in again"
            : "Not authenticated; sign in or send a valid API token",
    FORBIDDEN: ["The {role} role may not {permission}", "You may not do this"],
    SHOP_FORBIDDEN: ["This token may not act on shop {shop}", "This token may not act on this shop"],
    ROUTE_NOT_FOUND: "There is no such endpoint; check the method and the path",
    INVALID_JSON: "The request body is not valid JSON",
    BODY_TOO_LARGE: "The request body is too large",
    URL_TOO_LONG: "The request URL is too long",
    UNSUPPORTED_MEDIA_TYPE: "This content type is not supported",
    VALUE_OUT_OF_RANGE: "A number is out of the range allowed",
    INVALID_TEXT: "Text must not contain NUL characters or unpaired surrogates",
    RATE_LIMITED: [
      "Too many requests; try again in {retryAfterSeconds} s",
      "Too many requests; try again later",
    ],
    ALL_SHOPS_REQUIRED:
      "This changes what every shop shares; it needs a token that is not limited to some shops",
    TOKEN_NOT_FOUND: ["Token {tokenId} does not exist", "No such token"],
    WEBHOOK_NOT_FOUND: ["Webhook endpoint {endpointId} does not exist", "No such webhook endpoint"],
    WEBHOOK_DELIVERY_NOT_FOUND: ["Webhook delivery {deliveryId} does not exist", "No such webhook delivery"],
    WEBHOOK_URL_INVALID: "A webhook URL is an http:// or https:// address of at most 2000 characters",
    WEBHOOK_EVENT_TYPE_UNKNOWN: ["Unknown event types: {unknown} (known: {known})", "Unknown event type"],
    WEBHOOK_SHOPS_EMPTY:
      "A webhook endpoint limited to no shop would hear of nothing; name at least one shop",
    WEBHOOK_SHOPS_FORBIDDEN: "You may only point webhooks at your own shops' events",
    WEBHOOK_ENDPOINT_DISABLED: [
      "Webhook endpoint {endpointId} is disabled ({reason}); enable it first",
      "The webhook endpoint is disabled; enable it first",
    ],
    CSRF_TOKEN_INVALID:
      "This change needs the session's CSRF token in the x-csrf-token header; reload the page and try again",
    SIGN_IN_FAILED: "Wrong login or password",
    ACCOUNT_LOCKED: [
      "Too many failed sign-ins: the account is locked until {until}",
      "Too many failed sign-ins: the account is locked for now; try again later",
    ],
    NO_SESSION: "No one is signed in to the console with this request (it carries an API token)",
    USER_NOT_FOUND: ["User {userId} does not exist", "No such user"],
    USER_EXISTS: ["The login {login} is taken", "This login is taken"],
    USER_ROLE_FORBIDDEN: [
      "You may not grant the {role} role (you may grant: {grantable})",
      "You may not change the account of a {role}",
      "You may not grant or change this role",
    ],
    USER_SHOPS_FORBIDDEN: (d, say) =>
      d.shops === null
        ? "You are limited to some shops and may not give an account every shop"
        : d.yours
          ? `You may only give accounts your own shops (${say("yours")})`
          : "You may only give accounts your own shops",
    USER_SHOPS_EMPTY: "An account limited to no shop could see nothing; name at least one shop",
    USER_NAME_INVALID: "A person's name is 1 to 100 characters",
    LOGIN_INVALID:
      "A login is 1 to 64 characters: letters, digits and . _ @ -, starting with a letter or digit",
    PASSWORD_TOO_SHORT: ["A password is at least {min} characters", "The password is too short"],
    PASSWORD_INCORRECT: "The current password is not right",
    OWN_ACCOUNT_PROTECTED: "You may not disable your own account or change your own role or shops",
    TOKEN_NAME_INVALID: "A token's name is 1 to 100 characters",
    TOKEN_ROLE_FORBIDDEN: [
      "You may not grant the {role} role (you may grant: {grantable})",
      "You may not revoke a {role} token",
      "You may not grant or revoke this role",
    ],
    TOKEN_SHOPS_EMPTY: "A token limited to no shop could see nothing; name at least one shop",
    TOKEN_SHOPS_FORBIDDEN: (d, say) =>
      d.shops === null
        ? "You are limited to some shops and may not create a token for every shop"
        : d.yours
          ? `You may only create tokens for your own shops (${say("yours")})`
          : "You may only create tokens for your own shops",
    CONFLICT: [
      "Shop {shop} already exists",
      "Something else changed this at the same time; reload and try again",
    ],

    // Money
    INVALID_AMOUNT: [
      '"{value}" is not an amount; send a decimal string such as "19.90"',
      "The amount must be more than zero, got {amount}",
      "The legs add up to {legs}, not to the refund {parts}",
      "The amount is not valid",
    ],
    NEGATIVE_AMOUNT: ["The amount must not be negative: {value}", "The amount must not be negative"],
    AMOUNT_PRECISION: [
      "The amount {value} has too many decimals: {currency} allows {digits}",
      "The amount has too many decimals",
    ],
    UNKNOWN_CURRENCY: ['Unknown currency "{currency}"', "Unknown currency"],
    PRORATE_BAD_WEIGHT: "Weights must be non-negative integers",
    PRORATE_NO_WEIGHTS: "Cannot split a non-zero amount over nothing",

    // Orders
    ORDER_NOT_FOUND: [
      "Order {orderId} does not exist",
      "Order {externalOrderId} does not exist",
      "The platform does not know order {orderExternalId}",
      "No such order",
    ],
    ORDER_NO_LINES: "An order needs at least one line",
    ORDER_LOCKED: "This order has after-sales cases; its lines and amounts can no longer change",
    ORDER_CURRENCY_CHANGED: "An order's currency cannot change",
    DISCOUNT_EXCEEDS_PRICE: [
      "Line {line}: the discount exceeds its price",
      "Discounts exceed the price of the goods",
    ],
    LINE_PAID_EXCEEDS_PRICE: [
      "Line {line}: the paid amount exceeds its price after discounts",
      "A line's paid amount exceeds its price after discounts",
    ],
    PAYMENT_MISMATCH: [
      "The payments add up to {payments}, not to the order's paid total {paidTotal}",
      "The payments do not add up to the order's paid total",
    ],
    DUPLICATE_LINE: ["Line {lineId} appears twice", "A line appears twice"],
    UNKNOWN_LINE: ["Line {lineId} is not on this order", "That line is not on this order"],
    INVALID_QUANTITY: [
      "Line {line}: the quantity must be a positive integer",
      "The quantity of line {lineId} must be a positive integer",
      "Quantities must be positive integers",
    ],
    INVALID_STATUS: ['Unknown logistics status "{status}"', "Unknown logistics status"],
    SHOP_NOT_FOUND: ["Shop {shop} does not exist", "No such shop"],

    // Cases
    CASE_NOT_FOUND: ["Case {caseId} does not exist", "No such case"],
    INVALID_CASE_TYPE: [
      'Unknown case type "{type}"; it is refund_only, return_refund, exchange or reship',
      "Unknown case type",
    ],
    INVALID_REASON: ['Unknown reason "{reason}"; known: {known}', "Unknown reason"],
    INVALID_SOURCE: ['Unknown source "{source}"; known: {known}', "Unknown source"],
    NO_ITEMS: "Choose at least one item",
    NOT_SHIPPED: "Nothing was shipped yet, so nothing can be returned; ask for a refund instead",
    QUANTITY_EXCEEDS_RETURNABLE: [
      "Only {claimable} of line {lineId} can still be claimed; {requested} were asked for",
      "More was asked for than can still be claimed",
    ],
    INVALID_TRANSITION: (d, say) => {
      const now = d.state ? `The case is “${say("state")}”; ` : "";
      const can =
        Array.isArray(d.allowed) && d.allowed.length
          ? ` (it can: ${say("allowed")})`
          : " (nothing more can be done with it)";
      return d.action
        ? `${now}it cannot ${say("action")}${d.state ? can : ""}`
        : "The case's state does not allow this";
    },
    GUARD_FAILED: ["Cannot {action}: {guard}", "The case does not meet the conditions for this"],
    VERSION_CONFLICT: [
      "{changedBy} changed the case since you loaded it (it is at version {currentVersion} now); reload and try again",
      "The case changed since you loaded it; reload and try again",
    ],

    // Ownership, the queue, views, batches
    USER_REQUIRED: "Only a person signed in with a user account can own a case; an API token cannot",
    ALREADY_OWNER: ["The case is {ownerName}'s already", "The case already has this owner"],
    CASE_OWNED: [
      "Someone else works on this case ({ownerName}); they or a supervisor can hand it over",
      "Someone else works on this case",
    ],
    NO_OWNER: "Nobody owns this case",
    NOT_YOUR_CASE: [
      "The case is {ownerName}'s; only they or someone who may assign cases can let it go",
      "The case is someone else's",
    ],
    ASSIGNEE_INVALID: (d) =>
      d.reason === "disabled"
        ? "That person's account is disabled"
        : d.reason === "shop"
          ? `That person does not see shop ${d.shop ?? "of this case"}`
          : d.reason === "missing"
            ? "Say whom to give the cases to (userId)"
            : "No such person",
    CASE_CLOSED: "The case has ended; its owner no longer changes",
    INVALID_FILTER: ['"{value}" is not a {field} to filter by', "A filter value is not valid"],
    VIEW_NOT_FOUND: ["View {viewId} does not exist", "No such view"],
    VIEW_NAME_REQUIRED: "A view needs a name",
    VIEW_BUILT_IN: [
      "{viewId} is a built-in view; save a view of your own instead",
      "Built-in views cannot be changed",
    ],
    BATCH_TARGET_INVALID: "Send either ids, or a filter with expectedCount (the count you saw) — not both",
    BATCH_COUNT_CHANGED: [
      "The filter matches {actual} cases now, not {expected}; look again before acting on them",
      "The cases the filter matches changed; look again before acting on them",
    ],
    BATCH_TOO_LARGE: [
      "The filter matches {count} cases; a batch acts on at most {max}",
      "Too many cases for one batch",
    ],
    VERSION_REQUIRED: "Say which version of the case you are compensating (expectedVersion)",
    INVALID_DECISION: [
      'A decision is "approve" or "reject", not "{decision}"',
      'A decision is "approve" or "reject"',
    ],
    NOTE_REQUIRED: "Say why the rule's decision is overridden",
    NOTHING_TO_OVERRIDE:
      "Only a rule's decision can be overridden, and only before anything else happened to the case",
    OVERRIDE_SAME_DECISION: [
      "The rule already decided to {decision}; there is nothing to override",
      "The rule already decided so; there is nothing to override",
    ],
    SECOND_APPROVER_REQUIRED: "You gave the first approval; a different person must give the second",
    INVALID_COMPENSATION: ["Compensation is one of {known}", "Unknown compensation type"],

    // Refunds
    REFUND_NOT_FOUND: ["Refund {refundId} does not exist", "No such refund"],
    REFUND_ABOVE_CAP: [
      "The refund {requested} is above the cap {cap}",
      "The failed part of line {lineId} has since been refunded by another case",
      "The refund is above what may be refunded",
    ],
    DEDUCTIONS_EXCEED_REFUND: [
      "The deductions {deductions} exceed the refundable {cap}",
      "The deductions exceed the refundable {cap}",
      "The deductions exceed the refundable amount",
    ],
    QUANTITY_EXCEEDS_REFUNDABLE: [
      "Only {refundable} of line {lineId} can still be refunded",
      "More was asked for than can still be refunded",
    ],
    REFUND_EXCEEDS_PAYMENT: [
      "The refund {refund} is larger than what the order's payments have left ({refundable})",
      "The refund is larger than what the order's payments have left",
    ],
    REFUND_ALREADY_REPLACED: [
      "Refund {refundId} was already sent again or switched",
      "This refund was already sent again or switched",
    ],
    REFUND_NOT_FAILED: [
      "Refund {refundId} is {status}: only a refund its channel refused for good can go another way",
      "Only a refund its channel refused for good can go another way",
    ],
    NOT_AN_OFFLINE_TENDER: [
      '"{tender}" is not a tender finance pays out by hand',
      "That is not a tender finance pays out by hand",
    ],
    SHIPPING_EXCEEDS_REFUNDABLE: [
      "Only {refundable} of shipping is left to refund; {requested} was asked for",
      "The shipping to refund exceeds what is left of it",
    ],
    REFUND_PARTLY_PAID: "Part of this refund was already paid back; only its failed part can be sent again",
    REFUND_ALREADY_SETTLED: ["Refund {refundId} is already {status}", "This refund is already settled"],
    NOTHING_TO_SEND: "This case has no refund waiting to be sent",
    CHANNEL_UNAVAILABLE:
      "The payment channel did not answer clearly; the refund is asked about again before it is ever sent again",
    NOT_AN_OFFLINE_REFUND: [
      "Refund {refundId} goes back through {channel}; the channel settles it, not a person",
      "This refund goes back through its payment channel; the channel settles it, not a person",
    ],
    REFERENCE_REQUIRED: "Give the bank transfer's (or wallet's) reference",
    INVALID_TENDER_ORDER: [
      "Unknown tender: {unknown}",
      "A tender appears twice in the order: {order}",
      "The tender order is a non-empty list of tenders: {tenders}",
      "The tender order is not valid",
    ],
    PARCEL_BEING_INTERCEPTED: (d) =>
      d.interception === "intercepted"
        ? "The parcel was intercepted and is on its way back; the refund goes out once it is back"
        : "The parcel is being intercepted; the refund goes out once the carrier has stopped it and it is back",
    REFUND_REFUSAL_RECOMMENDED: "Quality control recommends refusing this refund",
    PAYMENT_CHANNEL_NOT_CONFIGURED: [
      'No payment channel "{name}" is configured',
      "That payment channel is not configured",
    ],
    DEMO_REFUND_NOT_SENT: ["Demo refund {refundId} was not sent: {error}", "A demo refund was not sent"],

    // Returns, inspection, stock
    SCAN_REQUIRED: "Scan a tracking number or a barcode",
    TRACKING_REQUIRED: "A carrier and a tracking number are required",
    INVALID_CONDITION: ['Unknown condition "{condition}"', "Unknown condition"],
    INVALID_PHOTOS: "Photos are a list of references (URLs)",
    LINE_NOT_IN_CASE: ["Order line {lineId} is not part of this case", "That line is not part of this case"],
    RECEIPT_EXCEEDS_CASE: [
      "Only {outstanding} more units of line {lineId} are expected on this case",
      "Only {outstanding} more units are expected on this case",
      "More was received than the case expects",
    ],
    RECEIPT_KEY_REUSED: [
      "Key {key} already received goods for case {caseId}",
      "This key already received goods for another case",
    ],
    RECEIPT_LINE_NOT_FOUND: [
      "Receipt line {receiptLineId} is not part of this case",
      "That receipt line is not part of this case",
    ],
    PARCEL_NOT_FOUND: ["Unidentified parcel {parcelId} does not exist", "No such unidentified parcel"],
    PARCEL_ALREADY_MATCHED: ["The parcel was matched to case {caseId}", "The parcel was already matched"],
    PARCEL_ALREADY_RECEIVED: [
      "The return parcel {code} belongs to case {cases}, which expects nothing more (received already, or closed)",
      "The case this return parcel belongs to expects nothing more",
    ],
    NOTHING_TO_INSPECT: ["Name the receipt lines that were inspected", "Nothing awaits inspection"],
    NOTHING_TO_PASS: [
      "Receipt line {receiptLineId} holds nothing awaiting inspection",
      "Nothing awaits inspection",
    ],
    INSPECTION_EXCEEDS_RECEIPT: [
      "Only {pending} units of receipt line {receiptLineId} await inspection",
      "More was inspected than awaits inspection",
    ],
    INSPECTION_KEY_REUSED: [
      "Key {key} already inspected goods of another case",
      "This key already inspected goods of another case",
    ],
    INVALID_QC_RESULT: 'The QC result is "pass" or "fail"',
    INVALID_FINDING: ['Unknown QC finding "{finding}"', "Unknown QC finding"],
    INVALID_DISPOSITION: (d) =>
      d.result === "pass"
        ? "A unit that passes inspection becomes sellable"
        : d.result === "fail"
          ? "A failed unit is kept as defective, scrapped or returned to the vendor"
          : "Unknown disposition",
    INSUFFICIENT_STOCK: [
      "Only {sellable} of {sku} are sellable in {warehouse}; {needed} are needed",
      "Not enough sellable stock",
    ],
    NEGATIVE_STOCK: ["{sku} has only {available} {bucket} in {warehouse}", "Not enough stock"],
    INVALID_BUCKET: ['Unknown stock bucket "{bucket}"', "Unknown stock bucket"],
    INVALID_SKU: "Name the SKU",
    KEY_REQUIRED: "An adjustment is keyed by its document (count sheet, receipt) id",
    INVALID_WAREHOUSE: [
      'The warehouse code "{id}" is not valid: 1–40 letters, digits, "-", "_" or "."',
      "A warehouse has a name",
    ],
    WAREHOUSE_EXISTS: ["Warehouse {warehouse} already exists", "That warehouse already exists"],
    WAREHOUSE_NOT_FOUND: ["Warehouse {warehouse} does not exist", "No such warehouse"],
    INVALID_CURSOR: "The cursor is not one this API gave out",

    // Logistics
    TRACKING_NOT_FOUND: ["No parcel {carrier} {trackingNo} is known", "No such parcel is known"],
    TRACKING_NOT_CONFIGURED: "No parcel-tracking service is configured",
    TRACKING_SUBSCRIBE_REJECTED: [
      "The tracking service refused to follow this parcel ({code})",
      "The tracking service refused to follow this parcel",
    ],
    UNKNOWN_TRACKING_PROVIDER: ['No tracking service "{provider}" pushes here', "No such tracking service"],
    INVALID_TIME: ['"{at}" is not a time', "The time is not valid"],
    PUSH_MALFORMED: "The tracking push is malformed; it was not taken",
    SIGNATURE_MISSING: "The push is not signed; it was not taken",
    SIGNATURE_INVALID: "The push's signature does not match; it was not taken",

    // Rules, risk, alerts
    RULES_INVALID: (d) => {
      const n = Array.isArray(d.errors) ? d.errors.length : 0;
      const what = d.file ? `${String(d.file)} is not a valid rule set` : "The rule set is not valid";
      return n ? `${what}: ${n} problem${n === 1 ? "" : "s"}` : what;
    },
    RULE_VERSION_NOT_FOUND: ["Rule set version {version} does not exist", "No such rule set version"],
    RULE_VERSION_NOT_DRAFT: [
      "Version {version} is {status}; versions that were ever active cannot change — create a new draft instead",
      "Versions that were ever active cannot change — create a new draft instead",
    ],
    RULES_SECOND_PERSON_REQUIRED: [
      "You wrote rule set version {version}; another supervisor must check and activate it",
      "You wrote this rule set; another supervisor must check and activate it",
    ],
    BACKTEST_ABORTED: "The backtest was stopped",
    RULES_FILE_UNREADABLE: ["{file} cannot be read", "The rule set file cannot be read"],
    RULES_FILE_NOT_JSON: ["{file} is not valid JSON", "The rule set file is not valid JSON"],
    NO_ACTIVE_RULES:
      "No rule set is active yet; give --version N, or start from the defaults: aftersales rules export --default",
    INVALID_VERSION: ['A version is a number (1, 2, …), got "{value}"', "The version is not valid"],
    INVALID_BACKTEST: [
      'Case {caseId}: the person\'s decision must be "approve" or "reject"',
      "maxDisagreements must be a whole number, 0 or more",
    ],
    RISK_THRESHOLDS_INVALID: settingsProblems("risk thresholds"),
    QUALITY_THRESHOLDS_INVALID: settingsProblems("quality thresholds"),
    QUALITY_STATS_INVALID: "The quality statistics are not valid: counts are whole numbers, 0 or more",
    ALERT_NOT_FOUND: ["Alert {alertId} does not exist", "No such alert"],
    ALERT_ALREADY_ACKNOWLEDGED: [
      "Alert {alertId} was already acknowledged",
      "This alert was already acknowledged",
    ],

    // Settings
    INVALID_SETTING: ['Unknown review setting "{key}"', "Unknown review setting"],
    INVALID_POLICY: ["Unknown policy: {unknown}; known: {known}", "Unknown policy"],
    INVALID_POLICY_SCOPE: "Policies apply to a SKU or a category, named",
    INVALID_TIMEZONE: ['Unknown time zone "{timeZone}"', "Unknown time zone"],
    INVALID_FEES: [
      'Fee for "{tender}": rateBp is 0–10000 basis points, returnedOnRefund true or false',
      "Fees are an object: tender → { rateBp, returnedOnRefund }",
    ],
    INVALID_RETURN_ADDRESS: ["The return address needs a {part}", "The return address is incomplete"],
    RETURN_ADDRESS_MISSING: [
      "Set shop {shop}'s return address first",
      "{platform} takes return addresses from the shop's return-address book; add this address there first",
      "Set the shop's return address first",
    ],

    // Finance, analytics, reconciliation
    INVALID_DATE: [
      '"{date}" is not a date (YYYY-MM-DD)',
      '"{from}" is not a date (YYYY-MM-DD)',
      '"{to}" is not a date (YYYY-MM-DD)',
      '{option} must be a date or time such as 2026-10-01 or 2026-10-01T08:00:00+08:00, got "{value}"',
      "The date is not valid",
    ],
    INVALID_MONTH: [
      '"{from}" is not a month (YYYY-MM)',
      '"{to}" is not a month (YYYY-MM)',
      "The month is not valid (YYYY-MM)",
    ],
    INVALID_DATE_RANGE: [
      "The range ends ({to}) before it starts ({from})",
      "A report covers at most three years; this range is {days} days",
      "The date range is not valid",
    ],
    INVALID_DIMENSION: ['Refund rates are not counted by "{by}"; they are by {known}', "Unknown dimension"],
    INVALID_REPORT_DIMENSION: [
      'Reports are not by "{unknown}"; they are by {known}',
      "Report by day or by month, not both",
    ],
    RECONCILIATION_NOT_FOUND: ["No reconciliation {id}", "No such reconciliation"],
    RECONCILIATION_ITEM_NOT_FOUND: [
      "This reconciliation has no such problem for {key} (any longer); reload the report",
      "No such reconciliation item; reload the report",
    ],
    RECONCILIATION_ITEM_NOT_A_PROBLEM: [
      "{key} matched: there is no problem to resolve",
      "This item is not a problem: there is nothing to resolve",
    ],
    RECONCILIATION_ITEM_ALREADY_RESOLVED: [
      "{by} marked this problem resolved already ({at})",
      "This problem was marked resolved already",
    ],
    RECONCILIATION_ITEM_NOT_RESOLVED: [
      "{key} is not marked resolved; reload the report",
      "This problem is not marked resolved",
    ],
    RESOLUTION_NOTE_REQUIRED: "Say what was done about the problem (a note is required)",
    RECONCILIATION_CHANNEL_NOT_CONFIGURED: [
      "{channel} is not configured to fetch bills; upload the bill file instead",
      "This channel is not configured to fetch bills; upload the bill file instead",
    ],
    RECONCILIATION_CHANNEL_UNSUPPORTED: [
      "{channel} bills cannot be reconciled; channels: {channels}",
      "This channel's bills cannot be reconciled",
    ],
    BILL_NOT_READY: [
      "{channel} has no bill for {date} yet; try again later",
      "The bill is not ready yet; try again later",
    ],
    BILL_FETCH_FAILED: [
      "Could not fetch the {channel} bill of {date}; try again later",
      "Could not fetch the bill; try again later",
    ],
    BILL_DATE_MISMATCH: [
      "This is the bill of {billDate}, not of {date}",
      "The bill is not of the reconciliation's date",
    ],
    BILL_HASH_MISMATCH: [
      "The downloaded bill of {date} does not match the hash WeChat Pay announced; it was not used",
      "The downloaded bill does not match its announced hash; it was not used",
    ],
    FILE_TOO_LARGE_UNCOMPRESSED: (d) =>
      typeof d.maxBytes === "number"
        ? `The file is more than ${d.maxBytes / 1048576} MiB (unpacked), the most accepted`
        : "The file is too large (unpacked)",
    ARCHIVE_RATIO_TOO_HIGH: [
      "The file unpacks to more than {maxRatio} times its size: refused as a decompression bomb",
      "The file unpacks to too many times its size: refused as a decompression bomb",
    ],
    BILL_FILE_UNREADABLE: ["Cannot read the bill file {file}", "Cannot read the bill file"],
    BILL_MALFORMED: "The bill file cannot be read: wrong format or incomplete",

    // Import
    IMPORT_FILE_NOT_FOUND: ["Cannot read {file}", "Cannot read the file to import"],
    IMPORT_EMPTY_FILE: ["{file} has no header row", "The file has no header row"],
    IMPORT_COLUMN_MISSING: [
      'The file has no column "{column}" (mapped to {field}); it has: {header}',
      "The file lacks a column the mapping needs",
    ],
    IMPORT_FILE_INVALID: (d) =>
      `${typeof d.file === "string" ? d.file : "The file to import"} is not a readable ${d.format === "csv" ? "CSV (text) file" : "XLSX file"}`,
    IMPORT_NOT_FOUND: ["No import {id}", "No such import"],
    IMPORT_FILE_TYPE_UNSUPPORTED: [
      "Files of type {contentType} are not imported; send a CSV (text/csv) or an XLSX file",
      "Send a CSV (text/csv) or an XLSX file",
    ],
    IMPORT_NOT_RUNNING: ["Import {id} is not running here ({state})", "That import is not running here"],
    IMPORT_MAPPING_INVALID: [
      "Unknown mapping keys: {keys}",
      'The mapping\'s code {code} has kind "{kind}", which is not one we know',
      'The mapping\'s currency "{currency}" is not known',
      'The mapping\'s time zone "{timeZone}" is not known',
      'The mapping\'s "{field}" is not set right',
      "The column mapping is not valid; check its JSON",
    ],
    IMPORT_MAPPING_CHANGED: "This file was imported with another mapping; import it with the same one",
    IMPORT_RUNNING_ELSEWHERE: "Another process is importing this file; let it finish or stop it first",
    IMPORT_UNKNOWN_PRESET: ['Unknown preset "{preset}"; use one of {known}', "Unknown preset"],

    // Platforms
    PLATFORM_NOT_CONNECTED: [
      "Shop {shop} has no platform credentials",
      "The shop has no platform credentials",
    ],
    PLATFORM_NOT_SUPPORTED: [
      "There is no platform adapter for {channel}",
      "There is no platform adapter for this channel",
    ],
    PLATFORM_NO_GATEWAY: [
      'Say where the {channel} API is: set the shop\'s "gateway" credential',
      "Say where the platform's API is: set the shop's \"gateway\" credential",
    ],
    PLATFORM_UNAVAILABLE: "The platform cannot be reached now; try again later",
    PLATFORM_BAD_RESPONSE: [
      "{platform} sent data we cannot read ({field})",
      "The platform sent data we cannot read",
    ],
    PLATFORM_CURSOR_INVALID: ["Not a {platform} page cursor", "Not a page cursor"],
    PLATFORM_NOT_A_CASE: [
      "{platform} after-sales {externalId} is not a kind of case this system handles",
      "Not a kind of case this system handles",
    ],
    PLATFORM_REF_INVALID: [
      '"{externalId}" is not a JD refund-apply or service-order id',
      "Not a platform after-sales id",
    ],
    PLATFORM_UNKNOWN_STATUS: [
      "{platform} after-sales {externalId} has status {status}, which the platform does not document; it was not guessed",
      "The platform's after-sales status is not documented; it was not guessed",
    ],
    PLATFORM_UNKNOWN_TYPE: [
      "{platform} after-sales {externalId} has a type we do not know; it was not guessed",
      "The platform's after-sales type is not known; it was not guessed",
    ],
    PLATFORM_WINDOW_INVALID: "A pull window must end after it starts",
    PLATFORM_WINDOW_TOO_LONG: [
      "{platform} takes shorter pull windows; pull in shorter windows",
      "The pull window is too long; pull in shorter windows",
    ],
    PLATFORM_WINDOW_TOO_BUSY:
      "This window holds more records than the platform pages through; pull in shorter windows",
    CREDENTIAL_FIELDS_MISSING: ["Missing credentials: {missing}", "Credentials are missing"],
    UNKNOWN_CREDENTIAL_FIELD: [
      "Not {channel} credentials: {unknown}; they are {allowed}",
      "Unknown credentials: {unknown}",
      "Unknown credentials",
    ],
    INVALID_GATEWAY: "gateway must be an http(s) URL",
    PUSH_NOT_SUPPORTED: ["{channel} sends no push messages here", "This channel sends no push messages here"],
    UNKNOWN_CHANNEL: ['No payment channel "{channel}" takes callbacks here', "No such payment channel"],
    SECRET_KEY_MISSING:
      "No secret key is configured: set AFTERSALES_SECRET_KEY (base64, 32 bytes) to store or read shop credentials and webhook secrets",
    SECRET_KEY_INVALID: "The secret key must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)",
    SECRET_KEY_UNAVAILABLE: [
      "The key {keyId} that sealed this value is not configured (add it to AFTERSALES_SECRET_KEYS_OLD)",
      "The key that sealed this value is not configured",
    ],
    SECRET_TAMPERED: "A sealed value failed its integrity check",

    // Channel callbacks and pushes: signatures and formats
    INVALID_SIGNATURE: "The signature does not match; the message was not taken",
    MISSING_SIGNATURE: "The Taobao push is not signed; it was not taken",
    INVALID_APP_KEY: "The Taobao push is for another app; it was not taken",
    INVALID_MESSAGE: "The Taobao push is malformed; it was not taken",
    ALIPAY_RESPONSE_MALFORMED: "Alipay's answer is malformed",
    ALIPAY_RESPONSE_MISMATCH: "Alipay's answer does not match the request",
    ALIPAY_AMOUNT_INVALID: "Alipay sent an amount we cannot read",
    ALIPAY_GATEWAY_ERROR: "Alipay's gateway failed; try again later",
    ALIPAY_BUSINESS_UNKNOWN: "Alipay sent a business result we do not know",
    ALIPAY_REFUND_STATUS_UNKNOWN: "Alipay sent a refund status we do not know",
    ALIPAY_APP_ID_MISMATCH: "This Alipay notification is for another app (app_id); it was not taken",
    ALIPAY_KEY_INVALID: "The Alipay keys cannot be read; check the app private key and the Alipay public key",
    ALIPAY_NOTIFY_MALFORMED: "The Alipay notification is malformed; it was not taken",
    ALIPAY_NOTIFY_NOT_A_REFUND: "This Alipay notification is not about a refund; it was not taken",
    ALIPAY_QUERY_NEEDS_TRADE: "An Alipay refund query needs the original trade (trade_no or out_trade_no)",
    ALIPAY_SIGNATURE_INVALID: "The Alipay notification's signature does not verify; it was not taken",
    ALIPAY_SIGN_MISSING: "The Alipay notification is not signed; it was not taken",
    ALIPAY_SIGN_TYPE_UNSUPPORTED: "The Alipay notification is not signed with RSA2; it was not taken",
    WECHATPAY_SIGNATURE_MISSING: "The WeChat Pay notification is not signed; it was not taken",
    WECHATPAY_SIGNATURE_INVALID: "The WeChat Pay notification's signature does not verify; it was not taken",
    WECHATPAY_TIMESTAMP_EXPIRED:
      "The WeChat Pay notification's timestamp is malformed or too old; it was not taken",
    WECHATPAY_UNKNOWN_SERIAL:
      "The WeChat Pay notification names a platform certificate we do not know; it was not taken",
    WECHATPAY_DECRYPT_FAILED: "The WeChat Pay notification cannot be decrypted; it was not taken",
    WECHATPAY_MCHID_MISMATCH: "The refund belongs to another WeChat Pay merchant; it was not taken",
    WECHATPAY_NOTIFICATION_MALFORMED: "The WeChat Pay notification is malformed; it was not taken",
    DOUYIN_APP_MISMATCH: "This Douyin push is for another app; it was not taken",
    DOUYIN_CREDENTIALS_MISSING: "This shop has no Douyin app_key/app_secret to check the push with",
    DOUYIN_PUSH_MALFORMED: "The Douyin push is malformed; it was not taken",
    DOUYIN_SIGNATURE_INVALID: "The Douyin push's signature does not match; it was not taken",
    DOUYIN_SIGNATURE_MISSING: "The Douyin push has no app-id or signature; it was not taken",
    SHOPIFY_CREDENTIALS_MISSING: "This shop has no Shopify client_secret to check the webhook with",
    SHOPIFY_PUSH_MALFORMED: "The Shopify webhook is malformed; it was not taken",
    SHOPIFY_SHOP_MISMATCH: "This Shopify webhook is for another shop; it was not taken",
    SHOPIFY_SIGNATURE_INVALID: "The Shopify webhook's HMAC does not match; it was not taken",
    SHOPIFY_SIGNATURE_MISSING: "The Shopify webhook is not signed; it was not taken",
    WECHAT_APP_MISMATCH: "This WeChat Channels push is for another appid; it was not taken",
    WECHAT_CREDENTIALS_MISSING: "This shop has no WeChat Channels push Token or EncodingAESKey",
    WECHAT_DECRYPT_FAILED: "The WeChat Channels push cannot be decrypted; it was not taken",
    WECHAT_PLAINTEXT_REFUSED: "This shop takes encrypted (safe-mode) pushes only",
    WECHAT_PUSH_MALFORMED: "The WeChat Channels push is malformed; it was not taken",
    WECHAT_SIGNATURE_INVALID: "The WeChat Channels push's signature does not match; it was not taken",
    WECHAT_SIGNATURE_MISSING: "The WeChat Channels push has no signature; it was not taken",

    // Command line
    INVALID_ARGUMENTS: (d, say) => {
      const line = typeof d.problem === "string" ? usage[d.problem]?.(say) : undefined;
      return line ?? "The command's arguments are not valid";
    },
    ERR_PARSE_ARGS_UNKNOWN_OPTION: ["There is no option {option}", "Unknown option"],
    ERR_PARSE_ARGS_INVALID_OPTION_VALUE: [
      "The value of {option} is not valid",
      "An option's value is not valid",
    ],
    ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL: ['Unexpected "{value}"', "Unexpected argument"],
    DATA_DIR_LOCKED: [
      "The data directory {dir} is in use by process {pid}. Stop it first, or use PostgreSQL (DATABASE_URL) to run several processes.",
      "Could not lock the data directory {dir}",
      "The data directory is in use by another process",
    ],
    SERVICE_UNREACHABLE: [
      "The service at {url} (process {pid}) does not answer; is it still running?",
      "The running service does not answer; is it still running?",
    ],
    WORKER_NEEDS_POSTGRES:
      "The embedded database runs its dispatcher inside `aftersales start`; set DATABASE_URL to run separate workers",
    DEMO_ALREADY_LOADED: [
      "The demo is already loaded (shop {shops} exists); start from an empty database to load it again",
      "The demo is already loaded",
    ],
    INVALID_DEMO_SIZE: "The demo needs a positive whole number of orders",
    HISTORY_ALREADY_LOADED: [
      "Shop {shop} already has orders or history customers; generate into an empty shop (another --shop) or an empty database",
      "The shop already has orders or history customers",
    ],
    INVALID_HISTORY_SIZE: "The history needs a whole number of cases from 1 to 1,000,000",
    INVALID_HISTORY_SEED: "The seed must be a whole number",
  },
};

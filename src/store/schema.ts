import type { ColumnType, Generated } from "kysely";

/** Kysely's view of the tables in migrations/. Keep in step with the SQL. */

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface ShopTable {
  id: string;
  name: string;
  channel: string;
  review: Generated<Record<string, unknown>>;
  created_at: Generated<Date>;
}

export interface CustomerTable {
  id: string;
  name: string | null;
  phone: string | null;
  email: string | null;
  wechat_openid: string | null;
  language: string | null;
  notify_opt_out: Generated<string[]>;
  tier: Generated<string>;
  credit_score: number | null;
  tags: Generated<string[]>;
  created_at: Generated<Date>;
}

export interface OrderTable {
  id: Generated<number>;
  shop_id: string;
  external_id: string;
  customer_id: string | null;
  currency: string;
  discount_total: number;
  shipping_fee: number;
  paid_total: number;
  refunded_total: Generated<number>;
  aftersales_status: Generated<string>;
  placed_at: Timestamp | null;
  paid_at: Timestamp | null;
  content_hash: string;
  address_key: string | null;
  device_id: string | null;
  /** Imported orders: the country the file gives (Online Retail's Country). */
  country: string | null;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface OrderLineTable {
  id: Generated<number>;
  order_id: number;
  line_no: number;
  external_id: string;
  sku: string;
  title: string;
  category: string | null;
  quantity: number;
  unit_price: number;
  line_discount: number;
  order_discount: number;
  paid: number;
}

export interface PaymentTable {
  id: Generated<number>;
  order_id: number;
  tender: string;
  amount: number;
  transaction_id: string | null;
}

export interface CaseTable {
  id: Generated<number>;
  order_id: number;
  shop_id: string;
  customer_id: string | null;
  external_id: string | null;
  type: string;
  status: string;
  reason: string;
  source: string;
  description: string | null;
  evidence: Json<unknown[]>;
  currency: string;
  requested_amount: number | null;
  queue: Generated<string>;
  priority: Generated<number>;
  sla_due_at: Timestamp | null;
  /** The platform's deadline for the merchant's answer (013_platform_sla.sql caps sla_due_at with it). */
  platform_due_at: Generated<Timestamp | null>;
  tags: Generated<string[]>;
  risk_score: Generated<number>;
  evidence_required: Generated<boolean>;
  recommendation: Json<Record<string, unknown>> | null;
  decision_id: number | null;
  first_approval: string | null;
  claim: Json<Record<string, unknown>> | null;
  /** Who works on the case (019_case_owners.sql); kept after it ends. */
  owner_id: Generated<number | null>;
  owner_since: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  version: Generated<number>;
  status_since: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CaseItemTable {
  case_id: number;
  order_line_id: number;
  quantity: number;
}

export interface CaseEventTable {
  id: Generated<number>;
  case_id: number;
  at: Timestamp;
  actor: string;
  action: string;
  from_status: string | null;
  to_status: string | null;
  note: string | null;
  data: Json<Record<string, unknown>> | null;
  /** The case version the event produced; null when it changed nothing a form holds (a note). */
  version: Generated<number | null>;
}

export interface ShipmentTable {
  id: Generated<number>;
  order_id: number;
  case_id: number | null;
  direction: string;
  carrier: string;
  tracking_no: string;
  status: string;
  shipped_at: Timestamp | null;
  signed_at: Timestamp | null;
  eta: Timestamp | null;
  created_at: Generated<Date>;
}

export interface ReceiptTable {
  id: Generated<number>;
  case_id: number;
  quantity: number;
  condition: string;
  qc_result: string | null;
  qc_note: string | null;
  received_at: Timestamp;
  inspected_at: Timestamp | null;
  warehouse_id: Generated<string>;
  key: string | null;
  scanned: string | null;
  carrier: string | null;
  tracking_no: string | null;
  photos: ColumnType<string[], string | undefined, string>;
  received_by: string | null;
}

// 010_warehouse: receiving, QC and the inventory ledger.
export interface WarehouseTable {
  id: string;
  name: string;
  allow_backorder: Generated<boolean>;
  is_default: Generated<boolean>;
  created_at: Generated<Date>;
}

export interface ReceiptLineTable {
  id: Generated<number>;
  receipt_id: number;
  case_id: number;
  order_line_id: number;
  sku: string;
  quantity: number;
  condition: string;
  photos: ColumnType<string[], string | undefined, string>;
  stocked: boolean;
  quality_hold: Generated<boolean>;
  inspected: Generated<number>;
}

export interface InspectionTable {
  id: Generated<number>;
  receipt_line_id: number;
  case_id: number;
  key: string | null;
  quantity: number;
  result: string;
  disposition: string;
  finding: string | null;
  deduction: number | null;
  note: string | null;
  inspected_by: string;
  inspected_at: Timestamp;
}

export interface UnidentifiedParcelTable {
  id: Generated<number>;
  key: string | null;
  warehouse_id: string;
  scanned: string;
  carrier: string | null;
  tracking_no: string | null;
  contents: string | null;
  photos: ColumnType<string[], string | undefined, string>;
  note: string | null;
  status: Generated<string>;
  received_by: string;
  received_at: Timestamp;
  case_id: number | null;
  receipt_id: number | null;
  matched_by: string | null;
  matched_at: Timestamp | null;
}

export interface InventoryBalanceTable {
  warehouse_id: string;
  sku: string;
  sellable: Generated<number>;
  quarantine: Generated<number>;
  defective: Generated<number>;
  scrapped: Generated<number>;
  returned_to_vendor: Generated<number>;
  allow_backorder: boolean | null;
  updated_at: Generated<Date>;
}

/** The exact stock: a balance with its deltas not yet folded (a view, migration 022). */
export interface InventoryStockView {
  warehouse_id: string;
  sku: string;
  sellable: number;
  quarantine: number;
  defective: number;
  scrapped: number;
  returned_to_vendor: number;
  allow_backorder: boolean | null;
  updated_at: Date;
}

export interface InventoryMovementTable {
  id: Generated<number>;
  source_kind: string;
  source_key: string;
  warehouse_id: string;
  sku: string;
  sellable: Generated<number>;
  quarantine: Generated<number>;
  defective: Generated<number>;
  scrapped: Generated<number>;
  returned_to_vendor: Generated<number>;
  case_id: number | null;
  actor: string;
  note: string | null;
  at: Timestamp;
}

export interface RefundTable {
  id: Generated<number>;
  case_id: number;
  order_id: number;
  payment_id: number | null;
  channel: string;
  currency: string;
  amount: number;
  goods_amount: number;
  shipping_amount: number;
  idempotency_key: string;
  status: string;
  channel_refund_id: string | null;
  attempts: Generated<number>;
  last_error: string | null;
  quote: Json<unknown>;
  created_at: Timestamp;
  updated_at: Timestamp;
  succeeded_at: Timestamp | null;
  /** The nth grant of the case; its legs (one per tender) share it. */
  grant_no: number;
  /** The offline leg that took the place of this failed one (switch-to-offline); null: none. */
  replaced_by: Generated<number | null>;
}

export interface LedgerEntryTable {
  id: Generated<number>;
  source: string;
  kind: string;
  tender: string | null;
  case_id: number | null;
  order_id: number | null;
  payment_id: number | null;
  refund_id: number | null;
  shop_id: string;
  reason: string | null;
  currency: string;
  amount: number;
  reference: string | null;
  note: string | null;
  actor: string | null;
  occurred_at: Timestamp;
}

export interface RefundLineTable {
  refund_id: number;
  order_line_id: number;
  quantity: number;
  amount: number;
  consumed: number;
}

export interface OutboxTable {
  id: Generated<number>;
  topic: string;
  key: string | null;
  payload: Json<Record<string, unknown>>;
  status: Generated<string>;
  attempts: Generated<number>;
  available_at: ColumnType<Date, Date | string | undefined, Date | string>;
  last_error: string | null;
  created_at: Generated<Date>;
  done_at: Timestamp | null;
}

export interface WebhookEndpointTable {
  id: Generated<number>;
  url: string;
  description: Generated<string>;
  event_types: Generated<string[]>;
  shops: string[] | null;
  secret_key_id: string;
  secret_iv: Buffer;
  secret_tag: Buffer;
  secret_ciphertext: Buffer;
  enabled: Generated<boolean>;
  disabled_at: Timestamp | null;
  disabled_reason: string | null;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookDeliveryTable {
  id: Generated<number>;
  endpoint_id: number;
  message_id: string;
  event_id: number | null;
  event_type: string;
  payload: Json<Record<string, unknown>>;
  status: Generated<string>;
  attempts: Generated<number>;
  next_attempt_at: Timestamp | null;
  last_status_code: number | null;
  last_error: string | null;
  response_excerpt: string | null;
  created_at: Timestamp;
  delivered_at: Timestamp | null;
}

export interface ApiTokenTable {
  id: Generated<number>;
  name: string;
  token_hash: string;
  role: string;
  shops: string[] | null;
  created_at: Generated<Date>;
  revoked_at: Timestamp | null;
  last_used_at: Timestamp | null;
  /** The secret's first characters (migration 027); null for tokens made before. */
  prefix: string | null;
}

/** A person who signs in to the console (migration 018). */
export interface UserTable {
  id: Generated<number>;
  login: string;
  name: string;
  password_hash: string;
  role: string;
  shops: string[] | null;
  on_duty: Generated<boolean>;
  language: string | null;
  failed_sign_ins: Generated<number>;
  locked_until: Timestamp | null;
  last_sign_in_at: Timestamp | null;
  disabled_at: Timestamp | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface UserSessionTable {
  id_hash: string;
  user_id: number;
  data: Generated<Record<string, unknown>>;
  expires_at: Timestamp;
  created_at: Generated<Date>;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: Timestamp;
  actor: string;
  actor_token_id: number | null;
  action: string;
  subject: string | null;
  shops: string[] | null;
  before: Json<unknown> | null;
  after: Json<unknown> | null;
}

export interface InstallationTable {
  id: string;
  created_at: Generated<Date>;
  sandbox_secret: string | null;
}

export interface TrackingEventTable {
  id: Generated<number>;
  carrier: string;
  tracking_no: string;
  at: Timestamp;
  status: string;
  description: string;
  location: string | null;
}

export interface CatalogPolicyTable {
  kind: string;
  key: string;
  policies: string[];
  updated_at: Generated<Date>;
}

/** A saved filter of the reviewer queue (019_case_owners.sql). */
export interface SavedViewTable {
  id: Generated<number>;
  name: string;
  /** "user:<id>" or "token:<id>": whose personal view it is (shared views too have their creator). */
  owner_key: string;
  shared: Generated<boolean>;
  filters: Json<Record<string, unknown>>;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SettingTable {
  key: string;
  value: Json<unknown>;
  updated_at: Generated<Date>;
}

export interface RuleVersionTable {
  version: Generated<number>;
  status: Generated<string>;
  definition: Json<unknown>;
  note: string | null;
  created_by: string;
  created_at: Generated<Date>;
  activated_by: string | null;
  activated_at: Timestamp | null;
  /** Who wrote it: the creator and everyone who changed the draft (maker–checker). */
  authors: Generated<string[]>;
  /** An author asked another person to activate it. */
  requested_by: string | null;
  requested_at: Timestamp | null;
}

export interface CaseDecisionTable {
  id: Generated<number>;
  case_id: number;
  at: Timestamp;
  trigger: string;
  rule_version: number | null;
  outcome: string;
  decided_by: string | null;
  applied: string | null;
  facts: Json<unknown>;
  risk: Json<unknown>;
  decision: Json<unknown>;
}

export interface AlertTable {
  id: Generated<number>;
  kind: string;
  subject: string;
  severity: string;
  status: Generated<string>;
  dedupe_key: string;
  case_id: number | null;
  /** The shop the alert is about; null: no one shop (seen only by tokens for every shop). */
  shop_id: string | null;
  reason: Json<{ zh: string; en: string }>;
  data: Json<Record<string, unknown>>;
  created_at: Timestamp;
  updated_at: Timestamp;
  acknowledged_by: string | null;
  acknowledged_at: Timestamp | null;
  note: string | null;
}

export interface ChannelNotificationTable {
  id: Generated<number>;
  channel: string;
  notification_id: string;
  received_at: Timestamp;
  payload: Json<unknown>;
  result: string | null;
}

export interface ShopCredentialTable {
  shop_id: string;
  key_id: string;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
  updated_at: Generated<Date>;
}

export interface SyncCursorTable {
  shop_id: string;
  stream: string;
  synced_to: Timestamp | null;
  cursor: Json<Record<string, unknown>> | null;
  lease_until: Timestamp | null;
  last_error: string | null;
  updated_at: Generated<Date>;
}

/** 006_platforms: each platform after-sales request as last seen, and the case it became. */
export interface PlatformRequestTable {
  shop_id: string;
  external_id: string;
  order_external_id: string;
  case_id: number | null;
  state: string | null;
  platform_status: string | null;
  version: string | null;
  error: string | null;
  attempts: Generated<number>;
  seen_at: Timestamp;
  updated_at: Timestamp;
}

export interface TrackingSubscriptionTable {
  provider: string;
  carrier: string;
  tracking_no: string;
  provider_carrier: string;
  status: string;
  message: string | null;
  subscribed_at: Timestamp | null;
  last_push_at: Timestamp | null;
  resubscribe_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface InterceptionTable {
  id: Generated<number>;
  case_id: number;
  order_id: number;
  method: string;
  carrier: string | null;
  tracking_no: string | null;
  reason: string;
  status: string;
  request_id: string | null;
  attempts: Generated<number>;
  last_error: string | null;
  requested_at: Timestamp;
  sent_at: Timestamp | null;
  checked_at: Timestamp | null;
  next_check_at: Timestamp | null;
  resolved_at: Timestamp | null;
  updated_at: Timestamp;
}

/** 009_reconciliation: refund bills compared with our refunds, one run per (channel, day). */
export interface ReconciliationRunTable {
  id: Generated<number>;
  channel: string;
  bill_date: string;
  source: string;
  bill_sha1: string;
  bill_rows: number;
  summary: Json<Record<string, unknown>>;
  problems: number;
  awaiting: number;
  reconciled_by: string;
  reconciled_at: Timestamp;
  runs: Generated<number>;
}

export interface ReconciliationItemTable {
  run_id: number;
  item_no: number;
  category: string;
  idempotency_key: string;
  refund_id: number | null;
  currency: string;
  our_amount: number | null;
  our_status: string | null;
  bill_amount: number | null;
  bill_status: string | null;
  channel_refund_id: string | null;
  bill_date: string | null;
  bill_line: number | null;
  /** What was found, in Chinese and English. */
  note: Json<{ zh: string; en: string }> | null;
}

/** 029: a problem finance marked resolved, by (day's report, refund key, kind of problem). */
export interface ReconciliationResolutionTable {
  run_id: number;
  idempotency_key: string;
  category: string;
  channel: string;
  note: string;
  resolved_by: string;
  resolved_at: Timestamp;
}

export interface ReconciliationClaimTable {
  claim_key: string;
  claimed_by: string;
  claimed_at: Timestamp;
  done_at: Timestamp | null;
  last_error: string | null;
}

/** Bulk imports (008_import.sql, store/imports.ts). */
export interface ImportTable {
  id: Generated<number>;
  shop_id: string;
  file_sha256: string;
  file_name: string;
  file_size: number;
  format: string;
  mapping: Json<unknown>;
  status: string;
  byte_offset: Generated<number>;
  rows_done: Generated<number>;
  batches: Generated<number>;
  counts: Generated<Json<Record<string, number>>>;
  started_at: Timestamp;
  updated_at: Timestamp;
  completed_at: Timestamp | null;
  /** 015_import_jobs.sql: rows in the file (null until counted), progress and the current run. */
  rows_total: number | null;
  bytes_read: Generated<number>;
  run_started_at: Timestamp | null;
  run_start_row: Generated<number>;
  error: Json<{ code: string; message: string }> | null;
}

export interface ImportRejectTable {
  import_id: number;
  row_no: number;
  reason: string;
  message: string;
  cells: string[];
}

export interface ImportedRefundTable {
  shop_id: string;
  external_id: string;
  import_id: number;
}

export interface OrphanRefundTable {
  id: Generated<number>;
  shop_id: string;
  external_id: string;
  import_id: number | null;
  customer_id: string | null;
  order_ref: string | null;
  kind: string;
  sku: string;
  title: string;
  quantity: number;
  unit_price: number;
  amount: number;
  currency: string;
  reason: string;
  refunded_at: Timestamp;
}

export interface NotificationTable {
  id: Generated<number>;
  case_id: number;
  event_id: number;
  kind: string;
  channel: string;
  recipient: string;
  language: string;
  vars: unknown;
  status: Generated<string>;
  due_at: Date;
  attempts: Generated<number>;
  provider_id: string | null;
  error: string | null;
  cost: number | null;
  currency: string | null;
  created_at: Date;
  sent_at: Date | null;
  updated_at: Date;
}

export interface DB {
  installation: InstallationTable;
  reconciliation_runs: ReconciliationRunTable;
  reconciliation_items: ReconciliationItemTable;
  reconciliation_claims: ReconciliationClaimTable;
  reconciliation_resolutions: ReconciliationResolutionTable;
  shops: ShopTable;
  customers: CustomerTable;
  orders: OrderTable;
  order_lines: OrderLineTable;
  payments: PaymentTable;
  cases: CaseTable;
  case_items: CaseItemTable;
  case_events: CaseEventTable;
  shipments: ShipmentTable;
  receipts: ReceiptTable;
  warehouses: WarehouseTable;
  receipt_lines: ReceiptLineTable;
  inspections: InspectionTable;
  unidentified_parcels: UnidentifiedParcelTable;
  inventory_balances: InventoryBalanceTable;
  inventory_stock: InventoryStockView;
  inventory_movements: InventoryMovementTable;
  refunds: RefundTable;
  refund_lines: RefundLineTable;
  ledger_entries: LedgerEntryTable;
  outbox: OutboxTable;
  api_tokens: ApiTokenTable;
  users: UserTable;
  user_sessions: UserSessionTable;
  audit_log: AuditLogTable;
  tracking_events: TrackingEventTable;
  catalog_policies: CatalogPolicyTable;
  settings: SettingTable;
  saved_views: SavedViewTable;
  rule_versions: RuleVersionTable;
  case_decisions: CaseDecisionTable;
  alerts: AlertTable;
  channel_notifications: ChannelNotificationTable;
  shop_credentials: ShopCredentialTable;
  sync_cursors: SyncCursorTable;
  platform_requests: PlatformRequestTable;
  tracking_subscriptions: TrackingSubscriptionTable;
  interceptions: InterceptionTable;
  imports: ImportTable;
  import_rejects: ImportRejectTable;
  imported_refunds: ImportedRefundTable;
  orphan_refunds: OrphanRefundTable;
  notifications: NotificationTable;
  webhook_endpoints: WebhookEndpointTable;
  webhook_deliveries: WebhookDeliveryTable;
}

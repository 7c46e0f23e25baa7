import type { ColumnType, Generated } from "kysely";

/** Kysely's view of the tables in migrations/. Keep in step with the SQL. */

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface ShopTable {
  id: string;
  name: string;
  channel: string;
  created_at: Generated<Date>;
}

export interface CustomerTable {
  id: string;
  name: string | null;
  phone: string | null;
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

export interface ApiTokenTable {
  id: Generated<number>;
  name: string;
  token_hash: string;
  role: string;
  shops: string[] | null;
  created_at: Generated<Date>;
  revoked_at: Timestamp | null;
}

export interface InstallationTable {
  id: string;
  created_at: Generated<Date>;
}

export interface DB {
  installation: InstallationTable;
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
  refunds: RefundTable;
  refund_lines: RefundLineTable;
  outbox: OutboxTable;
  api_tokens: ApiTokenTable;
}

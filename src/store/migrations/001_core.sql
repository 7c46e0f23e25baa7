-- Core after-sales schema. Amounts are bigint minor units (分); every table that a flow updates
-- concurrently carries a version for optimistic locking.

CREATE TABLE shops (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  channel     text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE customers (
  id          text PRIMARY KEY,
  name        text,
  phone       text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  shop_id             text NOT NULL REFERENCES shops(id),
  external_id         text NOT NULL,
  customer_id         text REFERENCES customers(id),
  currency            text NOT NULL,
  discount_total      bigint NOT NULL,
  shipping_fee        bigint NOT NULL,
  paid_total          bigint NOT NULL,
  refunded_total      bigint NOT NULL DEFAULT 0,
  aftersales_status   text NOT NULL DEFAULT 'none',
  placed_at           timestamptz,
  paid_at             timestamptz,
  content_hash        text NOT NULL,
  version             integer NOT NULL DEFAULT 1,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (shop_id, external_id)
);
CREATE INDEX orders_customer_idx ON orders (customer_id);

CREATE TABLE order_lines (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id        bigint NOT NULL REFERENCES orders(id),
  line_no         integer NOT NULL,
  external_id     text NOT NULL,
  sku             text NOT NULL,
  title           text NOT NULL,
  category        text,
  quantity        integer NOT NULL CHECK (quantity > 0),
  unit_price      bigint NOT NULL,
  line_discount   bigint NOT NULL,
  order_discount  bigint NOT NULL,
  paid            bigint NOT NULL CHECK (paid >= 0),
  UNIQUE (order_id, external_id)
);
CREATE INDEX order_lines_sku_idx ON order_lines (sku);

CREATE TABLE payments (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id        bigint NOT NULL REFERENCES orders(id),
  tender          text NOT NULL,
  amount          bigint NOT NULL,
  transaction_id  text
);
CREATE INDEX payments_order_idx ON payments (order_id);

CREATE TABLE cases (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id          bigint NOT NULL REFERENCES orders(id),
  shop_id           text NOT NULL REFERENCES shops(id),
  customer_id       text,
  external_id       text,
  type              text NOT NULL,
  status            text NOT NULL,
  reason            text NOT NULL,
  source            text NOT NULL,
  description       text,
  evidence          jsonb NOT NULL DEFAULT '[]',
  currency          text NOT NULL,
  requested_amount  bigint,
  version           integer NOT NULL DEFAULT 1,
  status_since      timestamptz NOT NULL,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  UNIQUE (shop_id, external_id)
);
CREATE INDEX cases_order_idx ON cases (order_id);
CREATE INDEX cases_status_idx ON cases (status, id);
CREATE INDEX cases_created_idx ON cases (created_at, id);

CREATE TABLE case_items (
  case_id        bigint NOT NULL REFERENCES cases(id),
  order_line_id  bigint NOT NULL REFERENCES order_lines(id),
  quantity       integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (case_id, order_line_id)
);
CREATE INDEX case_items_line_idx ON case_items (order_line_id);

-- The timeline: append-only, one row per transition or notable fact.
CREATE TABLE case_events (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id      bigint NOT NULL REFERENCES cases(id),
  at           timestamptz NOT NULL,
  actor        text NOT NULL,
  action       text NOT NULL,
  from_status  text,
  to_status    text,
  note         text,
  data         jsonb
);
CREATE INDEX case_events_case_idx ON case_events (case_id, id);

CREATE TABLE shipments (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id     bigint NOT NULL REFERENCES orders(id),
  case_id      bigint REFERENCES cases(id),
  direction    text NOT NULL, -- outbound | return | replacement
  carrier      text NOT NULL,
  tracking_no  text NOT NULL,
  status       text NOT NULL,
  shipped_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shipments_order_idx ON shipments (order_id);
CREATE INDEX shipments_tracking_idx ON shipments (tracking_no);
CREATE INDEX shipments_case_idx ON shipments (case_id);

CREATE TABLE receipts (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id        bigint NOT NULL REFERENCES cases(id),
  quantity       integer NOT NULL CHECK (quantity > 0),
  condition      text NOT NULL,
  qc_result      text,
  qc_note        text,
  received_at    timestamptz NOT NULL,
  inspected_at   timestamptz
);
CREATE INDEX receipts_case_idx ON receipts (case_id);

CREATE TABLE refunds (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id            bigint NOT NULL REFERENCES cases(id),
  order_id           bigint NOT NULL REFERENCES orders(id),
  payment_id         bigint REFERENCES payments(id),
  channel            text NOT NULL,
  currency           text NOT NULL,
  amount             bigint NOT NULL CHECK (amount > 0),
  goods_amount       bigint NOT NULL,
  shipping_amount    bigint NOT NULL,
  idempotency_key    text NOT NULL UNIQUE,
  status             text NOT NULL, -- requested | processing | succeeded | failed
  channel_refund_id  text,
  attempts           integer NOT NULL DEFAULT 0,
  last_error         text,
  quote              jsonb NOT NULL,
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  succeeded_at       timestamptz
);
CREATE INDEX refunds_case_idx ON refunds (case_id);
CREATE INDEX refunds_order_idx ON refunds (order_id);

-- Per-line share of each refund: what makes "never refund a line beyond what was paid" checkable.
CREATE TABLE refund_lines (
  refund_id      bigint NOT NULL REFERENCES refunds(id),
  order_line_id  bigint NOT NULL REFERENCES order_lines(id),
  quantity       integer NOT NULL,
  amount         bigint NOT NULL CHECK (amount >= 0),
  -- the share of the line's paid amount these units consumed; more than `amount` when a deduction
  -- or a lower agreed amount kept part of it — that part is the merchant's, not refundable later
  consumed       bigint NOT NULL CHECK (consumed >= amount),
  PRIMARY KEY (refund_id, order_line_id)
);

CREATE TABLE outbox (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic         text NOT NULL,
  key           text,
  payload       jsonb NOT NULL,
  status        text NOT NULL DEFAULT 'pending', -- pending | done | dead
  attempts      integer NOT NULL DEFAULT 0,
  available_at  timestamptz NOT NULL DEFAULT now(),
  last_error    text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  done_at       timestamptz,
  UNIQUE (topic, key)
);
CREATE INDEX outbox_pending_idx ON outbox (available_at, id) WHERE status = 'pending';

CREATE TABLE api_tokens (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL,
  token_hash  text NOT NULL UNIQUE,
  role        text NOT NULL,
  shops       text[],
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

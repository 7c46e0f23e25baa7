-- Automatic review, risk and the facts they need: customer tiers, product policies, parcel tracking,
-- versioned rule sets, stored decisions with their explanation, and alerts.

ALTER TABLE customers
  ADD COLUMN tier          text NOT NULL DEFAULT 'normal',
  ADD COLUMN credit_score  integer,
  ADD COLUMN tags          text[] NOT NULL DEFAULT '{}';
CREATE INDEX customers_phone_idx ON customers (phone) WHERE phone IS NOT NULL;

-- Where the order went and from which device: shared ones link accounts (several accounts, one person).
ALTER TABLE orders
  ADD COLUMN address_key  text,
  ADD COLUMN device_id    text;
CREATE INDEX orders_address_idx ON orders (address_key) WHERE address_key IS NOT NULL;
CREATE INDEX orders_device_idx ON orders (device_id) WHERE device_id IS NOT NULL;
CREATE INDEX cases_customer_idx ON cases (customer_id, created_at);

ALTER TABLE shipments
  ADD COLUMN signed_at  timestamptz,
  ADD COLUMN eta        timestamptz;

-- Carrier scans, keyed by the parcel rather than our shipment row (which a re-ingest may replace).
CREATE TABLE tracking_events (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  carrier      text NOT NULL,
  tracking_no  text NOT NULL,
  at           timestamptz NOT NULL,
  status       text NOT NULL,
  description  text NOT NULL,
  location     text,
  UNIQUE (tracking_no, carrier, at, status)
);

-- After-sales policies (售后政策) per SKU or per category; a line's policies are the union of both.
CREATE TABLE catalog_policies (
  kind        text NOT NULL CHECK (kind IN ('sku', 'category')),
  key         text NOT NULL,
  policies    text[] NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, key)
);

-- Per-shop review settings: auto-refund limit, maker–checker threshold.
ALTER TABLE shops ADD COLUMN review jsonb NOT NULL DEFAULT '{}';

-- Installation-wide settings (risk and quality thresholds, time zone), one JSON value per key.
CREATE TABLE settings (
  key         text PRIMARY KEY,
  value       jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Rule sets are immutable once activated: editing means a new version. At most one is active.
CREATE TABLE rule_versions (
  version       integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  status        text NOT NULL DEFAULT 'draft', -- draft | active | retired
  definition    jsonb NOT NULL,
  note          text,
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  activated_by  text,
  activated_at  timestamptz
);
CREATE UNIQUE INDEX rule_versions_one_active ON rule_versions ((true)) WHERE status = 'active';

ALTER TABLE cases
  ADD COLUMN queue              text NOT NULL DEFAULT 'default',
  ADD COLUMN priority           integer NOT NULL DEFAULT 50,
  ADD COLUMN sla_due_at         timestamptz,
  ADD COLUMN tags               text[] NOT NULL DEFAULT '{}',
  ADD COLUMN risk_score         integer NOT NULL DEFAULT 0,
  ADD COLUMN evidence_required  boolean NOT NULL DEFAULT false,
  ADD COLUMN recommendation     jsonb,
  ADD COLUMN decision_id        bigint,
  -- maker–checker: who gave the first of two approvals
  ADD COLUMN first_approval     text,
  -- what the customer says they got (wrong item: the SKU/spec received), shown next to what was ordered
  ADD COLUMN claim              jsonb;
CREATE INDEX cases_queue_idx ON cases (queue, priority DESC, id) WHERE status = 'requested';

-- Every evaluation of a case: the facts it saw, the risk, the rule version and the full decision with
-- its condition traces, so the explanation can be shown (and re-rendered in any language) later.
CREATE TABLE case_decisions (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id       bigint NOT NULL REFERENCES cases(id),
  at            timestamptz NOT NULL,
  trigger       text NOT NULL, -- submitted | parcel_signed | return_received | manual
  rule_version  integer REFERENCES rule_versions(version),
  outcome       text NOT NULL, -- approve | reject | manual
  decided_by    text,
  applied       text, -- what the decision did to the case: approve | reject | null
  facts         jsonb NOT NULL,
  risk          jsonb NOT NULL,
  decision      jsonb NOT NULL
);
CREATE INDEX case_decisions_case_idx ON case_decisions (case_id, id);

-- Risk and quality alerts; the dedupe key makes raising one idempotent.
CREATE TABLE alerts (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind             text NOT NULL, -- case_risk | sku_quality | category_quality
  subject          text NOT NULL,
  severity         text NOT NULL, -- warning | critical
  status           text NOT NULL DEFAULT 'open', -- open | acknowledged
  dedupe_key       text NOT NULL UNIQUE,
  case_id          bigint REFERENCES cases(id),
  reason           jsonb NOT NULL,
  data             jsonb NOT NULL DEFAULT '{}',
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  acknowledged_by  text,
  acknowledged_at  timestamptz,
  note             text
);
CREATE INDEX alerts_status_idx ON alerts (status, id DESC);

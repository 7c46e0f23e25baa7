-- Bulk imports of order history from a spreadsheet (aftersales import orders): one row per file and
-- shop, keyed by the file's content hash, with where a killed import resumes; the rows it rejected and
-- why; refunds it could not link to an order; and the refund documents already imported, so importing
-- the same refunds again is a no-op.

CREATE TABLE imports (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  shop_id       text NOT NULL REFERENCES shops(id),
  file_sha256   text NOT NULL,
  file_name     text NOT NULL,
  file_size     bigint NOT NULL,
  format        text NOT NULL, -- csv | xlsx
  mapping       jsonb NOT NULL,
  status        text NOT NULL, -- running | completed
  -- everything before this byte offset (CSV) and row number is imported; a resumed import starts there
  byte_offset   bigint NOT NULL DEFAULT 0,
  rows_done     integer NOT NULL DEFAULT 0,
  batches       integer NOT NULL DEFAULT 0,
  counts        jsonb NOT NULL DEFAULT '{}',
  started_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  completed_at  timestamptz,
  UNIQUE (shop_id, file_sha256)
);

CREATE TABLE import_rejects (
  import_id  bigint NOT NULL REFERENCES imports(id),
  row_no     integer NOT NULL, -- 1 = the first row under the header
  reason     text NOT NULL,
  message    text NOT NULL,
  cells      text[] NOT NULL,
  PRIMARY KEY (import_id, row_no)
);

-- Refund documents (Online Retail's C invoices, a template's refund ids) already imported.
CREATE TABLE imported_refunds (
  shop_id      text NOT NULL REFERENCES shops(id),
  external_id  text NOT NULL,
  import_id    bigint NOT NULL REFERENCES imports(id),
  PRIMARY KEY (shop_id, external_id)
);

-- Money that went back to a customer with no order line to hang it on: no customer, no earlier
-- purchase of the SKU with enough left, or a discount/shipping credit without goods.
CREATE TABLE orphan_refunds (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  shop_id      text NOT NULL REFERENCES shops(id),
  external_id  text NOT NULL, -- refund document id and line number: C536379:1
  import_id    bigint REFERENCES imports(id),
  customer_id  text,
  order_ref    text,
  kind         text NOT NULL, -- goods | adjustment | voucher | shipping | discount
  sku          text NOT NULL,
  title        text NOT NULL,
  quantity     integer NOT NULL CHECK (quantity > 0),
  unit_price   bigint NOT NULL,
  amount       bigint NOT NULL,
  currency     text NOT NULL,
  reason       text NOT NULL,
  refunded_at  timestamptz NOT NULL,
  UNIQUE (shop_id, external_id)
);
CREATE INDEX orphan_refunds_customer_idx ON orphan_refunds (customer_id);

ALTER TABLE orders ADD COLUMN country text;

-- What was refunded of a line, looked up by line (the importer links refunds to earlier lines).
CREATE INDEX refund_lines_line_idx ON refund_lines (order_line_id);

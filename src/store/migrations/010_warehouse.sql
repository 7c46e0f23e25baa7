-- Warehouse receiving (收货), quality control (质检) and the inventory ledger (库存台账).

-- Where returned goods land and replacements leave from. One is the default. A warehouse that allows
-- backorder (超卖/欠货) lets a reship take sellable stock below zero; a SKU's own setting wins.
-- The default warehouse allows it: the migration cannot know the opening stock, so reships keep working
-- until the merchant counts stock in and turns backorder off (docs/warehouse.md).
CREATE TABLE warehouses (
  id               text PRIMARY KEY,
  name             text NOT NULL,
  allow_backorder  boolean NOT NULL DEFAULT false,
  is_default       boolean NOT NULL DEFAULT false,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX warehouses_one_default ON warehouses ((true)) WHERE is_default;
INSERT INTO warehouses (id, name, allow_backorder, is_default) VALUES ('default', '默认仓 Default', true, true);

-- A receipt is one arrival (a parcel or a scan); `key` makes receiving it again a replay, not a second
-- receipt. `quantity` and `condition` stay the receipt's total and its worst condition.
ALTER TABLE receipts
  ADD COLUMN warehouse_id  text NOT NULL DEFAULT 'default' REFERENCES warehouses(id),
  ADD COLUMN key           text,
  ADD COLUMN scanned       text,
  ADD COLUMN carrier       text,
  ADD COLUMN tracking_no   text,
  ADD COLUMN photos        jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN received_by   text;
CREATE UNIQUE INDEX receipts_key_idx ON receipts (key) WHERE key IS NOT NULL;

-- What arrived, per case item (order line) and condition: several lines of one order line are units in
-- different conditions. `stocked`: whether the units entered stock (an empty box or a wrong item holds
-- none of the SKU). `quality_hold`: received for a quality reason.
CREATE TABLE receipt_lines (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  receipt_id     bigint NOT NULL REFERENCES receipts(id),
  case_id        bigint NOT NULL REFERENCES cases(id),
  order_line_id  bigint NOT NULL REFERENCES order_lines(id),
  sku            text NOT NULL,
  quantity       integer NOT NULL CHECK (quantity > 0),
  condition      text NOT NULL,
  photos         jsonb NOT NULL DEFAULT '[]',
  stocked        boolean NOT NULL,
  quality_hold   boolean NOT NULL DEFAULT false,
  inspected      integer NOT NULL DEFAULT 0 CHECK (inspected >= 0 AND inspected <= quantity)
);
CREATE INDEX receipt_lines_receipt_idx ON receipt_lines (receipt_id);
CREATE INDEX receipt_lines_case_idx ON receipt_lines (case_id);

-- 质检: one row per inspected group of units of a receipt line. Fail dispositions: defective (kept,
-- not sellable), scrap (报废) or return_to_vendor (退供应商), both counted out of stock.
CREATE TABLE inspections (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  receipt_line_id  bigint NOT NULL REFERENCES receipt_lines(id),
  case_id          bigint NOT NULL REFERENCES cases(id),
  key              text UNIQUE,
  quantity         integer NOT NULL CHECK (quantity > 0),
  result           text NOT NULL CHECK (result IN ('pass', 'fail')),
  disposition      text NOT NULL CHECK (disposition IN ('sellable', 'defective', 'scrap', 'return_to_vendor')),
  finding          text,
  deduction        bigint CHECK (deduction >= 0),
  note             text,
  inspected_by     text NOT NULL,
  inspected_at     timestamptz NOT NULL
);
CREATE INDEX inspections_case_idx ON inspections (case_id);
CREATE INDEX inspections_line_idx ON inspections (receipt_line_id);

-- 无头件: a parcel that matched no case, kept until someone matches it (then it is received).
CREATE TABLE unidentified_parcels (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key           text UNIQUE,
  warehouse_id  text NOT NULL REFERENCES warehouses(id),
  scanned       text NOT NULL,
  carrier       text,
  tracking_no   text,
  contents      text,
  photos        jsonb NOT NULL DEFAULT '[]',
  note          text,
  status        text NOT NULL DEFAULT 'open', -- open | matched
  received_by   text NOT NULL,
  received_at   timestamptz NOT NULL,
  case_id       bigint REFERENCES cases(id),
  receipt_id    bigint REFERENCES receipts(id),
  matched_by    text,
  matched_at    timestamptz
);
CREATE INDEX unidentified_parcels_open_idx ON unidentified_parcels (id DESC) WHERE status = 'open';
CREATE INDEX unidentified_parcels_tracking_idx ON unidentified_parcels (tracking_no);

-- Stock per SKU and warehouse, kept in the same transaction as the movement that changes it.
-- sellable (可售) may go below zero only with backorder; quarantine (待检) and defective (残次) never.
-- scrapped and returned_to_vendor count what left stock that way.
CREATE TABLE inventory_balances (
  warehouse_id        text NOT NULL REFERENCES warehouses(id),
  sku                 text NOT NULL,
  sellable            bigint NOT NULL DEFAULT 0,
  quarantine          bigint NOT NULL DEFAULT 0 CHECK (quarantine >= 0),
  defective           bigint NOT NULL DEFAULT 0 CHECK (defective >= 0),
  scrapped            bigint NOT NULL DEFAULT 0 CHECK (scrapped >= 0),
  returned_to_vendor  bigint NOT NULL DEFAULT 0 CHECK (returned_to_vendor >= 0),
  allow_backorder     boolean, -- null: the warehouse's setting
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (warehouse_id, sku)
);
CREATE INDEX inventory_balances_sku_idx ON inventory_balances (sku);

-- The ledger: every change of a balance, keyed by its source (a receipt line, an inspection, a reship
-- or exchange line, a stock count). The unique key is what applies each movement exactly once.
CREATE TABLE inventory_movements (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source_kind         text NOT NULL, -- receipt | inspection | reship | exchange | adjustment
  source_key          text NOT NULL,
  warehouse_id        text NOT NULL REFERENCES warehouses(id),
  sku                 text NOT NULL,
  sellable            integer NOT NULL DEFAULT 0,
  quarantine          integer NOT NULL DEFAULT 0,
  defective           integer NOT NULL DEFAULT 0,
  scrapped            integer NOT NULL DEFAULT 0,
  returned_to_vendor  integer NOT NULL DEFAULT 0,
  case_id             bigint REFERENCES cases(id),
  actor               text NOT NULL,
  note                text,
  at                  timestamptz NOT NULL,
  UNIQUE (source_kind, source_key)
);
CREATE INDEX inventory_movements_sku_idx ON inventory_movements (sku, id);
CREATE INDEX inventory_movements_at_idx ON inventory_movements (at, id);
CREATE INDEX inventory_movements_case_idx ON inventory_movements (case_id) WHERE case_id IS NOT NULL;

-- Existing receipts: spread each over its case's items in line order (the units arrived in that order),
-- as lines in the receipt's condition, with their inspection and the movements they would have made.
INSERT INTO receipt_lines (receipt_id, case_id, order_line_id, sku, quantity, condition, stocked, quality_hold,
                           inspected)
SELECT r.id, r.case_id, i.order_line_id, i.sku,
       least(i.hi, r.hi) - greatest(i.lo, r.lo), r.condition,
       r.condition NOT IN ('empty_box', 'wrong_item'),
       r.reason = ANY (ARRAY['quality', 'damaged', 'not_as_described', 'spoiled']),
       CASE WHEN r.qc_result IS NULL THEN 0 ELSE least(i.hi, r.hi) - greatest(i.lo, r.lo) END
  FROM (SELECT rc.*, c.reason,
               sum(rc.quantity) OVER (PARTITION BY rc.case_id ORDER BY rc.id) - rc.quantity AS lo,
               sum(rc.quantity) OVER (PARTITION BY rc.case_id ORDER BY rc.id) AS hi
          FROM receipts rc JOIN cases c ON c.id = rc.case_id) r
  JOIN (SELECT ci.case_id, ci.order_line_id, l.sku,
               sum(ci.quantity) OVER (PARTITION BY ci.case_id ORDER BY l.line_no, l.id) - ci.quantity AS lo,
               sum(ci.quantity) OVER (PARTITION BY ci.case_id ORDER BY l.line_no, l.id) AS hi
          FROM case_items ci JOIN order_lines l ON l.id = ci.order_line_id) i
    ON i.case_id = r.case_id AND i.lo < r.hi AND r.lo < i.hi;

INSERT INTO inspections (receipt_line_id, case_id, quantity, result, disposition, note, inspected_by, inspected_at)
SELECT rl.id, rl.case_id, rl.quantity, r.qc_result,
       CASE WHEN r.qc_result = 'pass' THEN 'sellable' ELSE 'defective' END, r.qc_note, 'system:migration',
       coalesce(r.inspected_at, r.received_at)
  FROM receipt_lines rl JOIN receipts r ON r.id = rl.receipt_id
 WHERE r.qc_result IN ('pass', 'fail');

INSERT INTO inventory_movements (source_kind, source_key, warehouse_id, sku, quarantine, case_id, actor, note, at)
SELECT 'receipt', rl.id::text, r.warehouse_id, rl.sku, rl.quantity, rl.case_id, 'system:migration',
       'receipt before the inventory ledger', r.received_at
  FROM receipt_lines rl JOIN receipts r ON r.id = rl.receipt_id
 WHERE rl.stocked;

INSERT INTO inventory_movements (source_kind, source_key, warehouse_id, sku, sellable, quarantine, defective,
                                 case_id, actor, note, at)
SELECT 'inspection', q.id::text, r.warehouse_id, rl.sku,
       CASE WHEN q.result = 'pass' THEN q.quantity ELSE 0 END, -q.quantity,
       CASE WHEN q.result = 'pass' THEN 0 ELSE q.quantity END, rl.case_id, 'system:migration',
       'inspection before the inventory ledger', q.inspected_at
  FROM inspections q JOIN receipt_lines rl ON rl.id = q.receipt_line_id JOIN receipts r ON r.id = rl.receipt_id
 WHERE rl.stocked;

INSERT INTO inventory_balances (warehouse_id, sku, sellable, quarantine, defective)
SELECT warehouse_id, sku, sum(sellable), sum(quarantine), sum(defective)
  FROM inventory_movements GROUP BY warehouse_id, sku;

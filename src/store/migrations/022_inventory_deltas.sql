-- Stock balances off the request path (issue 12). Every movement used to update its SKU's balance row in
-- the moving transaction, so concurrent receipts and inspections of one SKU queued on that row until each
-- committed. Now a movement appends its delta here — an insert nobody waits on — and the stock fold job
-- (src/jobs/stock-fold.ts) adds deltas into inventory_balances in batches (SKIP LOCKED, any number of
-- workers). The exact stock is always the balance plus its waiting deltas (the inventory_stock view); a
-- movement that takes stock reads it exactly under a per-SKU lock (src/store/inventory.ts).

CREATE TABLE inventory_deltas (
  id                  bigserial PRIMARY KEY,
  warehouse_id        text NOT NULL,
  sku                 text NOT NULL,
  sellable            bigint NOT NULL DEFAULT 0,
  quarantine          bigint NOT NULL DEFAULT 0,
  defective           bigint NOT NULL DEFAULT 0,
  scrapped            bigint NOT NULL DEFAULT 0,
  returned_to_vendor  bigint NOT NULL DEFAULT 0,
  at                  timestamptz NOT NULL
);
CREATE INDEX inventory_deltas_sku_idx ON inventory_deltas (warehouse_id, sku);

-- A balance row alone is now a partial sum (deltas may be folded in any order), so the rule that no bucket
-- but sellable goes below zero holds for the exact stock, checked where stock is taken — not on the row.
ALTER TABLE inventory_balances
  DROP CONSTRAINT IF EXISTS inventory_balances_quarantine_check,
  DROP CONSTRAINT IF EXISTS inventory_balances_defective_check,
  DROP CONSTRAINT IF EXISTS inventory_balances_scrapped_check,
  DROP CONSTRAINT IF EXISTS inventory_balances_returned_to_vendor_check;

-- The exact stock: each balance with its deltas not yet folded.
CREATE VIEW inventory_stock AS
SELECT b.warehouse_id, b.sku,
       b.sellable + coalesce(d.sellable, 0) AS sellable,
       b.quarantine + coalesce(d.quarantine, 0) AS quarantine,
       b.defective + coalesce(d.defective, 0) AS defective,
       b.scrapped + coalesce(d.scrapped, 0) AS scrapped,
       b.returned_to_vendor + coalesce(d.returned_to_vendor, 0) AS returned_to_vendor,
       b.allow_backorder,
       greatest(b.updated_at, d.at) AS updated_at
  FROM inventory_balances b
  LEFT JOIN LATERAL (
    SELECT sum(x.sellable)::bigint AS sellable, sum(x.quarantine)::bigint AS quarantine,
           sum(x.defective)::bigint AS defective, sum(x.scrapped)::bigint AS scrapped,
           sum(x.returned_to_vendor)::bigint AS returned_to_vendor, max(x.at) AS at
      FROM inventory_deltas x
     WHERE x.warehouse_id = b.warehouse_id AND x.sku = b.sku) d ON true;

-- Add up to `batch` of the oldest deltas into the balances and delete them, in the caller's transaction;
-- returns how many. Claimed with SKIP LOCKED; balances updated in key order (no crosswise waits).
CREATE FUNCTION inventory_fold(batch integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE n integer;
BEGIN
  WITH d AS (
    DELETE FROM inventory_deltas WHERE id IN (
      SELECT id FROM inventory_deltas ORDER BY id LIMIT batch FOR UPDATE SKIP LOCKED)
    RETURNING *
  ), g AS (
    SELECT warehouse_id, sku, sum(sellable) AS sellable, sum(quarantine) AS quarantine,
           sum(defective) AS defective, sum(scrapped) AS scrapped, sum(returned_to_vendor) AS returned_to_vendor,
           max(at) AS at, count(*) AS n
      FROM d GROUP BY 1, 2
  ), up AS (
    INSERT INTO inventory_balances AS b (warehouse_id, sku, sellable, quarantine, defective, scrapped,
                                         returned_to_vendor, updated_at)
    SELECT warehouse_id, sku, sellable, quarantine, defective, scrapped, returned_to_vendor, at
      FROM g ORDER BY 1, 2
    ON CONFLICT (warehouse_id, sku) DO UPDATE
       SET sellable = b.sellable + excluded.sellable, quarantine = b.quarantine + excluded.quarantine,
           defective = b.defective + excluded.defective, scrapped = b.scrapped + excluded.scrapped,
           returned_to_vendor = b.returned_to_vendor + excluded.returned_to_vendor,
           updated_at = greatest(b.updated_at, excluded.updated_at)
  )
  SELECT coalesce(sum(g.n), 0) INTO n FROM g;
  RETURN n;
END $$;

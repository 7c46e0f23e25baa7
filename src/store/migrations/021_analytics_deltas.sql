-- Analytics off the request path (issue 12). Migration 012's triggers added each write's share straight
-- into the rollup rows, so every concurrent flow of a shop queued on the same few rows (one shop × month ×
-- reason) until it committed. Now a trigger appends its share to a delta table — an insert nobody waits
-- on — and the analytics fold job (src/jobs/analytics-fold.ts) adds the deltas into the rollups in
-- batches, claiming them with SKIP LOCKED so any number of workers may fold. What a write contributes is
-- computed exactly as before, so `analytics_rebuild()` still equals what the incremental path produces
-- once the deltas are folded. Dashboards lag by the job's period (about a second).

CREATE TABLE rollup_sales_delta (
  id               bigserial PRIMARY KEY,
  at               timestamptz NOT NULL DEFAULT now(),
  shop_id          text NOT NULL,
  month            date NOT NULL,
  sku              text NOT NULL,
  currency         text NOT NULL,
  category         text NOT NULL DEFAULT '',
  sold_qty         bigint NOT NULL DEFAULT 0,
  sold_amount      bigint NOT NULL DEFAULT 0,
  refunded_qty     bigint NOT NULL DEFAULT 0,
  refunded_amount  bigint NOT NULL DEFAULT 0
);
CREATE TABLE rollup_category_sales_delta (
  id               bigserial PRIMARY KEY,
  at               timestamptz NOT NULL DEFAULT now(),
  shop_id          text NOT NULL,
  month            date NOT NULL,
  category         text NOT NULL,
  currency         text NOT NULL,
  sold_qty         bigint NOT NULL DEFAULT 0,
  sold_amount      bigint NOT NULL DEFAULT 0,
  refunded_qty     bigint NOT NULL DEFAULT 0,
  refunded_amount  bigint NOT NULL DEFAULT 0
);
CREATE TABLE rollup_cases_delta (
  id         bigserial PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT now(),
  shop_id    text NOT NULL,
  month      date NOT NULL,
  reason     text NOT NULL,
  type       text NOT NULL,
  cases      bigint NOT NULL DEFAULT 0,
  decided    bigint NOT NULL DEFAULT 0,
  automated  bigint NOT NULL DEFAULT 0
);
CREATE TABLE rollup_stages_delta (
  id        bigserial PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  shop_id   text NOT NULL,
  month     date NOT NULL,
  stage     text NOT NULL,
  bucket    smallint NOT NULL,
  n         bigint NOT NULL DEFAULT 0,
  seconds   double precision NOT NULL DEFAULT 0
);
CREATE TABLE rollup_costs_delta (
  id        bigserial PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  shop_id   text NOT NULL,
  month     date NOT NULL,
  kind      text NOT NULL,
  tender    text NOT NULL,
  currency  text NOT NULL,
  amount    bigint NOT NULL DEFAULT 0,
  entries   bigint NOT NULL DEFAULT 0
);

-- One row per fold batch: how many deltas it added and how long they had waited (the rollup lag), for the
-- benchmark and GET /healthz. The fold job keeps a day of it.
CREATE TABLE analytics_folds (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  deltas      integer NOT NULL,
  lag_p50_ms  double precision NOT NULL,
  lag_p95_ms  double precision NOT NULL,
  lag_max_ms  double precision NOT NULL
);
CREATE INDEX analytics_folds_at_idx ON analytics_folds (at);

CREATE OR REPLACE FUNCTION rollup_order_lines() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  dir integer := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
  tz text := analytics_tz();
BEGIN
  INSERT INTO rollup_sales_delta (shop_id, month, sku, currency, category, sold_qty, sold_amount)
  SELECT o.shop_id, analytics_month(coalesce(o.placed_at, o.paid_at, o.created_at), tz), l.sku, o.currency,
         coalesce(max(l.category), ''), dir * sum(l.quantity), dir * sum(l.paid)
    FROM changed_lines l JOIN orders o ON o.id = l.order_id
   GROUP BY 1, 2, 3, 4;
  INSERT INTO rollup_category_sales_delta (shop_id, month, category, currency, sold_qty, sold_amount)
  SELECT o.shop_id, analytics_month(coalesce(o.placed_at, o.paid_at, o.created_at), tz), coalesce(l.category, ''),
         o.currency, dir * sum(l.quantity), dir * sum(l.paid)
    FROM changed_lines l JOIN orders o ON o.id = l.order_id
   GROUP BY 1, 2, 3, 4;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION rollup_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE tz text := analytics_tz();
BEGIN
  -- Refunded units and goods money per SKU; a refund split over tenders carries its units on one leg.
  INSERT INTO rollup_sales_delta (shop_id, month, sku, currency, category, refunded_qty, refunded_amount)
  SELECT e.shop_id, analytics_month(e.occurred_at, tz), l.sku, e.currency, coalesce(max(l.category), ''),
         sum(rl.quantity), sum(rl.amount)
    FROM new_entries e
    JOIN refund_lines rl ON rl.refund_id = e.refund_id
    JOIN order_lines l ON l.id = rl.order_line_id
   WHERE e.kind = 'refund_goods'
   GROUP BY 1, 2, 3, 4;
  INSERT INTO rollup_category_sales_delta (shop_id, month, category, currency, refunded_qty, refunded_amount)
  SELECT e.shop_id, analytics_month(e.occurred_at, tz), coalesce(l.category, ''), e.currency,
         sum(rl.quantity), sum(rl.amount)
    FROM new_entries e
    JOIN refund_lines rl ON rl.refund_id = e.refund_id
    JOIN order_lines l ON l.id = rl.order_line_id
   WHERE e.kind = 'refund_goods'
   GROUP BY 1, 2, 3, 4;
  INSERT INTO rollup_costs_delta (shop_id, month, kind, tender, currency, amount, entries)
  SELECT shop_id, analytics_month(occurred_at, tz), kind, coalesce(tender, ''), currency, sum(amount), count(*)
    FROM new_entries GROUP BY 1, 2, 3, 4, 5;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION rollup_new_cases() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE tz text := analytics_tz();
BEGIN
  INSERT INTO rollup_cases_delta (shop_id, month, reason, type, cases)
  SELECT shop_id, analytics_month(created_at, tz), reason, type, count(*) FROM new_cases GROUP BY 1, 2, 3, 4;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION rollup_case_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE tz text := analytics_tz();
BEGIN
  -- Only moves between states and decisions count; most events (notes, claims, scans) add nothing.
  IF NOT EXISTS (SELECT 1 FROM new_events
                  WHERE action IN ('approve', 'reject') OR to_status IS DISTINCT FROM from_status) THEN
    RETURN NULL;
  END IF;
  -- A case's first approve or reject decides it; by a rule, it was automated.
  INSERT INTO rollup_cases_delta (shop_id, month, reason, type, decided, automated)
  SELECT c.shop_id, analytics_month(c.created_at, tz), c.reason, c.type, count(*),
         count(*) FILTER (WHERE e.actor LIKE 'rule:%')
    FROM new_events e JOIN cases c ON c.id = e.case_id
   WHERE e.action IN ('approve', 'reject')
     AND NOT EXISTS (SELECT 1 FROM case_events p
                      WHERE p.case_id = e.case_id AND p.id < e.id AND p.action IN ('approve', 'reject'))
   GROUP BY 1, 2, 3, 4;
  -- Every move out of a state ends a stay there, which began with the move before it.
  INSERT INTO rollup_stages_delta (shop_id, month, stage, bucket, n, seconds)
  SELECT c.shop_id, analytics_month(e.at, tz), e.from_status, analytics_bucket(s.seconds), count(*), sum(s.seconds)
    FROM new_events e
    JOIN cases c ON c.id = e.case_id
   CROSS JOIN LATERAL (
     SELECT extract(epoch FROM e.at - p.at)::double precision AS seconds
       FROM case_events p
      WHERE p.case_id = e.case_id AND p.id < e.id AND p.to_status IS DISTINCT FROM p.from_status
      ORDER BY p.id DESC LIMIT 1) s
   WHERE e.from_status IS NOT NULL AND e.to_status IS DISTINCT FROM e.from_status
   GROUP BY 1, 2, 3, 4;
  RETURN NULL;
END $$;

-- Add up to `batch` of each delta table's oldest rows into the rollups and delete them, in the caller's
-- transaction; returns how many were folded. Deltas are claimed with SKIP LOCKED, so folders running at
-- once take different rows; each upserts its groups in key order, so two never wait on each other
-- crosswise.
CREATE FUNCTION analytics_fold(batch integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  lags double precision[] := '{}';
  part double precision[];
BEGIN
  WITH d AS (
    DELETE FROM rollup_sales_delta WHERE id IN (
      SELECT id FROM rollup_sales_delta ORDER BY id LIMIT batch FOR UPDATE SKIP LOCKED)
    RETURNING *
  ), up AS (
    INSERT INTO rollup_sales AS r (shop_id, month, sku, currency, category, sold_qty, sold_amount, refunded_qty,
                                   refunded_amount)
    SELECT shop_id, month, sku, currency, max(category), sum(sold_qty), sum(sold_amount), sum(refunded_qty),
           sum(refunded_amount)
      FROM d GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (shop_id, month, sku, currency) DO UPDATE
       SET sold_qty = r.sold_qty + excluded.sold_qty, sold_amount = r.sold_amount + excluded.sold_amount,
           refunded_qty = r.refunded_qty + excluded.refunded_qty,
           refunded_amount = r.refunded_amount + excluded.refunded_amount,
           category = CASE WHEN r.category = '' THEN excluded.category ELSE r.category END
  )
  SELECT coalesce(array_agg(1000 * extract(epoch FROM clock_timestamp() - at)), '{}') INTO part FROM d;
  lags := lags || part;

  WITH d AS (
    DELETE FROM rollup_category_sales_delta WHERE id IN (
      SELECT id FROM rollup_category_sales_delta ORDER BY id LIMIT batch FOR UPDATE SKIP LOCKED)
    RETURNING *
  ), up AS (
    INSERT INTO rollup_category_sales AS r (shop_id, month, category, currency, sold_qty, sold_amount,
                                            refunded_qty, refunded_amount)
    SELECT shop_id, month, category, currency, sum(sold_qty), sum(sold_amount), sum(refunded_qty),
           sum(refunded_amount)
      FROM d GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (shop_id, month, category, currency) DO UPDATE
       SET sold_qty = r.sold_qty + excluded.sold_qty, sold_amount = r.sold_amount + excluded.sold_amount,
           refunded_qty = r.refunded_qty + excluded.refunded_qty,
           refunded_amount = r.refunded_amount + excluded.refunded_amount
  )
  SELECT coalesce(array_agg(1000 * extract(epoch FROM clock_timestamp() - at)), '{}') INTO part FROM d;
  lags := lags || part;

  WITH d AS (
    DELETE FROM rollup_cases_delta WHERE id IN (
      SELECT id FROM rollup_cases_delta ORDER BY id LIMIT batch FOR UPDATE SKIP LOCKED)
    RETURNING *
  ), up AS (
    INSERT INTO rollup_cases AS r (shop_id, month, reason, type, cases, decided, automated)
    SELECT shop_id, month, reason, type, sum(cases), sum(decided), sum(automated)
      FROM d GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (shop_id, month, reason, type) DO UPDATE
       SET cases = r.cases + excluded.cases, decided = r.decided + excluded.decided,
           automated = r.automated + excluded.automated
  )
  SELECT coalesce(array_agg(1000 * extract(epoch FROM clock_timestamp() - at)), '{}') INTO part FROM d;
  lags := lags || part;

  WITH d AS (
    DELETE FROM rollup_stages_delta WHERE id IN (
      SELECT id FROM rollup_stages_delta ORDER BY id LIMIT batch FOR UPDATE SKIP LOCKED)
    RETURNING *
  ), up AS (
    INSERT INTO rollup_stages AS r (shop_id, month, stage, bucket, n, seconds)
    SELECT shop_id, month, stage, bucket, sum(n), sum(seconds)
      FROM d GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (shop_id, month, stage, bucket) DO UPDATE
       SET n = r.n + excluded.n, seconds = r.seconds + excluded.seconds
  )
  SELECT coalesce(array_agg(1000 * extract(epoch FROM clock_timestamp() - at)), '{}') INTO part FROM d;
  lags := lags || part;

  WITH d AS (
    DELETE FROM rollup_costs_delta WHERE id IN (
      SELECT id FROM rollup_costs_delta ORDER BY id LIMIT batch FOR UPDATE SKIP LOCKED)
    RETURNING *
  ), up AS (
    INSERT INTO rollup_costs AS r (shop_id, month, kind, tender, currency, amount, entries)
    SELECT shop_id, month, kind, tender, currency, sum(amount), sum(entries)
      FROM d GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (shop_id, month, kind, tender, currency) DO UPDATE
       SET amount = r.amount + excluded.amount, entries = r.entries + excluded.entries
  )
  SELECT coalesce(array_agg(1000 * extract(epoch FROM clock_timestamp() - at)), '{}') INTO part FROM d;
  lags := lags || part;

  IF cardinality(lags) > 0 THEN
    INSERT INTO analytics_folds (deltas, lag_p50_ms, lag_p95_ms, lag_max_ms)
    SELECT count(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY l), percentile_disc(0.95) WITHIN GROUP (ORDER BY l),
           max(l)
      FROM unnest(lags) l;
  END IF;
  RETURN cardinality(lags);
END $$;

-- The rebuild now also drops the deltas (the facts they came from are counted afresh). It holds back
-- writers of the facts while it runs, so no fact is both counted by it and left behind as a delta.
ALTER FUNCTION analytics_rebuild() RENAME TO analytics_recompute;
CREATE FUNCTION analytics_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  LOCK TABLE order_lines, ledger_entries, cases, case_events IN SHARE MODE;
  DELETE FROM rollup_sales_delta; DELETE FROM rollup_category_sales_delta; DELETE FROM rollup_cases_delta;
  DELETE FROM rollup_stages_delta; DELETE FROM rollup_costs_delta;
  PERFORM analytics_recompute();
END $$;

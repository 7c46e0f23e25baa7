-- Analytics rollups (售后分析): small tables kept in step with the facts by statement-level triggers, in the
-- writing transaction, so every analytics question is answered from a few thousand rows whatever the
-- number of cases — and is never stale. Months are the merchant's (settings.timezone). `aftersales
-- analytics rebuild` (store/analytics.ts) recomputes them from the facts, e.g. after the time zone changes.

CREATE FUNCTION analytics_tz() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT value #>> '{}' FROM settings WHERE key = 'timezone'), 'Asia/Shanghai')
$$;
CREATE FUNCTION analytics_month(t timestamptz, tz text) RETURNS date LANGUAGE sql STABLE AS $$
  SELECT date_trunc('month', t AT TIME ZONE tz)::date
$$;

-- A duration's histogram bucket: quarter octaves of seconds (each bucket ~19% wide), so percentiles are
-- read from counts to within a tenth.
CREATE FUNCTION analytics_bucket(seconds double precision) RETURNS smallint LANGUAGE sql IMMUTABLE AS $$
  SELECT floor(4 * log(2::numeric, (greatest(seconds, 0) + 1)::numeric))::smallint
$$;

-- Units and money sold (by the order's month) and refunded (by the refund's month), per SKU.
CREATE TABLE rollup_sales (
  shop_id          text NOT NULL,
  month            date NOT NULL,
  sku              text NOT NULL,
  currency         text NOT NULL,
  category         text NOT NULL DEFAULT '',
  sold_qty         bigint NOT NULL DEFAULT 0,
  sold_amount      bigint NOT NULL DEFAULT 0,
  refunded_qty     bigint NOT NULL DEFAULT 0,
  refunded_amount  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (shop_id, month, sku, currency)
);

-- The same by category: what the questions by shop, month and category read (a few hundred rows).
CREATE TABLE rollup_category_sales (
  shop_id          text NOT NULL,
  month            date NOT NULL,
  category         text NOT NULL,
  currency         text NOT NULL,
  sold_qty         bigint NOT NULL DEFAULT 0,
  sold_amount      bigint NOT NULL DEFAULT 0,
  refunded_qty     bigint NOT NULL DEFAULT 0,
  refunded_amount  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (shop_id, month, category, currency)
);

-- Cases by the month they were opened: how many, why, and how many were decided and by a rule.
CREATE TABLE rollup_cases (
  shop_id    text NOT NULL,
  month      date NOT NULL,
  reason     text NOT NULL,
  type       text NOT NULL,
  cases      bigint NOT NULL DEFAULT 0,
  decided    bigint NOT NULL DEFAULT 0,
  automated  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (shop_id, month, reason, type)
);

-- Time spent in each state, as a histogram by the month the case left it.
CREATE TABLE rollup_stages (
  shop_id   text NOT NULL,
  month     date NOT NULL,
  stage     text NOT NULL,
  bucket    smallint NOT NULL,
  n         bigint NOT NULL DEFAULT 0,
  seconds   double precision NOT NULL DEFAULT 0,
  PRIMARY KEY (shop_id, month, stage, bucket)
);

-- What after-sales cost, from the ledger: by kind and tender.
CREATE TABLE rollup_costs (
  shop_id   text NOT NULL,
  month     date NOT NULL,
  kind      text NOT NULL,
  tender    text NOT NULL,
  currency  text NOT NULL,
  amount    bigint NOT NULL DEFAULT 0,
  entries   bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (shop_id, month, kind, tender, currency)
);

CREATE FUNCTION rollup_order_lines() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  dir integer := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
  tz text := analytics_tz();
BEGIN
  INSERT INTO rollup_sales AS r (shop_id, month, sku, currency, category, sold_qty, sold_amount)
  SELECT o.shop_id, analytics_month(coalesce(o.placed_at, o.paid_at, o.created_at), tz), l.sku, o.currency,
         coalesce(max(l.category), ''), dir * sum(l.quantity), dir * sum(l.paid)
    FROM changed_lines l JOIN orders o ON o.id = l.order_id
   GROUP BY 1, 2, 3, 4
  ON CONFLICT (shop_id, month, sku, currency) DO UPDATE
     SET sold_qty = r.sold_qty + excluded.sold_qty, sold_amount = r.sold_amount + excluded.sold_amount,
         category = CASE WHEN r.category = '' THEN excluded.category ELSE r.category END;
  INSERT INTO rollup_category_sales AS r (shop_id, month, category, currency, sold_qty, sold_amount)
  SELECT o.shop_id, analytics_month(coalesce(o.placed_at, o.paid_at, o.created_at), tz), coalesce(l.category, ''),
         o.currency, dir * sum(l.quantity), dir * sum(l.paid)
    FROM changed_lines l JOIN orders o ON o.id = l.order_id
   GROUP BY 1, 2, 3, 4
  ON CONFLICT (shop_id, month, category, currency) DO UPDATE
     SET sold_qty = r.sold_qty + excluded.sold_qty, sold_amount = r.sold_amount + excluded.sold_amount;
  RETURN NULL;
END $$;
CREATE TRIGGER order_lines_rollup_insert AFTER INSERT ON order_lines
  REFERENCING NEW TABLE AS changed_lines FOR EACH STATEMENT EXECUTE FUNCTION rollup_order_lines();
CREATE TRIGGER order_lines_rollup_delete AFTER DELETE ON order_lines
  REFERENCING OLD TABLE AS changed_lines FOR EACH STATEMENT EXECUTE FUNCTION rollup_order_lines();

CREATE FUNCTION rollup_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE tz text := analytics_tz();
BEGIN
  -- Refunded units and goods money per SKU; a refund split over tenders carries its units on one leg.
  INSERT INTO rollup_sales AS r (shop_id, month, sku, currency, category, refunded_qty, refunded_amount)
  SELECT e.shop_id, analytics_month(e.occurred_at, tz), l.sku, e.currency, coalesce(max(l.category), ''),
         sum(rl.quantity), sum(rl.amount)
    FROM new_entries e
    JOIN refund_lines rl ON rl.refund_id = e.refund_id
    JOIN order_lines l ON l.id = rl.order_line_id
   WHERE e.kind = 'refund_goods'
   GROUP BY 1, 2, 3, 4
  ON CONFLICT (shop_id, month, sku, currency) DO UPDATE
     SET refunded_qty = r.refunded_qty + excluded.refunded_qty,
         refunded_amount = r.refunded_amount + excluded.refunded_amount;
  INSERT INTO rollup_category_sales AS r (shop_id, month, category, currency, refunded_qty, refunded_amount)
  SELECT e.shop_id, analytics_month(e.occurred_at, tz), coalesce(l.category, ''), e.currency,
         sum(rl.quantity), sum(rl.amount)
    FROM new_entries e
    JOIN refund_lines rl ON rl.refund_id = e.refund_id
    JOIN order_lines l ON l.id = rl.order_line_id
   WHERE e.kind = 'refund_goods'
   GROUP BY 1, 2, 3, 4
  ON CONFLICT (shop_id, month, category, currency) DO UPDATE
     SET refunded_qty = r.refunded_qty + excluded.refunded_qty,
         refunded_amount = r.refunded_amount + excluded.refunded_amount;
  INSERT INTO rollup_costs AS r (shop_id, month, kind, tender, currency, amount, entries)
  SELECT shop_id, analytics_month(occurred_at, tz), kind, coalesce(tender, ''), currency, sum(amount), count(*)
    FROM new_entries GROUP BY 1, 2, 3, 4, 5
  ON CONFLICT (shop_id, month, kind, tender, currency) DO UPDATE
     SET amount = r.amount + excluded.amount, entries = r.entries + excluded.entries;
  RETURN NULL;
END $$;
CREATE TRIGGER ledger_rollup AFTER INSERT ON ledger_entries
  REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION rollup_ledger();

CREATE FUNCTION rollup_new_cases() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE tz text := analytics_tz();
BEGIN
  INSERT INTO rollup_cases AS r (shop_id, month, reason, type, cases)
  SELECT shop_id, analytics_month(created_at, tz), reason, type, count(*) FROM new_cases GROUP BY 1, 2, 3, 4
  ON CONFLICT (shop_id, month, reason, type) DO UPDATE SET cases = r.cases + excluded.cases;
  RETURN NULL;
END $$;
CREATE TRIGGER cases_rollup AFTER INSERT ON cases
  REFERENCING NEW TABLE AS new_cases FOR EACH STATEMENT EXECUTE FUNCTION rollup_new_cases();

CREATE FUNCTION rollup_case_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE tz text := analytics_tz();
BEGIN
  -- A case's first approve or reject decides it; by a rule, it was automated.
  INSERT INTO rollup_cases AS r (shop_id, month, reason, type, decided, automated)
  SELECT c.shop_id, analytics_month(c.created_at, tz), c.reason, c.type, count(*),
         count(*) FILTER (WHERE e.actor LIKE 'rule:%')
    FROM new_events e JOIN cases c ON c.id = e.case_id
   WHERE e.action IN ('approve', 'reject')
     AND NOT EXISTS (SELECT 1 FROM case_events p
                      WHERE p.case_id = e.case_id AND p.id < e.id AND p.action IN ('approve', 'reject'))
   GROUP BY 1, 2, 3, 4
  ON CONFLICT (shop_id, month, reason, type) DO UPDATE
     SET decided = r.decided + excluded.decided, automated = r.automated + excluded.automated;
  -- Every move out of a state ends a stay there, which began with the move before it.
  INSERT INTO rollup_stages AS r (shop_id, month, stage, bucket, n, seconds)
  SELECT c.shop_id, analytics_month(e.at, tz), e.from_status, analytics_bucket(s.seconds), count(*), sum(s.seconds)
    FROM new_events e
    JOIN cases c ON c.id = e.case_id
   CROSS JOIN LATERAL (
     SELECT extract(epoch FROM e.at - p.at)::double precision AS seconds
       FROM case_events p
      WHERE p.case_id = e.case_id AND p.id < e.id AND p.to_status IS DISTINCT FROM p.from_status
      ORDER BY p.id DESC LIMIT 1) s
   WHERE e.from_status IS NOT NULL AND e.to_status IS DISTINCT FROM e.from_status
   GROUP BY 1, 2, 3, 4
  ON CONFLICT (shop_id, month, stage, bucket) DO UPDATE
     SET n = r.n + excluded.n, seconds = r.seconds + excluded.seconds;
  RETURN NULL;
END $$;
CREATE TRIGGER case_events_rollup AFTER INSERT ON case_events
  REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION rollup_case_events();

-- The rollups recomputed from the facts: for the facts already here, a changed time zone, or a check that
-- the triggers kept them right (test/flows/analytics.test.ts compares the two).
CREATE FUNCTION analytics_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE tz text := analytics_tz();
BEGIN
  DELETE FROM rollup_sales; DELETE FROM rollup_category_sales; DELETE FROM rollup_cases; DELETE FROM rollup_stages;
  DELETE FROM rollup_costs;
  INSERT INTO rollup_sales (shop_id, month, sku, currency, category, sold_qty, sold_amount)
  SELECT o.shop_id, analytics_month(coalesce(o.placed_at, o.paid_at, o.created_at), tz), l.sku, o.currency,
         coalesce(max(l.category), ''), sum(l.quantity), sum(l.paid)
    FROM order_lines l JOIN orders o ON o.id = l.order_id GROUP BY 1, 2, 3, 4;
  INSERT INTO rollup_sales AS r (shop_id, month, sku, currency, category, refunded_qty, refunded_amount)
  SELECT e.shop_id, analytics_month(e.occurred_at, tz), l.sku, e.currency, coalesce(max(l.category), ''),
         sum(rl.quantity), sum(rl.amount)
    FROM ledger_entries e
    JOIN refund_lines rl ON rl.refund_id = e.refund_id
    JOIN order_lines l ON l.id = rl.order_line_id
   WHERE e.kind = 'refund_goods'
   GROUP BY 1, 2, 3, 4
  ON CONFLICT (shop_id, month, sku, currency) DO UPDATE
     SET refunded_qty = excluded.refunded_qty, refunded_amount = excluded.refunded_amount;
  INSERT INTO rollup_category_sales (shop_id, month, category, currency, sold_qty, sold_amount)
  SELECT o.shop_id, analytics_month(coalesce(o.placed_at, o.paid_at, o.created_at), tz), coalesce(l.category, ''),
         o.currency, sum(l.quantity), sum(l.paid)
    FROM order_lines l JOIN orders o ON o.id = l.order_id GROUP BY 1, 2, 3, 4;
  INSERT INTO rollup_category_sales AS r (shop_id, month, category, currency, refunded_qty, refunded_amount)
  SELECT e.shop_id, analytics_month(e.occurred_at, tz), coalesce(l.category, ''), e.currency,
         sum(rl.quantity), sum(rl.amount)
    FROM ledger_entries e
    JOIN refund_lines rl ON rl.refund_id = e.refund_id
    JOIN order_lines l ON l.id = rl.order_line_id
   WHERE e.kind = 'refund_goods'
   GROUP BY 1, 2, 3, 4
  ON CONFLICT (shop_id, month, category, currency) DO UPDATE
     SET refunded_qty = excluded.refunded_qty, refunded_amount = excluded.refunded_amount;
  INSERT INTO rollup_costs (shop_id, month, kind, tender, currency, amount, entries)
  SELECT shop_id, analytics_month(occurred_at, tz), kind, coalesce(tender, ''), currency, sum(amount), count(*)
    FROM ledger_entries GROUP BY 1, 2, 3, 4, 5;
  INSERT INTO rollup_cases (shop_id, month, reason, type, cases, decided, automated)
  SELECT c.shop_id, analytics_month(c.created_at, tz), c.reason, c.type, count(*),
         count(d.actor), count(*) FILTER (WHERE d.actor LIKE 'rule:%')
    FROM cases c
    LEFT JOIN LATERAL (SELECT e.actor FROM case_events e
                        WHERE e.case_id = c.id AND e.action IN ('approve', 'reject')
                        ORDER BY e.id LIMIT 1) d ON true
   GROUP BY 1, 2, 3, 4;
  INSERT INTO rollup_stages (shop_id, month, stage, bucket, n, seconds)
  SELECT c.shop_id, analytics_month(t.at, tz), t.from_status, analytics_bucket(t.seconds), count(*), sum(t.seconds)
    FROM (SELECT e.case_id, e.at, e.from_status,
                 extract(epoch FROM e.at - lag(e.at) OVER (PARTITION BY e.case_id ORDER BY e.id))::double precision
                   AS seconds
            FROM case_events e WHERE e.to_status IS DISTINCT FROM e.from_status) t
    JOIN cases c ON c.id = t.case_id
   WHERE t.from_status IS NOT NULL AND t.seconds IS NOT NULL
   GROUP BY 1, 2, 3, 4;
END $$;

SELECT analytics_rebuild();

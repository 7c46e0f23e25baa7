-- Cheaper analytics triggers (issue 12). Measured with track_functions over the return-and-refund
-- benchmark, 021's statement triggers still cost the writing transactions about 5.5 ms of PostgreSQL time
-- per flow on case_events (0.6 ms a statement: a transition table and two joined inserts, for every event
-- even a note) and 1.5 ms on ledger_entries. Now a row trigger that fires only for what counts — a
-- decision or a move between states; a goods refund's ledger entry — queues the fact's id, and the fold
-- computes the deltas for a whole batch at once, exactly as 021's triggers did for each statement.

CREATE TABLE rollup_queue (
  id         bigserial PRIMARY KEY,
  fact       text NOT NULL,            -- 'case_event' | 'ledger_entry'
  fact_id    bigint NOT NULL,
  queued_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION queue_rollup_fact() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rollup_queue (fact, fact_id) VALUES (TG_ARGV[0], NEW.id);
  RETURN NULL;
END $$;

DROP TRIGGER case_events_rollup ON case_events;
CREATE TRIGGER case_events_rollup AFTER INSERT ON case_events FOR EACH ROW
  WHEN (NEW.action IN ('approve', 'reject') OR NEW.to_status IS DISTINCT FROM NEW.from_status)
  EXECUTE FUNCTION queue_rollup_fact('case_event');
DROP TRIGGER ledger_rollup ON ledger_entries;
CREATE TRIGGER ledger_rollup AFTER INSERT ON ledger_entries FOR EACH ROW
  EXECUTE FUNCTION queue_rollup_fact('ledger_entry');

-- Turn up to `batch` queued facts into deltas (as 021's rollup_case_events and rollup_ledger did), in the
-- caller's transaction, and answer how many; the fold then adds them up with the rest.
CREATE FUNCTION analytics_unqueue(batch integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  tz text := analytics_tz();
  ev bigint[]; ev_at timestamptz[]; led bigint[]; led_at timestamptz[];
BEGIN
  WITH q AS (
    DELETE FROM rollup_queue WHERE id IN (
      SELECT id FROM rollup_queue ORDER BY id LIMIT batch FOR UPDATE SKIP LOCKED)
    RETURNING fact, fact_id, queued_at
  )
  SELECT coalesce(array_agg(fact_id) FILTER (WHERE fact = 'case_event'), '{}'),
         coalesce(array_agg(queued_at) FILTER (WHERE fact = 'case_event'), '{}'),
         coalesce(array_agg(fact_id) FILTER (WHERE fact = 'ledger_entry'), '{}'),
         coalesce(array_agg(queued_at) FILTER (WHERE fact = 'ledger_entry'), '{}')
    INTO ev, ev_at, led, led_at FROM q;

  -- A case's first approve or reject decides it; by a rule, it was automated.
  INSERT INTO rollup_cases_delta (at, shop_id, month, reason, type, decided, automated)
  SELECT min(t.queued_at), c.shop_id, analytics_month(c.created_at, tz), c.reason, c.type, count(*),
         count(*) FILTER (WHERE e.actor LIKE 'rule:%')
    FROM unnest(ev, ev_at) AS t(fact_id, queued_at) JOIN case_events e ON e.id = t.fact_id JOIN cases c ON c.id = e.case_id
   WHERE e.action IN ('approve', 'reject')
     AND NOT EXISTS (SELECT 1 FROM case_events p
                      WHERE p.case_id = e.case_id AND p.id < e.id AND p.action IN ('approve', 'reject'))
   GROUP BY 2, 3, 4, 5;
  -- Every move out of a state ends a stay there, which began with the move before it.
  INSERT INTO rollup_stages_delta (at, shop_id, month, stage, bucket, n, seconds)
  SELECT min(t.queued_at), c.shop_id, analytics_month(e.at, tz), e.from_status, analytics_bucket(s.seconds),
         count(*), sum(s.seconds)
    FROM unnest(ev, ev_at) AS t(fact_id, queued_at) JOIN case_events e ON e.id = t.fact_id JOIN cases c ON c.id = e.case_id
   CROSS JOIN LATERAL (
     SELECT extract(epoch FROM e.at - p.at)::double precision AS seconds
       FROM case_events p
      WHERE p.case_id = e.case_id AND p.id < e.id AND p.to_status IS DISTINCT FROM p.from_status
      ORDER BY p.id DESC LIMIT 1) s
   WHERE e.from_status IS NOT NULL AND e.to_status IS DISTINCT FROM e.from_status
   GROUP BY 2, 3, 4, 5;

  -- Refunded units and goods money per SKU and category; what after-sales cost, by kind and tender.
  INSERT INTO rollup_sales_delta (at, shop_id, month, sku, currency, category, refunded_qty, refunded_amount)
  SELECT min(t.queued_at), e.shop_id, analytics_month(e.occurred_at, tz), l.sku, e.currency,
         coalesce(max(l.category), ''), sum(rl.quantity), sum(rl.amount)
    FROM unnest(led, led_at) AS t(fact_id, queued_at) JOIN ledger_entries e ON e.id = t.fact_id
    JOIN refund_lines rl ON rl.refund_id = e.refund_id
    JOIN order_lines l ON l.id = rl.order_line_id
   WHERE e.kind = 'refund_goods'
   GROUP BY 2, 3, 4, 5;
  INSERT INTO rollup_category_sales_delta (at, shop_id, month, category, currency, refunded_qty, refunded_amount)
  SELECT min(t.queued_at), e.shop_id, analytics_month(e.occurred_at, tz), coalesce(l.category, ''), e.currency,
         sum(rl.quantity), sum(rl.amount)
    FROM unnest(led, led_at) AS t(fact_id, queued_at) JOIN ledger_entries e ON e.id = t.fact_id
    JOIN refund_lines rl ON rl.refund_id = e.refund_id
    JOIN order_lines l ON l.id = rl.order_line_id
   WHERE e.kind = 'refund_goods'
   GROUP BY 2, 3, 4, 5;
  INSERT INTO rollup_costs_delta (at, shop_id, month, kind, tender, currency, amount, entries)
  SELECT min(t.queued_at), e.shop_id, analytics_month(e.occurred_at, tz), e.kind, coalesce(e.tender, ''),
         e.currency, sum(e.amount), count(*)
    FROM unnest(led, led_at) AS t(fact_id, queued_at) JOIN ledger_entries e ON e.id = t.fact_id
   GROUP BY 2, 3, 4, 5, 6;
  RETURN cardinality(ev) + cardinality(led);
END $$;

-- The fold first turns queued facts into deltas, then adds the deltas up as before; it answers how many
-- facts and deltas it took.
ALTER FUNCTION analytics_fold(integer) RENAME TO analytics_fold_deltas;
CREATE FUNCTION analytics_fold(batch integer) RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
  RETURN analytics_unqueue(batch) + analytics_fold_deltas(batch);
END $$;

-- A rebuild counts every fact afresh: what waits in the queue too.
CREATE OR REPLACE FUNCTION analytics_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  LOCK TABLE order_lines, ledger_entries, cases, case_events IN SHARE MODE;
  DELETE FROM rollup_queue;
  DELETE FROM rollup_sales_delta; DELETE FROM rollup_category_sales_delta; DELETE FROM rollup_cases_delta;
  DELETE FROM rollup_stages_delta; DELETE FROM rollup_costs_delta;
  PERFORM analytics_recompute();
END $$;

DROP FUNCTION rollup_case_events();
DROP FUNCTION rollup_ledger();

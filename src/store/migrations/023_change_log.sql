-- Live changes without serialising commits (issue 12). pg_notify inside a writing transaction takes a
-- database-wide lock at commit and holds it through the commit's WAL flush, so every transaction that
-- announced a change committed one after another: measured here, 8 clients committing inserts managed
-- 1,300–1,660 transactions/s without a notification and 180–270 with one — about 30 flows/s at the 8
-- transactions a return-and-refund flow takes. Now a change is appended to change_log (an insert nobody
-- waits on, rolled back with its transaction as before), and an announcer (src/store/changes.ts: every
-- process that listens, every 25 ms; and the worker's job) takes the log in batches with SKIP LOCKED and
-- sends them with pg_notify in one short transaction. Messages and their channel are as 020 describes;
-- the log keeps only ids and what happened, and the announcer writes the message (a case's order, shop
-- and status as they are when it is sent), so the writing transaction does no more than an insert.

CREATE TABLE change_log (
  id         bigserial PRIMARY KEY,
  case_id    bigint,        -- a change of one case, or (null) …
  shop_id    text,          -- … of every case of a shop (a statement that changed more than 100)
  action     text,
  event_id   bigint,
  to_status  text,
  at         timestamptz NOT NULL
);

-- Send up to `batch` of the oldest logged changes and forget them; how many were sent.
CREATE FUNCTION announce_logged_changes(batch integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE n integer;
BEGIN
  WITH d AS (
    DELETE FROM change_log WHERE id IN (SELECT id FROM change_log ORDER BY id LIMIT batch FOR UPDATE SKIP LOCKED)
    RETURNING *
  )
  SELECT count(*) INTO n FROM (
    SELECT pg_notify('aftersales_changes', CASE
             WHEN d.case_id IS NULL THEN json_build_object('kind', 'shop', 'shopId', d.shop_id, 'at', d.at)::text
             ELSE json_build_object('kind', 'case', 'caseId', c.id, 'orderId', c.order_id, 'shopId', c.shop_id,
                                    'status', coalesce(d.to_status, c.status), 'action', d.action,
                                    'eventId', d.event_id, 'at', d.at)::text END)
      FROM d LEFT JOIN cases c ON c.id = d.case_id
     WHERE d.case_id IS NULL OR c.id IS NOT NULL
     ORDER BY d.id) sent;
  RETURN n;
END $$;

CREATE OR REPLACE FUNCTION announce_case_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT count(*) FROM (SELECT FROM new_events LIMIT 101) x) <= 100 THEN
    INSERT INTO change_log (case_id, action, event_id, to_status, at)
    SELECT case_id, action, id, to_status, at FROM new_events ORDER BY id;
  ELSE
    INSERT INTO change_log (shop_id, at)
    SELECT DISTINCT c.shop_id, now() FROM new_events e JOIN cases c ON c.id = e.case_id;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION announce_case_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_log (case_id, action, at) VALUES (NEW.id, 'update', now());
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION announce_refund_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_log (case_id, action, at) VALUES (NEW.case_id, 'refund_' || NEW.status, NEW.updated_at);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION announce_tracking() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT count(*) FROM (SELECT FROM new_scans LIMIT 101) x) <= 100 THEN
    INSERT INTO change_log (case_id, action, at)
    SELECT c.id, 'tracking', now()
      FROM cases c
     WHERE c.order_id IN (SELECT s.order_id FROM shipments s JOIN new_scans t
                             ON t.carrier = s.carrier AND t.tracking_no = s.tracking_no)
     ORDER BY c.id;
  ELSE
    INSERT INTO change_log (shop_id, at)
    SELECT DISTINCT c.shop_id, now() FROM cases c
     WHERE c.order_id IN (SELECT s.order_id FROM shipments s JOIN new_scans t
                             ON t.carrier = s.carrier AND t.tracking_no = s.tracking_no);
  END IF;
  RETURN NULL;
END $$;

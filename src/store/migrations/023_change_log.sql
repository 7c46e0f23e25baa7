-- Live changes without serialising commits (issue 12). pg_notify inside a writing transaction takes a
-- database-wide lock at commit and holds it through the commit's WAL flush, so every transaction that
-- announced a change committed one after another: measured here, 8 clients committing inserts managed
-- 1,300–1,660 transactions/s without a notification and 180–270 with one — about 30 flows/s at the 8
-- transactions a return-and-refund flow takes. Now a change is appended to change_log (an insert nobody
-- waits on, rolled back with its transaction as before), and an announcer (src/store/changes.ts: every
-- process that listens, every 25 ms; and the worker's job) takes the log in batches with SKIP LOCKED and
-- sends them with pg_notify in one short transaction. Messages and their channel are as 020 describes.

CREATE TABLE change_log (
  id       bigserial PRIMARY KEY,
  payload  text NOT NULL
);

CREATE FUNCTION announce_change(payload text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO change_log (payload) VALUES (payload)
$$;

-- Send up to `batch` of the oldest logged changes and forget them; how many were sent.
CREATE FUNCTION announce_logged_changes(batch integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE n integer;
BEGIN
  WITH d AS (
    DELETE FROM change_log WHERE id IN (SELECT id FROM change_log ORDER BY id LIMIT batch FOR UPDATE SKIP LOCKED)
    RETURNING id, payload
  )
  SELECT count(*) INTO n FROM (SELECT pg_notify('aftersales_changes', payload) FROM d ORDER BY id) sent;
  RETURN n;
END $$;

CREATE OR REPLACE FUNCTION announce_case_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT count(*) FROM (SELECT FROM new_events LIMIT 101) x) <= 100 THEN
    PERFORM announce_change(case_change(c, e.action, e.id, e.to_status, e.at))
       FROM new_events e JOIN cases c ON c.id = e.case_id ORDER BY e.id;
  ELSE
    PERFORM announce_change(json_build_object('kind', 'shop', 'shopId', s.shop_id, 'at', now())::text)
       FROM (SELECT DISTINCT c.shop_id FROM new_events e JOIN cases c ON c.id = e.case_id) s;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION announce_case_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM announce_change(case_change(NEW, 'update', NULL, NULL, now()));
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION announce_refund_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM announce_change(case_change(c, 'refund_' || NEW.status, NULL, NULL, NEW.updated_at))
     FROM cases c WHERE c.id = NEW.case_id;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION announce_tracking() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT count(*) FROM (SELECT FROM new_scans LIMIT 101) x) <= 100 THEN
    PERFORM announce_change(case_change(c, 'tracking', NULL, NULL, now()))
       FROM cases c
      WHERE c.order_id IN (SELECT s.order_id FROM shipments s JOIN new_scans t
                              ON t.carrier = s.carrier AND t.tracking_no = s.tracking_no)
      ORDER BY c.id;
  ELSE
    PERFORM announce_change(json_build_object('kind', 'shop', 'shopId', x.shop_id, 'at', now())::text)
       FROM (SELECT DISTINCT c.shop_id FROM cases c
              WHERE c.order_id IN (SELECT s.order_id FROM shipments s JOIN new_scans t
                                      ON t.carrier = s.carrier AND t.tracking_no = s.tracking_no)) x;
  END IF;
  RETURN NULL;
END $$;

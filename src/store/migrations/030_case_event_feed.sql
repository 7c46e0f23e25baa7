-- What the customer and integrators hear about (notifications, webhooks) follows the case timeline. The
-- announcer (023) already takes every logged change exactly once, off the request path; it now also
-- hands each timeline event to case_event_feed, a queue the fan-out job (flows/fan-out.ts) empties in
-- batches with SKIP LOCKED, running every consumer in the transaction that deletes the rows — so each
-- event reaches each consumer once, however many processes run, and a writing transaction pays nothing
-- more. A statement that appended more than 100 events at once (an import of history) is logged per shop,
-- not per event (023), and is not fanned out.

CREATE TABLE case_event_feed (
  event_id   bigint PRIMARY KEY,
  case_id    bigint NOT NULL,
  action     text NOT NULL,
  to_status  text,
  at         timestamptz NOT NULL
);

CREATE OR REPLACE FUNCTION announce_logged_changes(batch integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE n integer;
BEGIN
  WITH d AS (
    DELETE FROM change_log WHERE id IN (SELECT id FROM change_log ORDER BY id LIMIT batch FOR UPDATE SKIP LOCKED)
    RETURNING *
  ), fed AS (
    INSERT INTO case_event_feed (event_id, case_id, action, to_status, at)
    SELECT event_id, case_id, action, to_status, at FROM d WHERE event_id IS NOT NULL
    ON CONFLICT (event_id) DO NOTHING
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

-- Live changes (实时变更): every committed change a person could see on a case is announced on the channel
-- `aftersales_changes`, so every API process hears it (LISTEN, src/store/changes.ts) and pushes it to the
-- consoles watching (GET /api/v1/events). pg_notify is transactional: a message is delivered when its
-- transaction commits, in commit order, and never when it rolls back.
--
-- A message is one case: {"kind":"case","caseId","orderId","shopId","status","action","eventId","at"}.
-- `eventId` is the timeline event's, or null for a change that appends none (an automatic review's
-- annotation, a refund leg's status, a parcel scan). A statement that changes more than 100 cases at once
-- (an import, a backfill) announces each shop it touched instead, {"kind":"shop","shopId","at"}: listeners
-- reload that shop, and the notification queue (8 GB) is not filled with a million messages.

CREATE FUNCTION case_change(c cases, action text, event_id bigint, to_status text, happened timestamptz)
RETURNS text LANGUAGE sql STABLE AS $$
  SELECT json_build_object('kind', 'case', 'caseId', c.id, 'orderId', c.order_id, 'shopId', c.shop_id,
                           'status', coalesce(to_status, c.status), 'action', action, 'eventId', event_id,
                           'at', happened)::text
$$;

-- The timeline (case_events) is where nearly every change is written: each step, decision, note, refund outcome.
CREATE FUNCTION announce_case_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT count(*) FROM (SELECT FROM new_events LIMIT 101) x) <= 100 THEN
    PERFORM pg_notify('aftersales_changes', case_change(c, e.action, e.id, e.to_status, e.at))
       FROM new_events e JOIN cases c ON c.id = e.case_id ORDER BY e.id;
  ELSE
    PERFORM pg_notify('aftersales_changes', json_build_object('kind', 'shop', 'shopId', s.shop_id, 'at', now())::text)
       FROM (SELECT DISTINCT c.shop_id FROM new_events e JOIN cases c ON c.id = e.case_id) s;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER case_events_announce AFTER INSERT ON case_events
  REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION announce_case_events();

-- A case row changed without a step (a step bumps the version and writes the timeline, announced above):
-- the automatic review's queue, priority, SLA, tags and risk score, a platform's deadline, a recommendation.
CREATE FUNCTION announce_case_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('aftersales_changes', case_change(NEW, 'update', NULL, NULL, now()));
  RETURN NULL;
END $$;
CREATE TRIGGER cases_announce AFTER UPDATE ON cases
  FOR EACH ROW WHEN (OLD.version = NEW.version AND OLD.* IS DISTINCT FROM NEW.*)
  EXECUTE FUNCTION announce_case_update();

-- A refund's status: the dispatcher, the settler and channel callbacks move it (requested → processing →
-- succeeded | failed); the case's timeline hears only of the outcome of the last leg.
CREATE FUNCTION announce_refund_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('aftersales_changes', case_change(c, 'refund_' || NEW.status, NULL, NULL, NEW.updated_at))
     FROM cases c WHERE c.id = NEW.case_id;
  RETURN NULL;
END $$;
CREATE TRIGGER refunds_announce AFTER UPDATE OF status ON refunds
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION announce_refund_update();

-- Parcel scans show on the case view of every case of the parcel's order.
CREATE FUNCTION announce_tracking() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT count(*) FROM (SELECT FROM new_scans LIMIT 101) x) <= 100 THEN
    PERFORM pg_notify('aftersales_changes', case_change(c, 'tracking', NULL, NULL, now()))
       FROM cases c
      WHERE c.order_id IN (SELECT s.order_id FROM shipments s JOIN new_scans t
                              ON t.carrier = s.carrier AND t.tracking_no = s.tracking_no)
      ORDER BY c.id;
  ELSE
    PERFORM pg_notify('aftersales_changes', json_build_object('kind', 'shop', 'shopId', x.shop_id, 'at', now())::text)
       FROM (SELECT DISTINCT c.shop_id FROM cases c
              WHERE c.order_id IN (SELECT s.order_id FROM shipments s JOIN new_scans t
                                      ON t.carrier = s.carrier AND t.tracking_no = s.tracking_no)) x;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER tracking_events_announce AFTER INSERT ON tracking_events
  REFERENCING NEW TABLE AS new_scans FOR EACH STATEMENT EXECUTE FUNCTION announce_tracking();

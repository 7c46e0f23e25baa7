-- Rule agreement (规则一致率) for the analytics dashboard: of the cases a rule decided, how many a person
-- overrode (POST /cases/:id/override writes a `reopen` or `revoke` event marked override). Counted by the
-- month the case was opened, like rollup_cases' decided and automated, so agreement = 1 - overridden /
-- automated per month. Overrides are rare: a row trigger that fires only for them appends a delta, and
-- the fold adds the deltas up after the other rollups (its own table, so folders running at once still
-- take each table's rows in key order and never wait on each other crosswise).

CREATE TABLE rollup_overrides (
  shop_id     text NOT NULL,
  month       date NOT NULL,
  reason      text NOT NULL,
  type        text NOT NULL,
  overridden  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (shop_id, month, reason, type)
);
CREATE TABLE rollup_overrides_delta (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  shop_id     text NOT NULL,
  month       date NOT NULL,
  reason      text NOT NULL,
  type        text NOT NULL,
  overridden  bigint NOT NULL DEFAULT 0
);

CREATE FUNCTION rollup_override() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rollup_overrides_delta (shop_id, month, reason, type, overridden)
  SELECT shop_id, analytics_month(created_at, analytics_tz()), reason, type, 1 FROM cases WHERE id = NEW.case_id;
  RETURN NULL;
END $$;
CREATE TRIGGER case_events_override_rollup AFTER INSERT ON case_events FOR EACH ROW
  WHEN (NEW.action IN ('reopen', 'revoke') AND (NEW.data ->> 'override') = 'true')
  EXECUTE FUNCTION rollup_override();

-- The fold adds the override deltas after the others.
ALTER FUNCTION analytics_fold_deltas(integer) RENAME TO analytics_fold_sums;
CREATE FUNCTION analytics_fold_deltas(batch integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  folded integer := analytics_fold_sums(batch);
  n integer;
BEGIN
  WITH d AS (
    DELETE FROM rollup_overrides_delta WHERE id IN (
      SELECT id FROM rollup_overrides_delta ORDER BY id LIMIT batch FOR UPDATE SKIP LOCKED)
    RETURNING *
  ), up AS (
    INSERT INTO rollup_overrides AS r (shop_id, month, reason, type, overridden)
    SELECT shop_id, month, reason, type, sum(overridden) FROM d GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (shop_id, month, reason, type) DO UPDATE SET overridden = r.overridden + excluded.overridden
  )
  SELECT count(*) INTO n FROM d;
  RETURN folded + n;
END $$;

-- A rebuild counts the overrides afresh too (analytics_rebuild holds writers of case_events back).
ALTER FUNCTION analytics_recompute() RENAME TO analytics_recompute_sums;
CREATE FUNCTION analytics_recompute() RETURNS void LANGUAGE plpgsql AS $$
DECLARE tz text := analytics_tz();
BEGIN
  PERFORM analytics_recompute_sums();
  DELETE FROM rollup_overrides_delta;
  DELETE FROM rollup_overrides;
  INSERT INTO rollup_overrides (shop_id, month, reason, type, overridden)
  SELECT c.shop_id, analytics_month(c.created_at, tz), c.reason, c.type, count(*)
    FROM case_events e JOIN cases c ON c.id = e.case_id
   WHERE e.action IN ('reopen', 'revoke') AND (e.data ->> 'override') = 'true'
   GROUP BY 1, 2, 3, 4;
END $$;

-- The overrides already made.
INSERT INTO rollup_overrides (shop_id, month, reason, type, overridden)
SELECT c.shop_id, analytics_month(c.created_at, analytics_tz()), c.reason, c.type, count(*)
  FROM case_events e JOIN cases c ON c.id = e.case_id
 WHERE e.action IN ('reopen', 'revoke') AND (e.data ->> 'override') = 'true'
 GROUP BY 1, 2, 3, 4;

-- The dashboard marks the quality scan's refund-rate jumps on its trend: those alerts by time, apart from
-- the many case-risk alerts.
CREATE INDEX alerts_quality_idx ON alerts (created_at) WHERE kind IN ('sku_quality', 'category_quality');

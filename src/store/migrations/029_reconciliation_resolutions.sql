-- A reconciliation problem marked resolved (已处理) by finance, with what was done. It belongs to the
-- day's report (run_id: reconciling the day again keeps the run's id), the refund's key and the kind of
-- problem, not to the item row (reconciling again replaces those). So a problem found again as the same
-- kind stays resolved; one that turns into another kind is open again and shows the earlier resolution;
-- a resolution is never deleted by a run, only by reopening it (the audit log keeps both).
CREATE TABLE reconciliation_resolutions (
  run_id          bigint NOT NULL REFERENCES reconciliation_runs(id) ON DELETE CASCADE,
  idempotency_key text NOT NULL,
  category        text NOT NULL,
  channel         text NOT NULL,
  note            text NOT NULL CHECK (length(btrim(note)) > 0),
  resolved_by     text NOT NULL,
  resolved_at     timestamptz NOT NULL,
  PRIMARY KEY (run_id, idempotency_key, category)
);
CREATE INDEX reconciliation_resolutions_key_idx ON reconciliation_resolutions (channel, idempotency_key);

-- Imports as jobs to follow (POST /api/v1/imports, GET /api/v1/imports/{id}): how many rows the file
-- has, how far its bytes are read, where the current run started (its rows/s) and why a run failed.
-- status: running | stopped (asked to stop; the same file resumes) | failed (error) | completed.
ALTER TABLE imports ADD COLUMN rows_total integer;
ALTER TABLE imports ADD COLUMN bytes_read bigint NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN run_started_at timestamptz;
ALTER TABLE imports ADD COLUMN run_start_row integer NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN error jsonb;

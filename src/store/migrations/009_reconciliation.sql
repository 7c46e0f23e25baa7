-- 退款对账: a payment channel's refund bill for one day compared with our refunds.
-- One run per (channel, day): reconciling the day again replaces its items, never adds a second report.
CREATE TABLE reconciliation_runs (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  channel         text NOT NULL,
  bill_date       text NOT NULL CHECK (bill_date ~ '^\d{4}-\d{2}-\d{2}$'),  -- Beijing day, as bills name it
  source          text NOT NULL,            -- channel (fetched over its API) | upload (a file a person gave)
  bill_sha1       text NOT NULL,            -- of the bill file as received
  bill_rows       integer NOT NULL,
  summary         jsonb NOT NULL,           -- counts per category, totals (minor units), currency
  problems        integer NOT NULL,
  awaiting        integer NOT NULL,         -- items waiting for the next day's bill
  reconciled_by   text NOT NULL,
  reconciled_at   timestamptz NOT NULL,
  runs            integer NOT NULL DEFAULT 1,
  UNIQUE (channel, bill_date)
);
CREATE INDEX reconciliation_runs_date_idx ON reconciliation_runs (bill_date DESC, id DESC);

CREATE TABLE reconciliation_items (
  run_id            bigint NOT NULL REFERENCES reconciliation_runs(id) ON DELETE CASCADE,
  item_no           integer NOT NULL,
  category          text NOT NULL,          -- matched | missing_on_our_side | missing_on_channel | amount_mismatch | status_mismatch | awaiting_next_bill
  idempotency_key   text NOT NULL,          -- out_refund_no / out_request_no
  refund_id         bigint REFERENCES refunds(id),
  currency          text NOT NULL,
  our_amount        bigint,
  our_status        text,
  bill_amount       bigint,
  bill_status       text,
  channel_refund_id text,
  bill_date         text,                   -- the bill the row was found on (a neighbouring day's, near midnight)
  bill_line         integer,
  note              text,
  PRIMARY KEY (run_id, item_no)
);
CREATE INDEX reconciliation_items_problem_idx ON reconciliation_items (run_id, category);

-- The daily job's claim on (channel, day): several workers, one reconciliation.
CREATE TABLE reconciliation_claims (
  claim_key   text PRIMARY KEY,               -- "<channel>:<YYYY-MM-DD>" (":recheck" for the second look)
  claimed_by  text NOT NULL,
  claimed_at  timestamptz NOT NULL,
  done_at     timestamptz,
  last_error  text
);

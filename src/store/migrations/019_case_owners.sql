-- Case ownership (负责人), saved queue views, and the indexes that keep the reviewer queue and the kanban
-- quick at 100,000 open cases.

-- Who is working on a case, and since when. Kept when the case ends (who handled it); only open cases
-- count towards a person's load.
ALTER TABLE cases
  ADD COLUMN owner_id     bigint REFERENCES users (id),
  ADD COLUMN owner_since  timestamptz;

-- The case version an event produced (null: the event changed nothing a form holds, e.g. a platform
-- note). A stale expectedVersion is answered with the events after it: who changed the case, and how.
ALTER TABLE case_events ADD COLUMN version integer;

-- A saved filter of the queue. Personal views are their creator's (`owner_key`: "user:<id>" for a person,
-- "token:<id>" for an API token); shared ones everyone sees.
CREATE TABLE saved_views (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  owner_key   text NOT NULL,
  shared      boolean NOT NULL DEFAULT false,
  filters     jsonb NOT NULL DEFAULT '{}',
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);
CREATE INDEX saved_views_owner_idx ON saved_views (owner_key, id);
CREATE INDEX saved_views_shared_idx ON saved_views (id) WHERE shared;

-- The queue reads open cases only (the terminal states: closed, rejected, cancelled — domain/lifecycle.ts);
-- closed history grows without bound, so every queue index is partial over open cases. The queries say
-- the same predicate (store/queue.ts OPEN), which is how the planner knows these indexes apply. Each sort
-- the queue offers has one, ending in id (the tie-break), so a page is an index range, not a sort.
CREATE INDEX cases_open_sla_idx ON cases (sla_due_at, id)
  WHERE status NOT IN ('closed', 'rejected', 'cancelled');
CREATE INDEX cases_open_created_idx ON cases (created_at, id)
  WHERE status NOT IN ('closed', 'rejected', 'cancelled');
CREATE INDEX cases_open_status_since_idx ON cases (status_since, id)
  WHERE status NOT IN ('closed', 'rejected', 'cancelled');
CREATE INDEX cases_open_risk_idx ON cases (risk_score, id)
  WHERE status NOT IN ('closed', 'rejected', 'cancelled');
-- Largest first by default, and no amount (the quote decides) last: the index runs that way.
CREATE INDEX cases_open_amount_idx ON cases (requested_amount DESC NULLS LAST, id DESC)
  WHERE status NOT IN ('closed', 'rejected', 'cancelled');
-- A kanban column (and a status filter) is a range of this one, cards in SLA order; its counts an
-- index-only scan.
CREATE INDEX cases_open_status_idx ON cases (status, sla_due_at, id)
  WHERE status NOT IN ('closed', 'rejected', 'cancelled');
-- "Mine", "unassigned", and each person's load for round-robin assignment.
CREATE INDEX cases_open_owner_idx ON cases (owner_id, sla_due_at, id)
  WHERE status NOT IN ('closed', 'rejected', 'cancelled');
-- A token or person limited to one shop.
CREATE INDEX cases_open_shop_idx ON cases (shop_id, sla_due_at, id)
  WHERE status NOT IN ('closed', 'rejected', 'cancelled');
-- Awaiting a second approval (maker–checker): few cases, looked for often.
CREATE INDEX cases_second_approval_idx ON cases (sla_due_at, id)
  WHERE first_approval IS NOT NULL AND status = 'requested';
-- The person assigned a case longest ago comes next in the round robin.
CREATE INDEX cases_owner_since_idx ON cases (owner_id, owner_since DESC) WHERE owner_id IS NOT NULL;

-- Search (q): identifiers start with what was typed, case-insensitively; a name starts with it; a phone
-- ends with four typed digits. text_pattern_ops makes LIKE 'prefix%' an index range under any collation.
-- Not partial: ANALYZE keeps statistics of whole expression indexes, so the planner knows a search
-- matches a handful of rows and looks them up rather than scanning.
CREATE INDEX orders_external_search_idx ON orders (lower(external_id) text_pattern_ops);
CREATE INDEX cases_external_search_idx ON cases (lower(external_id) text_pattern_ops);
CREATE INDEX shipments_tracking_search_idx ON shipments (lower(tracking_no) text_pattern_ops);
CREATE INDEX customers_name_search_idx ON customers (lower(name) text_pattern_ops);
CREATE INDEX customers_phone_last4_idx ON customers (right(phone, 4));

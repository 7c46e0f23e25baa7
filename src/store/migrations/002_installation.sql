-- One row naming this installation. Refund idempotency keys carry it, so two databases refunding
-- through the same merchant account (a restore, a staging copy) can never collide on a key.
CREATE TABLE installation (
  id          text PRIMARY KEY,
  created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO installation (id) VALUES (upper(substr(md5(random()::text || clock_timestamp()::text), 1, 8)));

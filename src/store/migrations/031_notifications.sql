-- Messages to customers (通知): how to reach a customer and what they said no to, and every message
-- composed for a case — queued, then sent, refused by its channel, or superseded by a newer one for the
-- same case and channel (a burst of moves becomes one message). Sent from the outbox (topic
-- notify.send), so a message survives a crash and goes out once; staff see them on the case.

ALTER TABLE customers
  ADD COLUMN email text,
  ADD COLUMN wechat_openid text,
  ADD COLUMN language text,
  -- Channels the customer asked not to be messaged on ('sms', 'email', 'wechat'; 'all': none).
  ADD COLUMN notify_opt_out text[] NOT NULL DEFAULT '{}';

CREATE TABLE notifications (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id      bigint NOT NULL REFERENCES cases(id),
  event_id     bigint NOT NULL,
  kind         text NOT NULL,
  channel      text NOT NULL,
  recipient    text NOT NULL,
  language     text NOT NULL,
  -- What the message says about its case, as it was when the event happened.
  vars         jsonb NOT NULL,
  -- queued | sent | refused | superseded | waiting (flow control: due again later)
  status       text NOT NULL DEFAULT 'queued',
  due_at       timestamptz NOT NULL,
  attempts     integer NOT NULL DEFAULT 0,
  provider_id  text,
  error        text,
  cost         bigint,
  currency     text,
  created_at   timestamptz NOT NULL,
  sent_at      timestamptz,
  updated_at   timestamptz NOT NULL,
  UNIQUE (event_id, kind, channel)
);
CREATE INDEX notifications_case_idx ON notifications (case_id, id);
-- The queued message of a case on a channel, which a newer one supersedes.
CREATE INDEX notifications_queued_idx ON notifications (case_id, channel) WHERE status = 'queued';

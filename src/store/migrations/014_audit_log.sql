-- Who changed which setting, when, and from what to what (审计日志): review limits, risk and quality
-- thresholds, fees, the refund tender order, the time zone, policies, rules, shops and API tokens.
-- Written by the flow that makes the change, in its transaction: no change without its entry.
CREATE TABLE audit_log (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at              timestamptz NOT NULL,
  -- "user:<token name>", "system:setup", "cli:<os user>"; the token too when a token acted.
  actor           text NOT NULL,
  actor_token_id  bigint REFERENCES api_tokens (id),
  -- A stable name (settings.risk, rules.activate, token.revoke…) and what it is about (a shop id, a rule version…).
  action          text NOT NULL,
  subject         text,
  -- The shops the change concerns; null: the whole installation.
  shops           text[],
  before          jsonb,
  after           jsonb
);
CREATE INDEX audit_log_action_idx ON audit_log (action, id);
CREATE INDEX audit_log_subject_idx ON audit_log (subject, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);
CREATE INDEX audit_log_token_idx ON audit_log (actor_token_id, id);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- When a token was last used (kept to the minute, so a busy token costs one write a minute, not one a request).
ALTER TABLE api_tokens ADD COLUMN last_used_at timestamptz;

-- The secret the service's own payment sandbox signs with: one per installation, made on first start.
ALTER TABLE installation ADD COLUMN sandbox_secret text;

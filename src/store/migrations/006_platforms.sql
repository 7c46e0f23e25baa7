-- Platform after-sales requests as we last saw them: which case each became, the platform's state
-- and version then (a copy older than this is ignored), and the error that stopped it being applied
-- (retried on every sync pass until it goes through or runs out of attempts).
CREATE TABLE platform_requests (
  shop_id            text NOT NULL REFERENCES shops(id),
  external_id        text NOT NULL,
  order_external_id  text NOT NULL,
  case_id            bigint REFERENCES cases(id),
  state              text,
  platform_status    text,
  version            text,
  error              text,
  attempts           integer NOT NULL DEFAULT 0,
  seen_at            timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  PRIMARY KEY (shop_id, external_id)
);
CREATE INDEX platform_requests_case_idx ON platform_requests (case_id);
CREATE INDEX platform_requests_retry_idx ON platform_requests (shop_id, updated_at) WHERE error IS NOT NULL;

-- The outside world: signed callbacks seen once, per-shop channel credentials (encrypted), and
-- resumable sync cursors per shop and stream.

-- Every callback/push we accepted, by the channel's own notification id: a repeat is acknowledged
-- and changes nothing.
CREATE TABLE channel_notifications (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  channel          text NOT NULL,
  notification_id  text NOT NULL,
  received_at      timestamptz NOT NULL,
  payload          jsonb NOT NULL,
  result           text,
  UNIQUE (channel, notification_id)
);

-- A shop's platform credentials (app key/secret, access token…), AES-256-GCM encrypted with the
-- installation's secret key; never returned by the API.
CREATE TABLE shop_credentials (
  shop_id     text PRIMARY KEY REFERENCES shops(id),
  key_id      text NOT NULL,
  iv          bytea NOT NULL,
  tag         bytea NOT NULL,
  ciphertext  bytea NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Where each shop's pull of each stream (orders, aftersales) stopped: the end of the last complete
-- time window and, inside a window, the page. A sync worker leases the row while it runs.
CREATE TABLE sync_cursors (
  shop_id      text NOT NULL REFERENCES shops(id),
  stream       text NOT NULL,
  synced_to    timestamptz,
  cursor       jsonb,
  lease_until  timestamptz,
  last_error   text,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (shop_id, stream)
);

-- Logistics: parcel-tracking subscriptions (快递100 订阅推送) and parcel interceptions (快递拦截).

-- One subscription per parcel and tracking provider. `provider_carrier` is the provider's own carrier
-- code (Kuaidi100's `com`, e.g. shunfeng), which its pushes name the parcel by. A subscription the
-- provider aborted ("3天查询无记录", "60天无变化") is tried again at `resubscribe_at`.
CREATE TABLE tracking_subscriptions (
  provider          text NOT NULL,
  carrier           text NOT NULL,
  tracking_no       text NOT NULL,
  provider_carrier  text NOT NULL,
  status            text NOT NULL, -- subscribed | polling | shutdown | abort | rejected
  message           text,
  subscribed_at     timestamptz,
  last_push_at      timestamptz,
  resubscribe_at    timestamptz,
  updated_at        timestamptz NOT NULL,
  PRIMARY KEY (provider, carrier, tracking_no)
);
CREATE INDEX tracking_subscriptions_push_idx ON tracking_subscriptions (provider, tracking_no);
CREATE INDEX tracking_subscriptions_due_idx ON tracking_subscriptions (resubscribe_at)
  WHERE status = 'abort';

-- A case's request to stop its order's outbound parcel: at the carrier (拦截) while it travels, or at
-- the warehouse (取消发货) before it left. At most one per case, so triggering twice asks once.
-- Carrier rows: requested → pending → intercepted → returned, or failed | too_late.
-- Warehouse rows: cancel_requested → instructed (no warehouse system confirms anything yet).
CREATE TABLE interceptions (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id        bigint NOT NULL UNIQUE REFERENCES cases(id),
  order_id       bigint NOT NULL REFERENCES orders(id),
  method         text NOT NULL CHECK (method IN ('carrier', 'warehouse_cancel')),
  carrier        text,
  tracking_no    text,
  reason         text NOT NULL,
  status         text NOT NULL,
  request_id     text,
  attempts       integer NOT NULL DEFAULT 0,
  last_error     text,
  requested_at   timestamptz NOT NULL,
  sent_at        timestamptz,
  checked_at     timestamptz,
  next_check_at  timestamptz,
  resolved_at    timestamptz,
  updated_at     timestamptz NOT NULL,
  CHECK (method = 'warehouse_cancel' OR (carrier IS NOT NULL AND tracking_no IS NOT NULL))
);
CREATE INDEX interceptions_order_idx ON interceptions (order_id);
CREATE INDEX interceptions_parcel_idx ON interceptions (tracking_no, carrier);
CREATE INDEX interceptions_due_idx ON interceptions (next_check_at) WHERE status = 'pending';

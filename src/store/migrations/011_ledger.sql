-- The after-sales finance ledger (售后财务台账): every amount that leaves the merchant because of after-sales —
-- refunded goods and shipping, compensation (cash, coupon, points), return-shipping subsidies, and the channel
-- fees a refund costs — one row each, linked to its case, order, payment and refund. `source` names what wrote
-- the row (refund:<id>:goods, compensation:<case>:v<version>, …) so each is applied exactly once.
CREATE TABLE ledger_entries (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source       text NOT NULL UNIQUE,
  kind         text NOT NULL,   -- refund_goods | refund_shipping | compensation | shipping_subsidy | channel_fee
  tender       text,            -- what the money moved through: wechat_pay, alipay, platform, points, coupon, cash, …
  case_id      bigint REFERENCES cases(id),
  order_id     bigint REFERENCES orders(id),
  payment_id   bigint REFERENCES payments(id),
  refund_id    bigint REFERENCES refunds(id),
  shop_id      text NOT NULL,
  reason       text,
  currency     text NOT NULL,
  amount       bigint NOT NULL, -- minor units that left the merchant; negative when money came back
  reference    text,
  note         text,
  actor        text,
  occurred_at  timestamptz NOT NULL
);
CREATE INDEX ledger_occurred_idx ON ledger_entries (occurred_at);
CREATE INDEX ledger_case_idx ON ledger_entries (case_id);

-- Refunds that succeeded before the ledger existed enter it as they were (their channel fees are unknown).
INSERT INTO ledger_entries (source, kind, tender, case_id, order_id, payment_id, refund_id, shop_id, reason,
                            currency, amount, reference, actor, occurred_at)
SELECT 'refund:' || r.id || ':' || k.part, 'refund_' || k.part, r.channel, r.case_id, r.order_id, r.payment_id, r.id,
       c.shop_id, c.reason, r.currency, k.amount, r.channel_refund_id, 'system:migration',
       coalesce(r.succeeded_at, r.updated_at)
  FROM refunds r
  JOIN cases c ON c.id = r.case_id
 CROSS JOIN LATERAL (VALUES ('goods', r.goods_amount), ('shipping', r.shipping_amount)) AS k(part, amount)
 WHERE r.status = 'succeeded' AND k.amount <> 0;

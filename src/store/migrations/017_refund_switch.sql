-- A refund leg the channel refused for good (WeChat Pay USER_ACCOUNT_ABNORMAL…) may be switched by
-- finance to an offline tender (bank transfer, wallet): a new leg with its own key takes its place, and
-- the failed one names it, so it can never be sent (or switched) again.
ALTER TABLE refunds ADD COLUMN replaced_by bigint REFERENCES refunds (id);
CREATE UNIQUE INDEX refunds_replaced_by_idx ON refunds (replaced_by) WHERE replaced_by IS NOT NULL;

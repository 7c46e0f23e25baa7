-- A grant (同意退款) may go back over several tenders — WeChat Pay, then points, then a coupon — as one
-- refund row per tender, all carrying the grant's number. The case is refunded when every leg of its
-- latest grant has succeeded. Earlier refunds were one leg each.
ALTER TABLE refunds ADD COLUMN grant_no integer;
UPDATE refunds r SET grant_no = x.n
  FROM (SELECT id, row_number() OVER (PARTITION BY case_id ORDER BY id) AS n FROM refunds) x
 WHERE x.id = r.id;
ALTER TABLE refunds ALTER COLUMN grant_no SET NOT NULL;
CREATE INDEX refunds_grant_idx ON refunds (case_id, grant_no);

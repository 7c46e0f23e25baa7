-- Which shop an alert is about: a risky case's shop, or the shop whose sales a quality alert counts
-- (quality is now judged per shop). A token limited to some shops sees only their alerts; an alert
-- with no shop (quality alerts raised before this) only tokens for every shop see.
ALTER TABLE alerts ADD COLUMN shop_id text REFERENCES shops(id);
UPDATE alerts a SET shop_id = c.shop_id FROM cases c WHERE c.id = a.case_id;
CREATE INDEX alerts_shop_idx ON alerts (shop_id, id DESC);

-- Maker–checker for rule sets (issue 13): who wrote each version — whoever created the draft and
-- everyone who changed it — so that, with the `rules.activation` setting's secondPerson on, none of them
-- can make it live alone. A draft's author may ask for it to be activated (requested_by/at): the other
-- supervisors see it waiting for them; changing the draft withdraws the request.
ALTER TABLE rule_versions ADD COLUMN authors text[] NOT NULL DEFAULT '{}';
ALTER TABLE rule_versions ADD COLUMN requested_by text;
ALTER TABLE rule_versions ADD COLUMN requested_at timestamptz;
UPDATE rule_versions SET authors = ARRAY[created_by];

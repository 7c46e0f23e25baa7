-- A reconciliation item's note says what was found in Chinese and English ({zh, en}), like alerts' and
-- rules' words, so the console shows it in the reader's language. Notes written before were English only.
ALTER TABLE reconciliation_items
  ALTER COLUMN note TYPE jsonb
  USING CASE WHEN note IS NULL THEN NULL ELSE jsonb_build_object('zh', note, 'en', note) END;

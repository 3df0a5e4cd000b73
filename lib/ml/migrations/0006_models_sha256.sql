-- 6 (ml): each model row holds the SHA-256 of its files (model.json, then the member files in
-- their listed order), and new rows name their folder relative to the store's folder
-- (STORE.models/ID). predict and train refuse files that do not hash to the row's value. Rows
-- from before this migration keep '' and are checked by model.json's id, series and data end.
ALTER TABLE models ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';

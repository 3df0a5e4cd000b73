-- news --feeds --forget: when a feed last carried each remembered item (ms since the epoch).
-- A feed's answer that still carries an item moves it on, and a 304 moves on every item the
-- feed brought; keys that no feed has carried for --forget are deleted. Items remembered
-- before this migration start from when they were first seen.
ALTER TABLE news_seen ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;
UPDATE news_seen SET last_seen = first_seen;

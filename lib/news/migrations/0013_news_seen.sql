-- news --feeds: every item seen live, under each key that finds a repeat of it (its headline's
-- and its URL's, see lib/news/items.hpp), so that neither another feed nor a restart brings it
-- back; and what each feed last answered, so that the next poll, even by a new process, can be
-- a conditional GET.
CREATE TABLE news_seen (
    key        TEXT PRIMARY KEY,  -- "h:<headline key>" or "u:<url key>"
    first_seen INTEGER NOT NULL,  -- ms since the epoch: the item's ts, when it was first seen
    headline   TEXT NOT NULL,
    url        TEXT,              -- NULL when the item had none
    source     TEXT NOT NULL,
    feed       TEXT NOT NULL      -- the URL of the feed it came from
) WITHOUT ROWID;
CREATE TABLE news_feeds (
    url           TEXT PRIMARY KEY,  -- as given to --feeds
    etag          TEXT,              -- the validators of its last 200, NULL when it sent none
    last_modified TEXT,
    polled        INTEGER NOT NULL,  -- ms since the epoch of its last answer (200 or 304)
    items         INTEGER NOT NULL DEFAULT 0  -- new items it brought, over all runs
);

-- 1 (store): version stamps, the runs of the tools, and closed candles.
CREATE TABLE schema_version(
    version INTEGER NOT NULL,
    applied_ms INTEGER NOT NULL
);
CREATE TABLE runs(
    run_id TEXT PRIMARY KEY,
    tool TEXT NOT NULL,
    started_ms INTEGER NOT NULL,
    ended_ms INTEGER,
    status TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE TABLE candles(
    inst TEXT NOT NULL,
    bar TEXT NOT NULL,
    ts INTEGER NOT NULL,
    o REAL NOT NULL,
    h REAL NOT NULL,
    l REAL NOT NULL,
    c REAL NOT NULL,
    vol REAL NOT NULL,
    vol_quote REAL,
    source TEXT NOT NULL,
    PRIMARY KEY (inst, bar, ts)
) WITHOUT ROWID;

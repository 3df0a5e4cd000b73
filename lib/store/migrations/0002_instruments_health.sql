-- 2 (store): the instrument list from OKX (public/instruments), health events of the feeds.
CREATE TABLE instruments(
    inst TEXT PRIMARY KEY,
    inst_type TEXT NOT NULL,
    base_ccy TEXT NOT NULL DEFAULT '',
    quote_ccy TEXT NOT NULL DEFAULT '',
    tick_sz TEXT NOT NULL,
    lot_sz TEXT NOT NULL,
    min_sz TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE health(
    ts INTEGER NOT NULL,
    run_id TEXT NOT NULL,
    component TEXT NOT NULL,
    event TEXT NOT NULL,
    inst TEXT,
    value REAL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX health_by_time ON health(ts);

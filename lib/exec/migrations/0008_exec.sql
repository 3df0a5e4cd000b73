-- execute: the orders (their latest state), every fill, the account after every bar and the
-- barriers reached, per run. Client order ids are journaled here before an order is placed.
CREATE TABLE orders (
    run_id    TEXT NOT NULL,
    cl_ord_id TEXT NOT NULL,
    ts        INTEGER NOT NULL,   -- event time of the latest state (ms)
    inst      TEXT NOT NULL,
    strategy  TEXT NOT NULL,
    leg       TEXT NOT NULL,
    side      TEXT NOT NULL,
    ord_type  TEXT NOT NULL,
    px        REAL,
    sz        REAL NOT NULL,
    state     TEXT NOT NULL,      -- live, partially_filled, filled, canceled, rejected
    filled_sz REAL NOT NULL,
    avg_px    REAL,
    reason    TEXT,
    mode      TEXT NOT NULL,      -- paper, demo, live
    PRIMARY KEY (run_id, cl_ord_id)
);
CREATE TABLE fills (
    run_id    TEXT NOT NULL,
    trade_id  TEXT NOT NULL,
    cl_ord_id TEXT NOT NULL,
    ts        INTEGER NOT NULL,
    inst      TEXT NOT NULL,
    strategy  TEXT NOT NULL,
    leg       TEXT NOT NULL,
    side      TEXT NOT NULL,
    px        REAL NOT NULL,
    sz        REAL NOT NULL,
    fee       REAL NOT NULL,
    fee_ccy   TEXT NOT NULL,
    liquidity TEXT NOT NULL,      -- maker, taker
    mode      TEXT NOT NULL,
    PRIMARY KEY (run_id, trade_id)
);
CREATE TABLE positions (
    run_id TEXT NOT NULL,
    inst   TEXT NOT NULL,
    ts     INTEGER NOT NULL,      -- event time of the latest mark
    sz     REAL NOT NULL,
    avg_px REAL NOT NULL,
    mark_px REAL NOT NULL,
    rpl    REAL NOT NULL,
    fees   REAL NOT NULL,
    PRIMARY KEY (run_id, inst)
);
CREATE TABLE pnl_snapshots (
    run_id         TEXT NOT NULL,
    ts             INTEGER NOT NULL,
    cash           REAL NOT NULL,
    equity         REAL NOT NULL,
    gross_exposure REAL NOT NULL,
    net_exposure   REAL NOT NULL,
    drawdown       REAL NOT NULL,
    day_pnl        REAL NOT NULL,
    halted         INTEGER NOT NULL,
    fill_model     TEXT NOT NULL, -- penetration, or touch (optimistic)
    PRIMARY KEY (run_id, ts)
);
CREATE TABLE risk_events (
    run_id    TEXT NOT NULL,
    ts        INTEGER NOT NULL,
    inst      TEXT,
    tool      TEXT NOT NULL,      -- risk-guard or execute
    action    TEXT NOT NULL,      -- reject, adjust, halt, resume
    code      TEXT NOT NULL,
    limit_key TEXT NOT NULL,
    value     REAL,
    threshold REAL,
    strategy  TEXT,
    leg       TEXT,
    detail    TEXT NOT NULL
);
CREATE INDEX risk_events_by_run ON risk_events (run_id, ts);
CREATE TABLE sync_points (
    run_id TEXT NOT NULL,
    id     INTEGER NOT NULL,
    line   INTEGER NOT NULL,      -- execute's input line of the barrier
    PRIMARY KEY (run_id, id)
);

-- select-strategy: every evaluation of the selector (regime, candidates, decision) and every
-- assignment (AutoConfig's first one and each switch), per run, instrument and bar.
CREATE TABLE strategy_evaluations (
    run_id     TEXT NOT NULL,
    inst       TEXT NOT NULL,
    bar        TEXT NOT NULL,
    ts         INTEGER NOT NULL,   -- event time of the candle evaluated (ms)
    label      TEXT NOT NULL,      -- trend_up, trend_down, range, volatile
    score      REAL NOT NULL,
    components TEXT NOT NULL,      -- JSON object
    incumbent  TEXT,               -- the strategy assigned before, NULL for none
    decision   TEXT NOT NULL,      -- assign, keep, switch, pinned
    chosen     TEXT NOT NULL,      -- the strategy assigned after
    candidates TEXT NOT NULL,      -- JSON array: name, kind, warm, fit, pnl, pnl_score, suitability
    reasons    TEXT NOT NULL,      -- JSON array of strings
    PRIMARY KEY (run_id, inst, bar, ts)
);
CREATE TABLE strategy_assignments (
    run_id      TEXT NOT NULL,
    inst        TEXT NOT NULL,
    bar         TEXT NOT NULL,
    ts          INTEGER NOT NULL,
    strategy    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    prev        TEXT,
    suitability REAL NOT NULL,
    template    TEXT,              -- the strategy file, NULL for built-in defaults
    params      TEXT NOT NULL,     -- JSON object
    reasons     TEXT NOT NULL,     -- JSON array of strings
    PRIMARY KEY (run_id, inst, bar, ts)
);
CREATE INDEX strategy_assignments_by_inst ON strategy_assignments (inst, bar, ts);
CREATE INDEX strategy_evaluations_by_inst ON strategy_evaluations (inst, bar, ts);

-- execute --mode demo|live: OKX's order id beside the journal's client order id, and the
-- differences reconciliation found between the journal and OKX.
ALTER TABLE orders ADD COLUMN ord_id TEXT; -- OKX's ordId once it answered (demo, live)
CREATE TABLE reconcile_events (
    run_id    TEXT NOT NULL,
    ts        INTEGER NOT NULL, -- event time of execute's latest candle when found (ms; 0 at start)
    mode      TEXT NOT NULL,    -- demo or live
    kind      TEXT NOT NULL,    -- unknown_order, missing_order, fills_behind
    inst      TEXT NOT NULL,
    cl_ord_id TEXT NOT NULL,    -- empty when OKX's order has none
    ord_id    TEXT NOT NULL,
    detail    TEXT NOT NULL
);
CREATE INDEX reconcile_events_by_run ON reconcile_events (run_id, ts);
-- When a process last called an OKX endpoint whose limit is per account and tiny
-- (cancel-all-after: 1 per s), in wall-clock ms: a restart waits out the rest of the window
-- instead of exceeding it.
CREATE TABLE okx_pacing (
    path  TEXT PRIMARY KEY,
    at_ms INTEGER NOT NULL
);

-- execute --mode demo|live: the take-profit and stop ladder of a buy entry, and what each of
-- its exit orders (algo orders at OKX) is, so that a restart goes on protecting what the
-- entries bought. Written once per order, beside its first row in orders.
CREATE TABLE order_exits (
    run_id    TEXT NOT NULL,
    cl_ord_id TEXT NOT NULL, -- the entry's, or the exit order's (its algoClOrdId)
    spec      TEXT NOT NULL, -- JSON. An entry: {"tp":[[px,frac],...],"sl":px,"be":true};
                             -- an exit: {"parent":cl,"kind":"oco"|"conditional","rung":N,
                             -- "tp":px,"sl":px} (rung -1: the stop of the share no rung takes)
    PRIMARY KEY (run_id, cl_ord_id)
);

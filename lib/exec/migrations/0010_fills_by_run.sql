-- A run's fills in the order execute wrote them, without a sort: an index on run_id alone
-- keeps each run's entries in rowid order, so `audit report` reads a million fills of one run
-- straight through (the primary key orders them by trade id, and a scan would read every
-- run's fills).
CREATE INDEX fills_by_run ON fills (run_id);

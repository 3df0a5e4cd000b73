-- 5 (ml): models that fail the skill gate are registered as 'rejected' (see train(1)). SQLite
-- cannot change a CHECK constraint in place, so the table is rebuilt with every row kept, and
-- its indexes are made again under the same names.
CREATE TABLE models_v5(
    id INTEGER PRIMARY KEY,
    inst TEXT NOT NULL,
    bar TEXT NOT NULL,
    horizon INTEGER NOT NULL,
    threshold REAL NOT NULL,
    schema TEXT NOT NULL,
    features INTEGER NOT NULL,
    train_from INTEGER NOT NULL,
    train_to INTEGER NOT NULL,
    valid_from INTEGER NOT NULL,
    valid_to INTEGER NOT NULL,
    test_from INTEGER NOT NULL,
    test_to INTEGER NOT NULL,
    data_end INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    params TEXT NOT NULL,
    metrics TEXT NOT NULL,
    importance TEXT NOT NULL,
    drift TEXT NOT NULL,
    dir TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('candidate', 'champion', 'retired', 'rejected')),
    reason TEXT NOT NULL DEFAULT ''
);
INSERT INTO models_v5(id, inst, bar, horizon, threshold, schema, features, train_from, train_to,
                      valid_from, valid_to, test_from, test_to, data_end, created_ms, params,
                      metrics, importance, drift, dir, status, reason)
    SELECT id, inst, bar, horizon, threshold, schema, features, train_from, train_to, valid_from,
           valid_to, test_from, test_to, data_end, created_ms, params, metrics, importance, drift,
           dir, status, reason FROM models;
DROP TABLE models;
ALTER TABLE models_v5 RENAME TO models;
CREATE INDEX models_by_series ON models(inst, bar, created_ms);
CREATE UNIQUE INDEX models_one_champion ON models(inst, bar) WHERE status = 'champion';

-- 3 (ml): the model registry of train and predict (model files sit in models/ID/ beside the
-- store). Times: *_from/*_to and data_end are event times (candle ts), created_ms the clock of
-- the training run. At most one champion per (inst, bar).
CREATE TABLE models(
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
    status TEXT NOT NULL CHECK (status IN ('candidate', 'champion', 'retired')),
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX models_by_series ON models(inst, bar, created_ms);
CREATE UNIQUE INDEX models_one_champion ON models(inst, bar) WHERE status = 'champion';

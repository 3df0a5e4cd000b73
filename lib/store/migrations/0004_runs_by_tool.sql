-- 4 (store): a run id is shared by every tool of a pipeline, so a run has one row per tool:
-- runs is keyed by (run_id, tool) instead of run_id alone. Existing rows are kept.
CREATE TABLE runs_by_tool(
    run_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    started_ms INTEGER NOT NULL,
    ended_ms INTEGER,
    status TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    detail TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, tool)
);
INSERT INTO runs_by_tool(run_id, tool, started_ms, ended_ms, status, count, detail)
    SELECT run_id, tool, started_ms, ended_ms, status, count, detail FROM runs;
DROP TABLE runs;
ALTER TABLE runs_by_tool RENAME TO runs;

-- The barrier carries the account: execute writes, with each sync point it reaches, the event
-- time and the account as it stands there (cash, equity, kill switch, positions, working
-- orders by leg, as JSON), and risk-guard decides against that row (see okxkit(7), sync).
ALTER TABLE sync_points ADD COLUMN ts INTEGER;
ALTER TABLE sync_points ADD COLUMN account TEXT;

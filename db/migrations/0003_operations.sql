-- 0003_operations.sql: what operating Caravel needs (issue "Operate it").
-- Additive only, like every migration: programs of the previous release
-- keep working on a database that has it (README, "Upgrading").

-- Who acted: the public key that signed the request (the tenant, or an
-- admin acting for them), or the worker that acted on its own
-- ("caravel-infra", "caravel-billing"). NULL for rows written before.
ALTER TABLE activity ADD COLUMN actor TEXT
    CHECK (actor IS NULL OR length(actor) BETWEEN 1 AND 64);

-- A plan an operator no longer offers (UPDATE plan SET hidden = 1): GET
-- /plans still lists it, marked, for the relays already on it; no relay
-- may choose it any more.
ALTER TABLE plan ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0
    CHECK (hidden IN (0, 1));

-- The admin list of webhook events is ordered by arrival (rowid), so the
-- index on received_at only slowed every webhook down.
DROP INDEX IF EXISTS stripe_event_received;

-- Each worker's last pass, for monitoring (GET /metrics, caravel-admin
-- metrics and status): when it ran, how long, and how it ended. A pass
-- with nothing to do counts too: a stale row means the timer stopped.
CREATE TABLE worker_pass (
	worker TEXT PRIMARY KEY
	    CHECK (worker IN ('infra', 'robot', 'billing')),
	started_at INTEGER NOT NULL CHECK (started_at >= 0),
	duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
	outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'failed')),
	summary TEXT NOT NULL DEFAULT ''
) STRICT;

-- For a person at the sqlite3 prompt: each worker, when it last ran and
-- how that went.
CREATE VIEW worker_status AS
SELECT worker, datetime(started_at, 'unixepoch') AS last_pass_utc,
    CAST(strftime('%s', 'now') AS INTEGER) - started_at AS seconds_ago,
    duration_ms, outcome, summary
FROM worker_pass ORDER BY worker;

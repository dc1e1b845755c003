-- 0003_operations.sql: what operating Caravel needs (issue "Operate it").
-- Additive only, like every migration: programs of the previous release
-- keep working on a database that has it (README, "Upgrading").

-- Who acted: the public key that signed the request (the tenant, or an
-- admin acting for them), or the worker that acted on its own
-- ("caravel-infra", "caravel-billing"). NULL for rows written before.
ALTER TABLE activity ADD COLUMN actor TEXT
    CHECK (actor IS NULL OR length(actor) BETWEEN 1 AND 64);

-- The admin list of webhook events is ordered by arrival (rowid), so the
-- index on received_at only slowed every webhook down.
DROP INDEX IF EXISTS stripe_event_received;

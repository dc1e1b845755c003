-- 0005_columns.sql: a tenant's "is a wallet set" as a column of its own,
-- so the code reads every tenant column by name (src/db_table.h) and an
-- operator can ask `SELECT pubkey, nwc_is_set FROM tenant`. Virtual: it
-- is computed when read, never stored, and the sealed URL stays the one
-- fact. Additive only, like every migration.
ALTER TABLE tenant ADD COLUMN nwc_is_set INTEGER
    GENERATED ALWAYS AS (nwc_url_sealed IS NOT NULL) VIRTUAL;

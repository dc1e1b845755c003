/*
 * db_migrate.c: forward-only migrations, tracked in PRAGMA user_version.
 * Each migration runs in its own BEGIN IMMEDIATE transaction that first
 * re-reads the version, so processes starting at once apply it once.
 */
#include "config.h"

#include <stdlib.h>

#include "db.h"

int
db_schema_version(struct db *db)
{
	sqlite3_stmt *s;
	int v = -1;

	if ((s = db_stmt(db, STMT_USER_VERSION)) == NULL)
		return -1;
	if (db_step(db, s) == DB_ROW)
		v = sqlite3_column_int(s, 0);
	db_reset(s);
	return v;
}

int
db_schema_latest(void)
{
	return db_migrations_count == 0 ? 0 :
	    db_migrations[db_migrations_count - 1].version;
}

static int
db_apply(struct db *db, const struct db_migration *m)
{
	char *err = NULL, *pragma;
	int v;

	if (db_begin(db) != DB_OK)
		return -1;
	if ((v = db_schema_version(db)) < 0)
		goto fail;
	if (v >= m->version) {
		db_rollback(db);
		return 0;
	}
	if (sqlite3_exec(db->h, m->sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("migration %s: %s", m->name, err);
		sqlite3_free(err);
		goto fail;
	}
	/* PRAGMA takes no parameters; the number comes from our own table. */
	if ((pragma = sqlite3_mprintf("PRAGMA user_version = %d",
	    m->version)) == NULL)
		abort();
	v = sqlite3_exec(db->h, pragma, NULL, NULL, NULL);
	sqlite3_free(pragma);
	if (v != SQLITE_OK || db_commit(db) != DB_OK)
		goto fail;
	log_info("database %s: applied migration %s", db->path, m->name);
	return 0;
fail:
	db_rollback(db);
	return -1;
}

int
db_migrate(struct db *db)
{
	size_t i;
	int v;

	if ((v = db_schema_version(db)) < 0)
		return -1;
	if (v == db_schema_latest())
		return 0;
	if (v > db_schema_latest()) {
		log_warnx("database %s: schema version %d is newer than this "
		    "program knows (%d)", db->path, v, db_schema_latest());
		return -1;
	}
	/* Another process may be migrating: wait for it longer than usual. */
	db_set_busy(db, DB_MIGRATE_TIMEOUT_MS);
	for (i = 0; i < db_migrations_count; i++)
		if (db_migrations[i].version > v &&
		    db_apply(db, &db_migrations[i]) == -1)
			break;
	db_set_busy(db, DB_BUSY_TIMEOUT_MS);
	return i == db_migrations_count ? 0 : -1;
}

int
db_health(struct db *db)
{
	return db_schema_version(db) >= db_schema_latest() ? 0 : -1;
}

int64_t
db_data_version(struct db *db)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if ((s = db_stmt(db, STMT_DATA_VERSION)) == NULL)
		return -1;
	if (db_step(db, s) == DB_ROW)
		v = sqlite3_column_int64(s, 0);
	db_reset(s);
	return v;
}

/* sqlite3_wal_hook(): the WAL's size after each commit. */
static int
wal_size(void *arg, sqlite3 *h, const char *name, int frames)
{
	struct db *db = arg;

	(void)h;
	(void)name;
	db->wal_frames = frames;
	return SQLITE_OK;
}

void
db_api_checkpoints(struct db *db)
{
	/* In place of SQLite's autocheckpoint, which runs inside COMMIT. */
	sqlite3_wal_hook(db->h, wal_size, db);
	db->checkpoint_frames = DB_API_CHECKPOINT_FRAMES;
	db->checkpoint_at = DB_API_CHECKPOINT_FRAMES;
}

void
db_checkpoint_restart(struct db *db)
{
	sqlite3_stmt *s;
	int busy = 1;

	db_set_busy(db, DB_CHECKPOINT_WAIT_MS);
	if ((s = db_stmt(db, STMT_CHECKPOINT_RESTART)) != NULL) {
		/* One row: busy, pages in the log, pages copied back. */
		if (db_step(db, s) == DB_ROW)
			busy = sqlite3_column_int(s, 0);
		db_reset(s);
	}
	db_set_busy(db, DB_BUSY_TIMEOUT_MS);
	db->checkpoint_at = busy ? db->wal_frames + db->checkpoint_frames :
	    db->checkpoint_frames;
}

/* A passive checkpoint: copies what it can, never waits for readers. */
void
db_checkpoint(struct db *db)
{
	(void)db_exec(db, STMT_CHECKPOINT);
}

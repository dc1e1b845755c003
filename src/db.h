/*
 * db.h: the one SQLite file every Caravel process shares (WAL, busy
 * timeout, foreign keys), its migrations and its statement table. All SQL
 * the programs run is a row of stmts[] in db_sql.c.
 */
#ifndef CARAVEL_DB_H
#define CARAVEL_DB_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "core.h"

#define DB_BUSY_TIMEOUT_MS 5000

enum dbrc {
	DB_OK,
	DB_ROW,
	DB_DONE,
	DB_NOTFOUND,
	DB_CONSTRAINT,
	DB_BUSY,
	DB_ERROR
};

enum stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_USER_VERSION,
	STMT_PLAN_LIST,
	STMT_PLAN_GET,
	STMT__MAX
};

extern const char *const stmts[STMT__MAX];

struct db {
	sqlite3 *h;
	sqlite3_stmt *stmt[STMT__MAX]; /* prepared lazily, persistent */
	char *path;
};

/* db_migrations.c (generated from db/migrations by scripts/embed-sql.sh) */
struct db_migration {
	int version; /* the file's number */
	const char *name;
	const char *sql;
};
extern const struct db_migration db_migrations[];
extern const size_t db_migrations_count;

/* db.c */
/*
 * Open (creating it if needed) the database at path, set WAL, a busy
 * timeout and foreign keys, and apply pending migrations (safe when
 * several processes start at once). Returns NULL after logging.
 */
struct db *db_open(const char *path);
void db_close(struct db *);
sqlite3_stmt *db_stmt(struct db *, enum stmt);
enum dbrc db_step(struct db *, sqlite3_stmt *);
enum dbrc db_exec(struct db *, enum stmt); /* step once, then reset */
void db_reset(sqlite3_stmt *);
enum dbrc db_fail(struct db *, sqlite3_stmt *, const char *func);
/* BEGIN IMMEDIATE: writers take the lock up front. */
enum dbrc db_begin(struct db *);
enum dbrc db_commit(struct db *);
void db_rollback(struct db *);
/* Bind helpers (1-based index); 0 or -1. */
int db_bind_text(sqlite3_stmt *, int, const char *);
int db_bind_int(sqlite3_stmt *, int, int64_t);
/* Column text copied into the arena ("" for NULL). */
char *db_col_text(struct arena *, sqlite3_stmt *, int);

/* db_migrate.c */
int db_migrate(struct db *);
int db_schema_version(struct db *);
int db_schema_latest(void);
int db_health(struct db *); /* 0: reachable and schema current */

/* db_plan.c */
struct plan {
	char *id;
	char *name;
	int64_t amount; /* USD cents a month */
	int64_t members; /* member limit; -1 = unlimited */
	int blossom, livekit;
	char *stripe_price_setting; /* config key of the price, or NULL */
};
/* All plans in display order; *n gets the count. */
enum dbrc db_plan_list(struct db *, struct arena *, struct plan **, size_t *n);
enum dbrc db_plan_get(struct db *, struct arena *, const char *id,
    struct plan *);

#endif

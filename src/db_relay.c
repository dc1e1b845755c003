/* db_relay.c: the relay table: what tenants asked for, and sync state. */
#include "config.h"

#include <string.h>

#include "db.h"

enum dbrc
db_relay_get(struct db *db, struct arena *a, const char *id, struct relay *r)
{
	return db_row1(db, a, db_query(db, STMT_RELAY_GET, DBV_T(id)),
	    relay_table.read, r);
}

static const struct db_lister relays = { &relay_table, STMT_RELAY_LIST,
	STMT_RELAY_LIST_TENANT, STMT_RELAY_PAGE, STMT_RELAY_PAGE_TENANT,
	STMT_RELAY_CREATED };

enum dbrc
db_relay_list(struct db *db, struct arena *a, const struct list_filter *f,
    struct relay **out, size_t *n)
{
	return db_list(db, a, &relays, f, out, n);
}

enum dbrc
db_relay_each(struct db *db, struct arena *scratch,
    const struct list_filter *f, db_each_fn fn, void *arg)
{
	struct relay row;

	return db_list_each(db, scratch, &relays, f, &row, fn, arg);
}

enum dbrc
db_relay_insert(struct db *db, const struct relay *r, const char *sealed)
{
	return db_write_row(db, STMT_RELAY_INSERT, &relay_table, r,
	    DBV_AS(":secret_sealed", DBV_T(sealed)));
}

enum dbrc
db_relay_update(struct db *db, const struct relay *r)
{
	enum dbrc rc;

	rc = db_write_row_v(db, STMT_RELAY_UPDATE, &relay_table, r, NULL, 0);
	return rc == DB_DONE ? DB_NOTFOUND : rc;
}

enum dbrc
db_relay_set_status(struct db *db, const char *id, const char *status,
    int64_t now)
{
	return db_update(db, STMT_RELAY_SET_STATUS, DBV_T(id), DBV_T(status),
	    DBV_I(now));
}

enum dbrc
db_relay_sync_due(struct db *db, struct arena *a, int64_t now,
    int64_t max_failures, int retry_failed, const char *only, int64_t limit,
    struct relay_sync **out, size_t *n)
{
	sqlite3_stmt *s;
	struct relay_sync *v = NULL;
	size_t cap = 0;
	enum dbrc rc;

	*n = 0;
	if ((s = db_stmt(db, STMT_RELAY_SYNC_DUE)) == NULL)
		return DB_ERROR;
	if (db_bind_int(s, 1, now) == -1 || db_bind_int(s, 2, max_failures) ==
	    -1 || db_bind_int(s, 3, retry_failed != 0) == -1 ||
	    db_bind_text(s, 4, only) == -1 || db_bind_int(s, 5, limit) == -1)
		return db_fail(db, s, __func__);
	while ((rc = db_step(db, s)) == DB_ROW) {
		v = arena_grow(a, v, *n, &cap, sizeof(*v));
		table_read(a, s, 0, &relay_table, &v[*n].r);
		v[*n].secret_sealed = db_col_text(a, s, (int)relay_table.ncol);
		(*n)++;
	}
	db_reset(s);
	*out = v;
	return rc == DB_DONE ? DB_OK : rc;
}

enum dbrc
db_relay_sync_ok(struct db *db, const char *id, int64_t version)
{
	return db_update(db, STMT_RELAY_SYNC_OK, DBV_T(id), DBV_I(version));
}

enum dbrc
db_relay_sync_fail(struct db *db, const char *id, const char *error,
    int64_t retry_at)
{
	return db_update(db, STMT_RELAY_SYNC_FAIL, DBV_T(id), DBV_T(error),
	    retry_at > 0 ? DBV_I(retry_at) : DBV_T(NULL));
}

enum dbrc
db_relay_set_created(struct db *db, const char *id)
{
	return db_update(db, STMT_RELAY_SET_CREATED, DBV_T(id));
}

int
db_relay_subdomain_taken(struct db *db, const char *subdomain)
{
	sqlite3_stmt *s;
	enum dbrc rc;

	if ((s = db_stmt(db, STMT_RELAY_SUBDOMAIN_TAKEN)) == NULL)
		return -1;
	if (db_bind_text(s, 1, subdomain) == -1) {
		db_fail(db, s, __func__);
		return -1;
	}
	rc = db_step(db, s);
	db_reset(s);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

enum dbrc
db_relay_owner(struct db *db, const char *id, char out[65])
{
	sqlite3_stmt *s;
	const unsigned char *t;
	enum dbrc rc;

	if ((s = db_stmt(db, STMT_RELAY_OWNER)) == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, id) == -1)
		return db_fail(db, s, __func__);
	if ((rc = db_step(db, s)) == DB_ROW) {
		t = sqlite3_column_text(s, 0);
		if (t == NULL || strlen((const char *)t) != 64)
			rc = DB_ERROR;
		else {
			memcpy(out, t, 65);
			rc = DB_OK;
		}
	} else if (rc == DB_DONE)
		rc = DB_NOTFOUND;
	db_reset(s);
	return rc;
}

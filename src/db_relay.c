/* db_relay.c: the relay table: what tenants asked for, and sync state. */
#include "config.h"

#include <string.h>

#include "db.h"

const char *const relay_flag_names[RF__MAX] = {
	[RF_POLICY_PUBLIC_JOIN] = "policy_public_join",
	[RF_POLICY_STRIP_SIGNATURES] = "policy_strip_signatures",
	[RF_GROUPS_ENABLED] = "groups_enabled",
	[RF_MANAGEMENT_ENABLED] = "management_enabled",
	[RF_BLOSSOM_ENABLED] = "blossom_enabled",
	[RF_LIVEKIT_ENABLED] = "livekit_enabled",
	[RF_PUSH_ENABLED] = "push_enabled",
	[RF_POLICY_PUBLIC_READ] = "policy_public_read",
	[RF_POLICY_PUBLIC_WRITE] = "policy_public_write",
	[RF_MEMBERS_CAN_INVITE] = "members_can_invite",
};

/* As the schema's column defaults (0001, 0004). */
const int relay_flag_defaults[RF__MAX] = {
	[RF_MEMBERS_CAN_INVITE] = 1,
};

/* Columns in the order of RELAY_COLUMNS (db_sql.c). */
static void
relay_row(struct arena *a, sqlite3_stmt *s, struct relay *r)
{
	int i;

	r->id = db_col_text(a, s, 0);
	r->tenant = db_col_text(a, s, 1);
	r->schema = db_col_text(a, s, 2);
	r->subdomain = db_col_text(a, s, 3);
	r->plan = db_col_text(a, s, 4);
	r->status = db_col_text(a, s, 5);
	r->synced = sqlite3_column_int(s, 6);
	r->sync_error = db_col_text(a, s, 7);
	r->info_name = db_col_text(a, s, 8);
	r->info_icon = db_col_text(a, s, 9);
	r->info_description = db_col_text(a, s, 10);
	for (i = 0; i < RF__MAX; i++)
		r->flag[i] = sqlite3_column_int(s, 11 + i);
	r->created_at = sqlite3_column_int64(s, 11 + RF__MAX);
	r->version = sqlite3_column_int64(s, 12 + RF__MAX);
	r->zooid_created = sqlite3_column_int(s, 13 + RF__MAX);
}

/* Columns after RELAY_COLUMNS in the sync query. */
#define RELAY_NCOLUMNS (14 + RF__MAX)

enum dbrc
db_relay_get(struct db *db, struct arena *a, const char *id, struct relay *r)
{
	sqlite3_stmt *s;
	enum dbrc rc;

	if ((s = db_stmt(db, STMT_RELAY_GET)) == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, id) == -1)
		return db_fail(db, s, __func__);
	if ((rc = db_step(db, s)) == DB_ROW) {
		relay_row(a, s, r);
		rc = DB_OK;
	} else if (rc == DB_DONE)
		rc = DB_NOTFOUND;
	db_reset(s);
	return rc;
}

static void
relay_row_v(struct arena *a, sqlite3_stmt *s, void *row)
{
	relay_row(a, s, row);
}

/* The bound statement listing f's relays; DB_NOTFOUND: no relay is after. */
static enum dbrc
relay_list_stmt(struct db *db, const struct list_filter *f, sqlite3_stmt **s)
{
	int64_t at = INT64_MAX, limit = f->limit > 0 ? f->limit : INT64_MAX;
	const char *after = f->after != NULL ? f->after : "";
	enum dbrc rc;

	if (f->limit == 0 && f->after == NULL)
		*s = f->tenant != NULL ? db_query(db, STMT_RELAY_LIST_TENANT,
		    DBV_T(f->tenant)) : db_stmt(db, STMT_RELAY_LIST);
	else if (f->after != NULL && (rc = db_created_at(db,
	    STMT_RELAY_CREATED, f->after, &at)) != DB_OK)
		return rc;
	else
		*s = f->tenant != NULL ? db_query(db, STMT_RELAY_PAGE_TENANT,
		    DBV_I(at), DBV_T(after), DBV_I(limit), DBV_T(f->tenant)) :
		    db_query(db, STMT_RELAY_PAGE, DBV_I(at), DBV_T(after),
		    DBV_I(limit));
	return *s != NULL ? DB_OK : DB_ERROR;
}

enum dbrc
db_relay_list(struct db *db, struct arena *a, const struct list_filter *f,
    struct relay **out, size_t *n)
{
	sqlite3_stmt *s = NULL;
	enum dbrc rc;

	*n = 0;
	*out = NULL;
	if ((rc = relay_list_stmt(db, f, &s)) != DB_OK)
		return rc;
	return db_rows(db, a, s, sizeof(**out), relay_row_v, out, n);
}

enum dbrc
db_relay_each(struct db *db, struct arena *scratch,
    const struct list_filter *f, db_each_fn fn, void *arg)
{
	sqlite3_stmt *s = NULL;
	struct relay row;
	enum dbrc rc;

	if ((rc = relay_list_stmt(db, f, &s)) != DB_OK)
		return rc;
	return db_each(db, scratch, s, relay_row_v, &row, fn, arg);
}

enum dbrc
db_relay_insert(struct db *db, const struct relay *r, const char *sealed,
    int64_t now)
{
	sqlite3_stmt *s;
	enum dbrc rc;
	int i, bad;

	if ((s = db_stmt(db, STMT_RELAY_INSERT)) == NULL)
		return DB_ERROR;
	bad = db_bind_text(s, 1, r->id) == -1 ||
	    db_bind_text(s, 2, r->tenant) == -1 ||
	    db_bind_text(s, 3, r->subdomain) == -1 ||
	    db_bind_text(s, 4, r->schema) == -1 ||
	    db_bind_text(s, 5, r->plan) == -1 ||
	    db_bind_text(s, 6, sealed) == -1 ||
	    db_bind_text(s, 7, r->info_name) == -1 ||
	    db_bind_text(s, 8, r->info_icon) == -1 ||
	    db_bind_text(s, 9, r->info_description) == -1 ||
	    db_bind_int(s, 10, now) == -1;
	for (i = 0; i < RF__MAX; i++)
		bad |= db_bind_int(s, 11 + i, r->flag[i]) == -1;
	if (bad)
		return db_fail(db, s, __func__);
	if ((rc = db_step(db, s)) == DB_DONE)
		rc = DB_OK;
	db_reset(s);
	return rc;
}

enum dbrc
db_relay_update(struct db *db, const struct relay *r, int64_t now)
{
	sqlite3_stmt *s;
	enum dbrc rc;
	int i, bad;

	if ((s = db_stmt(db, STMT_RELAY_UPDATE)) == NULL)
		return DB_ERROR;
	bad = db_bind_text(s, 1, r->id) == -1 ||
	    db_bind_text(s, 2, r->plan) == -1 ||
	    db_bind_text(s, 3, r->info_name) == -1 ||
	    db_bind_text(s, 4, r->info_icon) == -1 ||
	    db_bind_text(s, 5, r->info_description) == -1 ||
	    db_bind_int(s, 6, now) == -1;
	for (i = 0; i < RF__MAX; i++)
		bad |= db_bind_int(s, 7 + i, r->flag[i]) == -1;
	if (bad)
		return db_fail(db, s, __func__);
	if ((rc = db_step(db, s)) == DB_DONE)
		rc = sqlite3_changes(db->h) == 1 ? DB_OK : DB_NOTFOUND;
	db_reset(s);
	return rc;
}

enum dbrc
db_relay_set_status(struct db *db, const char *id, const char *status,
    int64_t now)
{
	sqlite3_stmt *s;
	enum dbrc rc;

	if ((s = db_stmt(db, STMT_RELAY_SET_STATUS)) == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, id) == -1 || db_bind_text(s, 2, status) == -1 ||
	    db_bind_int(s, 3, now) == -1)
		return db_fail(db, s, __func__);
	if ((rc = db_step(db, s)) == DB_DONE)
		rc = sqlite3_changes(db->h) == 1 ? DB_OK : DB_NOTFOUND;
	db_reset(s);
	return rc;
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
		relay_row(a, s, &v[*n].r);
		v[*n].secret_sealed = db_col_text(a, s, RELAY_NCOLUMNS);
		v[*n].failures = sqlite3_column_int64(s, RELAY_NCOLUMNS + 1);
		(*n)++;
	}
	db_reset(s);
	*out = v;
	return rc == DB_DONE ? DB_OK : rc;
}

/* One id-keyed UPDATE; DB_NOTFOUND when no row changed. */
static enum dbrc
relay_update_row(struct db *db, sqlite3_stmt *s, const char *func)
{
	enum dbrc rc;

	if ((rc = db_step(db, s)) == DB_DONE)
		rc = sqlite3_changes(db->h) == 1 ? DB_OK : DB_NOTFOUND;
	else if (rc == DB_ROW)
		rc = db_fail(db, s, func);
	db_reset(s);
	return rc;
}

enum dbrc
db_relay_sync_ok(struct db *db, const char *id, int64_t version)
{
	sqlite3_stmt *s;

	if ((s = db_stmt(db, STMT_RELAY_SYNC_OK)) == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, id) == -1 || db_bind_int(s, 2, version) == -1)
		return db_fail(db, s, __func__);
	return relay_update_row(db, s, __func__);
}

enum dbrc
db_relay_sync_fail(struct db *db, const char *id, const char *error,
    int64_t retry_at)
{
	sqlite3_stmt *s;

	if ((s = db_stmt(db, STMT_RELAY_SYNC_FAIL)) == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, id) == -1 || db_bind_text(s, 2, error) == -1 ||
	    (retry_at > 0 ? db_bind_int(s, 3, retry_at) :
	    db_bind_text(s, 3, NULL)) == -1)
		return db_fail(db, s, __func__);
	return relay_update_row(db, s, __func__);
}

enum dbrc
db_relay_set_created(struct db *db, const char *id)
{
	sqlite3_stmt *s;

	if ((s = db_stmt(db, STMT_RELAY_SET_CREATED)) == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, id) == -1)
		return db_fail(db, s, __func__);
	return relay_update_row(db, s, __func__);
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

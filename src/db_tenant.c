/* db_tenant.c: the tenant table (one row per customer's nostr key). */
#include "config.h"

#include <string.h>

#include "db.h"

enum dbrc
db_tenant_get(struct db *db, struct arena *a, const char *pubkey,
    struct tenant *t)
{
	return db_row1(db, a, db_query(db, STMT_TENANT_GET, DBV_T(pubkey)),
	    tenant_table.read, t);
}

/* The bound statement listing f's tenants; DB_NOTFOUND: no tenant is after. */
static enum dbrc
tenant_list_stmt(struct db *db, const struct list_filter *f,
    sqlite3_stmt **s)
{
	int64_t at = INT64_MAX;
	enum dbrc rc;

	if (f->limit == 0 && f->after == NULL)
		*s = db_stmt(db, STMT_TENANT_LIST);
	else if (f->after != NULL && (rc = db_created_at(db,
	    STMT_TENANT_CREATED, f->after, &at)) != DB_OK)
		return rc;
	else
		*s = db_query(db, STMT_TENANT_PAGE, DBV_I(at),
		    DBV_T(f->after != NULL ? f->after : ""),
		    DBV_I(f->limit > 0 ? f->limit : INT64_MAX));
	return *s != NULL ? DB_OK : DB_ERROR;
}

enum dbrc
db_tenant_list(struct db *db, struct arena *a, const struct list_filter *f,
    struct tenant **out, size_t *n)
{
	sqlite3_stmt *s = NULL;
	enum dbrc rc;

	*n = 0;
	*out = NULL;
	if ((rc = tenant_list_stmt(db, f, &s)) != DB_OK)
		return rc;
	return db_rows(db, a, s, sizeof(**out), tenant_table.read, out,
	    n);
}

enum dbrc
db_tenant_each(struct db *db, struct arena *scratch,
    const struct list_filter *f, db_each_fn fn, void *arg)
{
	sqlite3_stmt *s = NULL;
	struct tenant row;
	enum dbrc rc;

	if ((rc = tenant_list_stmt(db, f, &s)) != DB_OK)
		return rc;
	return db_each(db, scratch, s, tenant_table.read, &row, fn, arg);
}

enum dbrc
db_tenant_insert(struct db *db, const char *pubkey, int64_t now,
    const char *stripe_customer_id)
{
	struct tenant t;

	memset(&t, 0, sizeof(t));
	t.pubkey = pubkey;
	t.created_at = now;
	t.stripe_customer_id = stripe_customer_id;
	return db_write_row_v(db, STMT_TENANT_INSERT, &tenant_table, &t, NULL,
	    0);
}

enum dbrc
db_tenant_set_nwc(struct db *db, const char *pubkey, const char *sealed)
{
	sqlite3_stmt *s;
	enum dbrc rc;

	if ((s = db_stmt(db, STMT_TENANT_SET_NWC)) == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, pubkey) == -1 || db_bind_text(s, 2, sealed) == -1)
		return db_fail(db, s, __func__);
	if ((rc = db_step(db, s)) == DB_DONE)
		rc = sqlite3_changes(db->h) == 1 ? DB_OK : DB_NOTFOUND;
	db_reset(s);
	return rc;
}

enum dbrc
db_tenant_mark_billing(struct db *db, const char *pubkey, int64_t now)
{
	sqlite3_stmt *s;
	enum dbrc rc;

	if ((s = db_stmt(db, STMT_TENANT_MARK_BILLING)) == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, pubkey) == -1 || db_bind_int(s, 2, now) == -1)
		return db_fail(db, s, __func__);
	if ((rc = db_step(db, s)) == DB_DONE)
		rc = DB_OK;
	db_reset(s);
	return rc;
}

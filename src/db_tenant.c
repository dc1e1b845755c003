/* db_tenant.c: the tenant table (one row per customer's nostr key). */
#include "config.h"

#include <string.h>

#include "db.h"

void
db_tenant_row(struct arena *a, sqlite3_stmt *s, struct tenant *t)
{
	t->pubkey = db_col_text(a, s, 0);
	t->created_at = sqlite3_column_int64(s, 1);
	t->stripe_customer_id = sqlite3_column_type(s, 2) == SQLITE_NULL ?
	    NULL : db_col_text(a, s, 2);
	t->stripe_subscription_id = sqlite3_column_type(s, 3) == SQLITE_NULL ?
	    NULL : db_col_text(a, s, 3);
	t->past_due_at = sqlite3_column_type(s, 4) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(s, 4);
	t->nwc_is_set = sqlite3_column_int(s, 5);
	t->nwc_error = db_col_text(a, s, 6);
	t->subscription_status = db_col_textn(a, s, 7);
	t->delinquent_at = db_col_opt(s, 8);
	t->subscription_generation = sqlite3_column_int64(s, 9);
	t->stripe_write_seq = sqlite3_column_int64(s, 10);
	t->billing_marked_at = db_col_opt(s, 11);
	t->stripe_payment_method_id = db_col_text(a, s, 12);
	t->stripe_error = db_col_text(a, s, 13);
	t->churned_at = db_col_opt(s, 14);
	t->billing_reconciled_at = db_col_opt(s, 15);
}

enum dbrc
db_tenant_get(struct db *db, struct arena *a, const char *pubkey,
    struct tenant *t)
{
	sqlite3_stmt *s;
	enum dbrc rc;

	if ((s = db_stmt(db, STMT_TENANT_GET)) == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, pubkey) == -1)
		return db_fail(db, s, __func__);
	if ((rc = db_step(db, s)) == DB_ROW) {
		db_tenant_row(a, s, t);
		rc = DB_OK;
	} else if (rc == DB_DONE)
		rc = DB_NOTFOUND;
	db_reset(s);
	return rc;
}

static void
tenant_row(struct arena *a, sqlite3_stmt *s, void *row)
{
	db_tenant_row(a, s, row);
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
	return db_rows(db, a, s, sizeof(**out), tenant_row, out, n);
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
	return db_each(db, scratch, s, tenant_row, &row, fn, arg);
}

enum dbrc
db_tenant_insert(struct db *db, const char *pubkey, int64_t now,
    const char *stripe_customer_id)
{
	sqlite3_stmt *s;
	enum dbrc rc;

	if ((s = db_stmt(db, STMT_TENANT_INSERT)) == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, pubkey) == -1 || db_bind_int(s, 2, now) == -1 ||
	    db_bind_text(s, 3, stripe_customer_id) == -1)
		return db_fail(db, s, __func__);
	if ((rc = db_step(db, s)) == DB_DONE)
		rc = sqlite3_changes(db->h) == 1 ? DB_OK : DB_DONE;
	db_reset(s);
	return rc;
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

/*
 * db_billing.c: what caravel-billing and the Stripe webhook keep about a
 * tenant (spec/workers.md §2-§3): which tenants to reconcile, their
 * subscription, dunning state, a subscription create in flight, the
 * webhook events applied, the shared BTC price and the revenue view.
 */
#include "config.h"

#include <string.h>

#include "db.h"

static void
text_row(struct arena *a, sqlite3_stmt *s, void *row)
{
	*(const char **)row = db_col_text(a, s, 0);
}

enum dbrc
db_tenant_by_customer(struct db *db, struct arena *a, const char *customer,
    struct tenant *t)
{
	return db_row1(db, a, db_query(db, STMT_TENANT_BY_CUSTOMER,
	    DBV_T(customer)), tenant_table.read, t);
}

static void
due_row(struct arena *a, sqlite3_stmt *s, void *row)
{
	struct billing_due *d = row;

	d->pubkey = db_col_text(a, s, 0);
	d->marked_at = db_col_opt(s, 1);
}

enum dbrc
db_billing_due(struct db *db, struct arena *a, int64_t daily_before,
    int64_t dunning_before, int all, int64_t limit, struct billing_due **out,
    size_t *n)
{
	return db_rows(db, a, db_query(db, STMT_TENANT_BILLING_DUE,
	    DBV_I(daily_before), DBV_I(dunning_before), DBV_I(all != 0),
	    DBV_I(limit)), sizeof(**out), due_row, out, n);
}

enum dbrc
db_billing_done(struct db *db, const char *pubkey, int64_t marked_at,
    int64_t now)
{
	return db_write(db, STMT_TENANT_BILLING_DONE, DBV_T(pubkey),
	    DBV_OI(marked_at), DBV_I(now));
}

enum dbrc
db_tenant_set_subscription(struct db *db, const char *pubkey,
    const char *sub, const char *status)
{
	return db_write(db, STMT_TENANT_SET_SUBSCRIPTION, DBV_T(pubkey),
	    DBV_T(sub), DBV_T(status));
}

enum dbrc
db_tenant_forget_subscription(struct db *db, const char *pubkey,
    const char *sub, const char *status)
{
	return db_write(db, STMT_TENANT_FORGET_SUBSCRIPTION, DBV_T(pubkey),
	    DBV_T(sub), DBV_T(status));
}

enum dbrc
db_tenant_set_sub_status(struct db *db, const char *pubkey, const char *sub,
    const char *status)
{
	return db_write(db, STMT_TENANT_SET_SUB_STATUS, DBV_T(pubkey),
	    DBV_T(sub), DBV_T(status));
}

enum dbrc
db_tenant_bump_write_seq(struct db *db, const char *pubkey)
{
	return db_write(db, STMT_TENANT_BUMP_WRITE_SEQ, DBV_T(pubkey));
}

enum dbrc
db_tenant_set_past_due(struct db *db, const char *pubkey, int64_t at)
{
	return db_write(db, STMT_TENANT_SET_PAST_DUE, DBV_T(pubkey), DBV_I(at));
}

enum dbrc
db_tenant_clear_past_due(struct db *db, const char *pubkey)
{
	return db_write(db, STMT_TENANT_CLEAR_PAST_DUE, DBV_T(pubkey));
}

enum dbrc
db_tenant_set_payment_method(struct db *db, const char *customer,
    const char *pm)
{
	return db_write(db, STMT_TENANT_SET_PAYMENT_METHOD, DBV_T(customer),
	    DBV_T(pm));
}

enum dbrc
db_tenant_set_stripe_error(struct db *db, const char *pubkey,
    const char *error)
{
	return db_write(db, STMT_TENANT_SET_STRIPE_ERROR, DBV_T(pubkey),
	    DBV_T(error));
}

enum dbrc
db_tenant_set_nwc_error(struct db *db, const char *pubkey, const char *error)
{
	return db_write(db, STMT_TENANT_SET_NWC_ERROR, DBV_T(pubkey),
	    DBV_T(error));
}

enum dbrc
db_tenant_set_delinquent(struct db *db, const char *pubkey, int64_t at)
{
	return db_write(db, STMT_TENANT_SET_DELINQUENT, DBV_T(pubkey),
	    DBV_OI(at));
}

static void
sealed_row(struct arena *a, sqlite3_stmt *s, void *row)
{
	*(const char **)row = db_col_textn(a, s, 0);
}

enum dbrc
db_tenant_nwc_sealed(struct db *db, struct arena *a, const char *pubkey,
    const char **sealed)
{
	*sealed = NULL;
	return db_row1(db, a, db_query(db, STMT_TENANT_NWC_SEALED,
	    DBV_T(pubkey)), sealed_row, sealed);
}

static void
dunning_row(struct arena *a, sqlite3_stmt *s, void *row)
{
	struct dunning *d = row;

	d->pubkey = db_col_text(a, s, 0);
	d->past_due_at = db_col_opt(s, 1);
	d->delinquent_at = db_col_opt(s, 2);
	d->open_invoices = sqlite3_column_int64(s, 3);
}

enum dbrc
db_dunning_list(struct db *db, struct arena *a, struct dunning **out,
    size_t *n)
{
	return db_rows(db, a, db_stmt(db, STMT_TENANT_DUNNING), sizeof(**out),
	    dunning_row, out, n);
}

static void
billable_row(struct arena *a, sqlite3_stmt *s, void *row)
{
	struct billable *b = row;

	b->plan = db_col_text(a, s, 0);
	b->price_setting = db_col_text(a, s, 1);
	b->count = sqlite3_column_int64(s, 2);
}

enum dbrc
db_relay_billable(struct db *db, struct arena *a, const char *tenant,
    int with_suspended, struct billable **out, size_t *n)
{
	return db_rows(db, a, db_query(db, STMT_RELAY_BILLABLE, DBV_T(tenant),
	    DBV_I(with_suspended != 0)), sizeof(**out), billable_row, out, n);
}

enum dbrc
db_relay_ids(struct db *db, struct arena *a, const char *tenant,
    const char *status, int paid_only, const char ***out, size_t *n)
{
	return db_rows(db, a, db_query(db, STMT_RELAY_IDS_BY_STATUS,
	    DBV_T(tenant), DBV_T(status), DBV_I(paid_only != 0)),
	    sizeof(**out), text_row, out, n);
}

enum dbrc
db_subcreate_get(struct db *db, struct arena *a, const char *tenant,
    struct subcreate *c)
{
	return db_row1(db, a, db_query(db, STMT_SUBCREATE_GET, DBV_T(tenant)),
	    subcreate_table.read, c);
}

enum dbrc
db_subcreate_put(struct db *db, const char *tenant, const char *key,
    const char *form, int64_t now)
{
	struct subcreate row = { .tenant = tenant, .idempotency_key = key,
		.form = form, .started_at = now };

	return db_write_row_v(db, STMT_SUBCREATE_PUT, &subcreate_table, &row,
	    NULL, 0);
}

enum dbrc
db_subcreate_failed(struct db *db, const char *tenant, const char *error)
{
	return db_write(db, STMT_SUBCREATE_FAILED, DBV_T(tenant),
	    DBV_T(error));
}

enum dbrc
db_subcreate_delete(struct db *db, const char *tenant)
{
	return db_write(db, STMT_SUBCREATE_DELETE, DBV_T(tenant));
}

enum dbrc
db_stripe_event_insert(struct db *db, const char *id, const char *type,
    int64_t created, int64_t now, const char *tenant, const char *object_id,
    const char *effect)
{
	struct stripe_event row = { .id = id, .type = type,
		.created = created, .received_at = now, .tenant = tenant,
		.object_id = object_id, .effect = effect };

	return db_write_row_v(db, STMT_STRIPE_EVENT_INSERT,
	    &stripe_event_table, &row, NULL, 0);
}

enum dbrc
db_stripe_event_list(struct db *db, struct arena *a,
    const struct list_filter *f, struct stripe_event **out, size_t *n)
{
	return db_rows(db, a, db_query(db, STMT_STRIPE_EVENT_LIST,
	    DBV_I(LIST_LIMIT(f))), sizeof(**out), stripe_event_table.read, out,
	    n);
}

enum dbrc
db_price_get(struct db *db, struct arena *a, const char **price,
    int64_t *fetched_at)
{
	struct btc_price row;
	enum dbrc rc;

	if ((rc = db_row1(db, a, db_stmt(db, STMT_PRICE_GET),
	    btc_price_table.read, &row)) == DB_OK) {
		*price = row.price;
		*fetched_at = row.fetched_at;
	}
	return rc;
}

enum dbrc
db_price_put(struct db *db, const char *price, int64_t now)
{
	struct btc_price row = { .currency = "usd", .price = price,
		.fetched_at = now };

	return db_write_row_v(db, STMT_PRICE_PUT, &btc_price_table, &row, NULL,
	    0);
}

static void
revenue_row(struct arena *a, sqlite3_stmt *s, void *row)
{
	struct revenue *r = row;

	r->month = db_col_text(a, s, 0);
	r->method = db_col_text(a, s, 1);
	r->currency = db_col_text(a, s, 2);
	r->invoices = sqlite3_column_int64(s, 3);
	r->collected = sqlite3_column_int64(s, 4);
}

enum dbrc
db_revenue(struct db *db, struct arena *a, const char *since,
    struct revenue **out, size_t *n)
{
	return db_rows(db, a, db_query(db, STMT_REVENUE, DBV_T(since)),
	    sizeof(**out), revenue_row, out, n);
}

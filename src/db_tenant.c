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

static const struct db_lister tenants = { &tenant_table, STMT_TENANT_LIST,
	STMT__MAX, STMT_TENANT_PAGE, STMT__MAX, STMT_TENANT_CREATED };

enum dbrc
db_tenant_list(struct db *db, struct arena *a, const struct list_filter *f,
    struct tenant **out, size_t *n)
{
	return db_list(db, a, &tenants, f, out, n);
}

enum dbrc
db_tenant_each(struct db *db, struct arena *scratch,
    const struct list_filter *f, db_each_fn fn, void *arg)
{
	struct tenant row;

	return db_list_each(db, scratch, &tenants, f, &row, fn, arg);
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
	return db_update(db, STMT_TENANT_SET_NWC, DBV_T(pubkey), DBV_T(sealed));
}

enum dbrc
db_tenant_mark_billing(struct db *db, const char *pubkey, int64_t now)
{
	enum dbrc rc = db_write(db, STMT_TENANT_MARK_BILLING, DBV_T(pubkey),
	    DBV_I(now));

	/* A tenant that is not there has nothing to mark. */
	return rc == DB_DONE ? DB_OK : rc;
}

/*
 * tenants.c: /tenants and /tenants/:pubkey (spec/api.md §5). A tenant is
 * a nostr key with a Stripe customer; its NWC wallet URL is stored only
 * sealed (api.md §7) and never returned.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "json.h"
#include "crypt.h"
#include "nwc.h"
#include "stripe.h"

#define RECONCILE_GAP 10 /* s between two reconciliations with no change */

/* A Tenant (api.md §4): its JSON columns (db.h). */
static struct json_object *
tenant_json(const struct tenant *t)
{
	struct json_object *o = jobj();

	table_jobj(o, &tenant_table, t);
	return o;
}

enum status
tenant_load(struct req *r, struct resp *w, struct db **db, struct tenant *t)
{
	enum dbrc rc;

	if ((*db = app_db(r->app)) == NULL)
		return ST_UNAVAILABLE;
	if ((rc = db_tenant_get(*db, &r->arena, r->param[0], t)) != DB_OK)
		return rc == DB_NOTFOUND ? resp_fail(w, ST_NOT_FOUND,
		    "no tenant has this public key") : st_from_db(rc);
	return ST_OK;
}

static int
tenant_elem(const void *row, void *o)
{
	struct sbuf *b = list_elem(o);

	sbuf_add(b, "{", 1);
	table_json(b, &tenant_table, row);
	sbuf_add(b, "}", 1);
	return 0;
}

/* The tenants of w->list_arg (a list_filter), each as it is read. */
static enum status
tenants_each(struct req *r, struct resp *w, struct list_out *o)
{
	return list_done(w, db_tenant_each(app_db(r->app), list_scratch(o),
	    w->list_arg, tenant_elem, o), "after names no tenant");
}

/* GET /tenants (admin): list of Tenant, newest first. */
enum status
tenants_list(struct req *r, struct resp *w)
{
	struct list_filter *f;
	enum status st;

	f = arena_alloc(&r->arena, sizeof(*f));
	if ((st = req_page(r, w, 64, f)) != ST_OK)
		return st;
	if (app_db(r->app) == NULL)
		return ST_UNAVAILABLE;
	w->list = tenants_each;
	w->list_arg = f;
	return ST_OK;
}

/*
 * POST /tenants (any signer, no body): the signer's tenant, created on
 * first call with a Stripe customer made before the row is written. The
 * customer's idempotency key comes from the pubkey, so concurrent first
 * calls get the same customer and the insert keeps one row; a customer
 * whose answer was lost is found again by its metadata, even after
 * Stripe forgot the key.
 * 200 Tenant; 502 stripe-error (no row); 503 not-configured.
 */
enum status
tenants_create(struct req *r, struct resp *w)
{
	struct tenant t;
	struct stripe stripe;
	struct stripe_fail fail;
	struct db *db;
	char *customer = NULL;
	enum dbrc rc;

	if ((db = app_db(r->app)) == NULL)
		return ST_UNAVAILABLE;
	if ((rc = db_tenant_get(db, &r->arena, r->signer, &t)) == DB_OK)
		goto found;
	if (rc != DB_NOTFOUND)
		return st_from_db(rc);
	if (!cfg_isset(&r->app->cfg, CFG_STRIPE_SECRET_KEY))
		return resp_fail(w, ST_NOT_CONFIGURED,
		    "STRIPE_SECRET_KEY is not set, so no tenant can be created");
	stripe_init(&stripe, &r->app->cfg);
	if (stripe_customer_ensure(&stripe, r->signer, &customer, &fail) ==
	    -1) {
		log_warnx("tenant %s: stripe customer: %s", r->signer,
		    fail.msg != NULL ? fail.msg : "failed");
		stripe_fail_release(&fail);
		return resp_fail(w, ST_STRIPE_ERROR,
		    "the payment provider could not create a customer; try "
		    "again later");
	}
	if ((rc = db_begin(db)) == DB_OK) {
		rc = db_tenant_insert(db, r->signer, clock_now(), customer);
		if (rc == DB_OK)
			rc = db_activity_add(db, r->signer, r->signer,
			    clock_now(), "create_tenant", "tenant", r->signer);
		if (rc == DB_OK || rc == DB_DONE)
			rc = db_commit(db);
		else
			db_rollback(db);
	}
	free(customer);
	if (rc != DB_OK)
		return st_from_db(rc);
	if ((rc = db_tenant_get(db, &r->arena, r->signer, &t)) != DB_OK)
		return st_from_db(rc);
found:
	w->data = tenant_json(&t);
	return ST_OK;
}

/* GET /tenants/:pubkey (tenant): Tenant or 404. */
enum status
tenants_get(struct req *r, struct resp *w)
{
	struct tenant t;
	struct db *db;
	enum status st;

	if ((st = tenant_load(r, w, &db, &t)) != ST_OK)
		return st;
	w->data = tenant_json(&t);
	return ST_OK;
}

/*
 * PUT /tenants/:pubkey {"nwc_url": string} (tenant): "" clears the
 * wallet; otherwise it must be a NIP-47 URI (422 invalid-nwc-url). Stored
 * sealed; clears nwc_error; marks the tenant for billing so its open
 * invoices are tried. 200 Tenant.
 */
enum status
tenants_update(struct req *r, struct resp *w)
{
	struct tenant t;
	struct nwc_uri uri;
	const struct secretbox *box;
	struct db *db;
	const char *url, *why;
	char *sealed = NULL;
	enum status st;
	enum dbrc rc;
	int64_t now = clock_now();

	if ((st = req_body_object(r, w)) != ST_OK)
		return st;
	switch (json_get_str(r->json, "nwc_url", NWC_URI_MAX, &url, NULL)) {
	case JGET_OK:
		break;
	case JGET_ABSENT:
		return resp_field(w, ST_BAD_REQUEST, "nwc_url",
		    "nwc_url is required");
	default:
		if (json_get_str(r->json, "nwc_url", SIZE_MAX, &url, NULL) ==
		    JGET_OK)
			return resp_field(w, ST_INVALID_NWC, "nwc_url",
			    "the NWC URL is too long");
		return resp_field(w, ST_BAD_REQUEST, "nwc_url",
		    "nwc_url must be a string");
	}
	if (*url != '\0' && nwc_uri_parse(&r->arena, url, &uri, &why) == -1)
		return resp_field(w, ST_INVALID_NWC, "nwc_url", why);
	if ((st = tenant_load(r, w, &db, &t)) != ST_OK)
		return st;
	if (*url != '\0') {
		if (!cfg_isset(&r->app->cfg, CFG_ENCRYPTION_SECRET))
			return resp_fail(w, ST_NOT_CONFIGURED,
			    "ENCRYPTION_SECRET is not set, so a wallet URL "
			    "cannot be stored");
		if ((box = app_secretbox(r->app)) == NULL)
			return ST_INTERNAL;
		sealed = secretbox_seal_alloc(box, url);
		if (sealed == NULL)
			return ST_INTERNAL;
	}
	if ((rc = db_begin(db)) == DB_OK) {
		rc = db_tenant_set_nwc(db, t.pubkey, sealed);
		if (rc == DB_OK)
			rc = db_activity_add(db, t.pubkey, r->signer, now,
			    "update_tenant", "tenant", t.pubkey);
		if (rc == DB_OK)
			rc = db_tenant_mark_billing(db, t.pubkey, now);
		if (rc == DB_OK && sealed != NULL)
			rc = db_guard_retry_tenant(db, t.pubkey, now);
		if (rc == DB_OK || rc == DB_DONE)
			rc = db_commit(db);
		else
			db_rollback(db);
	}
	free(sealed);
	if (rc != DB_OK)
		return st_from_db(rc);
	t.nwc_is_set = *url != '\0';
	t.nwc_error = "";
	w->data = tenant_json(&t);
	return ST_OK;
}

/*
 * POST /tenants/:pubkey/reconcile (tenant): the tenant's billing brought up
 * to date now, by the pass's own code (billing_tenant, as caravel-admin
 * reconcile): its subscription follows its relays, its invoices and card
 * are read from Stripe. Answers the Tenant. Flotilla calls it on every
 * page visit: a tenant with nothing marked, reconciled in the last
 * RECONCILE_GAP seconds, is answered from the database. Without Stripe
 * configured or a customer there is nothing to reconcile. 502
 * stripe-error; 503 billing-busy.
 */
enum status
tenants_reconcile(struct req *r, struct resp *w)
{
	struct billing_run x;
	struct tenant t;
	struct db *db;
	enum status st;
	int rc;

	if ((st = tenant_load(r, w, &db, &t)) != ST_OK)
		return st;
	if (!cfg_isset(&r->app->cfg, CFG_STRIPE_SECRET_KEY) ||
	    t.stripe_customer_id == NULL || (t.billing_marked_at < 0 &&
	    t.billing_reconciled_at >= 0 &&
	    clock_now() - t.billing_reconciled_at < RECONCILE_GAP)) {
		w->data = tenant_json(&t);
		return ST_OK;
	}
	if ((st = billing_run_begin(r, &x, 1)) != ST_OK)
		return st;
	rc = billing_tenant(&x.b, &r->arena, t.pubkey, t.billing_marked_at);
	billing_run_end(&x);
	if (rc == -2)
		return resp_fail(w, ST_STRIPE_ERROR, "billing cannot be brought "
		    "up to date until an operator acts; they have been told");
	if (rc != 0)
		return resp_fail(w, ST_STRIPE_ERROR, "the payment provider did "
		    "not answer; try again in a minute");
	if ((st = tenant_load(r, w, &db, &t)) != ST_OK)
		return st;
	w->data = tenant_json(&t);
	return ST_OK;
}

/* GET /tenants/:pubkey/relays (tenant): list of Relay. */
enum status
tenants_relays(struct req *r, struct resp *w)
{
	struct list_filter f = { .tenant = NULL };
	struct tenant t;
	struct db *db;
	enum status st;

	if ((st = tenant_load(r, w, &db, &t)) != ST_OK)
		return st;
	return relays_answer_list(r, w, t.pubkey, &f);
}

/*
 * GET /tenants/:pubkey/stripe/session[?return_url=] (tenant): a Stripe
 * billing-portal session, {"url": …}; never stored or logged. return_url
 * defaults to the Origin, then the first allowed origin. 409
 * tenant-required without a customer; 502 stripe-error.
 */
enum status
tenants_stripe_session(struct req *r, struct resp *w)
{
	const struct config *c = &r->app->cfg;
	struct tenant t;
	struct stripe stripe;
	struct db *db;
	const char *ret;
	char *url = NULL, *err = NULL;
	enum status st;

	if ((st = req_return_url(r, w, &ret)) != ST_OK ||
	    (st = tenant_load(r, w, &db, &t)) != ST_OK)
		return st;
	if (t.stripe_customer_id == NULL)
		return resp_fail(w, ST_TENANT_REQUIRED,
		    "this tenant has no Stripe customer");
	if (!cfg_isset(c, CFG_STRIPE_SECRET_KEY))
		return resp_fail(w, ST_NOT_CONFIGURED,
		    "STRIPE_SECRET_KEY is not set");
	stripe_init(&stripe, c);
	if (stripe_portal_session_create(&stripe, t.stripe_customer_id, ret,
	    &url, &err) == -1) {
		log_warnx("tenant %s: stripe portal session: %s", t.pubkey,
		    err != NULL ? err : "failed");
		free(err);
		return resp_fail(w, ST_STRIPE_ERROR,
		    "the payment provider could not open a billing session");
	}
	w->data = jobj();
	jadd_str(w->data, "url", url);
	free(url);
	return ST_OK;
}

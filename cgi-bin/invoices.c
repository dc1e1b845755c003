/*
 * invoices.c: /tenants/:pubkey/invoices and /invoices/:id (spec/api.md
 * §4-§5): the local mirror of a tenant's Stripe invoices, and a bolt11
 * from the platform wallet to pay one by hand over Lightning.
 *
 * The bolt11 route is the one that waits on an outside service, so it
 * runs in a wallet slot: at most one fewer than the FastCGI children at
 * once (one in a single-process deployment); the others answer 503
 * wallet-busy at once, so a slow or silent wallet cannot take the API
 * down.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "billing.h"
#include "bolt11.h"
#include "http.h"
#include "json.h"
#include "nwc.h"
#include "price.h"

#define INVOICES_DEFAULT 100
#define INVOICES_MAX 500
#define BOLT11_MIN_LEFT 60 /* an older bolt11 is not handed out again */
/*
 * Stripe voids a subscription's unpaid first invoice 23 hours after it
 * was made (incomplete_expired): a bolt11 for it must expire before that,
 * or a payment could arrive for an invoice Stripe no longer takes.
 */
#define FIRST_INVOICE_LIFE (23 * 3600)
#define FIRST_INVOICE_MARGIN 600
#define RECHECK_GAP 3 /* s: an invoice is asked about at most this often */

static void
jadd_opt_int(struct json_object *o, const char *key, int64_t v)
{
	if (v >= 0)
		jadd_int(o, key, v);
	else
		jadd_null(o, key);
}

static void
jadd_opt_str(struct json_object *o, const char *key, const char *v)
{
	if (v != NULL)
		jadd_str(o, key, v);
	else
		jadd_null(o, key);
}

/*
 * How the invoice was paid in the words of the shipped client (Flotilla):
 * stripe, nwc, or oob for a payment outside Stripe by other means.
 */
static const char *
invoice_method(const struct invoice *i)
{
	if (strcmp(i->status, "paid") != 0)
		return NULL;
	if (i->paid_via != NULL && strcmp(i->paid_via, "lightning") != 0)
		return i->paid_via;
	return i->paid_via != NULL || i->paid_out_of_band ? "oob" : "stripe";
}

/* An Invoice (api.md §4): its JSON columns (db.h), and Flotilla's names. */
static struct json_object *
invoice_json(const struct invoice *i)
{
	struct json_object *o = jobj();

	table_jobj(o, &invoice_table, i);
	jadd_str(o, "tenant_pubkey", i->tenant);
	jadd_int(o, "amount", i->amount_due);
	jadd_opt_str(o, "method", invoice_method(i));
	return o;
}

/* A Bolt11 (api.md §4) with both contracts' names. */
static struct json_object *
bolt11_json(const struct bolt11_row *b)
{
	struct json_object *o = jobj();

	jadd_str(o, "id", b->payment_hash);
	jadd_str(o, "invoice_id", b->invoice_id);
	jadd_str(o, "bolt11", b->bolt11);
	jadd_str(o, "lnbc", b->bolt11);
	jadd_int(o, "msats", b->msats);
	jadd_str(o, "payment_hash", b->payment_hash);
	jadd_int(o, "created_at", b->created_at);
	jadd_int(o, "expires_at", b->expires_at);
	jadd_opt_int(o, "settled_at", b->settled_at);
	return o;
}

/*
 * GET /tenants/:pubkey/invoices[?limit=N] (tenant): list of Invoice,
 * newest first, drafts left out (Stripe finalizes them within the hour;
 * nobody can pay one yet). 404 for an unknown tenant.
 */
enum status
invoices_list(struct req *r, struct resp *w)
{
	struct list_filter f = { .tenant = NULL };
	struct invoice *v;
	struct tenant t;
	struct db *db;
	const char *q;
	int64_t limit = INVOICES_DEFAULT;
	size_t i, n;
	enum status st;
	enum dbrc rc;

	if ((q = req_query(r, "limit")) != NULL &&
	    parse_int64(q, 1, INVOICES_MAX, &limit) == -1)
		return resp_field(w, ST_BAD_REQUEST, "limit",
		    "limit must be a whole number from 1 to 500");
	if ((st = tenant_load(r, w, &db, &t)) != ST_OK)
		return st;
	f.tenant = t.pubkey;
	f.limit = limit; /* drafts left out */
	if ((rc = db_invoice_list(db, &r->arena, &f, &v, &n)) != DB_OK)
		return st_from_db(rc);
	w->data = jarr();
	for (i = 0; i < n; i++)
		jpush(w->data, invoice_json(&v[i]));
	return ST_OK;
}

/* The invoice of :id (RULE_INVOICE checked that it exists and whose). */
static enum status
invoice_load(struct req *r, struct resp *w, struct db **db,
    struct invoice *inv)
{
	enum dbrc rc;

	if ((*db = app_db(r->app)) == NULL)
		return ST_UNAVAILABLE;
	if ((rc = db_invoice_get(*db, &r->arena, r->param[0], inv)) != DB_OK)
		return rc == DB_NOTFOUND ? resp_fail(w, ST_NOT_FOUND,
		    "no invoice has this id") : st_from_db(rc);
	return ST_OK;
}

/* GET /invoices/:id (tenant of the invoice): Invoice or 404. */
enum status
invoices_get(struct req *r, struct resp *w)
{
	struct invoice inv;
	struct db *db;
	enum status st;

	if ((st = invoice_load(r, w, &db, &inv)) != ST_OK)
		return st;
	w->data = invoice_json(&inv);
	return ST_OK;
}

/* The plan whose Stripe price setting holds price, or NULL. */
static const char *
plan_of_price(struct req *r, const struct plan *plans, size_t n,
    const char *price)
{
	const char *p;
	size_t i;

	for (i = 0; price != NULL && i < n; i++)
		if (plans[i].stripe_price_setting != NULL &&
		    (p = cfg_str_by_name(&r->app->cfg,
		    plans[i].stripe_price_setting)) != NULL &&
		    strcmp(p, price) == 0)
			return plans[i].id;
	return NULL;
}

/*
 * GET /invoices/:id/items (tenant of the invoice): the invoice's lines as
 * mirrored with it, in Flotilla's InvoiceItem shape. A line bills a plan's
 * price for a quantity of relays, so relay_id and activity_id are null.
 */
enum status
invoices_items(struct req *r, struct resp *w)
{
	struct invoice inv;
	struct invoice_line *v;
	struct plan *plans;
	struct json_object *o;
	struct db *db;
	size_t i, n, np;
	enum status st;
	enum dbrc rc;

	if ((st = invoice_load(r, w, &db, &inv)) != ST_OK)
		return st;
	if ((rc = db_invoice_lines(db, &r->arena, inv.id, &v, &n)) != DB_OK ||
	    (rc = db_plan_list(db, &r->arena, &plans, &np)) != DB_OK)
		return st_from_db(rc);
	w->data = jarr();
	for (i = 0; i < n; i++) {
		o = jobj();
		jadd_str(o, "id", v[i].id);
		jadd_str(o, "invoice_id", v[i].invoice_id);
		jadd_null(o, "activity_id");
		jadd_str(o, "tenant_pubkey", v[i].tenant);
		jadd_null(o, "relay_id");
		jadd_opt_str(o, "plan_id", plan_of_price(r, plans, np,
		    v[i].stripe_price_id));
		jadd_opt_str(o, "stripe_price_id", v[i].stripe_price_id);
		jadd_opt_int(o, "quantity", v[i].quantity);
		jadd_int(o, "amount", v[i].amount);
		jadd_str(o, "description", v[i].description);
		jadd_opt_int(o, "period_start", v[i].period_start);
		jadd_opt_int(o, "period_end", v[i].period_end);
		jadd_int(o, "created_at", v[i].period_start >= 0 ?
		    v[i].period_start : inv.created_at);
		jadd_opt_int(o, "voided_at", v[i].voided_at);
		jpush(w->data, o);
	}
	return ST_OK;
}

/*
 * POST /invoices/:id/reconcile (tenant of the invoice): the invoice checked
 * now, as the pass would (billing_invoice_now: its newest bolt11 with the
 * platform wallet, then Stripe), answered as an Invoice. Flotilla polls
 * it every 3.5 s while a payment dialog is open: an invoice checked less
 * than RECHECK_GAP seconds ago, or paid or void, is answered from the
 * database. A wallet or Stripe that does not answer leaves the invoice
 * as it was (logged; the pass asks again). 503 billing-busy.
 */
enum status
invoices_reconcile(struct req *r, struct resp *w)
{
	struct billing_run x;
	struct invoice inv;
	struct db *db;
	enum status st;

	if ((st = invoice_load(r, w, &db, &inv)) != ST_OK)
		return st;
	if (strcmp(inv.status, "open") == 0 &&
	    cfg_isset(&r->app->cfg, CFG_STRIPE_SECRET_KEY) &&
	    (inv.checked_at < 0 || clock_now() - inv.checked_at >=
	    RECHECK_GAP)) {
		if ((st = billing_run_begin(r, &x, 0)) != ST_OK)
			return st;
		(void)billing_invoice_now(&x.b, &r->arena, inv.id);
		billing_run_end(&x);
		if ((st = invoice_load(r, w, &db, &inv)) != ST_OK)
			return st;
	}
	w->data = invoice_json(&inv);
	return ST_OK;
}

/*
 * GET /tenants/:pubkey/invoices/draft (tenant): what the next invoice
 * would be, from Stripe's preview of the subscription's upcoming invoice
 * (id "upcoming", status draft), or null with no subscription or none
 * upcoming. 502 stripe-error; 503 billing-busy.
 */
enum status
invoices_draft(struct req *r, struct resp *w)
{
	struct billing_run x;
	struct stripe_fail f;
	struct invoice inv;
	struct tenant t;
	struct db *db;
	enum status st;
	int none = 1, failed;

	if ((st = tenant_load(r, w, &db, &t)) != ST_OK)
		return st;
	if (t.stripe_customer_id != NULL && t.stripe_subscription_id != NULL &&
	    cfg_isset(&r->app->cfg, CFG_STRIPE_SECRET_KEY)) {
		if ((st = billing_run_begin(r, &x, 0)) != ST_OK)
			return st;
		failed = stripe_invoice_preview(&x.b.stripe, &r->arena,
		    t.stripe_customer_id, t.stripe_subscription_id, &inv,
		    &none, &f) == -1;
		billing_run_end(&x);
		if (failed) {
			log_warnx("tenant %s: %s", t.pubkey, f.msg);
			stripe_fail_release(&f);
			return resp_fail(w, ST_STRIPE_ERROR, "the payment "
			    "provider did not say what the next invoice is; "
			    "try again in a minute");
		}
	}
	if (none) {
		w->data_text = "null";
		w->data_len = 4;
		return ST_OK;
	}
	inv.tenant = t.pubkey;
	w->data = invoice_json(&inv);
	return ST_OK;
}

/*
 * POST /invoices/:id/checkout[?return_url=] (tenant of the invoice):
 * {"url"} of Stripe's hosted page for the open invoice, where the tenant
 * pays it by card. That page has no way back: return_url is checked, as
 * for the billing portal, and not used. 409 invoice-not-open.
 */
enum status
invoices_checkout(struct req *r, struct resp *w)
{
	struct invoice inv;
	struct db *db;
	const char *ret;
	enum status st;

	if ((st = req_return_url(r, w, &ret)) != ST_OK ||
	    (st = invoice_load(r, w, &db, &inv)) != ST_OK)
		return st;
	if (strcmp(inv.status, "paid") == 0)
		return resp_fail(w, ST_INVOICE_NOT_OPEN,
		    "this invoice is already paid");
	if (strcmp(inv.status, "open") != 0)
		return resp_fail(w, ST_INVOICE_NOT_OPEN, arena_printf(&r->arena,
		    "the invoice is %s, not open", inv.status));
	if (inv.hosted_invoice_url == NULL)
		return resp_fail(w, ST_INVOICE_NOT_OPEN, "this invoice cannot "
		    "be paid by card yet; try again in a minute");
	w->data = jobj();
	jadd_str(w->data, "url", inv.hosted_invoice_url);
	return ST_OK;
}

/*
 * Ask the platform wallet for a bolt11 of exactly msats and check that it
 * is one (a wallet's word is not taken for the amount it billed). Fills
 * b; an error status otherwise.
 */
static enum status
bolt11_make(struct req *r, struct resp *w, const struct invoice *inv,
    uint64_t msats, int64_t expiry, struct bolt11_row *b)
{
	const struct config *c = &r->app->cfg;
	struct nwc_uri uri;
	struct nwc_opts o;
	struct nwc_error e;
	struct nwc_tx tx;
	struct bolt11 dec;
	struct nwc *n;
	const char *why;
	char hash[65], *desc;
	enum status st = ST_WALLET_ERROR;

	if (nwc_uri_parse(&r->arena, cfg_str(c, CFG_NWC_URL), &uri, &why) ==
	    -1)
		return resp_fail(w, ST_NOT_CONFIGURED, "NWC_URL is not a "
		    "usable wallet URL");
	memset(&o, 0, sizeof(o));
	o.timeout_ms = cfg_int(c, CFG_NWC_TIMEOUT) * 1000;
	if (cfg_isset(c, CFG_RELAY_CA_FILE))
		o.ca_file = cfg_str(c, CFG_RELAY_CA_FILE);
	if ((n = nwc_open(&uri, &o)) == NULL)
		return resp_fail(w, ST_NOT_CONFIGURED, "NWC_URL is not a "
		    "usable wallet URL");
	desc = arena_printf(&r->arena, "Caravel invoice %s", inv->id);
	if (nwc_make_invoice(n, &r->arena, (int64_t)msats, desc, expiry, &tx,
	    &e) == -1) {
		log_warnx("invoice %s: platform wallet make_invoice: %s (%s %s)",
		    inv->id, e.sentence, e.code, e.message);
		st = resp_fail(w, ST_WALLET_ERROR, "the platform's Lightning "
		    "wallet did not make an invoice; try again in a minute");
		goto out;
	}
	if (bolt11_decode(tx.invoice, &dec, &why) == -1 || !dec.has_amount ||
	    dec.msats != msats) {
		log_warnx("invoice %s: the platform wallet's bolt11 is not for "
		    "%llu msats (%s)", inv->id, (unsigned long long)msats,
		    why != NULL ? why : "another amount");
		st = resp_fail(w, ST_WALLET_ERROR, "the platform's Lightning "
		    "wallet made an invoice for the wrong amount");
		goto out;
	}
	hex_encode(dec.payment_hash, 32, hash);
	if (tx.payment_hash[0] != '\0' && strcmp(tx.payment_hash, hash) != 0) {
		log_warnx("invoice %s: the wallet's payment hash is not the "
		    "bolt11's", inv->id);
		st = resp_fail(w, ST_WALLET_ERROR, "the platform's Lightning "
		    "wallet answered inconsistently");
		goto out;
	}
	memset(b, 0, sizeof(*b));
	b->payment_hash = arena_strdup(&r->arena, hash);
	b->invoice_id = inv->id;
	b->bolt11 = tx.invoice;
	b->msats = (int64_t)msats;
	b->created_at = clock_now();
	b->expires_at = dec.timestamp + dec.expiry;
	b->settled_at = -1;
	if (b->expires_at <= b->created_at + BOLT11_MIN_LEFT) {
		log_warnx("invoice %s: the platform wallet's bolt11 expires at "
		    "once", inv->id);
		st = resp_fail(w, ST_WALLET_ERROR, "the platform's Lightning "
		    "wallet made an invoice that has already expired");
		goto out;
	}
	st = ST_OK;
out:
	nwc_close(n);
	return st;
}

/*
 * GET or POST /invoices/:id/bolt11 (tenant of the invoice): the newest
 * unexpired, unsettled Bolt11 for the open invoice, or a new one from the
 * platform wallet for what is left to pay (api.md §8). 409
 * invoice-not-open; 409 conflict while the tenant's wallet pays it
 * automatically; 502 price-error, wallet-error; 503 not-configured,
 * wallet-busy.
 */
enum status
invoices_bolt11(struct req *r, struct resp *w)
{
	const struct config *c = &r->app->cfg;
	struct invoice inv;
	struct nwc_guard g;
	struct bolt11_row b;
	struct decimal price;
	struct db *db;
	const char *why;
	char *err = NULL, *base;
	uint64_t msats;
	int64_t expiry = BILLING_MANUAL_EXPIRY, left;
	int slot = -1;
	enum status st;
	enum dbrc rc;

	if ((st = invoice_load(r, w, &db, &inv)) != ST_OK)
		return st;
	if (strcmp(inv.status, "open") != 0)
		return resp_fail(w, ST_INVOICE_NOT_OPEN, arena_printf(&r->arena,
		    "the invoice is %s, not open", inv.status));
	if ((rc = db_bolt11_usable(db, &r->arena, inv.id, clock_now() +
	    BOLT11_MIN_LEFT, &b)) == DB_OK) {
		w->data = bolt11_json(&b);
		return ST_OK;
	}
	if (rc != DB_NOTFOUND)
		return st_from_db(rc);
	if ((rc = db_guard_get(db, &r->arena, inv.id, &g)) == DB_OK &&
	    strcmp(g.state, "failed") != 0)
		return resp_fail(w, ST_CONFLICT, "your connected wallet is "
		    "paying this invoice automatically; check it again in a "
		    "minute");
	if (rc != DB_OK && rc != DB_NOTFOUND)
		return st_from_db(rc);
	if (!cfg_isset(c, CFG_NWC_URL))
		return resp_fail(w, ST_NOT_CONFIGURED, "NWC_URL is not set, so "
		    "no Lightning invoice can be made");
	if (inv.billing_reason != NULL &&
	    strcmp(inv.billing_reason, "subscription_create") == 0) {
		left = inv.created_at + FIRST_INVOICE_LIFE -
		    FIRST_INVOICE_MARGIN - clock_now();
		if (left < 2 * BOLT11_MIN_LEFT)
			return resp_fail(w, ST_INVOICE_NOT_OPEN, "this invoice "
			    "is about to lapse unpaid; a new one follows "
			    "within minutes");
		if (left < expiry)
			expiry = left;
	}
	base = arena_printf(&r->arena, "%s.wallet", c->dbpath);
	if ((slot = slot_take(base, r->app->children > 1 ?
	    r->app->children - 1 : 1)) == -1)
		return ST_WALLET_BUSY;
	if (price_btc_usd(db, c, &price, &err) == -1) {
		log_warnx("invoice %s: %s", inv.id, err != NULL ? err :
		    "no BTC price");
		free(err);
		st = resp_fail(w, ST_PRICE_ERROR, "no bitcoin price is available "
		    "right now; try again in a minute");
		goto out;
	}
	if (price_msats(inv.currency, inv.amount_due - inv.amount_paid, &price,
	    &msats, &why) == -1) {
		st = resp_fail(w, ST_INVOICE_NOT_OPEN, why);
		goto out;
	}
	if ((st = bolt11_make(r, w, &inv, msats, expiry, &b)) != ST_OK)
		goto out;
	if ((rc = db_bolt11_insert(db, &b)) == DB_DONE) {
		st = resp_fail(w, ST_CONFLICT, "your connected wallet began "
		    "paying this invoice automatically; check it again in a "
		    "minute");
		goto out;
	}
	if (rc != DB_OK) {
		st = st_from_db(rc);
		goto out;
	}
	log_info("invoice %s: bolt11 %s for %llu msats", inv.id,
	    b.payment_hash, (unsigned long long)msats);
	w->data = bolt11_json(&b);
out:
	slot_give(slot);
	return st;
}

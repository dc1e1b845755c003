/*
 * billing_wallet.c: Lightning payments of Stripe invoices
 * (spec/workers.md §2.3-§2.4): auto-pay from the tenant's NWC wallet, and
 * the manual bolt11s tenants pay by hand.
 *
 * Auto-pay is guarded: the row invoice_nwc_payment is inserted before any
 * wallet call, and the platform's bolt11 is recorded in it before the
 * tenant's wallet is asked to pay. A payment that ends in no clear answer
 * (a crash, a timeout) leaves the row pending; the next pass asks the
 * platform wallet about that bolt11 (lookup_invoice) and never pays
 * again while it could still settle. A bolt11 is paid at most once by
 * Lightning itself, and a new one is made only after the old one expired
 * unpaid, so a tenant cannot pay one Stripe invoice twice this way.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing.h"
#include "bolt11.h"
#include "crypt.h"
#include "price.h"
#include "worker.h"

#define PLATFORM_RETRY 600 /* our side failed: try again in 10 minutes */
#define MARK_RETRY 60 /* Stripe not told yet: next pass */

struct nwc *
billing_platform(struct billing *b)
{
	struct arena a = { NULL };
	struct nwc_uri u;
	const char *why;

	if (b->platform != NULL || b->platform_failed)
		return b->platform;
	if (!cfg_isset(b->cfg, CFG_NWC_URL)) {
		billing_warn(b, "NWC_URL is not set: no Lightning payment can "
		    "be made or checked");
		b->platform_failed = 1;
		return NULL;
	}
	if (nwc_uri_parse(&a, cfg_str(b->cfg, CFG_NWC_URL), &u, &why) == -1 ||
	    (b->platform = nwc_open(&u, &b->platform_opts)) == NULL) {
		billing_warn(b, "NWC_URL is not usable");
		b->platform_failed = 1;
	}
	arena_free(&a);
	return b->platform;
}

/* The tenant's own wallet, from its sealed URL; NULL with *why. */
static struct nwc *
tenant_wallet(struct billing *b, struct arena *a, const char *pk,
    const char **why)
{
	struct nwc_uri u;
	const char *sealed;
	char *url;
	struct nwc *n = NULL;

	*why = "no wallet is connected";
	if (db_tenant_nwc_sealed(b->db, a, pk, &sealed) != DB_OK ||
	    sealed == NULL)
		return NULL;
	*why = "the wallet URL cannot be opened (ENCRYPTION_SECRET changed?)";
	if (b->box == NULL || (url = secretbox_open_alloc(b->box, sealed)) ==
	    NULL)
		return NULL;
	if (nwc_uri_parse(a, url, &u, why) == 0)
		n = nwc_open(&u, &b->wallet_opts);
	explicit_zero(url, strlen(url));
	free(url);
	return n;
}

/*
 * A failed auto-payment: the guard waits a day, the tenant learns why
 * (nwc_error and the DM "NWC auto-payment failed: <error>"), all at once.
 */
static void
autopay_failed(struct billing *b, const struct invoice *inv,
    const struct nwc_guard *g, const char *sentence)
{
	char text[BILLING_DM_MAX + 1], key[128];
	int64_t now = clock_now();
	enum dbrc rc;

	snprintf(text, sizeof(text), "NWC auto-payment failed: %s", sentence);
	snprintf(key, sizeof(key), "nwc-failed:%s:%lld", inv->id,
	    (long long)g->attempts);
	if (db_begin(b->db) != DB_OK)
		return;
	rc = db_guard_failed(b->db, inv->id, sentence, now + BILLING_NWC_RETRY,
	    now);
	if (rc == DB_OK)
		rc = db_tenant_set_nwc_error(b->db, inv->tenant, sentence);
	if (rc == DB_OK || rc == DB_DONE)
		rc = billing_dm(b, inv->tenant, text, key, now);
	if (rc == DB_OK || rc == DB_DONE)
		rc = db_commit(b->db);
	else
		db_rollback(b->db);
	if (rc == DB_OK) {
		billing_note(b, "invoice %s: NWC auto-payment failed: %s",
		    inv->id, sentence);
		b->n.failed++;
	}
}

/* Our own side failed (price, platform wallet): no blame, retry soon. */
static void
autopay_deferred(struct billing *b, const struct invoice *inv,
    const char *why)
{
	int64_t now = clock_now();

	billing_warn(b, "invoice %s: NWC auto-payment deferred: %s", inv->id,
	    why);
	b->n.errors++; /* the summary's "deferred" */
	(void)db_guard_failed(b->db, inv->id, why, now + PLATFORM_RETRY, now);
}

/*
 * Tell Stripe about a payment the guard holds as paid; until it knows, the
 * guard comes back every MARK_RETRY (daily once Stripe refuses outright,
 * which an operator must settle: billing_mark_paid says so).
 */
static void
autopay_mark(struct billing *b, struct arena *a, const struct invoice *inv)
{
	int64_t now = clock_now();
	int r;

	if (strcmp(inv->status, "paid") == 0 ||
	    (r = billing_mark_paid(b, a, inv->id)) == 0)
		(void)db_guard_retry_at(b->db, inv->id, -1);
	else
		(void)db_guard_retry_at(b->db, inv->id, now + (r == -2 ?
		    BILLING_NWC_RETRY : MARK_RETRY));
}

/* The wallet paid: record it, then tell Stripe. */
static void
autopay_paid(struct billing *b, struct arena *a, const struct invoice *inv)
{
	int64_t now = clock_now();
	enum dbrc rc;

	if ((rc = db_begin(b->db)) != DB_OK)
		return;
	rc = db_guard_paid(b->db, inv->id, now);
	if (rc == DB_OK)
		rc = db_tenant_set_nwc_error(b->db, inv->tenant, "");
	if (rc == DB_OK)
		rc = db_commit(b->db);
	else
		db_rollback(b->db);
	if (rc != DB_OK)
		return;
	billing_note(b, "invoice %s: paid by the tenant's NWC wallet", inv->id);
	b->n.paid++;
	worker_point("billing-after-paid-recorded");
	autopay_mark(b, a, inv);
}

/* A bolt11 of the platform wallet for exactly msats, checked. */
static int
platform_bolt11(struct billing *b, struct arena *a, const struct invoice *inv,
    uint64_t msats, int64_t expiry, struct nwc_tx *tx, struct bolt11 *dec,
    const char **why)
{
	struct nwc_error e;
	struct nwc *p;
	char desc[96], hash[65];

	*why = "the platform wallet (NWC_URL) is not usable";
	if ((p = billing_platform(b)) == NULL)
		return -1;
	snprintf(desc, sizeof(desc), "Caravel invoice %s", inv->id);
	if (nwc_make_invoice(p, a, (int64_t)msats, desc, expiry, tx, &e) ==
	    -1) {
		billing_warn(b, "invoice %s: platform make_invoice: %s (%s %s)",
		    inv->id, e.sentence, e.code, e.message);
		*why = "the platform wallet made no invoice";
		return -1;
	}
	*why = "the platform wallet's bolt11 is not for the amount asked";
	if (bolt11_decode(tx->invoice, dec, NULL) == -1 || !dec->has_amount ||
	    dec->msats != msats)
		return -1;
	hex_encode(dec->payment_hash, 32, hash);
	*why = "the platform wallet's payment hash is not its bolt11's";
	if (tx->payment_hash[0] != '\0' && strcmp(tx->payment_hash, hash) != 0)
		return -1;
	memcpy(tx->payment_hash, hash, sizeof(hash));
	return 0;
}

/*
 * The guard is ours and holds no bolt11: make one, record it, and have
 * the tenant's wallet pay it.
 */
static void
autopay_start(struct billing *b, struct arena *a, const struct invoice *inv,
    const struct nwc_guard *g)
{
	struct nwc_tx tx;
	struct nwc_error e;
	struct bolt11 dec;
	struct decimal price;
	struct nwc *w;
	const char *why;
	char *err = NULL, preimage[65];
	uint64_t msats;

	worker_point("billing-after-guard");
	if (price_btc_usd(b->db, b->cfg, &price, &err) == -1) {
		autopay_deferred(b, inv, err != NULL ? err : "no BTC price");
		free(err);
		return;
	}
	if (price_msats(inv->currency, inv->amount_due - inv->amount_paid,
	    &price, &msats, &why) == -1) {
		autopay_failed(b, inv, g, why);
		return;
	}
	if ((w = tenant_wallet(b, a, inv->tenant, &why)) == NULL) {
		autopay_failed(b, inv, g, why);
		return;
	}
	if (platform_bolt11(b, a, inv, msats, BILLING_AUTOPAY_EXPIRY, &tx, &dec,
	    &why) == -1) {
		nwc_close(w);
		autopay_deferred(b, inv, why);
		return;
	}
	if (db_guard_set_bolt11(b->db, inv->id, (int64_t)msats, tx.invoice,
	    tx.payment_hash, dec.timestamp + dec.expiry, clock_now()) != DB_OK) {
		nwc_close(w);
		return;
	}
	worker_point("billing-after-make-invoice");
	if (nwc_pay_invoice(w, tx.invoice, preimage, &e) == 0) {
		nwc_close(w);
		worker_point("billing-after-pay");
		autopay_paid(b, a, inv);
		return;
	}
	nwc_close(w);
	worker_point("billing-after-pay");
	if (e.kind == NWC_E_WALLET || e.kind == NWC_E_INFO) {
		/* The wallet says it did not pay; nothing is in flight. */
		autopay_failed(b, inv, g, e.sentence);
		return;
	}
	/* No clear answer: the bolt11 decides (resolved on a later pass). */
	(void)db_guard_note(b->db, inv->id, e.sentence);
	billing_note(b, "invoice %s: the wallet gave no clear answer (%s); "
	    "waiting for the bolt11 to settle or expire", inv->id, e.sentence);
}

/*
 * A pending guard (a crash, or no clear answer): ask the platform wallet
 * whether its bolt11 settled. Settled: paid. Still payable: wait. Expired
 * unpaid: the payment never happened, so failed (or, if no pay request
 * was ever answered unclearly, quietly start over).
 */
static void
autopay_resolve(struct billing *b, struct arena *a, const struct invoice *inv,
    struct nwc_guard *g)
{
	struct nwc_tx tx;
	struct nwc_error e;
	struct nwc *p;
	int64_t now = clock_now();

	if (g->bolt11 == NULL || g->payment_hash == NULL) {
		/* Nothing was ever asked of the tenant's wallet. */
		autopay_start(b, a, inv, g);
		return;
	}
	if ((p = billing_platform(b)) == NULL)
		return;
	if (nwc_lookup_invoice(p, a, g->payment_hash, &tx, &e) == -1) {
		billing_warn(b, "invoice %s: lookup_invoice %s: %s", inv->id,
		    g->payment_hash, e.sentence);
		return;
	}
	if (nwc_tx_settled(&tx)) {
		billing_note(b, "invoice %s: the pending NWC payment settled",
		    inv->id);
		autopay_paid(b, a, inv);
		return;
	}
	if (now < g->expires_at && strcmp(tx.state, "expired") != 0) {
		billing_note(b, "invoice %s: NWC payment pending until %lld",
		    inv->id, (long long)g->expires_at);
		return;
	}
	if (*g->error != '\0') {
		autopay_failed(b, inv, g, g->error);
		return;
	}
	billing_note(b, "invoice %s: the bolt11 of an interrupted auto-payment "
	    "expired unpaid; starting over", inv->id);
	if (db_guard_failed(b->db, inv->id, "interrupted", now, now) == DB_OK &&
	    db_guard_claim(b->db, inv->id, now) == DB_OK &&
	    db_guard_get(b->db, a, inv->id, g) == DB_OK)
		autopay_start(b, a, inv, g);
}

/*
 * A failed attempt's bolt11 is asked about before a new one is made: a
 * wallet that said it failed and paid after all is not paid twice.
 * 1 settled, 0 not, -1 unknown (ask again on the next pass).
 */
static int
earlier_settled(struct billing *b, struct arena *a, const struct invoice *inv,
    const struct nwc_guard *g)
{
	struct nwc_tx tx;
	struct nwc_error e;
	struct nwc *p;

	if (g->state == NULL || g->payment_hash == NULL)
		return 0;
	if ((p = billing_platform(b)) == NULL)
		return -1;
	if (nwc_lookup_invoice(p, a, g->payment_hash, &tx, &e) == -1) {
		billing_warn(b, "invoice %s: lookup_invoice %s: %s", inv->id,
		    g->payment_hash, e.sentence);
		return -1;
	}
	return nwc_tx_settled(&tx) ? 1 : 0;
}

/*
 * An open invoice not paid yet (no guard, or a failed one whose day has
 * come): make sure Stripe agrees it is open, then claim it.
 */
static void
autopay_new(struct billing *b, struct arena *a, struct invoice *inv,
    const struct nwc_guard *old)
{
	struct invoice fresh;
	struct stripe_fail f;
	struct nwc_guard g;
	int64_t now = clock_now();
	int r;

	if (b->dry_run) {
		billing_note(b, "invoice %s: would pay %lld %s from the tenant's "
		    "NWC wallet", inv->id, (long long)(inv->amount_due -
		    inv->amount_paid), inv->currency);
		return;
	}
	if ((r = earlier_settled(b, a, inv, old)) == -1)
		return;
	if (r == 1) {
		billing_warn(b, "invoice %s: a payment the wallet said had "
		    "failed arrived after all", inv->id);
		if (db_guard_settle_late(b->db, inv->id, now) == DB_OK)
			autopay_mark(b, a, inv);
		return;
	}
	/* A card may have paid it since the mirror last heard. */
	if (stripe_invoice_get(&b->stripe, a, inv->id, &fresh, &f) == -1) {
		billing_warn(b, "invoice %s: %s", inv->id, f.msg);
		stripe_fail_release(&f);
		return;
	}
	fresh.tenant = inv->tenant;
	(void)db_invoice_put(b->db, &fresh, now);
	if (strcmp(fresh.status, "open") != 0) {
		if (old->state != NULL)
			(void)db_guard_retry_at(b->db, inv->id, -1);
		return;
	}
	if (db_guard_claim(b->db, inv->id, now) != DB_OK ||
	    db_guard_get(b->db, a, inv->id, &g) != DB_OK)
		return;
	autopay_start(b, a, &fresh, &g);
}

void
billing_autopay(struct billing *b, struct arena *a)
{
	struct autopay *v;
	size_t i, n;
	int64_t now = clock_now();

	if (db_autopay_list(b->db, a, now, &v, &n) != DB_OK)
		return;
	for (i = 0; i < n; i++) {
		if (b->only != NULL && strcmp(b->only, v[i].inv.tenant) != 0)
			continue;
		if (v[i].g.state == NULL)
			autopay_new(b, a, &v[i].inv, &v[i].g);
		else if (b->dry_run)
			billing_note(b, "invoice %s: would resume its %s NWC "
			    "payment", v[i].inv.id, v[i].g.state);
		else if (strcmp(v[i].g.state, "pending") == 0)
			autopay_resolve(b, a, &v[i].inv, &v[i].g);
		else if (strcmp(v[i].g.state, "paid") == 0)
			autopay_mark(b, a, &v[i].inv);
		else
			autopay_new(b, a, &v[i].inv, &v[i].g);
	}
}

/*
 * A bolt11 the platform wallet issued for paying an invoice by hand: ask
 * the wallet whether it was paid (lookup_invoice), and once it was, tell
 * Stripe (billing_mark_paid, idempotent). 0, -1 (the wallet or Stripe
 * failed; asked again later) or -2 (an operator must act).
 */
static int
manual_one(struct billing *b, struct arena *a, const struct bolt11_row *v,
    int64_t now)
{
	struct nwc_tx tx;
	struct nwc_error e;
	struct nwc *p;

	if (b->dry_run)
		return 0;
	if (v->settled_at < 0) {
		if ((p = billing_platform(b)) == NULL)
			return -1;
		if (nwc_lookup_invoice(p, a, v->payment_hash, &tx, &e) == -1) {
			billing_warn(b, "invoice %s: lookup_invoice %s: %s",
			    v->invoice_id, v->payment_hash, e.sentence);
			return -1;
		}
		if (!nwc_tx_settled(&tx)) {
			(void)db_bolt11_checked(b->db, v->payment_hash, now);
			return 0;
		}
		if (db_bolt11_settled(b->db, v->payment_hash,
		    tx.settled_at > 0 ? tx.settled_at : now, now) != DB_OK)
			return -1;
		billing_note(b, "invoice %s: bolt11 %s was paid by hand",
		    v->invoice_id, v->payment_hash);
		b->n.settled++;
		worker_point("billing-after-manual-settled");
	}
	return billing_mark_paid(b, a, v->invoice_id);
}

void
billing_manual(struct billing *b, struct arena *a)
{
	struct bolt11_row *v;
	size_t i, n;
	int64_t now = clock_now();

	if (db_bolt11_check_due(b->db, a, now, now - BILLING_LOOKUP_EVERY,
	    now - 3600, &v, &n) != DB_OK)
		return;
	for (i = 0; i < n; i++)
		if (b->only == NULL || strcmp(b->only, v[i].tenant) == 0)
			(void)manual_one(b, a, &v[i], now);
}

int
billing_invoice_now(struct billing *b, struct arena *a, const char *id)
{
	struct invoice inv, fresh;
	struct bolt11_row bo;
	struct stripe_fail f;
	int64_t now = clock_now();
	int rc = 0;
	enum dbrc d;

	if (db_invoice_get(b->db, a, id, &inv) != DB_OK)
		return -1;
	/* A bolt11 that expired an hour ago is past paying (as the pass). */
	if (strcmp(inv.status, "open") == 0 &&
	    db_bolt11_newest(b->db, a, id, &bo) == DB_OK &&
	    (bo.settled_at >= 0 || bo.expires_at > now - 3600))
		rc = manual_one(b, a, &bo, now);
	if (rc == 0 && db_invoice_get(b->db, a, id, &inv) == DB_OK &&
	    strcmp(inv.status, "open") == 0 && !b->dry_run) {
		/* Paid by card (or voided) meanwhile: as the webhook says it. */
		if (stripe_invoice_get(&b->stripe, a, id, &fresh, &f) == -1) {
			billing_warn(b, "invoice %s: %s", id, f.msg);
			stripe_fail_release(&f);
			rc = -1;
		} else if (strcmp(fresh.id, id) == 0 &&
		    db_begin(b->db) == DB_OK) {
			fresh.tenant = inv.tenant;
			d = db_invoice_put(b->db, &fresh, now);
			if ((d == DB_OK || d == DB_DONE) &&
			    strcmp(fresh.status, "paid") == 0 &&
			    ((d = db_tenant_clear_past_due(b->db, inv.tenant)) ==
			    DB_OK || d == DB_DONE))
				d = db_tenant_set_stripe_error(b->db,
				    inv.tenant, "");
			if (d == DB_OK || d == DB_DONE)
				d = db_commit(b->db);
			else
				db_rollback(b->db);
			if (d != DB_OK)
				rc = -1;
		}
	}
	if (!b->dry_run)
		(void)db_invoice_checked(b->db, id, now);
	return rc;
}

/*
 * billing_stripe.c: a tenant's subscription brought to its relays, and
 * the invoice mirror healed from Stripe (spec/workers.md §2.1-§2.2,
 * research/stripe.md §2).
 *
 * A subscription create is recorded (subscription_create) before it is
 * sent, with its exact form and key. If the answer is lost, the next pass
 * first lists the customer's subscriptions (a consistent read) and adopts
 * Caravel's; only if there is none does it send the same form under the
 * same key again (Stripe answers a repeat with the first result), and
 * once Stripe has forgotten the key (23 h here, 24 h there) it starts
 * over with a new key. A pass with nothing to change writes nothing.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing.h"
#include "crypt.h"
#include "httpc.h"
#include "worker.h"

#define SUBCREATE_GIVE_UP 5 /* replays that found nothing, then a new key */

/* What the tenant's subscription should bill: quantity per price. */
struct desired {
	const char *price[STRIPE_ITEMS_MAX];
	int64_t qty[STRIPE_ITEMS_MAX];
	size_t n;
};

void
billing_init(struct billing *b, struct db *db, const struct config *c,
    const struct secretbox *box)
{
	long t = (long)cfg_int(c, CFG_NWC_TIMEOUT) * 1000;

	memset(b, 0, sizeof(*b));
	b->db = db;
	b->cfg = c;
	b->box = box;
	stripe_init(&b->stripe, c);
	b->platform_opts.timeout_ms = t;
	b->platform_opts.pay_timeout_ms = t;
	if (cfg_isset(c, CFG_RELAY_CA_FILE))
		b->platform_opts.ca_file = cfg_str(c, CFG_RELAY_CA_FILE);
	b->wallet_opts = b->platform_opts;
	/* A tenant's wallet URL names relays the tenant chose. */
	b->wallet_opts.public_only = !cfg_int(c, CFG_ALLOW_PRIVATE_ADDRESSES);
}

void
billing_release(struct billing *b)
{
	nwc_close(b->platform);
	b->platform = NULL;
}

static void billing_vlog(struct billing *, int, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
billing_vlog(struct billing *b, int warn, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (warn)
		log_warnx("%s", line);
	else
		log_info("%s", line);
	if (b->report != NULL)
		b->report(b->report_arg, line);
}

void
billing_note(struct billing *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	billing_vlog(b, 0, fmt, ap);
	va_end(ap);
}

void
billing_warn(struct billing *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	billing_vlog(b, 1, fmt, ap);
	va_end(ap);
}

/*
 * The tenant's billed relays by price; -2 if a price is not configured.
 * Active relays are billed; so are relays suspended for non-payment in
 * their first BILLING_SUSPENDED_BILLED seconds, so the tenant always has
 * an invoice to pay that brings them back.
 */
static int
desired_load(struct billing *b, struct arena *a, const struct tenant *t,
    struct desired *d)
{
	struct billable *v;
	const char *price, *pk = t->pubkey;
	size_t i, j, n;
	int suspended;

	memset(d, 0, sizeof(*d));
	suspended = t->delinquent_at >= 0 &&
	    clock_now() - t->delinquent_at < BILLING_SUSPENDED_BILLED;
	if (db_relay_billable(b->db, a, pk, suspended, &v, &n) != DB_OK)
		return -1;
	for (i = 0; i < n; i++) {
		price = cfg_str_by_name(b->cfg, v[i].price_setting);
		if (price == NULL || *price == '\0' ||
		    !stripe_id_ok(price, "")) {
			billing_warn(b, "tenant %s: plan %s has relays but %s is "
			    "not set to a Stripe price id", pk, v[i].plan,
			    v[i].price_setting);
			return -2;
		}
		for (j = 0; j < d->n && strcmp(d->price[j], price) != 0; j++)
			continue;
		if (j == d->n) {
			if (d->n == STRIPE_ITEMS_MAX)
				return -2;
			d->price[d->n++] = price;
		}
		d->qty[j] += v[i].count;
	}
	/* Sorted, so one state always makes the same form and key. */
	for (i = 1; i < d->n; i++)
		for (j = i; j > 0 && strcmp(d->price[j - 1], d->price[j]) > 0;
		    j--) {
			price = d->price[j];
			d->price[j] = d->price[j - 1];
			d->price[j - 1] = price;
			n = (size_t)d->qty[j];
			d->qty[j] = d->qty[j - 1];
			d->qty[j - 1] = (int64_t)n;
		}
	return 0;
}

static void
form_int(struct form *f, const char *key, int64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%lld", (long long)v);
	form_add(f, key, num);
}

/*
 * POST /v1/subscriptions: pay in advance (the first invoice now), charged
 * at once to the customer's card when there is one (allow_incomplete: a
 * declined card leaves it incomplete); without a card Stripe refuses
 * allow_incomplete, so default_incomplete leaves the first invoice open
 * for Lightning. Quantity changes prorate onto the next invoice.
 */
static char *
create_form(const char *customer, const char *pk, const struct desired *d,
    int has_card)
{
	struct form f;
	char key[64];
	size_t i;

	form_init(&f);
	form_add(&f, "customer", customer);
	for (i = 0; i < d->n; i++) {
		snprintf(key, sizeof(key), "items[%zu][price]", i);
		form_add(&f, key, d->price[i]);
		snprintf(key, sizeof(key), "items[%zu][quantity]", i);
		form_int(&f, key, d->qty[i]);
	}
	form_add(&f, "metadata[tenant_pubkey]", pk);
	form_add(&f, "payment_behavior", has_card ? "allow_incomplete" :
	    "default_incomplete");
	form_add(&f, "proration_behavior", "create_prorations");
	return f.buf;
}

/*
 * The items update that turns live into d, or NULL if they agree: one
 * POST /v1/subscriptions/:id changes, adds and deletes items at once.
 */
static char *
update_form(const struct stripe_sub *live, const struct desired *d)
{
	struct form f;
	char key[64];
	size_t i, j, k = 0;
	int changed = 0, *seen;

	seen = xcalloc(d->n + 1, sizeof(*seen));
	form_init(&f);
	for (i = 0; i < live->nitems; i++) {
		for (j = 0; j < d->n; j++)
			if (strcmp(live->items[i].price, d->price[j]) == 0)
				break;
		snprintf(key, sizeof(key), "items[%zu][id]", k);
		form_add(&f, key, live->items[i].id);
		snprintf(key, sizeof(key), "items[%zu][%s]", k,
		    j < d->n && !seen[j] ? "quantity" : "deleted");
		if (j < d->n && !seen[j]) {
			seen[j] = 1;
			form_int(&f, key, d->qty[j]);
			changed |= live->items[i].quantity != d->qty[j];
		} else {
			form_add(&f, key, "true");
			changed = 1;
		}
		k++;
	}
	for (j = 0; j < d->n; j++) {
		if (seen[j])
			continue;
		snprintf(key, sizeof(key), "items[%zu][price]", k);
		form_add(&f, key, d->price[j]);
		snprintf(key, sizeof(key), "items[%zu][quantity]", k);
		form_int(&f, key, d->qty[j]);
		changed = 1;
		k++;
	}
	free(seen);
	if (!changed) {
		form_release(&f);
		return NULL;
	}
	form_add(&f, "proration_behavior", "create_prorations");
	return f.buf;
}

static void
desired_text(const struct desired *d, char *out, size_t outsz)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < d->n && len < outsz; i++)
		len += (size_t)snprintf(out + len, outsz - len, "%s%s x%lld",
		    i > 0 ? ", " : "", d->price[i], (long long)d->qty[i]);
}

/* 4xx other than 409/429: Stripe refused the request itself. */
static int
refused(const struct stripe_fail *f)
{
	return f->status >= 400 && f->status < 500 && f->status != 409 &&
	    f->status != 429;
}

static int
record_sub(struct billing *b, const char *pk, const struct stripe_sub *s)
{
	enum dbrc rc;

	if ((rc = db_begin(b->db)) != DB_OK)
		return -1;
	rc = db_tenant_set_subscription(b->db, pk, s->id, s->status);
	if (rc == DB_OK || rc == DB_DONE)
		rc = db_subcreate_delete(b->db, pk);
	if (rc == DB_OK || rc == DB_DONE)
		rc = db_commit(b->db);
	else
		db_rollback(b->db);
	return rc == DB_OK ? 0 : -1;
}

/* Caravel's live subscription of the customer, if Stripe lists one. */
static int
find_ours(struct billing *b, struct arena *a, const struct tenant *t,
    struct stripe_sub *out)
{
	struct stripe_sub *v;
	struct stripe_fail f;
	size_t i, n;

	if (stripe_sub_list(&b->stripe, a, t->stripe_customer_id, &v, &n,
	    &f) == -1) {
		billing_warn(b, "tenant %s: %s", t->pubkey, f.msg);
		stripe_fail_release(&f);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!stripe_sub_is_over(v[i].status) &&
		    v[i].tenant_pubkey != NULL &&
		    strcmp(v[i].tenant_pubkey, t->pubkey) == 0) {
			*out = v[i];
			return 1;
		}
	return 0;
}

/*
 * Send a create and record the outcome. 0 created (*out), -1 deferred,
 * -2 refused by Stripe (the intent is dropped: a new form gets a new key).
 */
static int
send_create(struct billing *b, struct arena *a, const char *pk,
    const char *form, const char *key, struct stripe_sub *out)
{
	struct stripe_fail f;
	int rc;

	worker_point("billing-before-subscription-create");
	rc = stripe_sub_create(&b->stripe, a, form, key, out, &f);
	worker_point("billing-after-subscription-create");
	if (rc == 0) {
		if (record_sub(b, pk, out) == -1)
			return -1;
		billing_note(b, "tenant %s: subscription %s created (%s)", pk,
		    out->id, out->status);
		b->n.created++;
		return 0;
	}
	billing_warn(b, "tenant %s: subscription create: %s", pk, f.msg);
	if (refused(&f)) {
		/* Not stored by Stripe: a new form may use a new key. */
		(void)db_subcreate_delete(b->db, pk);
		if (strcmp(f.type, "idempotency_error") == 0)
			(void)db_tenant_forget_subscription(b->db, pk, NULL,
			    NULL);
		stripe_fail_release(&f);
		return -2;
	}
	(void)db_subcreate_failed(b->db, pk, f.msg);
	stripe_fail_release(&f);
	return -1;
}

/*
 * A create sent before whose answer was not recorded: adopt what it made,
 * or send it again as it was, or (Stripe forgot the key, or repeats found
 * nothing) drop it. 1 adopted or created (*out), 0 dropped, -1 deferred.
 */
static int
resolve_create(struct billing *b, struct arena *a, const struct tenant *t,
    const struct subcreate *c, struct stripe_sub *out)
{
	int64_t now = clock_now();
	int rc;

	if ((rc = find_ours(b, a, t, out)) == -1)
		return -1;
	if (rc == 1) {
		if (record_sub(b, t->pubkey, out) == -1)
			return -1;
		billing_note(b, "tenant %s: subscription %s adopted (the answer "
		    "to an earlier create was lost)", t->pubkey, out->id);
		return 1;
	}
	if (now - c->started_at >= BILLING_SUBCREATE_REPLAY ||
	    c->attempts > SUBCREATE_GIVE_UP) {
		billing_note(b, "tenant %s: the create sent at %lld made no "
		    "subscription; starting over", t->pubkey,
		    (long long)c->started_at);
		if (db_subcreate_delete(b->db, t->pubkey) != DB_OK ||
		    !db_wrote(db_tenant_forget_subscription(b->db, t->pubkey,
		    NULL, NULL)))
			return -1;
		return 0;
	}
	if (b->dry_run) {
		billing_note(b, "tenant %s: would send the earlier create again",
		    t->pubkey);
		return -1;
	}
	return send_create(b, a, t->pubkey, c->form, c->idempotency_key,
	    out) == 0 ? 1 : -1;
}

/* Create the subscription for d: 0 (*out), -1 deferred, -2 refused. */
static int
create(struct billing *b, struct arena *a, const struct tenant *t,
    const struct desired *d, struct stripe_sub *out)
{
	struct stripe_fail f;
	char *form, key[128], want[256];
	const char *pm;
	int rc;

	desired_text(d, want, sizeof(want));
	if (b->dry_run) {
		billing_note(b, "tenant %s: would create a subscription (%s)",
		    t->pubkey, want);
		return -1;
	}
	if (stripe_customer_pm(&b->stripe, a, t->stripe_customer_id, &pm,
	    &f) == -1) {
		billing_warn(b, "tenant %s: %s", t->pubkey, f.msg);
		stripe_fail_release(&f);
		return -1;
	}
	(void)db_tenant_set_payment_method(b->db, t->stripe_customer_id, pm);
	snprintf(key, sizeof(key), "caravel-sub-%s-%lld", t->pubkey,
	    (long long)t->subscription_generation);
	form = create_form(t->stripe_customer_id, t->pubkey, d, *pm != '\0');
	if (db_subcreate_put(b->db, t->pubkey, key, form, clock_now()) !=
	    DB_OK) {
		free(form);
		return -1;
	}
	rc = send_create(b, a, t->pubkey, form, key, out);
	free(form);
	return rc;
}

/* Bring live to d in one update: 0 (or nothing to do), -1, -2. */
static int
update(struct billing *b, struct arena *a, const struct tenant *t,
    const struct stripe_sub *live, const struct desired *d)
{
	struct stripe_sub after;
	struct stripe_fail f;
	char *form, key[160], want[256];
	int64_t seq = t->stripe_write_seq;
	int rc, tries;

	if ((form = update_form(live, d)) == NULL)
		return 0;
	desired_text(d, want, sizeof(want));
	/*
	 * Stripe changes an incomplete subscription's items only once its
	 * first invoice is paid; that payment's event marks the tenant, and
	 * the change is made then, prorated.
	 */
	if (strcmp(live->status, "incomplete") == 0) {
		billing_note(b, "tenant %s: subscription %s waits for its first "
		    "payment before it changes to %s", t->pubkey, live->id,
		    want);
		free(form);
		return 0;
	}
	if (b->dry_run) {
		billing_note(b, "tenant %s: would update subscription %s to %s",
		    t->pubkey, live->id, want);
		free(form);
		return 0;
	}
	for (tries = 0; tries < 2; tries++, seq++) {
		snprintf(key, sizeof(key), "caravel-sub-update-%s-%lld",
		    live->id, (long long)seq);
		rc = stripe_sub_update(&b->stripe, a, live->id, form, key,
		    &after, &f);
		worker_point("billing-after-subscription-update");
		/* An answered write used the key; a lost one may replay it. */
		if (rc == 0 || f.status != 0)
			(void)db_tenant_bump_write_seq(b->db, t->pubkey);
		if (rc == 0 || strcmp(f.type, "idempotency_error") != 0)
			break;
		stripe_fail_release(&f);
	}
	free(form);
	if (rc == -1) {
		billing_warn(b, "tenant %s: subscription update: %s", t->pubkey,
		    f.msg);
		rc = refused(&f) ? -2 : -1;
		stripe_fail_release(&f);
		return rc;
	}
	(void)db_tenant_set_sub_status(b->db, t->pubkey, after.id,
	    after.status);
	billing_note(b, "tenant %s: subscription %s updated to %s", t->pubkey,
	    live->id, want);
	b->n.updated++;
	return 0;
}

/* Cancel live (no paid relay is left): 0, -1, -2. */
static int
cancel(struct billing *b, struct arena *a, const struct tenant *t,
    const struct stripe_sub *live)
{
	struct stripe_sub after;
	struct stripe_fail f;
	int rc;

	if (b->dry_run) {
		billing_note(b, "tenant %s: would cancel subscription %s (no "
		    "paid relay left)", t->pubkey, live->id);
		return 0;
	}
	rc = stripe_sub_cancel(&b->stripe, a, live->id, &after, &f);
	worker_point("billing-after-subscription-cancel");
	if (rc == -1 && !stripe_fail_missing(&f)) {
		billing_warn(b, "tenant %s: subscription cancel: %s", t->pubkey,
		    f.msg);
		rc = refused(&f) ? -2 : -1;
		stripe_fail_release(&f);
		return rc;
	}
	stripe_fail_release(&f);
	(void)db_tenant_forget_subscription(b->db, t->pubkey, live->id,
	    "canceled");
	billing_note(b, "tenant %s: subscription %s canceled (no paid relay "
	    "left)", t->pubkey, live->id);
	b->n.canceled++;
	return 0;
}

/*
 * The tenant's subscription as Stripe has it now: 1 live (*live), 0 none
 * (a stale id is forgotten), -1 Stripe failed.
 */
static int
current(struct billing *b, struct arena *a, struct tenant *t,
    struct stripe_sub *live)
{
	struct stripe_fail f;

	if (t->stripe_subscription_id == NULL)
		return 0;
	if (stripe_sub_get(&b->stripe, a, t->stripe_subscription_id, live,
	    &f) == -1) {
		if (!stripe_fail_missing(&f)) {
			billing_warn(b, "tenant %s: %s", t->pubkey, f.msg);
			stripe_fail_release(&f);
			return -1;
		}
		stripe_fail_release(&f);
	} else if (!stripe_sub_is_over(live->status))
		return 1;
	else if (strcmp(live->status, "incomplete_expired") == 0 &&
	    !b->dry_run)
		/* Its first invoice was never paid: that is non-payment. */
		(void)db_tenant_set_past_due(b->db, t->pubkey, clock_now());
	if (!b->dry_run)
		(void)db_tenant_forget_subscription(b->db, t->pubkey,
		    t->stripe_subscription_id, "canceled");
	billing_note(b, "tenant %s: subscription %s is gone or over; "
	    "forgotten", t->pubkey, t->stripe_subscription_id);
	t->stripe_subscription_id = NULL;
	t->subscription_generation++;
	return 0;
}

int
billing_reconcile(struct billing *b, struct arena *a, const char *pk)
{
	struct tenant t;
	struct desired d;
	struct subcreate c;
	struct stripe_sub live;
	enum dbrc rc;
	int have, r;

	if ((rc = db_tenant_get(b->db, a, pk, &t)) != DB_OK)
		return rc == DB_NOTFOUND ? 0 : -1;
	if (t.stripe_customer_id == NULL)
		return 0;
	if ((r = desired_load(b, a, &t, &d)) != 0)
		return r;
	if ((have = current(b, a, &t, &live)) == -1)
		return -1;
	if (have && db_subcreate_get(b->db, a, pk, &c) == DB_OK) {
		/* Adopted meanwhile (a webhook): the create is settled. */
		billing_note(b, "tenant %s: the create sent at %lld is settled "
		    "by subscription %s", pk, (long long)c.started_at, live.id);
		if (!b->dry_run)
			(void)db_subcreate_delete(b->db, pk);
	} else if (!have && (rc = db_subcreate_get(b->db, a, pk, &c)) ==
	    DB_OK) {
		if ((r = resolve_create(b, a, &t, &c, &live)) == -1)
			return -1;
		have = r == 1;
		if (!have && db_tenant_get(b->db, a, pk, &t) != DB_OK)
			return -1;
	} else if (!have && rc != DB_NOTFOUND)
		return -1;
	b->n.reconciled++;
	if (d.n == 0)
		return have ? cancel(b, a, &t, &live) : 0;
	if (!have) {
		/* A create that answered nothing may still have made one. */
		if ((r = find_ours(b, a, &t, &live)) == -1)
			return -1;
		if (r == 1) {
			if (!b->dry_run && record_sub(b, pk, &live) == -1)
				return -1;
			billing_note(b, "tenant %s: subscription %s adopted",
			    pk, live.id);
		} else if ((r = create(b, a, &t, &d, &live)) != 0)
			return r;
		if (db_tenant_get(b->db, a, pk, &t) != DB_OK)
			return -1;
	}
	return update(b, a, &t, &live, &d);
}

int
billing_tenant(struct billing *b, struct arena *a, const char *pk,
    int64_t marked_at)
{
	int r;

	if ((r = billing_reconcile(b, a, pk)) != 0)
		return r;
	if (billing_heal(b, a, pk) != 0)
		return -1;
	if (!b->dry_run)
		(void)db_billing_done(b->db, pk, marked_at, clock_now());
	return 0;
}

int
billing_heal(struct billing *b, struct arena *a, const char *pk)
{
	struct tenant t;
	struct invoice *v;
	struct stripe_fail f;
	int64_t open = 0, failing = -1, paid = -1, now = clock_now();
	size_t i, n, fi = 0;
	const char *pm;
	enum dbrc rc;

	if (db_tenant_get(b->db, a, pk, &t) != DB_OK ||
	    t.stripe_customer_id == NULL)
		return 0;
	/* The card on file, in case a customer.updated event was missed. */
	if (stripe_customer_pm(&b->stripe, a, t.stripe_customer_id, &pm,
	    &f) == -1) {
		billing_warn(b, "tenant %s: %s", pk, f.msg);
		stripe_fail_release(&f);
		return -1;
	}
	if (!b->dry_run)
		(void)db_tenant_set_payment_method(b->db, t.stripe_customer_id,
		    pm);
	if (stripe_invoice_list(&b->stripe, a, t.stripe_customer_id,
	    BILLING_INVOICES_HEALED, &v, &n, &f) == -1) {
		billing_warn(b, "tenant %s: %s", pk, f.msg);
		stripe_fail_release(&f);
		return -1;
	}
	if (b->dry_run)
		return 0;
	if ((rc = db_begin(b->db)) != DB_OK)
		return -1;
	for (i = 0; i < n && (rc == DB_OK || rc == DB_DONE); i++) {
		v[i].tenant = pk;
		if ((rc = db_invoice_put(b->db, &v[i], now)) == DB_OK)
			b->n.healed++;
		/* A payment attempt failed (a webhook may have been missed). */
		if (strcmp(v[i].status, "open") == 0 && v[i].attempt_count > 0 &&
		    (failing < 0 || v[i].created_at < failing)) {
			failing = v[i].created_at;
			fi = i;
		}
		if (strcmp(v[i].status, "paid") == 0 && v[i].paid_at > paid)
			paid = v[i].paid_at;
	}
	if (rc == DB_OK || rc == DB_DONE)
		rc = db_invoice_open_count(b->db, pk, &open);
	if (rc == DB_OK && failing >= 0) {
		rc = db_tenant_set_past_due(b->db, pk, failing);
		if ((rc == DB_OK || rc == DB_DONE) && *t.stripe_error == '\0')
			rc = db_tenant_set_stripe_error(b->db, pk,
			    billing_card_failed(a, &v[fi]));
	/* Paid since, and nothing open: a missed invoice.paid event. */
	} else if (rc == DB_OK && open == 0 && t.past_due_at >= 0 &&
	    paid >= t.past_due_at) {
		rc = db_tenant_clear_past_due(b->db, pk);
		if (rc == DB_OK || rc == DB_DONE)
			rc = db_tenant_set_stripe_error(b->db, pk, "");
	}
	if (rc == DB_OK || rc == DB_DONE)
		rc = db_commit(b->db);
	else
		db_rollback(b->db);
	return rc == DB_OK ? 0 : -1;
}

int
billing_mark_paid(struct billing *b, struct arena *a, const char *id)
{
	struct invoice inv, old;
	struct stripe_fail f;
	int rc;

	if (db_invoice_get(b->db, a, id, &old) != DB_OK)
		return -1;
	if (b->dry_run) {
		billing_note(b, "invoice %s: would mark it paid in Stripe", id);
		return 0;
	}
	rc = stripe_invoice_pay_oob(&b->stripe, a, id, &inv, &f);
	worker_point("billing-after-mark-paid");
	if (rc == -1 && refused(&f)) {
		/* E.g. voided meanwhile: the money came, Stripe won't take it. */
		billing_warn(b, "invoice %s: paid by Lightning, but Stripe "
		    "refuses to mark it paid (%s): credit or refund the tenant "
		    "by hand", id, f.msg);
		b->n.operator++;
		stripe_fail_release(&f);
		return -2;
	}
	if (rc == -1) {
		billing_warn(b, "invoice %s: paid by Lightning, but %s", id,
		    f.msg);
		stripe_fail_release(&f);
		return -1;
	}
	inv.tenant = old.tenant;
	if (db_begin(b->db) != DB_OK)
		return -1;
	if (!db_wrote(db_invoice_put(b->db, &inv, clock_now())) ||
	    (strcmp(inv.status, "paid") == 0 &&
	    (!db_wrote(db_tenant_clear_past_due(b->db, old.tenant)) ||
	    !db_wrote(db_tenant_set_stripe_error(b->db, old.tenant, "")))) ||
	    db_commit(b->db) != DB_OK) {
		db_rollback(b->db);
		return -1;
	}
	if (strcmp(inv.status, "paid") != 0) {
		billing_warn(b, "invoice %s: Stripe says %s after the payment",
		    id, inv.status);
		return -1;
	}
	if (!inv.paid_out_of_band) {
		/* Stripe had it paid already, by card: the tenant paid twice. */
		billing_warn(b, "invoice %s: paid by Lightning, but Stripe had it "
		    "paid already by card: refund the tenant's Lightning "
		    "payment by hand", id);
		b->n.operator++;
		return -2;
	}
	billing_note(b, "invoice %s: marked paid in Stripe", id);
	return 0;
}

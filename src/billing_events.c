/*
 * billing_events.c: a Stripe webhook event applied to the database
 * (spec/workers.md §3), inside the caller's transaction. Events are
 * hints that arrive late, twice, or out of order: the invoice mirror
 * never moves backwards, a subscription event touches only the tenant's
 * current subscription, and every effect is idempotent in itself.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "billing.h"
#include "db.h"
#include "json.h"
#include "stripe.h"

static const char *
say(struct arena *a, struct billing_event *ev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static const char *
say(struct arena *a, struct billing_event *ev, const char *fmt, ...)
{
	va_list ap;
	char buf[256];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ev->effect = arena_strdup(a, buf);
	return ev->effect;
}

const char *
billing_card_failed(struct arena *a, const struct invoice *inv)
{
	int64_t due = inv->amount_due - inv->amount_paid;
	char cur[4];
	size_t i;

	for (i = 0; i < 3 && inv->currency[i] != '\0'; i++)
		cur[i] = (char)(inv->currency[i] - 'a' + 'A');
	cur[i] = '\0';
	return arena_printf(a, "Your card was not charged the %lld.%02lld %s "
	    "of invoice %s. Update your card, or pay the invoice with "
	    "Lightning.", (long long)(due / 100), (long long)(due % 100),
	    cur, inv->id);
}

/* invoice.*: the mirror, and what paid and failed payments mean. */
static enum dbrc
apply_invoice(struct db *db, struct arena *a, struct json_object *obj,
    struct billing_event *ev, int64_t now)
{
	struct invoice inv, mirror;
	struct tenant t;
	const char *customer, *why;
	enum dbrc rc;
	int failed;

	if (stripe_invoice_parse(a, obj, &inv, &customer, &why) == -1) {
		say(a, ev, "ignored: %s", why);
		return DB_OK;
	}
	ev->object_id = inv.id;
	if ((rc = db_tenant_by_customer(db, a, customer, &t)) == DB_NOTFOUND) {
		say(a, ev, "ignored: no tenant has customer %s", customer);
		return DB_OK;
	}
	if (rc != DB_OK)
		return rc;
	ev->tenant = t.pubkey;
	inv.tenant = t.pubkey;
	failed = strcmp(ev->type, "invoice.payment_failed") == 0 &&
	    strcmp(inv.status, "open") == 0;
	if ((rc = db_invoice_put(db, &inv, now)) == DB_DONE) {
		/*
		 * Nothing written: the mirror holds this very state or a
		 * later one. A "paid" still ends the debt, if any is left; a
		 * failed card attempt counts if the mirror still says open
		 * (the pass mirrored the invoice before Stripe's event came).
		 */
		if (failed && (rc = db_invoice_get(db, a, inv.id, &mirror)) !=
		    DB_OK)
			return rc;
		if (failed ? strcmp(mirror.status, "open") != 0 :
		    strcmp(inv.status, "paid") != 0) {
			say(a, ev, "invoice %s not changed: the mirror holds "
			    "this or a later state", inv.id);
			return DB_OK;
		}
		say(a, ev, "invoice %s is %s, as mirrored", inv.id,
		    inv.status);
	} else if (rc != DB_OK)
		return rc;
	else
		say(a, ev, "invoice %s is %s", inv.id, inv.status);
	if (strcmp(inv.status, "paid") == 0) {
		/* Paid: the debt is gone; the worker restores relays. */
		if ((rc = db_tenant_clear_past_due(db, t.pubkey)) == DB_OK)
			say(a, ev, "invoice %s is paid; tenant no longer past "
			    "due", inv.id);
		if (rc == DB_OK || rc == DB_DONE)
			rc = db_tenant_set_stripe_error(db, t.pubkey, "");
		return rc == DB_DONE ? DB_OK : rc;
	}
	if (failed) {
		rc = db_tenant_set_past_due(db, t.pubkey, ev->created > 0 ?
		    ev->created : now);
		if (rc == DB_OK)
			say(a, ev, "invoice %s: payment failed; tenant past due",
			    inv.id);
		if (rc == DB_OK || rc == DB_DONE)
			rc = db_tenant_set_stripe_error(db, t.pubkey,
			    billing_card_failed(a, &inv));
		return rc == DB_DONE ? DB_OK : rc;
	}
	return DB_OK;
}

/*
 * customer.subscription.*: the status of the tenant's subscription; one
 * the tenant does not know yet is adopted if it is Caravel's (metadata)
 * and alive (a create whose answer was lost); an ended one is forgotten.
 */
static enum dbrc
apply_subscription(struct db *db, struct arena *a, struct json_object *obj,
    struct billing_event *ev, int64_t now)
{
	struct stripe_sub sub;
	struct tenant t;
	const char *why;
	int64_t open;
	enum dbrc rc;
	int over;

	if (stripe_sub_parse(a, obj, &sub, &why) == -1) {
		say(a, ev, "ignored: %s", why);
		return DB_OK;
	}
	ev->object_id = sub.id;
	if ((rc = db_tenant_by_customer(db, a, sub.customer, &t)) ==
	    DB_NOTFOUND) {
		say(a, ev, "ignored: no tenant has customer %s", sub.customer);
		return DB_OK;
	}
	if (rc != DB_OK)
		return rc;
	ev->tenant = t.pubkey;
	over = stripe_sub_is_over(sub.status) ||
	    strcmp(ev->type, "customer.subscription.deleted") == 0;
	if (t.stripe_subscription_id == NULL && !over &&
	    sub.tenant_pubkey != NULL &&
	    strcmp(sub.tenant_pubkey, t.pubkey) == 0) {
		rc = db_tenant_set_subscription(db, t.pubkey, sub.id,
		    sub.status);
		say(a, ev, "subscription %s adopted (%s)", sub.id, sub.status);
	} else if (t.stripe_subscription_id == NULL ||
	    strcmp(t.stripe_subscription_id, sub.id) != 0) {
		say(a, ev, "ignored: %s is not the tenant's subscription",
		    sub.id);
		return DB_OK;
	} else if (over) {
		rc = db_tenant_forget_subscription(db, t.pubkey, sub.id,
		    "canceled");
		say(a, ev, "subscription %s ended", sub.id);
	} else {
		rc = db_tenant_set_sub_status(db, t.pubkey, sub.id, sub.status);
		say(a, ev, "subscription %s is %s", sub.id, sub.status);
	}
	if (rc != DB_OK && rc != DB_DONE)
		return rc;
	/* The first invoice was never paid: non-payment from now. */
	if (strcmp(sub.status, "incomplete_expired") == 0) {
		if ((rc = db_tenant_set_past_due(db, t.pubkey, now)) != DB_OK &&
		    rc != DB_DONE)
			return rc;
	/* Stripe gave up collecting: the grace period runs from now. */
	} else if (strcmp(sub.status, "unpaid") == 0 ||
	    strcmp(sub.status, "past_due") == 0 || over) {
		if ((rc = db_invoice_open_count(db, t.pubkey, &open)) != DB_OK)
			return rc;
		if (open > 0 && (rc = db_tenant_set_past_due(db, t.pubkey,
		    now)) != DB_OK && rc != DB_DONE)
			return rc;
	}
	rc = db_tenant_mark_billing(db, t.pubkey, now);
	return rc == DB_DONE ? DB_OK : rc;
}

/* customer.updated: the card on file (invoice_settings). */
static enum dbrc
apply_customer(struct db *db, struct arena *a, struct json_object *obj,
    struct billing_event *ev)
{
	struct tenant t;
	const char *id, *pm, *why;
	enum dbrc rc;

	if (stripe_customer_parse(a, obj, &id, &pm, &why) == -1) {
		say(a, ev, "ignored: %s", why);
		return DB_OK;
	}
	ev->object_id = id;
	if ((rc = db_tenant_by_customer(db, a, id, &t)) == DB_NOTFOUND) {
		say(a, ev, "ignored: no tenant has customer %s", id);
		return DB_OK;
	}
	if (rc != DB_OK)
		return rc;
	ev->tenant = t.pubkey;
	if ((rc = db_tenant_set_payment_method(db, id, pm)) == DB_OK)
		say(a, ev, "default payment method %s", *pm != '\0' ? pm :
		    "removed");
	else if (rc == DB_DONE)
		say(a, ev, "default payment method unchanged");
	return rc == DB_DONE ? DB_OK : rc;
}

int
billing_event_parse(struct arena *a, const char *body, size_t len,
    struct billing_event *ev, struct json_object **root, const char **why)
{
	struct json_object *o, *data;
	const char *s;
	size_t n;

	memset(ev, 0, sizeof(*ev));
	*root = NULL;
	*why = "the event is not one JSON object";
	if ((o = json_parse_object(body, len)) == NULL)
		return -1;
	*why = "the event has no valid id (evt_...)";
	if (json_get_str(o, "id", STRIPE_ID_MAX, &s, NULL) != JGET_OK ||
	    !stripe_id_ok(s, "evt_"))
		goto bad;
	ev->id = arena_strdup(a, s);
	*why = "the event has no valid type";
	if (json_get_str(o, "type", 100, &s, &n) != JGET_OK || n == 0 ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._") != n)
		goto bad;
	ev->type = arena_strdup(a, s);
	*why = "the event's created time is not a unix time";
	if (json_get_int(o, "created", 0, INT64_MAX / 2, &ev->created) !=
	    JGET_OK)
		goto bad;
	*why = "the event has no data.object";
	if (!json_object_object_get_ex(o, "data", &data) ||
	    !json_object_is_type(data, json_type_object) ||
	    !json_object_object_get_ex(data, "object", &ev->object) ||
	    !json_object_is_type(ev->object, json_type_object))
		goto bad;
	*root = o;
	*why = NULL;
	return 0;
bad:
	json_object_put(o);
	return -1;
}

enum dbrc
billing_event_apply(struct db *db, struct arena *a, struct billing_event *ev,
    int64_t now)
{
	if (strncmp(ev->type, "invoice.", 8) == 0)
		return apply_invoice(db, a, ev->object, ev, now);
	if (strcmp(ev->type, "customer.updated") == 0)
		return apply_customer(db, a, ev->object, ev);
	if (strcmp(ev->type, "customer.subscription.created") == 0 ||
	    strcmp(ev->type, "customer.subscription.updated") == 0 ||
	    strcmp(ev->type, "customer.subscription.deleted") == 0)
		return apply_subscription(db, a, ev->object, ev, now);
	say(a, ev, "ignored: Caravel does not use %s events", ev->type);
	return DB_OK;
}

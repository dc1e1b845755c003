/*
 * fuzz_stripe_event.c: libFuzzer harness for what Stripe sends us: the
 * webhook body, read by billing_event_parse() (billing.h) once its
 * signature checked, and the subscription and invoice objects inside it,
 * read by stripe_sub_parse() and stripe_invoice_parse() (stripe.h; the
 * same two read Stripe's API replies). The input is the raw body. When
 * the event parses, both object parsers read its data.object; when it
 * does not but the body is a JSON object, they read the body itself, as
 * they would an API reply. Promises checked (a broken one aborts, which
 * libFuzzer reports as a crash):
 *
 *  - an event that parses has an evt_ id, a type of [a-z0-9._] (1-100
 *    characters), a created time in 0..INT64_MAX/2, and data.object, an
 *    object borrowed from the root it returns; one that does not returns
 *    no root and says why;
 *  - a subscription that parses has sub_ and cus_ ids, a status of
 *    Stripe's eight, 0..STRIPE_ITEMS_MAX items with si_ ids, price ids
 *    and quantities in 0..INT32_MAX, and a tenant_pubkey that is NULL or
 *    64 lower-case hex digits;
 *  - an invoice that parses has in_ and cus_ ids, a status of Stripe's
 *    five, a three-letter lower-case currency, non-negative amounts and
 *    created time, the other times -1 (none) or non-negative, a paid
 *    time when paid and a voided time when void, an https URL or NULL,
 *    a sub_ id or NULL, and no tenant or paid_via (ours to set): what
 *    the invoice table's CHECK constraints require;
 *  - a parse that fails says why.
 *
 * Strings go in an arena made and freed for each input.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "billing.h"
#include "db.h"
#include "json.h"
#include "stripe.h"

#define TYPE_MAX 100

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_stripe_event: invariant broken: %s\n", what);
	abort();
}

static int
one_of(const char *s, const char *const *words, size_t n)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(s, words[i]) == 0)
			return 1;
	return 0;
}

static int
is_time(int64_t t)
{
	return t >= 0 && t <= INT64_MAX / 2;
}

static void
check_event(struct json_object *root, const struct billing_event *ev)
{
	struct json_object *data, *obj;
	size_t n;

	if (!stripe_id_ok(ev->id, "evt_"))
		fail("an event without an evt_ id parsed");
	n = ev->type != NULL ? strlen(ev->type) : 0;
	if (n == 0 || n > TYPE_MAX ||
	    strspn(ev->type, "abcdefghijklmnopqrstuvwxyz0123456789._") != n)
		fail("an event with a bad type parsed");
	if (!is_time(ev->created))
		fail("an event with a bad created time parsed");
	if (!json_object_object_get_ex(root, "data", &data) ||
	    !json_object_object_get_ex(data, "object", &obj) ||
	    obj != ev->object || !json_object_is_type(obj, json_type_object))
		fail("ev.object is not the root's data.object");
	if (ev->object_id != NULL || ev->tenant != NULL || ev->effect != NULL)
		fail("a parse filled what only applying an event sets");
}

static void
check_sub(struct arena *a, struct json_object *o)
{
	static const char *const statuses[] = { "incomplete",
		"incomplete_expired", "trialing", "active", "past_due",
		"canceled", "unpaid", "paused" };
	struct stripe_sub s;
	const char *why = NULL;
	size_t i;

	if (stripe_sub_parse(a, o, &s, &why) != 0) {
		if (why == NULL || why[0] == '\0')
			fail("a subscription was refused without a reason");
		return;
	}
	if (why != NULL)
		fail("a subscription parsed and left a reason");
	if (!stripe_id_ok(s.id, "sub_") || !stripe_id_ok(s.customer, "cus_"))
		fail("a subscription without sub_ and cus_ ids parsed");
	if (!one_of(s.status, statuses, nitems(statuses)))
		fail("a subscription with an unknown status parsed");
	if (s.tenant_pubkey != NULL && (strlen(s.tenant_pubkey) != 64 ||
	    !is_lower_hex(s.tenant_pubkey, 64)))
		fail("a tenant_pubkey that is not 64 hex digits");
	if (s.nitems > STRIPE_ITEMS_MAX)
		fail("more items than STRIPE_ITEMS_MAX");
	for (i = 0; i < s.nitems; i++) {
		if (!stripe_id_ok(s.items[i].id, "si_") ||
		    !stripe_id_ok(s.items[i].price, ""))
			fail("an item without si_ and price ids");
		if (s.items[i].quantity < 0 || s.items[i].quantity > INT32_MAX)
			fail("an item quantity out of range");
	}
	if (stripe_sub_is_over(s.status) != (strcmp(s.status, "canceled") ==
	    0 || strcmp(s.status, "incomplete_expired") == 0))
		fail("stripe_sub_is_over disagrees with the status");
}

static void
check_invoice(struct arena *a, struct json_object *o)
{
	static const char *const statuses[] = { "draft", "open", "paid",
		"void", "uncollectible" };
	struct invoice inv;
	const char *customer = NULL, *why = NULL;
	size_t n;

	if (stripe_invoice_parse(a, o, &inv, &customer, &why) != 0) {
		if (why == NULL || why[0] == '\0')
			fail("an invoice was refused without a reason");
		return;
	}
	if (why != NULL)
		fail("an invoice parsed and left a reason");
	if (!stripe_id_ok(inv.id, "in_") || !stripe_id_ok(customer, "cus_"))
		fail("an invoice without in_ and cus_ ids parsed");
	if (!one_of(inv.status, statuses, nitems(statuses)))
		fail("an invoice with an unknown status parsed");
	if (inv.currency == NULL || strlen(inv.currency) != 3 ||
	    strspn(inv.currency, "abcdefghijklmnopqrstuvwxyz") != 3)
		fail("an invoice currency not of three lower-case letters");
	if (inv.amount_due < 0 || inv.amount_paid < 0)
		fail("a negative invoice amount");
	if (inv.created_at < 0)
		fail("an invoice without a created time");
	if (inv.due_date < -1 || inv.paid_at < -1 || inv.voided_at < -1 ||
	    inv.period_start < -1 || inv.period_end < -1)
		fail("an invoice time below -1");
	if (strcmp(inv.status, "paid") == 0 && inv.paid_at < 0)
		fail("a paid invoice without a paid time");
	if (strcmp(inv.status, "void") == 0 && inv.voided_at < 0)
		fail("a void invoice without a voided time");
	if (inv.hosted_invoice_url != NULL &&
	    !stripe_url_ok(inv.hosted_invoice_url, 1))
		fail("a hosted_invoice_url that is not https");
	if (inv.subscription_id != NULL &&
	    !stripe_id_ok(inv.subscription_id, "sub_"))
		fail("a subscription id without sub_");
	if (inv.paid_out_of_band != 0 && inv.paid_out_of_band != 1)
		fail("paid_out_of_band is not 0 or 1");
	if (inv.attempt_count < 0 || inv.attempt_count > INT32_MAX)
		fail("attempt_count out of range");
	if (inv.billing_reason != NULL && ((n = strlen(inv.billing_reason)) ==
	    0 || strspn(inv.billing_reason, "abcdefghijklmnopqrstuvwxyz_") !=
	    n))
		fail("a billing_reason outside [a-z_]");
	if (inv.tenant != NULL || inv.paid_via != NULL)
		fail("a parse filled the tenant or paid_via");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a = { NULL };
	struct billing_event ev;
	struct json_object *root = NULL, *obj = NULL;
	const char *why = NULL;

	if (billing_event_parse(&a, (const char *)data, size, &ev, &root,
	    &why) == 0) {
		if (root == NULL || why != NULL)
			fail("an event parsed without a root or with a reason");
		check_event(root, &ev);
		obj = ev.object;
	} else {
		if (root != NULL)
			fail("a refused event returned a root");
		if (why == NULL || why[0] == '\0')
			fail("an event was refused without a reason");
		obj = root = json_parse_object((const char *)data, size);
	}
	if (obj != NULL) {
		check_sub(&a, obj);
		check_invoice(&a, obj);
	}
	json_object_put(root);
	arena_free(&a);
	return 0;
}

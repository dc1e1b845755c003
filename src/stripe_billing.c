/*
 * stripe_billing.c: the subscription and invoice calls of caravel-billing
 * and the webhook's object parsers (see stripe.h). What Stripe answers is
 * read field by field into checked values: ids by prefix and alphabet,
 * statuses from fixed lists, amounts as non-negative integers, URLs as
 * https; anything else makes the whole object unusable.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "db.h"
#include "httpc.h"
#include "json.h"
#include "stripe.h"

#define TIME_MAX 253402300799LL /* 9999-12-31: a sane unix time */

int
stripe_sub_is_over(const char *status)
{
	return status != NULL && (strcmp(status, "canceled") == 0 ||
	    strcmp(status, "incomplete_expired") == 0);
}

static struct json_object *
member_obj(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

/* key as an id with prefix, or NULL (absent, null, or malformed). */
static const char *
member_id(struct arena *a, struct json_object *o, const char *key,
    const char *prefix)
{
	const char *s;

	if (o == NULL || json_get_str(o, key, STRIPE_ID_MAX, &s, NULL) !=
	    JGET_OK || !stripe_id_ok(s, prefix))
		return NULL;
	return arena_strdup(a, s);
}

/* key as a unix time; -1 if absent or null; -2 if malformed. */
static int64_t
member_time(struct json_object *o, const char *key)
{
	struct json_object *v;
	int64_t t;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
		return -1;
	if (json_get_int(o, key, 0, TIME_MAX, &t) != JGET_OK)
		return -2;
	return t;
}

/* The "data" array of a Stripe list object, or NULL. */
static struct json_object *
list_data(struct json_object *list)
{
	struct json_object *d;

	if (list == NULL || !json_object_object_get_ex(list, "data", &d) ||
	    !json_object_is_type(d, json_type_array))
		return NULL;
	return d;
}

int
stripe_sub_parse(struct arena *a, struct json_object *o, struct stripe_sub *s,
    const char **why)
{
	struct json_object *data, *it, *price;
	const char *st;
	size_t i, n;

	memset(s, 0, sizeof(*s));
	*why = "the subscription has no valid id";
	if ((s->id = member_id(a, o, "id", "sub_")) == NULL)
		return -1;
	*why = "the subscription has no valid customer";
	if ((s->customer = member_id(a, o, "customer", "cus_")) == NULL)
		return -1;
	*why = "the subscription has an unknown status";
	if (json_get_str(o, "status", 32, &st, NULL) != JGET_OK ||
	    (s->status = db_word(WORDS_SUBSCRIPTION_STATUS, st)) == NULL)
		return -1;
	if (json_get_str(member_obj(o, "metadata"), "tenant_pubkey", 64, &st,
	    NULL) == JGET_OK && strlen(st) == 64 && is_lower_hex(st, 64))
		s->tenant_pubkey = arena_strdup(a, st);
	*why = "the subscription's items are malformed";
	if ((data = list_data(member_obj(o, "items"))) == NULL)
		return -1;
	if ((n = json_object_array_length(data)) > STRIPE_ITEMS_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(data, i);
		price = member_obj(it, "price");
		if ((s->items[i].id = member_id(a, it, "id", "si_")) == NULL ||
		    (s->items[i].price = member_id(a, price, "id", "")) ==
		    NULL || json_get_int(it, "quantity", 0, INT32_MAX,
		    &s->items[i].quantity) != JGET_OK)
			return -1;
	}
	s->nitems = n;
	*why = NULL;
	return 0;
}

/*
 * The period the invoice pays for: its first line's (a subscription's
 * first invoice has period_start == period_end at the invoice level),
 * else the invoice's own.
 */
static void
invoice_period(struct json_object *o, struct invoice *inv)
{
	struct json_object *lines, *first, *period;

	inv->period_start = member_time(o, "period_start");
	inv->period_end = member_time(o, "period_end");
	lines = list_data(member_obj(o, "lines"));
	if (lines == NULL || json_object_array_length(lines) == 0)
		return;
	first = json_object_array_get_idx(lines, 0);
	if ((period = member_obj(first, "period")) != NULL &&
	    member_time(period, "start") >= 0 &&
	    member_time(period, "end") >= 0) {
		inv->period_start = member_time(period, "start");
		inv->period_end = member_time(period, "end");
	}
}

/*
 * Stripe's text for the database and a tenant's screen: C0 and C1
 * control characters and DEL become spaces (json_get_str checked UTF-8).
 */
static char *
line_text(struct arena *a, const char *s)
{
	char *t = arena_strdup(a, s);
	unsigned char *p = (unsigned char *)t;

	for (; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			p[0] = ' ';
			p[1] = ' ';
			p++;
		}
	return t;
}

/* The price of a line: pricing.price_details.price (basil), or price. */
static const char *
line_price(struct arena *a, struct json_object *l)
{
	const char *p;

	p = member_id(a, member_obj(member_obj(l, "pricing"), "price_details"),
	    "price", "");
	if (p == NULL)
		p = member_id(a, member_obj(l, "price"), "id", "");
	if (p == NULL)
		p = member_id(a, l, "price", "");
	return p;
}

/*
 * lines.data (the first page, sent with the invoice) into inv->lines;
 * lines_known only when every line kept is well formed.
 */
static void
invoice_lines(struct arena *a, struct json_object *o, struct invoice *inv)
{
	struct json_object *d, *l, *period, *v;
	struct invoice_line *out, *x;
	const char *s;
	size_t i, n;

	if ((d = list_data(member_obj(o, "lines"))) == NULL)
		return;
	if ((n = json_object_array_length(d)) > STRIPE_LIST_MAX)
		n = STRIPE_LIST_MAX;
	out = arena_alloc(a, (n > 0 ? n : 1) * sizeof(*out));
	for (i = 0; i < n; i++) {
		l = json_object_array_get_idx(d, i);
		x = &out[i];
		if (!json_object_is_type(l, json_type_object) ||
		    (x->id = member_id(a, l, "id", "")) == NULL ||
		    json_get_int(l, "amount", -INT64_MAX / 4, INT64_MAX / 4,
		    &x->amount) != JGET_OK)
			return;
		x->stripe_price_id = line_price(a, l);
		x->quantity = -1;
		if (json_object_object_get_ex(l, "quantity", &v) && v != NULL &&
		    json_get_int(l, "quantity", 0, INT32_MAX, &x->quantity) !=
		    JGET_OK)
			return;
		x->description = "";
		if (json_get_str(l, "description", 500, &s, NULL) == JGET_OK)
			x->description = line_text(a, s);
		period = member_obj(l, "period");
		x->period_start = member_time(period, "start");
		x->period_end = member_time(period, "end");
		if (x->period_start < -1 || x->period_end < -1)
			return;
		x->voided_at = -1;
	}
	inv->lines = out;
	inv->nlines = n;
	inv->lines_known = 1;
}

/* A preview (create_preview) has no invoice id of its own: "upcoming". */
static int
invoice_parse(struct arena *a, struct json_object *o, struct invoice *inv,
    const char **customer, const char **why, int preview)
{
	struct json_object *tr, *parent, *details, *v;
	const char *st, *url;
	int flag;

	memset(inv, 0, sizeof(*inv));
	inv->checked_at = -1;
	*customer = NULL;
	*why = "the invoice has no valid id";
	if (preview)
		inv->id = "upcoming";
	else if ((inv->id = member_id(a, o, "id", "in_")) == NULL)
		return -1;
	*why = "the invoice has no valid customer";
	if ((*customer = member_id(a, o, "customer", "cus_")) == NULL)
		return -1;
	*why = "the invoice has an unknown status";
	if (json_get_str(o, "status", 32, &st, NULL) != JGET_OK ||
	    (inv->status = db_word(WORDS_INVOICE_STATUS, st)) == NULL)
		return -1;
	*why = "the invoice's currency is not three lower-case letters";
	if (json_get_str(o, "currency", 3, &st, NULL) != JGET_OK ||
	    strlen(st) != 3 || strspn(st, "abcdefghijklmnopqrstuvwxyz") != 3)
		return -1;
	inv->currency = arena_strdup(a, st);
	*why = "the invoice's amounts are not whole non-negative numbers";
	if (json_get_int(o, "amount_due", 0, INT64_MAX / 4, &inv->amount_due) !=
	    JGET_OK || json_get_int(o, "amount_paid", 0, INT64_MAX / 4,
	    &inv->amount_paid) != JGET_OK)
		return -1;
	*why = "the invoice's times are malformed";
	if ((inv->created_at = member_time(o, "created")) < 0 ||
	    (inv->due_date = member_time(o, "due_date")) == -2)
		return -1;
	invoice_period(o, inv);
	invoice_lines(a, o, inv);
	tr = member_obj(o, "status_transitions");
	inv->paid_at = member_time(tr, "paid_at");
	inv->voided_at = member_time(tr, "voided_at");
	if (inv->period_start < -1 || inv->period_end < -1 ||
	    inv->paid_at < -1 || inv->voided_at < -1)
		return -1;
	/* A paid invoice has a paid time (the schema insists). */
	if (strcmp(inv->status, "paid") == 0 && inv->paid_at < 0)
		inv->paid_at = inv->created_at;
	if (strcmp(inv->status, "void") == 0 && inv->voided_at < 0)
		inv->voided_at = inv->created_at;
	if (json_get_str(o, "hosted_invoice_url", STRIPE_URL_MAX, &url, NULL) ==
	    JGET_OK && stripe_url_ok(url, 1))
		inv->hosted_invoice_url = arena_strdup(a, url);
	/* Basil: parent.subscription_details.subscription; before: top. */
	parent = member_obj(o, "parent");
	details = member_obj(parent, "subscription_details");
	if ((inv->subscription_id = member_id(a, details, "subscription",
	    "sub_")) == NULL)
		inv->subscription_id = member_id(a, o, "subscription", "sub_");
	if (json_get_flag(o, "paid_out_of_band", &flag) == JGET_OK)
		inv->paid_out_of_band = flag;
	if (json_object_object_get_ex(o, "attempt_count", &v) &&
	    json_get_int(o, "attempt_count", 0, INT32_MAX,
	    &inv->attempt_count) != JGET_OK)
		inv->attempt_count = 0;
	if (json_get_str(o, "billing_reason", 64, &st, NULL) == JGET_OK &&
	    *st != '\0' && strspn(st, "abcdefghijklmnopqrstuvwxyz_") ==
	    strlen(st))
		inv->billing_reason = arena_strdup(a, st);
	*why = NULL;
	return 0;
}

int
stripe_invoice_parse(struct arena *a, struct json_object *o,
    struct invoice *inv, const char **customer, const char **why)
{
	return invoice_parse(a, o, inv, customer, why, 0);
}


/* A call answered with one object parsed by the caller. */
static int
fail_parse(struct stripe_fail *f, const char *call, const char *why)
{
	free(f->msg);
	f->msg = xasprintf("Stripe %s: %s", call, why);
	return -1;
}

/*
 * method on base/<id><suffix> once id is checked to carry prefix (an id
 * from our database, or from Stripe, never a path of its own): 0 and *o.
 */
static int
call_on(const struct stripe *s, const char *method, const char *base,
    const char *id, const char *prefix, const char *suffix,
    const struct form *form, const char *idem, struct json_object **o,
    struct stripe_fail *f)
{
	char path[128 + STRIPE_ID_MAX];

	*o = NULL;
	memset(f, 0, sizeof(*f));
	if (!stripe_id_ok(id, prefix)) {
		snprintf(path, sizeof(path), "%s %s", method, base);
		return fail_parse(f, path, "bad id");
	}
	snprintf(path, sizeof(path), "%s/%s%s", base, id, suffix != NULL ?
	    suffix : "");
	return stripe_call(s, method, path, form, idem, o, f);
}

static int
sub_reply(struct arena *a, struct json_object *o, struct stripe_sub *sub,
    const char *call, struct stripe_fail *f)
{
	const char *why;
	int rc;

	if ((rc = stripe_sub_parse(a, o, sub, &why)) == -1)
		rc = fail_parse(f, call, why);
	json_object_put(o);
	return rc;
}

static int
invoice_reply(struct arena *a, struct json_object *o, struct invoice *inv,
    const char *call, struct stripe_fail *f)
{
	const char *why, *customer;
	int rc;

	if ((rc = stripe_invoice_parse(a, o, inv, &customer, &why)) == -1)
		rc = fail_parse(f, call, why);
	json_object_put(o);
	return rc;
}

int
stripe_customer_ensure(const struct stripe *s, const char *pk, char **idp,
    struct stripe_fail *f)
{
	struct json_object *o = NULL, *d;
	struct form q;
	char *query;
	const char *id;
	int rc;

	*idp = NULL;
	memset(f, 0, sizeof(*f));
	if (pk == NULL || strlen(pk) != 64 || !is_lower_hex(pk, 64)) {
		f->msg = xstrdup("Stripe customer search not sent: the tenant "
		    "pubkey is not 64 lower-case hex digits");
		return -1;
	}
	query = xasprintf("metadata['tenant_pubkey']:'%s'", pk);
	form_init(&q);
	form_add(&q, "query", query);
	free(query);
	rc = stripe_call(s, "GET", "/v1/customers/search", &q, NULL, &o, f);
	form_release(&q);
	if (rc == -1)
		return -1;
	d = list_data(o);
	if (d != NULL && json_object_array_length(d) > 0 &&
	    json_get_str(json_object_array_get_idx(d, 0), "id", STRIPE_ID_MAX,
	    &id, NULL) == JGET_OK && stripe_id_ok(id, "cus_")) {
		*idp = xstrdup(id);
		json_object_put(o);
		return 0;
	}
	json_object_put(o);
	stripe_fail_release(f);
	return stripe_customer_create_call(s, pk, idp, f);
}

int
stripe_customer_parse(struct arena *a, struct json_object *o,
    const char **id, const char **pm, const char **why)
{
	struct json_object *settings, *expanded;

	*pm = "";
	*why = "the customer has no valid id";
	if ((*id = member_id(a, o, "id", "cus_")) == NULL)
		return -1;
	*why = "the customer has no invoice_settings";
	if ((settings = member_obj(o, "invoice_settings")) == NULL)
		return -1;
	if ((*pm = member_id(a, settings, "default_payment_method", "")) ==
	    NULL && (expanded = member_obj(settings,
	    "default_payment_method")) != NULL)
		*pm = member_id(a, expanded, "id", "");
	if (*pm == NULL)
		*pm = "";
	*why = NULL;
	return 0;
}

int
stripe_customer_pm(const struct stripe *s, struct arena *a,
    const char *customer, const char **pm, struct stripe_fail *f)
{
	struct json_object *o;
	const char *id, *why;

	*pm = "";
	if (call_on(s, "GET", "/v1/customers", customer, "cus_", NULL, NULL,
	    NULL, &o, f) == -1)
		return -1;
	if (stripe_customer_parse(a, o, &id, pm, &why) == -1 ||
	    strcmp(id, customer) != 0) {
		json_object_put(o);
		return fail_parse(f, "GET /v1/customers", why != NULL ? why :
		    "another customer answered");
	}
	json_object_put(o);
	return 0;
}

int
stripe_sub_get(const struct stripe *s, struct arena *a, const char *id,
    struct stripe_sub *sub, struct stripe_fail *f)
{
	struct json_object *o;

	if (call_on(s, "GET", "/v1/subscriptions", id, "sub_", NULL, NULL,
	    NULL, &o, f) == -1)
		return -1;
	return sub_reply(a, o, sub, "GET /v1/subscriptions", f);
}

int
stripe_sub_list(const struct stripe *s, struct arena *a, const char *customer,
    struct stripe_sub **out, size_t *n, struct stripe_fail *f)
{
	struct json_object *o, *d;
	struct stripe_sub *v;
	struct form q;
	const char *why;
	size_t i, len;
	int rc;

	*out = NULL;
	*n = 0;
	memset(f, 0, sizeof(*f));
	if (!stripe_id_ok(customer, "cus_"))
		return fail_parse(f, "GET /v1/subscriptions", "bad customer");
	form_init(&q);
	form_add(&q, "customer", customer);
	form_add(&q, "status", "all");
	form_add(&q, "limit", "100");
	rc = stripe_call(s, "GET", "/v1/subscriptions", &q, NULL, &o, f);
	form_release(&q);
	if (rc == -1)
		return -1;
	if ((d = list_data(o)) == NULL ||
	    (len = json_object_array_length(d)) > STRIPE_LIST_MAX) {
		json_object_put(o);
		return fail_parse(f, "GET /v1/subscriptions", "not a list");
	}
	v = arena_alloc(a, (len + 1) * sizeof(*v));
	for (i = 0; i < len; i++)
		if (stripe_sub_parse(a, json_object_array_get_idx(d, i),
		    &v[*n], &why) == 0)
			(*n)++;
	json_object_put(o);
	*out = v;
	return 0;
}

int
stripe_sub_create(const struct stripe *s, struct arena *a, const char *form,
    const char *idem, struct stripe_sub *sub, struct stripe_fail *f)
{
	struct json_object *o;
	struct form body;
	int rc;

	form_init(&body);
	form_add_encoded(&body, form);
	rc = stripe_call(s, "POST", "/v1/subscriptions", &body, idem, &o, f);
	form_release(&body);
	if (rc == -1)
		return -1;
	return sub_reply(a, o, sub, "POST /v1/subscriptions", f);
}

int
stripe_sub_update(const struct stripe *s, struct arena *a, const char *id,
    const char *form, const char *idem, struct stripe_sub *sub,
    struct stripe_fail *f)
{
	struct json_object *o;
	struct form body;
	int rc;

	form_init(&body);
	form_add_encoded(&body, form);
	rc = call_on(s, "POST", "/v1/subscriptions", id, "sub_", NULL, &body,
	    idem, &o, f);
	form_release(&body);
	if (rc == -1)
		return -1;
	return sub_reply(a, o, sub, "POST /v1/subscriptions", f);
}

int
stripe_sub_cancel(const struct stripe *s, struct arena *a, const char *id,
    struct stripe_sub *sub, struct stripe_fail *f)
{
	struct json_object *o;

	if (call_on(s, "DELETE", "/v1/subscriptions", id, "sub_", NULL, NULL,
	    NULL, &o, f) == -1)
		return -1;
	return sub_reply(a, o, sub, "DELETE /v1/subscriptions", f);
}

int
stripe_invoice_list(const struct stripe *s, struct arena *a,
    const char *customer, int limit, struct invoice **out, size_t *n,
    struct stripe_fail *f)
{
	struct json_object *o, *d;
	struct invoice *v;
	struct form q;
	const char *why, *cus;
	char lim[16];
	size_t i, len;
	int rc;

	*out = NULL;
	*n = 0;
	memset(f, 0, sizeof(*f));
	if (!stripe_id_ok(customer, "cus_") || limit < 1 ||
	    limit > STRIPE_LIST_MAX)
		return fail_parse(f, "GET /v1/invoices", "bad arguments");
	snprintf(lim, sizeof(lim), "%d", limit);
	form_init(&q);
	form_add(&q, "customer", customer);
	form_add(&q, "limit", lim);
	rc = stripe_call(s, "GET", "/v1/invoices", &q, NULL, &o, f);
	form_release(&q);
	if (rc == -1)
		return -1;
	if ((d = list_data(o)) == NULL ||
	    (len = json_object_array_length(d)) > STRIPE_LIST_MAX) {
		json_object_put(o);
		return fail_parse(f, "GET /v1/invoices", "not a list");
	}
	v = arena_alloc(a, (len + 1) * sizeof(*v));
	for (i = 0; i < len; i++)
		if (stripe_invoice_parse(a, json_object_array_get_idx(d, i),
		    &v[*n], &cus, &why) == 0 && strcmp(cus, customer) == 0)
			(*n)++;
	json_object_put(o);
	*out = v;
	return 0;
}

int
stripe_invoice_get(const struct stripe *s, struct arena *a, const char *id,
    struct invoice *inv, struct stripe_fail *f)
{
	struct json_object *o;

	if (call_on(s, "GET", "/v1/invoices", id, "in_", NULL, NULL, NULL, &o,
	    f) == -1)
		return -1;
	return invoice_reply(a, o, inv, "GET /v1/invoices", f);
}

/*
 * Stripe answers a payment of a paid invoice with 400 and the message
 * "Invoice is already paid", without an error code.
 */
static int
already_paid(const struct stripe_fail *f)
{
	return f->msg != NULL && strstr(f->msg, ": Invoice is already paid") !=
	    NULL;
}

int
stripe_invoice_pay_oob(const struct stripe *s, struct arena *a,
    const char *id, struct invoice *inv, struct stripe_fail *f)
{
	struct json_object *o;
	struct form body;
	char idem[64 + STRIPE_ID_MAX];
	int rc;

	snprintf(idem, sizeof(idem), "caravel-invoice-oob-%s", id);
	form_init(&body);
	form_add(&body, "paid_out_of_band", "true");
	rc = call_on(s, "POST", "/v1/invoices", id, "in_", "/pay", &body, idem,
	    &o, f);
	form_release(&body);
	if (rc == 0)
		return invoice_reply(a, o, inv, "POST /v1/invoices/pay", f);
	/* Paid meanwhile (by card, or by us before a crash): read it. */
	if (f->status == 400 && already_paid(f)) {
		stripe_fail_release(f);
		return stripe_invoice_get(s, a, id, inv, f);
	}
	return -1;
}

int
stripe_invoice_preview(const struct stripe *s, struct arena *a,
    const char *customer, const char *sub, struct invoice *inv, int *none,
    struct stripe_fail *f)
{
	struct json_object *o;
	struct form q;
	const char *cus, *why;
	int rc;

	*none = 0;
	memset(f, 0, sizeof(*f));
	if (!stripe_id_ok(customer, "cus_") || !stripe_id_ok(sub, "sub_"))
		return fail_parse(f, "POST /v1/invoices/create_preview",
		    "bad id");
	form_init(&q);
	form_add(&q, "customer", customer);
	form_add(&q, "subscription", sub);
	rc = stripe_call(s, "POST", "/v1/invoices/create_preview", &q, NULL,
	    &o, f);
	form_release(&q);
	if (rc == -1) {
		/* A subscription that will not renew has nothing upcoming. */
		if (f->status == 404 && strcmp(f->code,
		    "invoice_upcoming_none") == 0) {
			stripe_fail_release(f);
			*none = 1;
			return 0;
		}
		return -1;
	}
	if ((rc = invoice_parse(a, o, inv, &cus, &why, 1)) == -1)
		rc = fail_parse(f, "POST /v1/invoices/create_preview", why);
	else if (strcmp(cus, customer) != 0)
		rc = fail_parse(f, "POST /v1/invoices/create_preview",
		    "the preview is another customer's");
	json_object_put(o);
	return rc;
}

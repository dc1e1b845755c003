/*
 * fuzz_http_reply.c: libFuzzer harness for what Stripe and zooid answer
 * over HTTP. The first input byte picks the service and the status; the
 * rest is the body. An even byte is Stripe answering with
 * statuses[byte / 2 % 10] ("P" 200, "R" 201, "T" 400, "V" 401, "X" 402,
 * "Z" 404, "\" 409, "^" 429, "`" 500, "b" 503); an odd byte ("Q") is
 * zooid.
 *
 * Stripe (stripe.h), called with the secret key SECRET:
 *
 *  - stripe_reply_parse() gives 0 exactly for a 2xx status and a body
 *    that is one JSON object, and then that object and no sentence. It
 *    otherwise gives -1, no object and a sentence of printable ASCII that
 *    the harness rebuilds from the body: "answered <status>", then " with
 *    a body that is not one JSON object" (2xx), " without a Stripe error
 *    object" (no error.type slug and no error.message), or " <error.type
 *    or error>[ (<error.code>)][: <message>]", slugs being 1-64 of
 *    [a-z0-9_] that neither start like a key nor hold SECRET. The message is error.message cleaned: at most CLEAN_MAX
 *    bytes, and unchanged when it is printable ASCII of at most MSG_KEPT
 *    bytes with neither SECRET nor a word that starts "sk_" or "rk_" (a
 *    word starts the text or follows a byte other than [A-Za-z0-9_]).
 *    No sentence holds SECRET, and every word in it that starts "sk_" or
 *    "rk_" goes on with "[redacted]", as stripe.c's clean_text() means
 *    to leave it;
 *  - on the object of a 2xx, stripe_reply_id() (prefixes cus_, sub_,
 *    in_ and none) and stripe_reply_url() read "id" and "url" exactly as
 *    the harness does, and stripe_id_ok() and stripe_url_ok() judge
 *    those strings as it does;
 *  - stripe_sub_parse() and stripe_invoice_parse() read the object and
 *    each element of its "data" array (a list page, as stripe_sub_list()
 *    and stripe_invoice_list() read it). Each accepts exactly what the
 *    harness's own reading of the fields accepts (ids by prefix and
 *    alphabet, statuses from Stripe's lists, amounts and quantities in
 *    range, times 0..TIME_MAX or absent where they may be) and gives
 *    what that reading finds. Their strings live in the arena: the
 *    harness puts the JSON before it reads a single one.
 *
 * zooid (zooid.h):
 *
 *  - zooid_members_parse() accepts exactly a JSON object whose "members"
 *    array holds distinct strings of 64 lower-case hex digits, and gives
 *    those, in ascending order; else no list, 0 and a reason;
 *  - zooid_clean_text() reads the body and, when the body is a JSON
 *    object, its "error" string, with the secrets of zsecrets[] and with
 *    none. It gives printable ASCII of at most ZOOID_TEXT_MAX bytes;
 *    exactly "invalid secret key: [redacted]" for a text that starts
 *    with "invalid secret key"; the text itself when it is printable
 *    ASCII of at most ZOOID_ERR_MAX bytes without such a start and
 *    without a secret of 6 bytes or more; and never a secret of 6 bytes
 *    or more, in any case, UTF-8 or not (a stray continuation byte
 *    between two halves of a secret must not let them meet).
 *
 * A broken promise aborts, which libFuzzer reports as a crash. Each
 * input is read at most a few times over; everything is freed.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "db.h"
#include "httpc.h"
#include "json.h"
#include "stripe.h"
#include "zooid.h"

#define SECRET "sk_test_fuzzsecret123"
#define REDACTED "[redacted]"
#define BAD_SECRET "invalid secret key"
/* stripe.c's MSG_MAX: clean_text() stops adding once it has this many. */
#define MSG_KEPT 200
/* Its last step adds at most "sk_[redacted]", then comes "...". */
#define CLEAN_MAX (MSG_KEPT - 1 + 3 + 10 + 3)
/* The same for zooid, whose longest step is "[redacted]". */
#define ZOOID_TEXT_MAX (ZOOID_ERR_MAX - 1 + 10 + 3)
/* stripe_billing.c's bound on times: 9999-12-31 23:59:59 UTC. */
#define TIME_MAX INT64_C(253402300799)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const long statuses[] = { 200, 201, 400, 401, 402, 404, 409, 429,
	500, 503 };

static const char *const sub_statuses[] = { "incomplete",
	"incomplete_expired", "trialing", "active", "past_due", "canceled",
	"unpaid", "paused" };
static const char *const invoice_statuses[] = { "draft", "open", "paid",
	"void", "uncollectible" };

/*
 * What zooid.c lists when it cleans an error: the API key in hex, the
 * relay's secret, the S3 and LiveKit secrets; then two short ones, of
 * which only the 6-byte one must be searched for.
 */
static const char *const zsecrets[] = {
	"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"s3/SecretKey+Fuzz0123456789ABCDEFabcdef",
	"LkSecretFuzz42",
	"q7Zx6w",
	"short",
	NULL
};

/* The element of a list page and the values both parsers gave for it. */
struct parsed {
	struct stripe_sub sub;
	struct invoice inv;
	const char *customer, *sub_why, *inv_why;
	int sub_rc, inv_rc;
};

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_http_reply: invariant broken: %s\n", what);
	abort();
}

static int
is_idchar(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static int
printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

static int
is_hex64(const char *s)
{
	return strlen(s) == 64 &&
	    strspn(s, "0123456789abcdef") == 64;
}

static int
lower_ascii(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Does s[0..n) hold needle, ignoring ASCII case? */
static int
holds_nocase(const char *s, size_t n, const char *needle)
{
	size_t i, k, m = strlen(needle);

	for (i = 0; m > 0 && i + m <= n; i++) {
		for (k = 0; k < m; k++)
			if (lower_ascii((unsigned char)s[i + k]) !=
			    lower_ascii((unsigned char)needle[k]))
				break;
		if (k == m)
			return 1;
	}
	return 0;
}

/* Does "sk_" or "rk_" start a word at s[i] (of s[0..n))? */
static int
key_at(const char *s, size_t n, size_t i)
{
	return i + 3 <= n && (i == 0 || !is_idchar((unsigned char)s[i - 1])) &&
	    (memcmp(s + i, "sk_", 3) == 0 || memcmp(s + i, "rk_", 3) == 0);
}

/* Does some word of s[0..n) start like a key? clean_text() redacts it. */
static int
has_key(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (key_at(s, n, i))
			return 1;
	return 0;
}

/* Is some word of s[0..n) that starts like a key left readable? */
static int
key_shaped(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (key_at(s, n, i) && (n - i - 3 < strlen(REDACTED) ||
		    memcmp(s + i + 3, REDACTED, strlen(REDACTED)) != 0))
			return 1;
	return 0;
}

/* Member key of object o as a string of at most max bytes, or NULL. */
static const char *
str_of(struct json_object *o, const char *key, size_t max)
{
	struct json_object *v;
	const char *s;
	size_t n;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n > max || memchr(s, '\0', n) != NULL || !is_utf8(s, n))
		return NULL;
	return s;
}

static struct json_object *
obj_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

/* The "data" array of a list object, or NULL. */
static struct json_object *
data_of(struct json_object *o)
{
	struct json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "data", &v) ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

/* Member key as a JSON integer in min..max (max < INT64_MAX); 0 or -1. */
static int
int_of(struct json_object *o, const char *key, int64_t min, int64_t max,
    int64_t *out)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	n = json_object_get_int64(v);
	if (n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

/* Member key as a time: -1 when absent or null, -2 when malformed. */
static int64_t
time_of(struct json_object *o, const char *key)
{
	struct json_object *v;
	int64_t t;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || v == NULL)
		return -1;
	return int_of(o, key, 0, TIME_MAX, &t) == 0 ? t : -2;
}

/* Member key as a flag: true/false or 0/1; 0 for anything else. */
static int
flag_of(struct json_object *o, const char *key)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v) ? 1 : 0;
	return int_of(o, key, 0, 1, &n) == 0 ? (int)n : 0;
}

/* prefix, then at least one of [A-Za-z0-9_], STRIPE_ID_MAX in all. */
static int
id_ok(const char *s, const char *prefix)
{
	size_t n = strlen(prefix), len = strlen(s), i;

	if (len <= n || len > STRIPE_ID_MAX || strncmp(s, prefix, n) != 0)
		return 0;
	for (i = n; i < len; i++)
		if (!is_idchar((unsigned char)s[i]))
			return 0;
	return 1;
}

static const char *
id_of(struct json_object *o, const char *key, const char *prefix)
{
	const char *s;

	if ((s = str_of(o, key, STRIPE_ID_MAX)) == NULL || !id_ok(s, prefix))
		return NULL;
	return s;
}

/*
 * http(s)://, then a host part that does not start with "/", "?" or
 * "#", all of printable ASCII without space, STRIPE_URL_MAX in all.
 */
static int
url_ok(const char *s, int https_only)
{
	size_t n, len;

	if (strncmp(s, "https://", 8) == 0)
		n = 8;
	else if (!https_only && strncmp(s, "http://", 7) == 0)
		n = 7;
	else
		return 0;
	len = strlen(s);
	return len > n && len <= STRIPE_URL_MAX && s[n] != '/' &&
	    s[n] != '?' && s[n] != '#' && printable(s, len) &&
	    strchr(s, ' ') == NULL;
}

/*
 * Stripe's slug (error.type, error.code): 1-64 of [a-z0-9_], not
 * starting "sk_" or "rk_" and not holding SECRET, or NULL.
 */
static const char *
slug_of(struct json_object *e, const char *key)
{
	const char *s;
	size_t n;

	if ((s = str_of(e, key, 64)) == NULL || (n = strlen(s)) == 0 ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") != n ||
	    strncmp(s, "sk_", 3) == 0 || strncmp(s, "rk_", 3) == 0 ||
	    strstr(s, SECRET) != NULL)
		return NULL;
	return s;
}

static const char *
word_in(const char *s, const char *const *words, size_t n)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(s, words[i]) == 0)
			return words[i];
	return NULL;
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Stripe's error.message (msg) as clean_text() left it in the sentence. */
static void
check_message(const char *msg, const char *clean)
{
	size_t n = strlen(clean), mlen = strlen(msg);

	if (n > CLEAN_MAX)
		fail("a cleaned Stripe message is too long");
	if (strstr(clean, SECRET) != NULL)
		fail("a cleaned Stripe message holds the secret key");
	if (key_shaped(clean, n))
		fail("a key-shaped token survived cleaning a Stripe message");
	if (mlen <= MSG_KEPT && printable(msg, mlen) &&
	    strstr(msg, SECRET) == NULL && !has_key(msg, mlen) &&
	    strcmp(clean, msg) != 0)
		fail("cleaning changed a harmless Stripe message");
}

/* The sentence of a refused reply; ref is the body parsed, or NULL. */
static void
check_sentence(long status, struct json_object *ref, const char *err)
{
	struct json_object *e;
	const char *type, *code, *msg, *rest;
	char head[192];
	int n;

	if (!printable(err, strlen(err)))
		fail("a Stripe sentence with a byte outside printable ASCII");
	if (status >= 200 && status <= 299) {
		snprintf(head, sizeof(head), "answered %ld with a body that "
		    "is not one JSON object", status);
		if (strcmp(err, head) != 0)
			fail("another sentence for a 2xx that is no object");
		return;
	}
	e = obj_of(ref, "error");
	type = slug_of(e, "type");
	code = slug_of(e, "code");
	msg = str_of(e, "message", HTTPC_MAX_BODY);
	if (type == NULL && msg == NULL) {
		snprintf(head, sizeof(head), "answered %ld without a Stripe "
		    "error object", status);
		if (strcmp(err, head) != 0)
			fail("another sentence for a reply without an error");
		return;
	}
	n = snprintf(head, sizeof(head), "answered %ld %s%s%s%s", status,
	    type != NULL ? type : "error", code != NULL ? " (" : "",
	    code != NULL ? code : "", code != NULL ? ")" : "");
	if (n < 0 || (size_t)n >= sizeof(head) ||
	    strncmp(err, head, (size_t)n) != 0)
		fail("a sentence without the status, type and code");
	rest = err + n;
	if (msg == NULL) {
		if (*rest != '\0')
			fail("a sentence with a message Stripe did not send");
	} else if (strncmp(rest, ": ", 2) != 0)
		fail("a sentence without Stripe's message");
	else
		check_message(msg, rest + 2);
	if (strstr(err, SECRET) != NULL)
		fail("a Stripe sentence holds the secret key");
	if (key_shaped(err, strlen(err)))
		fail("a Stripe sentence holds a key-shaped token");
}

/* stripe_reply_id(), stripe_reply_url() and the two predicates. */
static void
check_getters(struct json_object *obj, struct json_object *ref)
{
	static const char *const prefixes[] = { "cus_", "sub_", "in_", "" };
	const char *want, *s;
	char *out, *err;
	size_t i;
	int rc;

	for (i = 0; i < nitems(prefixes); i++) {
		out = err = NULL;
		rc = stripe_reply_id(obj, "id", prefixes[i], &out, &err);
		want = id_of(ref, "id", prefixes[i]);
		if ((rc == 0) != (want != NULL))
			fail(want != NULL ? "stripe_reply_id refuses an id" :
			    "stripe_reply_id accepts a bad id");
		if (rc == 0 && (out == NULL || strcmp(out, want) != 0 ||
		    err != NULL))
			fail("stripe_reply_id gives another id");
		if (rc != 0 && (out != NULL || err == NULL ||
		    !printable(err, strlen(err))))
			fail("stripe_reply_id fails without a sentence");
		free(out);
		free(err);
	}
	if ((s = str_of(ref, "id", HTTPC_MAX_BODY)) != NULL)
		for (i = 0; i < nitems(prefixes); i++)
			if (stripe_id_ok(s, prefixes[i]) !=
			    id_ok(s, prefixes[i]))
				fail("stripe_id_ok judges an id otherwise");

	out = err = NULL;
	rc = stripe_reply_url(obj, "url", &out, &err);
	want = str_of(ref, "url", STRIPE_URL_MAX);
	if (want != NULL && !url_ok(want, 1))
		want = NULL;
	if ((rc == 0) != (want != NULL))
		fail(want != NULL ? "stripe_reply_url refuses an https URL" :
		    "stripe_reply_url accepts what is no https URL");
	if (rc == 0 && (out == NULL || strcmp(out, want) != 0 || err != NULL))
		fail("stripe_reply_url gives another URL");
	if (rc != 0 && (out != NULL || err == NULL ||
	    !printable(err, strlen(err))))
		fail("stripe_reply_url fails without a sentence");
	free(out);
	free(err);
	if ((s = str_of(ref, "url", HTTPC_MAX_BODY)) != NULL &&
	    (stripe_url_ok(s, 0) != url_ok(s, 0) ||
	    stripe_url_ok(s, 1) != url_ok(s, 1)))
		fail("stripe_url_ok judges a URL otherwise");
}

/* A subscription as stripe_sub_parse() read it, against o itself. */
static void
check_sub(const struct parsed *p, struct json_object *o)
{
	const struct stripe_sub *s = &p->sub;
	struct json_object *items, *it;
	const char *id, *cus, *st, *pk;
	int64_t q = 0;
	size_t i, n = 0;
	int want;

	id = id_of(o, "id", "sub_");
	cus = id_of(o, "customer", "cus_");
	st = word_in(str_of(o, "status", 32), sub_statuses,
	    nitems(sub_statuses));
	items = data_of(obj_of(o, "items"));
	want = id != NULL && cus != NULL && st != NULL && items != NULL &&
	    (n = json_object_array_length(items)) <= STRIPE_ITEMS_MAX;
	for (i = 0; want && i < n; i++) {
		it = json_object_array_get_idx(items, i);
		want = id_of(it, "id", "si_") != NULL &&
		    id_of(obj_of(it, "price"), "id", "") != NULL &&
		    int_of(it, "quantity", 0, INT32_MAX, &q) == 0;
	}
	if ((p->sub_rc == 0) != want)
		fail(want ? "stripe_sub_parse refuses a good subscription" :
		    "stripe_sub_parse accepts a bad subscription");
	if (p->sub_rc != 0) {
		if (p->sub_rc != -1 || p->sub_why == NULL ||
		    p->sub_why[0] == '\0')
			fail("a subscription refused without a reason");
		return;
	}
	if (p->sub_why != NULL)
		fail("a subscription parsed and left a reason");
	if (!same(s->id, id) || !same(s->customer, cus) ||
	    !same(s->status, st))
		fail("a subscription with another id, customer or status");
	pk = str_of(obj_of(o, "metadata"), "tenant_pubkey", 64);
	if (pk != NULL && !is_hex64(pk))
		pk = NULL;
	if (!same(s->tenant_pubkey, pk))
		fail("a tenant_pubkey that is not metadata's 64 hex digits");
	if (s->nitems != n)
		fail("a subscription with another number of items");
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(items, i);
		if (int_of(it, "quantity", 0, INT32_MAX, &q) != 0 ||
		    !same(s->items[i].id, id_of(it, "id", "si_")) ||
		    !same(s->items[i].price,
		    id_of(obj_of(it, "price"), "id", "")) ||
		    s->items[i].quantity != q)
			fail("an item with another id, price or quantity");
	}
	if (stripe_sub_is_over(s->status) != (strcmp(st, "canceled") == 0 ||
	    strcmp(st, "incomplete_expired") == 0))
		fail("stripe_sub_is_over disagrees with the status");
}

/* An invoice as stripe_invoice_parse() read it, against o itself. */
static void
check_invoice(const struct parsed *p, struct json_object *o)
{
	const struct invoice *inv = &p->inv;
	struct json_object *lines, *period, *tr;
	const char *id, *cus, *st, *cur, *url, *sub, *reason;
	int64_t due = 0, paid = 0, created, due_date, ps, pe, paid_at;
	int64_t voided_at, attempts = 0;
	int want;

	id = id_of(o, "id", "in_");
	cus = id_of(o, "customer", "cus_");
	st = word_in(str_of(o, "status", 32), invoice_statuses,
	    nitems(invoice_statuses));
	if ((cur = str_of(o, "currency", 3)) != NULL && (strlen(cur) != 3 ||
	    strspn(cur, "abcdefghijklmnopqrstuvwxyz") != 3))
		cur = NULL;
	created = time_of(o, "created");
	due_date = time_of(o, "due_date");
	/* The first line's period, when whole, wins over the invoice's. */
	ps = time_of(o, "period_start");
	pe = time_of(o, "period_end");
	if ((lines = data_of(obj_of(o, "lines"))) != NULL &&
	    json_object_array_length(lines) > 0 &&
	    (period = obj_of(json_object_array_get_idx(lines, 0),
	    "period")) != NULL && time_of(period, "start") >= 0 &&
	    time_of(period, "end") >= 0) {
		ps = time_of(period, "start");
		pe = time_of(period, "end");
	}
	tr = obj_of(o, "status_transitions");
	paid_at = time_of(tr, "paid_at");
	voided_at = time_of(tr, "voided_at");
	want = id != NULL && cus != NULL && st != NULL && cur != NULL &&
	    int_of(o, "amount_due", 0, INT64_MAX / 4, &due) == 0 &&
	    int_of(o, "amount_paid", 0, INT64_MAX / 4, &paid) == 0 &&
	    created >= 0 && due_date != -2 && ps >= -1 && pe >= -1 &&
	    paid_at >= -1 && voided_at >= -1;
	if ((p->inv_rc == 0) != want)
		fail(want ? "stripe_invoice_parse refuses a good invoice" :
		    "stripe_invoice_parse accepts a bad invoice");
	if (p->inv_rc != 0) {
		if (p->inv_rc != -1 || p->inv_why == NULL ||
		    p->inv_why[0] == '\0')
			fail("an invoice refused without a reason");
		return;
	}
	if (p->inv_why != NULL)
		fail("an invoice parsed and left a reason");
	if (strcmp(st, "paid") == 0 && paid_at < 0)
		paid_at = created;
	if (strcmp(st, "void") == 0 && voided_at < 0)
		voided_at = created;
	if ((url = str_of(o, "hosted_invoice_url", STRIPE_URL_MAX)) != NULL &&
	    !url_ok(url, 1))
		url = NULL;
	if ((sub = id_of(obj_of(obj_of(o, "parent"), "subscription_details"),
	    "subscription", "sub_")) == NULL)
		sub = id_of(o, "subscription", "sub_");
	if (int_of(o, "attempt_count", 0, INT32_MAX, &attempts) != 0)
		attempts = 0;
	if ((reason = str_of(o, "billing_reason", 64)) != NULL &&
	    (reason[0] == '\0' || strspn(reason,
	    "abcdefghijklmnopqrstuvwxyz_") != strlen(reason)))
		reason = NULL;

	if (!same(inv->id, id) || !same(p->customer, cus) ||
	    !same(inv->status, st) || !same(inv->currency, cur))
		fail("an invoice with another id, customer, status or "
		    "currency");
	if (inv->amount_due != due || inv->amount_paid != paid)
		fail("an invoice with other amounts");
	if (inv->created_at != created || inv->due_date != due_date ||
	    inv->period_start != ps || inv->period_end != pe ||
	    inv->paid_at != paid_at || inv->voided_at != voided_at)
		fail("an invoice with other times");
	if (!same(inv->hosted_invoice_url, url))
		fail("an invoice with another hosted_invoice_url");
	if (!same(inv->subscription_id, sub))
		fail("an invoice with another subscription");
	if (inv->paid_out_of_band != flag_of(o, "paid_out_of_band"))
		fail("an invoice with another paid_out_of_band");
	if (inv->attempt_count != attempts)
		fail("an invoice with another attempt_count");
	if (!same(inv->billing_reason, reason))
		fail("an invoice with another billing_reason");
	if (inv->tenant != NULL || inv->paid_via != NULL)
		fail("a parse filled the tenant or paid_via");
}

/*
 * Both object parsers on obj and its list elements; obj is put before
 * anything they gave is read, against ref, the same body parsed apart.
 */
static void
check_objects(struct json_object *obj, struct json_object *ref)
{
	struct arena a = { NULL };
	struct json_object *d, *o;
	struct parsed *p;
	size_t n = 1, i;

	if ((d = data_of(obj)) != NULL)
		n += json_object_array_length(d) < STRIPE_LIST_MAX ?
		    json_object_array_length(d) : STRIPE_LIST_MAX;
	p = arena_alloc(&a, n * sizeof(*p));
	for (i = 0; i < n; i++) {
		o = i == 0 ? obj : json_object_array_get_idx(d, i - 1);
		p[i].sub_rc = stripe_sub_parse(&a, o, &p[i].sub, &p[i].sub_why);
		p[i].inv_rc = stripe_invoice_parse(&a, o, &p[i].inv,
		    &p[i].customer, &p[i].inv_why);
	}
	json_object_put(obj);
	d = data_of(ref);
	for (i = 0; i < n; i++) {
		o = i == 0 ? ref : json_object_array_get_idx(d, i - 1);
		check_sub(&p[i], o);
		check_invoice(&p[i], o);
	}
	arena_free(&a);
}

static void
stripe(long status, const char *body, size_t len)
{
	struct json_object *obj = NULL, *ref;
	char *err = NULL;
	int rc, want;

	ref = json_parse_object(body, len);
	want = status >= 200 && status <= 299 && ref != NULL;
	rc = stripe_reply_parse(SECRET, status, body, len, &obj, &err);
	if (rc != 0 && rc != -1)
		fail("stripe_reply_parse returned neither 0 nor -1");
	if ((rc == 0) != want)
		fail(want ? "stripe_reply_parse refuses a 2xx object" :
		    "stripe_reply_parse accepts an error or no object");
	if (rc == 0) {
		if (obj == NULL || err != NULL || !json_object_equal(obj, ref))
			fail("an accepted reply without the body's object");
		check_getters(obj, ref);
		check_objects(obj, ref);
	} else {
		if (obj != NULL || err == NULL)
			fail("a refused reply with an object, or no sentence");
		check_sentence(status, ref, err);
		free(err);
	}
	json_object_put(ref);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
check_members(const char *body, size_t len, struct json_object *ref)
{
	struct json_object *arr, *e;
	const char **want = NULL, *why = NULL;
	char **m = NULL;
	size_t n = 1, cnt = 0, i;
	int rc, ok;

	rc = zooid_members_parse(body, len, &m, &n, &why);
	ok = json_object_object_get_ex(ref, "members", &arr) &&
	    json_object_is_type(arr, json_type_array);
	if (ok) {
		cnt = json_object_array_length(arr);
		want = xcalloc(cnt + 1, sizeof(*want));
	}
	for (i = 0; ok && i < cnt; i++) {
		e = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(e, json_type_string) ||
		    json_object_get_string_len(e) != 64 ||
		    !is_hex64(json_object_get_string(e)))
			ok = 0;
		else
			want[i] = json_object_get_string(e);
	}
	if (ok && cnt > 1) {
		qsort(want, cnt, sizeof(*want), cmp_str);
		for (i = 1; ok && i < cnt; i++)
			if (strcmp(want[i - 1], want[i]) == 0)
				ok = 0;
	}
	if ((rc == 0) != ok)
		fail(ok ? "zooid_members_parse refuses a members list" :
		    "zooid_members_parse accepts a bad members list");
	if (rc == 0) {
		if (m == NULL || n != cnt)
			fail("a members list of another length");
		for (i = 0; i < n; i++)
			if (m[i] == NULL || strcmp(m[i], want[i]) != 0)
				fail("members not the reply's, in order");
	} else if (rc != -1 || m != NULL || n != 0 || why == NULL ||
	    why[0] == '\0')
		fail("a refused members list left members, or no reason");
	zooid_members_free(m, n);
	free(want);
}

/* zooid_clean_text() on in[0..len) with secrets (may be NULL). */
static void
check_clean(const char *in, size_t len, const char *const *secrets)
{
	char *out;
	size_t n, i, bl = strlen(BAD_SECRET);
	int harmless;

	out = zooid_clean_text(in, len, secrets);
	n = strlen(out);
	if (!printable(out, n))
		fail("a cleaned zooid text outside printable ASCII");
	if (n > ZOOID_TEXT_MAX)
		fail("a cleaned zooid text is too long");
	if (len >= bl && memcmp(in, BAD_SECRET, bl) == 0) {
		if (strcmp(out, BAD_SECRET ": " REDACTED) != 0)
			fail("text after \"invalid secret key\" was kept");
		free(out);
		return;
	}
	harmless = len <= ZOOID_ERR_MAX && printable(in, len);
	for (i = 0; secrets != NULL && secrets[i] != NULL; i++) {
		if (strlen(secrets[i]) < 6)
			continue;
		if (holds_nocase(in, len, secrets[i]))
			harmless = 0;
		if (holds_nocase(out, n, secrets[i]))
			fail("a cleaned zooid text holds a secret");
	}
	if (harmless && (n != len || memcmp(out, in, len) != 0))
		fail("cleaning changed a harmless zooid text");
	free(out);
}

static void
zooid(const char *body, size_t len)
{
	struct json_object *ref;
	const char *e;

	ref = json_parse_object(body, len);
	check_members(body, len, ref);
	check_clean(body, len, zsecrets);
	check_clean(body, len, NULL);
	if ((e = str_of(ref, "error", HTTPC_MAX_BODY)) != NULL) {
		check_clean(e, strlen(e), zsecrets);
		check_clean(e, strlen(e), NULL);
	}
	json_object_put(ref);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] % 2 == 0)
		stripe(statuses[data[0] / 2 % nitems(statuses)],
		    (const char *)data + 1, size - 1);
	else
		zooid((const char *)data + 1, size - 1);
	return 0;
}

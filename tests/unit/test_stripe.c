/*
 * test_stripe.c: the Stripe client (src/stripe.c) against
 * tests/fakes/stripe.mjs, a strict fake on 127.0.0.1 that keeps a request
 * log: idempotent customer creation (sequential and concurrent), errors
 * that never carry the key, injected 500s, timeouts, the body cap, portal
 * sessions, the fake's own strictness, and tables of hostile replies and
 * error bodies for the reply parser.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "core.h"
#include "fake.h"
#include "httpc.h"
#include "json.h"
#include "stripe.h"
#include "testlib.h"

#define KEY "sk_test_caravel_unit_4242"
#define FORM_CT "Content-Type: application/x-www-form-urlencoded"
#define AUTH_OK "Authorization: Bearer " KEY

static struct fake fk;
static char logpath[4096];

static void
start(void)
{
	static char logenv[4200];
	static const char *env[] = { "STRIPE_FAKE_KEY=" KEY, logenv, NULL };

	fake_init(&fk);
	snprintf(logpath, sizeof(logpath), "%s/stripe.log", fk.dir);
	snprintf(logenv, sizeof(logenv), "STRIPE_FAKE_LOG=%s", logpath);
	fake_start(&fk, "stripe.mjs", env);
}

static void
stop(void)
{
	fake_stop(&fk);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
client(struct stripe *s)
{
	s->base_url = fk.url;
	s->secret_key = KEY;
	s->timeout = 10;
	s->retries = STRIPE_RETRIES;
}

/* A distinct valid pubkey per test. */
static void
pubkey(unsigned int n, char out[65])
{
	snprintf(out, 65, "%08x%056x", n * 2654435761u, n);
}

/* One request straight to the fake; returns the status. */
static long
raw(const char *method, const char *path, const char *const *hdr,
    const char *body, struct json_object **objp)
{
	struct httpc_req q;
	struct httpc_resp r;
	char url[256];
	long st;

	snprintf(url, sizeof(url), "%s%s", fk.url, path);
	memset(&q, 0, sizeof(q));
	q.method = method;
	q.url = url;
	q.headers = hdr;
	q.body = body;
	q.bodylen = body != NULL ? strlen(body) : 0;
	q.timeout_ms = 10000;
	ck_assert_msg(httpc_do(&q, &r) == 0, "%s %s: %s", method, path, r.err);
	st = r.status;
	if (objp != NULL)
		*objp = json_parse_object(r.body, r.len);
	httpc_resp_release(&r);
	return st;
}

/* Every log entry for path (and Idempotency-Key idem, if not NULL). */
static struct json_object *
log_entries(const char *path, const char *idem)
{
	struct json_object *all, *arr, *e;
	const char *k;
	size_t i;

	all = fake_log_read(logpath);
	arr = jarr();
	for (i = 0; i < json_object_array_length(all); i++) {
		e = json_object_array_get_idx(all, i);
		if (strcmp(json_object_get_string(
		    json_object_object_get(e, "path")), path) != 0)
			continue;
		k = json_object_get_string(json_object_object_get(e,
		    "idempotency_key"));
		if (idem != NULL && (k == NULL || strcmp(k, idem) != 0))
			continue;
		jpush(arr, json_object_get(e));
	}
	json_object_put(all);
	return arr;
}

static size_t
log_count(void)
{
	struct json_object *all;
	size_t n;

	all = fake_log_read(logpath);
	n = json_object_array_length(all);
	json_object_put(all);
	return n;
}

/* Member a (or a.b) as a string, or NULL. */
static const char *
at(struct json_object *o, const char *a, const char *b)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, a, &v) ||
	    (b != NULL && !json_object_object_get_ex(v, b, &v)) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int
at_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert(json_object_object_get_ex(o, key, &v));
	return json_object_get_int(v);
}

static int
at_bool(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert(json_object_object_get_ex(o, key, &v));
	ck_assert(json_object_is_type(v, json_type_boolean));
	return json_object_get_boolean(v);
}

START_TEST(customer_create)
{
	struct stripe s;
	struct json_object *arr, *e, *got, *params;
	char pk[65], idem[96], path[128], *id, *err;

	client(&s);
	pubkey(1, pk);
	snprintf(idem, sizeof(idem), "caravel-customer-%s", pk);
	ck_assert_msg(stripe_customer_create(&s, pk, &id, &err) == 0, "%s",
	    err);
	ck_assert_ptr_null(err);
	ck_assert(stripe_id_ok(id, "cus_"));

	arr = log_entries("/v1/customers", idem);
	ck_assert_uint_eq(json_object_array_length(arr), 1);
	e = json_object_array_get_idx(arr, 0);
	ck_assert_str_eq(at(e, "method", NULL), "POST");
	ck_assert_int_eq(at_int(e, "status"), 200);
	ck_assert_str_eq(at(e, "auth", NULL), "ok");
	ck_assert_str_eq(at(e, "stripe_version", NULL), STRIPE_API_VERSION);
	ck_assert_str_eq(at(e, "content_type", NULL),
	    "application/x-www-form-urlencoded");
	ck_assert(json_object_object_get_ex(e, "params", &params));
	ck_assert_int_eq(json_object_object_length(params), 1);
	ck_assert_str_eq(at(params, "metadata", "tenant_pubkey"), pk);
	ck_assert(!at_bool(e, "replayed"));
	json_object_put(arr);

	/* The customer exists with that metadata (GET through the client). */
	snprintf(path, sizeof(path), "/v1/customers/%s", id);
	ck_assert_int_eq(stripe_request(&s, "GET", path, NULL, NULL, &got,
	    &err), 0);
	ck_assert_str_eq(at(got, "id", NULL), id);
	ck_assert_str_eq(at(got, "metadata", "tenant_pubkey"), pk);
	json_object_put(got);
	free(id);
}
END_TEST

START_TEST(customer_idempotent)
{
	struct stripe s;
	struct json_object *arr;
	char pk[65], idem[96], *id1, *id2, *err;

	client(&s);
	pubkey(2, pk);
	snprintf(idem, sizeof(idem), "caravel-customer-%s", pk);
	ck_assert_int_eq(stripe_customer_create(&s, pk, &id1, &err), 0);
	ck_assert_int_eq(stripe_customer_create(&s, pk, &id2, &err), 0);
	ck_assert_str_eq(id1, id2);
	arr = log_entries("/v1/customers", idem);
	ck_assert_uint_eq(json_object_array_length(arr), 2);
	ck_assert(!at_bool(json_object_array_get_idx(arr, 0), "replayed"));
	ck_assert(at_bool(json_object_array_get_idx(arr, 1), "replayed"));
	json_object_put(arr);
	free(id1);
	free(id2);
}
END_TEST

/*
 * Two first calls at once (api.md: one customer): whichever arrives second
 * gets 409 while the first is held, retries with the same key and gets
 * the replay.
 */
START_TEST(customer_concurrent)
{
	struct stripe s;
	struct json_object *arr, *e;
	char pk[65], idem[96], buf[STRIPE_ID_MAX + 1], *id, *err;
	size_t i, fresh = 0, busy = 0;
	ssize_t n;
	pid_t pid;
	int p[2], status;

	client(&s);
	pubkey(3, pk);
	snprintf(idem, sizeof(idem), "caravel-customer-%s", pk);
	fake_control(&fk, "{\"delay_ms\": 2000}");
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		close(p[0]);
		if (stripe_customer_create(&s, pk, &id, &err) == 0) {
			n = write(p[1], id, strlen(id));
			free(id);
		} else
			free(err);
		close(p[1]);
		_exit(0);
	}
	close(p[1]);
	usleep(500000);
	ck_assert_msg(stripe_customer_create(&s, pk, &id, &err) == 0, "%s",
	    err);
	memset(buf, 0, sizeof(buf));
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(buf, id);

	arr = log_entries("/v1/customers", idem);
	for (i = 0; i < json_object_array_length(arr); i++) {
		e = json_object_array_get_idx(arr, i);
		if (at_int(e, "status") == 200 && !at_bool(e, "replayed"))
			fresh++;
		if (at_int(e, "status") == 409)
			busy++;
	}
	ck_assert_uint_eq(fresh, 1);
	ck_assert_uint_ge(busy, 1);
	json_object_put(arr);
	free(id);
}
END_TEST

START_TEST(wrong_key)
{
	static const char *const bad = "sk_test_wrong_secret_value_9876";
	struct stripe s;
	struct json_object *arr, *e;
	char pk[65], idem[96], *id, *err;
	size_t before;

	client(&s);
	s.secret_key = bad;
	pubkey(4, pk);
	snprintf(idem, sizeof(idem), "caravel-customer-%s", pk);
	ck_assert_int_eq(stripe_customer_create(&s, pk, &id, &err), -1);
	ck_assert_ptr_null(id);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, "Stripe POST /v1/customers answered 401 "
	    "invalid_request_error: Invalid API Key provided: sk_[redacted]")
	    == err, "%s", err);
	ck_assert_ptr_null(strstr(err, bad));
	ck_assert_ptr_null(strstr(err, "9876"));
	ck_assert_ptr_null(strstr(err, KEY));
	ck_assert_ptr_null(strpbrk(err, "\r\n"));
	free(err);
	arr = log_entries("/v1/customers", idem);
	ck_assert_uint_eq(json_object_array_length(arr), 1);
	e = json_object_array_get_idx(arr, 0);
	ck_assert_str_eq(at(e, "auth", NULL), "wrong");
	json_object_put(arr);

	/* Settings judged before sending: nothing reaches the fake. */
	before = log_count();
	s.secret_key = "";
	ck_assert_int_eq(stripe_customer_create(&s, pk, &id, &err), -1);
	ck_assert_str_eq(err, "Stripe is not configured "
	    "(STRIPE_SECRET_KEY is empty)");
	free(err);
	s.secret_key = "sk_test_bad\r\nX-Evil: 1";
	ck_assert_int_eq(stripe_customer_create(&s, pk, &id, &err), -1);
	ck_assert_ptr_null(strstr(err, "Evil"));
	free(err);
	client(&s);
	s.base_url = "ftp://127.0.0.1/";
	ck_assert_int_eq(stripe_customer_create(&s, pk, &id, &err), -1);
	free(err);
	client(&s);
	ck_assert_int_eq(stripe_customer_create(&s, "ABCD", &id, &err), -1);
	free(err);
	pk[0] = 'A';
	ck_assert_int_eq(stripe_customer_create(&s, pk, &id, &err), -1);
	free(err);
	ck_assert_uint_eq(log_count(), before);
}
END_TEST

START_TEST(server_error)
{
	struct stripe s;
	struct json_object *arr;
	char pk[65], *id, *err;

	client(&s);
	s.retries = 0;
	pubkey(5, pk);
	fake_control(&fk, "{\"fail_next\": 500}");
	ck_assert_int_eq(stripe_customer_create(&s, pk, &id, &err), -1);
	ck_assert_msg(strstr(err, "Stripe POST /v1/customers answered 500 "
	    "api_error: An unknown error occurred") == err, "%s", err);
	ck_assert_ptr_nonnull(strstr(err, " [req_"));
	free(err);
	/* Not stored under the key: the retry creates the customer. */
	ck_assert_int_eq(stripe_customer_create(&s, pk, &id, &err), 0);
	free(id);

	/* A 500 Stripe stored is replayed for its key (stripe.md §1.3). */
	pubkey(6, pk);
	fake_control(&fk, "{\"fail_next\": 500, \"fail_store\": true}");
	ck_assert_int_eq(stripe_customer_create(&s, pk, &id, &err), -1);
	free(err);
	fake_control(&fk, "{\"fail_store\": false}");
	ck_assert_int_eq(stripe_customer_create(&s, pk, &id, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "answered 500"));
	free(err);
	arr = log_entries("/v1/customers", NULL);
	ck_assert(at_bool(json_object_array_get_idx(arr,
	    json_object_array_length(arr) - 1), "replayed"));
	json_object_put(arr);
}
END_TEST

START_TEST(timeout)
{
	struct stripe s;
	char pk[65], *id, *err;
	double t0, dt;

	client(&s);
	s.timeout = 1;
	s.retries = 0;
	pubkey(7, pk);
	fake_control(&fk, "{\"delay_ms\": 3000}");
	t0 = now_s();
	ck_assert_int_eq(stripe_customer_create(&s, pk, &id, &err), -1);
	dt = now_s() - t0;
	ck_assert_msg(dt >= 0.9 && dt < 2.5, "took %.2f s", dt);
	ck_assert_str_eq(err, "Stripe POST /v1/customers failed: no complete "
	    "response within 1000 ms");
	free(err);
}
END_TEST

/*
 * 429, 5xx and no answer are retried with the same key (stripe.md
 * §1.3): the caller sees the success, and Stripe saw one customer made.
 */
START_TEST(retries)
{
	struct stripe s;
	struct json_object *arr, *o;
	struct form f;
	char pk[65], idem[96], *id, *err;
	size_t i;

	client(&s);
	pubkey(9, pk);
	snprintf(idem, sizeof(idem), "caravel-customer-%s", pk);
	fake_control(&fk, "{\"fail_next\": 429}");
	fake_control(&fk, "{\"fail_next\": 500}");
	ck_assert_msg(stripe_customer_create(&s, pk, &id, &err) == 0, "%s",
	    err);
	free(id);
	arr = log_entries("/v1/customers", idem);
	ck_assert_uint_eq(json_object_array_length(arr), 3);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(at_int(json_object_array_get_idx(arr, i),
		    "status"), i < 2 ? (i == 0 ? 429 : 500) : 200);
	json_object_put(arr);

	/* A POST without a key is never repeated: it might run twice. */
	fake_control(&fk, "{\"fail_next\": 500}");
	form_init(&f);
	form_add(&f, "name", "x");
	ck_assert_int_eq(stripe_request(&s, "POST", "/v1/customers", &f, NULL,
	    &o, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "answered 500"));
	free(err);
	form_release(&f);

	/* No answer in time: the same key goes again, once Stripe is back. */
	s.timeout = 1;
	pubkey(10, pk);
	snprintf(idem, sizeof(idem), "caravel-customer-%s", pk);
	fake_control(&fk, "{\"delay_ms\": 1500}");
	ck_assert_msg(stripe_customer_create(&s, pk, &id, &err) == 0, "%s",
	    err);
	free(id);
	arr = log_entries("/v1/customers", idem);
	ck_assert_uint_ge(json_object_array_length(arr), 2);
	json_object_put(arr);
}
END_TEST

/*
 * The answer to a customer create is lost, and Stripe forgets the key
 * (24 h): the customer is found by its metadata, not made twice (api.md
 * §5 POST /tenants).
 */
START_TEST(customer_answer_lost)
{
	struct stripe s;
	struct stripe_fail f;
	struct json_object *arr;
	char pk[65], *id = NULL, *again = NULL;
	size_t i, made = 0;

	client(&s);
	s.timeout = 1;
	s.retries = 0;
	pubkey(11, pk);
	fake_control(&fk, "{\"fault_path\": \"POST /v1/customers\", "
	    "\"delay_ms\": 1500}");
	ck_assert_int_eq(stripe_customer_ensure(&s, pk, &id, &f), -1);
	ck_assert_int_eq(f.status, 0);
	stripe_fail_release(&f);
	usleep(1000000);
	fake_control(&fk, "{\"fault_path\": null, "
	    "\"expire_idempotency_keys\": true}");
	ck_assert_msg(stripe_customer_ensure(&s, pk, &again, &f) == 0, "%s",
	    f.msg);
	arr = log_entries("/v1/customers", NULL);
	for (i = 0; i < json_object_array_length(arr); i++)
		if (at_int(json_object_array_get_idx(arr, i), "status") == 200 &&
		    strstr(json_object_get_string(json_object_array_get_idx(arr,
		    i)), pk) != NULL)
			made++;
	ck_assert_uint_eq(made, 1);
	json_object_put(arr);
	free(again);
}
END_TEST

START_TEST(body_cap)
{
	struct stripe s;
	char pk[65], *id, *err;

	client(&s);
	pubkey(8, pk);
	fake_control(&fk, "{\"pad_next\": 1100000}");
	ck_assert_int_eq(stripe_customer_create(&s, pk, &id, &err), -1);
	ck_assert_str_eq(err, "Stripe POST /v1/customers failed: response "
	    "body over 1048576 bytes");
	free(err);
}
END_TEST

/* The fake is as strict as Stripe, or it proves nothing. */
START_TEST(fake_is_strict)
{
	static const char *const noauth[] = { FORM_CT, NULL };
	static const char *const text[] = { AUTH_OK,
	    "Content-Type: text/plain", NULL };
	static const char *const form[] = { AUTH_OK, FORM_CT, NULL };
	static const char *const version[] = { AUTH_OK, FORM_CT,
	    "Stripe-Version: latest", NULL };
	static const char *const keyed[] = { AUTH_OK, FORM_CT,
	    "Idempotency-Key: fake-strict-1", NULL };
	static const struct {
		const char *const *hdr;
		const char *body;
		long status;
		const char *err; /* in the reply's error sentence */
	} cases[] = {
		{ noauth, "", 401, "You did not provide an API key" },
		{ text, "", 400, "unsupported Content-Type text/plain" },
		{ version, "", 400, "Invalid Stripe API version" },
		{ form, "foo=1", 400, "(parameter_unknown): Received unknown "
		    "parameter: foo" },
		{ form, "metadata=x", 400, "Invalid object" },
		{ form, "name=a&name=b", 400, "given twice" },
		{ form, "name=%E9", 400, "not valid form encoding" },
		{ form, "name=a b", 400, "percent-encoded ASCII" },
		{ form, "metadata[a][b]=1", 400, "Invalid metadata" },
		{ keyed, "name=a", 200, NULL },
		{ keyed, "name=a", 200, NULL },
		{ keyed, "name=b", 400, "idempotency_error" },
	};
	struct json_object *o, *tmp;
	char *err;
	size_t i;
	long st;

	for (i = 0; i < nitems(cases); i++) {
		st = raw("POST", "/v1/customers", cases[i].hdr, cases[i].body,
		    &o);
		ck_assert_msg(st == cases[i].status, "case %zu: %ld", i, st);
		ck_assert_ptr_nonnull(o);
		if (cases[i].err == NULL) {
			json_object_put(o);
			continue;
		}
		ck_assert_int_eq(stripe_reply_parse(KEY, st, json_text(o, NULL),
		    strlen(json_text(o, NULL)), &tmp, &err), -1);
		json_object_put(o);
		ck_assert_msg(strstr(err, cases[i].err) != NULL, "case %zu: %s",
		    i, err);
		free(err);
	}
	ck_assert_int_eq(raw("GET", "/v1/customers/cus_nothere", form,
	    NULL, NULL), 404);
	ck_assert_int_eq(raw("DELETE", "/v1/customers", form, NULL, NULL),
	    404);
}
END_TEST

START_TEST(portal_session)
{
	static const char *const ret =
	    "https://app.example/tenants/x?tab=billing&next=/a+b%2Fc#top";
	struct stripe s;
	struct json_object *arr, *e;
	char pk[65], *id, *url, *err;
	size_t before;

	client(&s);
	pubkey(9, pk);
	ck_assert_int_eq(stripe_customer_create(&s, pk, &id, &err), 0);
	ck_assert_msg(stripe_portal_session_create(&s, id, ret, &url, &err) ==
	    0, "%s", err);
	ck_assert_ptr_null(err);
	ck_assert(strncmp(url, "https://billing.stripe.com/p/session/", 37)
	    == 0);
	ck_assert(stripe_url_ok(url, 1));
	arr = log_entries("/v1/billing_portal/sessions", NULL);
	e = json_object_array_get_idx(arr, json_object_array_length(arr) - 1);
	ck_assert_int_eq(at_int(e, "status"), 200);
	ck_assert_str_eq(at(e, "params", "customer"), id);
	ck_assert_str_eq(at(e, "params", "return_url"), ret);
	ck_assert_str_eq(at(e, "stripe_version", NULL), STRIPE_API_VERSION);
	ck_assert(json_object_object_get_ex(e, "idempotency_key", &e));
	ck_assert_ptr_null(e);
	json_object_put(arr);
	free(url);

	ck_assert_int_eq(stripe_portal_session_create(&s, "cus_missing1", ret,
	    &url, &err), -1);
	ck_assert_ptr_null(url);
	ck_assert_msg(strstr(err, "answered 400 invalid_request_error "
	    "(resource_missing): No such customer: 'cus_missing1'") != NULL,
	    "%s", err);
	free(err);

	before = log_count();
	ck_assert_int_eq(stripe_portal_session_create(&s, "cust_1", ret, &url,
	    &err), -1);
	free(err);
	ck_assert_int_eq(stripe_portal_session_create(&s, NULL, ret, &url,
	    &err), -1);
	free(err);
	ck_assert_int_eq(stripe_portal_session_create(&s, id,
	    "javascript:alert(1)", &url, &err), -1);
	free(err);
	ck_assert_int_eq(stripe_portal_session_create(&s, id,
	    "https://a.example/x y", &url, &err), -1);
	free(err);
	ck_assert_int_eq(stripe_portal_session_create(&s, id, NULL, &url,
	    &err), -1);
	free(err);
	ck_assert_uint_eq(log_count(), before);
	free(id);
}
END_TEST

/* Replies from a hostile or broken upstream; field "id", prefix cus_. */
static const struct {
	long status;
	const char *body;
	size_t len; /* 0: strlen(body) */
} bad_ids[] = {
	{ 200, "", 0 },
	{ 200, "not json", 0 },
	{ 200, "<html>502 Bad Gateway</html>", 0 },
	{ 200, "[]", 0 },
	{ 200, "null", 0 },
	{ 200, "\"cus_abc\"", 0 },
	{ 200, "{}", 0 },
	{ 200, "{\"id\":5}", 0 },
	{ 200, "{\"id\":null}", 0 },
	{ 200, "{\"id\":[\"cus_abc\"]}", 0 },
	{ 200, "{\"id\":{\"id\":\"cus_abc\"}}", 0 },
	{ 200, "{\"id\":\"cust_abc\"}", 0 },
	{ 200, "{\"id\":\"CUS_abc\"}", 0 },
	{ 200, "{\"id\":\"cus_\"}", 0 },
	{ 200, "{\"id\":\"cus_ab/../c\"}", 0 },
	{ 200, "{\"id\":\"cus_a b\"}", 0 },
	{ 200, "{\"id\":\"cus_a\\nb\"}", 0 },
	{ 200, "{\"id\":\"cus_a\\u0000b\"}", 0 },
	{ 200, "{\"id\":\"cus_\xc3\xa9\"}", 0 },
	{ 200, "{\"id\":\"cus_\xff\"}", 0 },
	{ 200, "{\"id\":\"cus_abc\"", 0 },
	{ 200, "{\"id\":\"cus_abc\"} x", 0 },
	{ 200, "{\"id\":\"cus_abc\"}{}", 0 },
	{ 200, "{\"id\":\"cus_abc\"}\0", 17 },
	{ 200, "{\"id\":\"cus_abc\",}", 0 },
	{ 200, "{'id':'cus_abc'}", 0 },
	{ 200, "{\"a\":" "[[[[[[[[[[" "[[[[[[[[[[" "1" "]]]]]]]]]]" "]]]]]]]]]]"
	    ",\"id\":\"cus_abc\"}", 0 },
	{ 0, "{\"id\":\"cus_abc\"}", 0 },
	{ 199, "{\"id\":\"cus_abc\"}", 0 },
	{ 302, "{\"id\":\"cus_abc\"}", 0 },
	{ 404, "{\"id\":\"cus_abc\"}", 0 },
	{ 500, "{\"id\":\"cus_abc\"}", 0 },
	{ -1, "{\"id\":\"cus_abc\"}", 0 },
};

static const char *const bad_urls[] = {
	"{\"url\":\"http://billing.stripe.com/p/session/x\"}",
	"{\"url\":\"https://\"}",
	"{\"url\":\"https:///p\"}",
	"{\"url\":\"javascript:alert(1)\"}",
	"{\"url\":\" https://a.example/\"}",
	"{\"url\":\"https://a.example/ x\"}",
	"{\"url\":\"https://a.example/\\u0007\"}",
	"{\"url\":\"https://a.example/\xc3\xa9\"}",
	"{\"url\":1}",
	"{\"url\":true}",
	"{\"id\":\"bps_1\"}",
};

static void
expect_bad_id(long status, const char *body, size_t len)
{
	struct json_object *o = NULL;
	char *id = NULL, *err = NULL;
	int rc;

	rc = stripe_reply_parse(KEY, status, body, len, &o, &err);
	if (rc == 0) {
		ck_assert_ptr_nonnull(o);
		rc = stripe_reply_id(o, "id", "cus_", &id, &err);
		json_object_put(o);
	} else
		ck_assert_ptr_null(o);
	ck_assert_msg(rc == -1, "accepted %ld \"%.60s\"", status, body);
	ck_assert_ptr_null(id);
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_null(strpbrk(err, "\r\n"));
	free(err);
}

START_TEST(reply_hostile)
{
	struct json_object *o;
	char *big, *s, *err;
	size_t i, n;

	/* The control: a well-formed reply passes. */
	ck_assert_int_eq(stripe_reply_parse(KEY, 200, "{\"id\":\"cus_A1_b\"}",
	    17, &o, &err), 0);
	ck_assert_int_eq(stripe_reply_id(o, "id", "cus_", &s, &err), 0);
	ck_assert_str_eq(s, "cus_A1_b");
	free(s);
	json_object_put(o);

	for (i = 0; i < nitems(bad_ids); i++)
		expect_bad_id(bad_ids[i].status, bad_ids[i].body,
		    bad_ids[i].len != 0 ? bad_ids[i].len :
		    strlen(bad_ids[i].body));
	expect_bad_id(200, NULL, 0);

	/* Over-long id, and a valid reply bigger than any Stripe answer. */
	n = HTTPC_MAX_BODY + 64;
	big = xmalloc(n + 1);
	memcpy(big, "{\"id\":\"cus_", 11);
	memset(big + 11, 'a', 300);
	memcpy(big + 311, "\"}", 3);
	expect_bad_id(200, big, strlen(big));
	memcpy(big, "{\"id\":\"cus_abc\",\"p\":\"", 21);
	memset(big + 21, 'x', n - 23);
	memcpy(big + n - 2, "\"}", 3);
	expect_bad_id(200, big, n);
	free(big);

	for (i = 0; i < nitems(bad_urls); i++) {
		ck_assert_int_eq(stripe_reply_parse(KEY, 200, bad_urls[i],
		    strlen(bad_urls[i]), &o, &err), 0);
		ck_assert_msg(stripe_reply_url(o, "url", &s, &err) == -1,
		    "accepted %s", bad_urls[i]);
		ck_assert_ptr_null(s);
		free(err);
		json_object_put(o);
	}
}
END_TEST

/* Error sentences: Stripe's fields, cleaned, never a key. */
static const struct {
	long status;
	const char *body, *want;
} errors[] = {
	{ 402, "{\"error\":{\"type\":\"card_error\",\"code\":\"card_declined\","
	    "\"message\":\"Your card was declined.\"}}",
	  "answered 402 card_error (card_declined): Your card was declined." },
	{ 404, "{\"error\":{\"type\":\"invalid_request_error\",\"message\":"
	    "\"No such customer: 'cus_x'\"}}",
	  "answered 404 invalid_request_error: No such customer: 'cus_x'" },
	{ 401, "{\"error\":{\"type\":\"invalid_request_error\",\"message\":"
	    "\"Invalid API Key provided: sk_live_****************abcd\"}}",
	  "answered 401 invalid_request_error: Invalid API Key provided: "
	  "sk_[redacted]" },
	{ 401, "{\"error\":{\"message\":\"key " KEY " and rk_test_1 and "
	    "ask_me\"}}",
	  "answered 401 error: key [redacted] and rk_[redacted] and ask_me" },
	{ 400, "{\"error\":{\"type\":\"Bad Type\",\"code\":\"x\\ny\","
	    "\"message\":\"line1\\nline2\\t\\u00e9!\"}}",
	  "answered 400 error: line1?line2?" "?!" },
	{ 400, "{\"error\":{\"type\":\"api_error\",\"message\":\"a\\u0000b\"}}",
	  "answered 400 api_error" },
	{ 500, "", "answered 500 without a Stripe error object" },
	{ 502, "<html>bad gateway</html>",
	  "answered 502 without a Stripe error object" },
	{ 500, "{\"error\":\"boom\"}", "answered 500 without a Stripe error "
	    "object" },
	{ 500, "{\"error\":{\"type\":5,\"message\":[]}}",
	  "answered 500 without a Stripe error object" },
	{ 429, "{\"error\":{\"type\":\"invalid_request_error\",\"code\":"
	    "\"rate_limit\"}}",
	  "answered 429 invalid_request_error (rate_limit)" },
	/* Found by fuzz_http_reply: keys that slipped past the cleaning. */
	{ 401, "{\"error\":{\"type\":\"x" KEY "\",\"code\":"
	    "\"rk_live_abc123\",\"message\":\"m\"}}",
	  "answered 401 error: m" },
	{ 401, "{\"error\":{\"message\":\"" KEY "sk_live_abc123 ok\"}}",
	  "answered 401 error: [redacted]sk_[redacted] ok" },
	{ 400, "{\"error\":{\"message\":\"a\u00e9b\"}}",
	  "answered 400 error: a?b" },
};

START_TEST(error_sentences)
{
	struct json_object *o;
	char *body, *err;
	size_t i, n = 5000;

	for (i = 0; i < nitems(errors); i++) {
		ck_assert_int_eq(stripe_reply_parse(KEY, errors[i].status,
		    errors[i].body, strlen(errors[i].body), &o, &err), -1);
		ck_assert_ptr_null(o);
		ck_assert_str_eq(err, errors[i].want);
		free(err);
	}
	/* A long message is cut, and a cut never shows a partial key. */
	body = xmalloc(n + 64);
	memcpy(body, "{\"error\":{\"message\":\"", 21);
	memset(body + 21, 'm', n);
	memcpy(body + 21 + 195, KEY, strlen(KEY));
	memcpy(body + 21 + n, "\"}}", 4);
	ck_assert_int_eq(stripe_reply_parse(KEY, 400, body, strlen(body), &o,
	    &err), -1);
	ck_assert_uint_lt(strlen(err), 300);
	ck_assert_ptr_null(strstr(err, "sk_test"));
	ck_assert_ptr_nonnull(strstr(err, "..."));
	free(err);
	free(body);
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tc, *tf;
	int status;

	if (httpc_global_init() == -1)
		return EXIT_FAILURE;
	s = suite_create("stripe");
	tc = tcase_create("offline");
	tcase_add_test(tc, reply_hostile);
	tcase_add_test(tc, error_sentences);
	suite_add_tcase(s, tc);
	tf = tcase_create("fake");
	tcase_add_unchecked_fixture(tf, start, stop);
	tcase_set_timeout(tf, 60);
	tcase_add_test(tf, customer_create);
	tcase_add_test(tf, customer_idempotent);
	tcase_add_test(tf, customer_concurrent);
	tcase_add_test(tf, wrong_key);
	tcase_add_test(tf, server_error);
	tcase_add_test(tf, timeout);
	tcase_add_test(tf, retries);
	tcase_add_test(tf, customer_answer_lost);
	tcase_add_test(tf, body_cap);
	tcase_add_test(tf, fake_is_strict);
	tcase_add_test(tf, portal_session);
	suite_add_tcase(s, tf);
	status = tl_run(s);
	httpc_global_cleanup();
	return status;
}

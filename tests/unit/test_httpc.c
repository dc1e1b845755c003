/*
 * test_httpc.c: the outbound HTTP client (src/httpc.c). The form encoder
 * against a table, and against a real decoder (the Stripe fake, which
 * decodes forms as Stripe and WHATWG do); refused protocols, ports and
 * headers; the response body cap; kept response headers.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core.h"
#include "fake.h"
#include "httpc.h"
#include "json.h"
#include "testlib.h"

#define KEY "sk_test_caravel_httpc"
#define AUTH_OK "Authorization: Bearer " KEY
#define FORM_CT "Content-Type: application/x-www-form-urlencoded"

static struct fake fk;

static void
start(void)
{
	static const char *const env[] = { "STRIPE_FAKE_KEY=" KEY, NULL };

	fake_init(&fk);
	fake_start(&fk, "stripe.mjs", env);
}

static void
stop(void)
{
	fake_stop(&fk);
}

static const struct {
	const char *in, *out;
} escapes[] = {
	{ "", "" },
	{ "abcXYZ019", "abcXYZ019" },
	{ "-._~", "-._~" },
	{ "metadata[tenant_pubkey]", "metadata[tenant_pubkey]" },
	{ " ", "%20" },
	{ "a b+c", "a%20b%2Bc" },
	{ "&=%", "%26%3D%25" },
	{ "/:?#@", "%2F%3A%3F%23%40" },
	{ "'\"<>*!$,;", "%27%22%3C%3E%2A%21%24%2C%3B" },
	{ "\t\r\n", "%09%0D%0A" },
	{ "\x01\x7f", "%01%7F" },
	{ "\xc3\xa9", "%C3%A9" },
	{ "\xf0\x9f\x8c\x8d", "%F0%9F%8C%8D" },
	{ "\xff\xfe", "%FF%FE" },
	{ "%2B%5B", "%252B%255B" },
	{ "https://example.com/back?x=1&y=2",
	  "https%3A%2F%2Fexample.com%2Fback%3Fx%3D1%26y%3D2" },
};

START_TEST(form_encoding)
{
	struct form f;
	char *e;
	size_t i;

	for (i = 0; i < nitems(escapes); i++) {
		e = form_escape_alloc(escapes[i].in);
		ck_assert_str_eq(e, escapes[i].out);
		free(e);
	}
	form_init(&f);
	ck_assert_str_eq(form_body(&f), "");
	form_add(&f, "customer", "cus_1");
	form_add(&f, "return_url", "https://e.com/b?a=1");
	form_add(&f, "metadata[k]", NULL);
	form_add(&f, "name", "A & B");
	ck_assert_str_eq(form_body(&f), "customer=cus_1&return_url=https%3A%2F"
	    "%2Fe.com%2Fb%3Fa%3D1&metadata[k]=&name=A%20%26%20B");
	ck_assert_uint_eq(f.len, strlen(form_body(&f)));
	form_release(&f);
	ck_assert_str_eq(form_body(&f), "");
}
END_TEST

/* POST a form to /v1/customers; the reply's metadata echoes the values. */
START_TEST(form_roundtrip)
{
	static const char *const hdr[] = { AUTH_OK, FORM_CT, NULL };
	struct httpc_req q;
	struct httpc_resp r;
	struct json_object *o, *md, *v;
	struct form f;
	char url[128], key[32];
	size_t i, n = 0;

	form_init(&f);
	for (i = 0; i < nitems(escapes); i++) {
		if (escapes[i].in[0] == '\0' ||
		    !is_utf8(escapes[i].in, strlen(escapes[i].in)))
			continue;
		snprintf(key, sizeof(key), "metadata[v%zu]", i);
		form_add(&f, key, escapes[i].in);
		n++;
	}
	ck_assert_uint_gt(n, 10);
	snprintf(url, sizeof(url), "%s/v1/customers", fk.url);
	memset(&q, 0, sizeof(q));
	q.method = "POST";
	q.url = url;
	q.headers = hdr;
	q.body = form_body(&f);
	q.bodylen = f.len;
	q.timeout_ms = 10000;
	ck_assert_msg(httpc_do(&q, &r) == 0, "%s", r.err);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	ck_assert_ptr_nonnull(o = json_parse_object(r.body, r.len));
	ck_assert(json_object_object_get_ex(o, "metadata", &md));
	ck_assert_int_eq(json_object_object_length(md), (int)n);
	for (i = 0; i < nitems(escapes); i++) {
		if (escapes[i].in[0] == '\0' ||
		    !is_utf8(escapes[i].in, strlen(escapes[i].in)))
			continue;
		snprintf(key, sizeof(key), "v%zu", i);
		ck_assert(json_object_object_get_ex(md, key, &v));
		ck_assert_str_eq(json_object_get_string(v), escapes[i].in);
	}
	json_object_put(o);
	httpc_resp_release(&r);
	form_release(&f);
}
END_TEST

START_TEST(refuses)
{
	static const char *const evil[] = { "X-A: 1\r\nX-B: 2", NULL };
	static const char *const noname[] = { "just a line", NULL };
	static const char *const urls[] = {
		"file:///etc/passwd", "ftp://127.0.0.1/", "gopher://127.0.0.1/",
		"dict://127.0.0.1/", "scp://127.0.0.1/", "not a url",
		"http://127.0.0.1:1/",
	};
	struct httpc_req q;
	struct httpc_resp r;
	size_t i;

	memset(&q, 0, sizeof(q));
	q.method = "GET";
	q.timeout_ms = 2000;
	for (i = 0; i < nitems(urls); i++) {
		q.url = urls[i];
		ck_assert_msg(httpc_do(&q, &r) == -1, "%s", urls[i]);
		ck_assert_ptr_null(r.body);
		ck_assert_int_eq(r.status, 0);
		ck_assert(r.err[0] != '\0');
		ck_assert_int_eq(r.fail, i + 1 == nitems(urls) ?
		    HTTPC_ECONNECT : HTTPC_EOTHER);
		httpc_resp_release(&r);
	}
	q.url = fk.url;
	q.headers = evil;
	ck_assert_int_eq(httpc_do(&q, &r), -1);
	ck_assert_str_eq(r.err, "request header 0 is malformed");
	httpc_resp_release(&r);
	q.headers = noname;
	ck_assert_int_eq(httpc_do(&q, &r), -1);
	httpc_resp_release(&r);
	q.headers = NULL;
	q.method = "GET /x";
	ck_assert_int_eq(httpc_do(&q, &r), -1);
	httpc_resp_release(&r);
	q.method = "GET";
	q.timeout_ms = 0;
	ck_assert_int_eq(httpc_do(&q, &r), -1);
	httpc_resp_release(&r);
}
END_TEST

START_TEST(body_cap)
{
	static const char *const hdr[] = { AUTH_OK, NULL };
	struct httpc_req q;
	struct httpc_resp r;
	char url[128];

	snprintf(url, sizeof(url), "%s/v1/customers/cus_nothere", fk.url);
	memset(&q, 0, sizeof(q));
	q.method = "GET";
	q.url = url;
	q.headers = hdr;
	q.timeout_ms = 5000;
	q.max_body = 16;
	ck_assert_int_eq(httpc_do(&q, &r), -1);
	ck_assert_int_eq(r.fail, HTTPC_ETOOBIG);
	ck_assert_str_eq(r.err, "response body over 16 bytes");
	ck_assert_ptr_null(r.body);
	httpc_resp_release(&r);

	/* The default cap, and headers kept by name in any case. */
	q.max_body = 0;
	q.capture[0] = "request-id";
	q.capture[1] = "X-Absent";
	q.capture[2] = "CONTENT-TYPE";
	ck_assert_int_eq(httpc_do(&q, &r), 0);
	ck_assert_int_eq(r.status, 404);
	ck_assert_uint_eq(r.len, strlen(r.body));
	ck_assert(strncmp(r.captured[0], "req_", 4) == 0);
	ck_assert_ptr_null(r.captured[1]);
	ck_assert_str_eq(r.captured[2], "application/json");
	httpc_resp_release(&r);
	ck_assert_ptr_null(r.captured[0]);

	fake_control(&fk, "{\"pad_next\": 1100000}");
	ck_assert_int_eq(httpc_do(&q, &r), -1);
	ck_assert_int_eq(r.fail, HTTPC_ETOOBIG);
	ck_assert_str_eq(r.err, "response body over 1048576 bytes");
	httpc_resp_release(&r);
	q.max_body = 2000000;
	fake_control(&fk, "{\"pad_next\": 1100000}");
	ck_assert_int_eq(httpc_do(&q, &r), 0);
	ck_assert_uint_gt(r.len, 1100000);
	httpc_resp_release(&r);
}
END_TEST

START_TEST(timeout)
{
	static const char *const hdr[] = { AUTH_OK, NULL };
	struct httpc_req q;
	struct httpc_resp r;
	char url[128];

	snprintf(url, sizeof(url), "%s/v1/customers/cus_x", fk.url);
	memset(&q, 0, sizeof(q));
	q.method = "GET";
	q.url = url;
	q.headers = hdr;
	q.timeout_ms = 300;
	fake_control(&fk, "{\"delay_ms\": 1500}");
	ck_assert_int_eq(httpc_do(&q, &r), -1);
	ck_assert_int_eq(r.fail, HTTPC_ETIMEOUT);
	ck_assert_str_eq(r.err, "no complete response within 300 ms");
	httpc_resp_release(&r);
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
	s = suite_create("httpc");
	tc = tcase_create("offline");
	tcase_add_test(tc, form_encoding);
	suite_add_tcase(s, tc);
	tf = tcase_create("fake");
	tcase_add_unchecked_fixture(tf, start, stop);
	tcase_set_timeout(tf, 60);
	tcase_add_test(tf, form_roundtrip);
	tcase_add_test(tf, refuses);
	tcase_add_test(tf, body_cap);
	tcase_add_test(tf, timeout);
	suite_add_tcase(s, tf);
	status = tl_run(s);
	httpc_global_cleanup();
	return status;
}

/*
 * test_nip98.c: NIP-98 auth against every entry of nip98-vectors.json
 * (strict server), the session-style rules of api.md §3, headers we sign
 * ourselves, and hostile Authorization values.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core.h"
#include "nostr.h"
#include "testlib.h"

#define HOST "api.example.com"
#define URL "https://api.example.com/api/v1/list?x=1&y=2"
#define T0 INT64_C(1700000000)

static struct json_object *
get(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	return v;
}

static const char *
str(struct json_object *o, const char *key)
{
	return json_object_get_string(get(o, key));
}

/* Our sentence for a vector's reason (the vector words it its own way). */
static const char *
expected_why(const char *reason)
{
	if (strstr(reason, "older") != NULL)
		return "event is too old";
	if (strstr(reason, "future") != NULL)
		return "event created_at is too far in the future";
	if (strstr(reason, "method") != NULL)
		return "method tag does not match the request method";
	if (strstr(reason, "u tag") != NULL || strstr(reason, "scheme") != NULL)
		return "u tag does not match the request URL";
	ck_abort_msg("unmapped reason: %s", reason);
	return NULL;
}

START_TEST(vectors_generated)
{
	struct json_object *vec, *g, *reqs, *q;
	struct nostr_event ev;
	struct nip98_rules r;
	struct nip98_auth auth;
	const char *hdr[2], *why, *ej, *expect;
	char *json, *b64;
	size_t i, j, n, len, accepts = 0, rejects = 0;

	vec = tl_vector_json("nip98-vectors.json");
	g = get(vec, "generated");
	hdr[0] = str(g, "authorization_header");
	hdr[1] = str(g, "authorization_header_unpadded");
	/*
	 * This event's JSON is a multiple of 3 bytes long, so both forms
	 * coincide; padding_forms and the NIP example cover unpadded input.
	 */
	ck_assert_uint_eq((strlen(hdr[1]) - 6) % 4, 0);
	ck_assert_str_eq(hdr[0], hdr[1]);
	/* Our event JSON and base64 reproduce the header byte for byte. */
	ej = str(g, "event_json");
	ck_assert_int_eq(nostr_event_parse(ej, strlen(ej), 1, &ev, &why), 0);
	json = nostr_event_json_alloc(&ev, &len);
	ck_assert_str_eq(json, ej);
	b64 = base64_encode_alloc((const unsigned char *)json, len);
	ck_assert_str_eq(hdr[0] + 6, b64);
	free(b64);
	free(json);
	nostr_event_release(&ev);

	reqs = get(g, "requests");
	ck_assert_uint_gt((n = json_object_array_length(reqs)), 0);
	for (i = 0; i < n; i++) {
		q = json_object_array_get_idx(reqs, i);
		memset(&r, 0, sizeof(r));
		r.host = HOST;
		r.now = json_object_get_int64(get(q, "now"));
		r.max_age = 60;
		r.max_future = 60;
		r.strict = 1;
		r.method = str(q, "method");
		r.url = str(q, "url");
		expect = strcmp(str(q, "expect"), "accept") == 0 ? NULL :
		    expected_why(str(q, "why"));
		for (j = 0; j < 2; j++) {
			why = NULL;
			memset(&auth, 0, sizeof(auth));
			if (expect == NULL) {
				ck_assert_msg(nip98_verify(hdr[j], &r, &auth,
				    &why) == 0, "request %zu: %s", i, why);
				ck_assert_str_eq(auth.pubkey_hex,
				    str(get(g, "event"), "pubkey"));
				ck_assert_int_eq(auth.created_at, 1682327852);
				accepts++;
			} else {
				ck_assert_msg(nip98_verify(hdr[j], &r, &auth,
				    &why) == -1, "request %zu accepted", i);
				ck_assert_str_eq(why, expect);
				rejects++;
			}
		}
		/*
		 * Session style (api.md §3) ignores method and URL but keeps
		 * the host and the time window.
		 */
		r.strict = 0;
		ck_assert_int_eq(nip98_verify(hdr[0], &r, NULL, &why),
		    expect != NULL && strncmp(expect, "event", 5) == 0 ?
		    -1 : 0);
	}
	ck_assert_uint_gt(accepts, 0);
	ck_assert_uint_gt(rejects, 0);
	json_object_put(vec);
}
END_TEST

START_TEST(vectors_nip_example)
{
	struct json_object *vec, *x, *d, *tag;
	struct nip98_rules r;
	const char *why = NULL;

	vec = tl_vector_json("nip98-vectors.json");
	x = get(vec, "nip_example");
	ck_assert_str_eq(str(x, "expect"), "reject");
	d = get(x, "decoded_event");
	tag = json_object_array_get_idx(get(d, "tags"), 0);
	memset(&r, 0, sizeof(r));
	r.host = "api.snort.social";
	r.now = json_object_get_int64(get(d, "created_at"));
	r.max_age = 60;
	r.max_future = 60;
	r.strict = 1;
	r.method = "GET";
	r.url = json_object_get_string(json_object_array_get_idx(tag, 1));
	ck_assert_int_eq(nip98_verify(str(x, "authorization_header"), &r, NULL,
	    &why), -1);
	/* Unpadded base64 and the JSON were fine: the id is what fails. */
	ck_assert_str_eq(why, "event id does not match its content");
	ck_assert_ptr_nonnull(strstr(str(x, "why"), "id"));
	r.strict = 0;
	ck_assert_int_eq(nip98_verify(str(x, "authorization_header"), &r, NULL,
	    &why), -1);
	ck_assert_str_eq(why, "event id does not match its content");
	json_object_put(vec);
}
END_TEST

static void
rules_strict(struct nip98_rules *r, const char *method, const char *url,
    const void *body, size_t body_len)
{
	memset(r, 0, sizeof(*r));
	r->host = HOST;
	r->now = T0;
	r->max_age = 60;
	r->max_future = 60;
	r->strict = 1;
	r->method = method;
	r->url = url;
	r->body = body;
	r->body_len = body_len;
}

START_TEST(header_alloc_roundtrip)
{
	static const char body[] = "{\"name\":\"alpha\"}";
	unsigned char sk[32], pk[32];
	struct nip98_rules r;
	struct nip98_auth auth;
	const char *why;
	char *h, hex[65];

	ck_assert_int_eq(nostr_keygen(sk, pk), 0);
	hex_encode(pk, 32, hex);
	h = nip98_header_alloc(sk, URL, "POST", (const unsigned char *)body,
	    strlen(body), T0);
	ck_assert_ptr_nonnull(h);
	ck_assert(strncmp(h, "Nostr ", 6) == 0);
	rules_strict(&r, "POST", URL, body, strlen(body));
	ck_assert_msg(nip98_verify(h, &r, &auth, &why) == 0, "%s", why);
	ck_assert_mem_eq(auth.pubkey, pk, 32);
	ck_assert_str_eq(auth.pubkey_hex, hex);
	ck_assert_int_eq(auth.created_at, T0);
	/* The body hash binds the header to these bytes. */
	rules_strict(&r, "POST", URL, "{}", 2);
	ck_assert_int_eq(nip98_verify(h, &r, NULL, &why), -1);
	ck_assert_str_eq(why, "payload tag does not match the request body");
	rules_strict(&r, "post", URL, NULL, 0);
	ck_assert_int_eq(nip98_verify(h, &r, NULL, &why), 0);
	rules_strict(&r, "PUT", URL, NULL, 0);
	ck_assert_int_eq(nip98_verify(h, &r, NULL, &why), -1);
	ck_assert_str_eq(why, "method tag does not match the request method");
	free(h);
	/* Without a body there is no payload tag, which a body requires. */
	h = nip98_header_alloc(sk, URL, "POST", NULL, 0, T0);
	ck_assert_ptr_nonnull(h);
	rules_strict(&r, "POST", URL, body, strlen(body));
	ck_assert_int_eq(nip98_verify(h, &r, NULL, &why), -1);
	ck_assert_str_eq(why, "payload tag is missing");
	rules_strict(&r, "POST", URL, NULL, 0);
	ck_assert_int_eq(nip98_verify(h, &r, NULL, &why), 0);
	/* an empty body is still a body */
	rules_strict(&r, "POST", URL, "", 0);
	ck_assert_int_eq(nip98_verify(h, &r, NULL, &why), -1);
	free(h);
	h = nip98_header_alloc(sk, URL, "POST", (const unsigned char *)"", 0,
	    T0);
	ck_assert_int_eq(nip98_verify(h, &r, NULL, &why), 0);
	free(h);
	memset(sk, 0, sizeof(sk));
	ck_assert_ptr_null(nip98_header_alloc(sk, URL, "GET", NULL, 0, T0));
}
END_TEST

/* Padded and unpadded base64 of the same event are both accepted. */
START_TEST(padding_forms)
{
	unsigned char sk[32], pk[32];
	struct nip98_rules r;
	const char *why;
	char url[128], *h;
	size_t k, n, padded = 0;

	ck_assert_int_eq(nostr_keygen(sk, pk), 0);
	for (k = 0; k < 3; k++) {
		snprintf(url, sizeof(url), "%s&p=%.*s", URL, (int)k, "abc");
		h = nip98_header_alloc(sk, url, "GET", NULL, 0, T0);
		rules_strict(&r, "GET", url, NULL, 0);
		ck_assert_int_eq(nip98_verify(h, &r, NULL, &why), 0);
		n = strlen(h);
		ck_assert_uint_eq((n - 6) % 4, 0);
		if (h[n - 1] == '=') {
			while (h[n - 1] == '=')
				h[--n] = '\0';
			ck_assert_uint_ne((n - 6) % 4, 0);
			ck_assert_msg(nip98_verify(h, &r, NULL, &why) == 0,
			    "%s", why);
			padded++;
		}
		free(h);
	}
	ck_assert_uint_eq(padded, 2);
}
END_TEST

/* Session style: host (any port, any path), the age and future limits. */
START_TEST(session_rules)
{
	static const struct {
		const char *url, *host;
		int64_t created_at, max_age;
		const char *why; /* NULL: accepted */
	} cases[] = {
		{ "https://api.example.com/", HOST, T0, 3600, NULL },
		{ "https://API.Example.COM", HOST, T0, 3600, NULL },
		{ "https://api.example.com:8443/x?y#z", HOST, T0, 3600, NULL },
		{ "http://api.example.com/", HOST ":443", T0, 3600, NULL },
		{ "https://[::1]:8080/", "[::1]", T0, 3600, NULL },
		{ "https://api.example.com/", HOST, T0 - 3600, 3600, NULL },
		{ "https://api.example.com/", HOST, T0 - 3601, 3600,
		    "event is too old" },
		{ "https://api.example.com/", HOST, 1, 0, NULL },
		{ "https://api.example.com/", HOST, T0 + 60, 3600, NULL },
		{ "https://api.example.com/", HOST, T0 + 61, 3600,
		    "event created_at is too far in the future" },
		{ "https://api.example.com.evil.test/", HOST, T0, 3600,
		    "u tag host does not match this server" },
		{ "https://evil.test/api.example.com", HOST, T0, 3600,
		    "u tag host does not match this server" },
		{ "https://api.example.com@evil.test/", HOST, T0, 3600,
		    "u tag host does not match this server" },
		{ "https://x@api.example.com/", HOST, T0, 3600,
		    "u tag host does not match this server" },
		{ "wss://api.example.com/", HOST, T0, 3600,
		    "u tag host does not match this server" },
		{ "api.example.com", HOST, T0, 3600,
		    "u tag host does not match this server" },
		{ "https://api.example.com:http/", HOST, T0, 3600,
		    "u tag host does not match this server" },
		{ "https://:443/", HOST, T0, 3600,
		    "u tag host does not match this server" },
		{ "https://[]/", "[]", T0, 3600,
		    "u tag host does not match this server" },
		{ "https://api.example.co/", HOST, T0, 3600,
		    "u tag host does not match this server" },
		{ "", HOST, T0, 3600, "u tag host does not match this server" },
	};
	struct nip98_rules r;
	unsigned char sk[32], pk[32];
	const char *why;
	char *h;
	size_t i;

	ck_assert_int_eq(nostr_keygen(sk, pk), 0);
	for (i = 0; i < nitems(cases); i++) {
		h = nip98_header_alloc(sk, cases[i].url, "DELETE", NULL, 0,
		    cases[i].created_at);
		memset(&r, 0, sizeof(r));
		r.host = cases[i].host;
		r.now = T0;
		r.max_age = cases[i].max_age;
		r.max_future = 60;
		why = NULL;
		if (cases[i].why == NULL)
			ck_assert_msg(nip98_verify(h, &r, NULL, &why) == 0,
			    "case %zu: %s", i, why);
		else {
			ck_assert_msg(nip98_verify(h, &r, NULL, &why) == -1,
			    "case %zu accepted", i);
			ck_assert_msg(strcmp(why, cases[i].why) == 0,
			    "case %zu: %s", i, why);
		}
		free(h);
	}
}
END_TEST

/* "Nostr " and the base64 of text. */
static char *
header_of(const char *text, size_t n)
{
	char *b64, *h;

	b64 = base64_encode_alloc((const unsigned char *)text, n);
	h = xmalloc(strlen(b64) + 7);
	sprintf(h, "Nostr %s", b64);
	free(b64);
	return h;
}

/* A signed event as a header, with the given kind and tags. */
static char *
signed_header(const unsigned char sk[32], int kind, size_t ntags,
    const char *const tags[][2])
{
	struct nostr_event ev;
	char *json, *h;
	size_t i, n;

	nostr_event_init(&ev);
	ev.kind = kind;
	ev.created_at = T0;
	for (i = 0; i < ntags; i++)
		nostr_event_add_tag(&ev, 2, tags[i]);
	ck_assert_int_eq(nostr_event_sign(&ev, sk), 0);
	json = nostr_event_json_alloc(&ev, &n);
	h = header_of(json, n);
	free(json);
	nostr_event_release(&ev);
	return h;
}

#define W_B64 "authorization token is not valid base64"

START_TEST(hostile_headers)
{
	static const char *const utag[][2] = { { "u", URL },
	    { "method", "GET" } };
	static const char *const nou[][2] = { { "method", "GET" } };
	static const char *const emptyu[][2] = { { "u", "" } };
	static const struct {
		const char *header, *why;
	} cases[] = {
		{ "", "authorization header is missing" },
		{ "Nostr", "authorization scheme is not Nostr" },
		{ "Nostr ", W_B64 },
		{ "Nostr    ", W_B64 },
		{ "Bearer abc", "authorization scheme is not Nostr" },
		{ "Basic dXNlcjpwYXNz", "authorization scheme is not Nostr" },
		{ "Nostrabc", "authorization scheme is not Nostr" },
		{ "Nostr\teyJ9", "authorization scheme is not Nostr" },
		{ " Nostr eyJ9", "authorization scheme is not Nostr" },
		{ "Nostr e", W_B64 },
		{ "Nostr eyJ9=", W_B64 },
		{ "Nostr e*J9", W_B64 },
		{ "Nostr ey-_", W_B64 },
		{ "Nostr eyJ9 eyJ9", W_B64 },
		{ "Nostr eyJ9\r\n", W_B64 },
		{ "Nostr e30", "event id is not 64 lower-case hex digits" },
		{ "Nostr e30=", "event id is not 64 lower-case hex digits" },
		{ "Nostr W10=", "event is not a JSON object" },
		{ "Nostr bnVsbA==", "event is not valid JSON" },
		{ "Nostr aGVsbG8=", "event is not valid JSON" },
		{ "Nostr AA==", "event is not valid JSON" },
		{ "Nostr /w==", "event is not valid JSON" },
	};
	struct nip98_rules r;
	unsigned char sk[32], pk[32];
	const char *why, *ej = "{\"id\":\"\"}";
	char *h, *big;
	size_t i;

	rules_strict(&r, "GET", URL, NULL, 0);
	r.max_age = 0;
	for (i = 0; i < nitems(cases); i++) {
		why = NULL;
		ck_assert_msg(nip98_verify(cases[i].header, &r, NULL,
		    &why) == -1, "accepted %s", cases[i].header);
		ck_assert_msg(strcmp(why, cases[i].why) == 0, "%s: %s",
		    cases[i].header, why);
	}
	ck_assert_int_eq(nip98_verify(NULL, &r, NULL, &why), -1);
	ck_assert_str_eq(why, "authorization header is missing");
	h = header_of(ej, strlen(ej));
	ck_assert_int_eq(nip98_verify(h, &r, NULL, &why), -1);
	ck_assert_str_eq(why, "event id is not 64 lower-case hex digits");
	free(h);

	ck_assert_int_eq(nostr_keygen(sk, pk), 0);
	h = signed_header(sk, 1, 2, utag);
	ck_assert_int_eq(nip98_verify(h, &r, NULL, &why), -1);
	ck_assert_str_eq(why, "event kind is not 27235");
	free(h);
	h = signed_header(sk, NIP98_KIND, 1, nou);
	ck_assert_int_eq(nip98_verify(h, &r, NULL, &why), -1);
	ck_assert_str_eq(why, "event has no u tag");
	free(h);
	h = signed_header(sk, NIP98_KIND, 1, emptyu);
	ck_assert_int_eq(nip98_verify(h, &r, NULL, &why), -1);
	ck_assert_str_eq(why, "u tag host does not match this server");
	free(h);

	/* Scheme case and extra spaces are tolerated (RFC 9110 §11.1). */
	h = signed_header(sk, NIP98_KIND, 2, utag);
	ck_assert_int_eq(nip98_verify(h, &r, NULL, &why), 0);
	memcpy(h, "nOSTR", 5);
	ck_assert_int_eq(nip98_verify(h, &r, NULL, &why), 0);
	big = xmalloc(strlen(h) + 8);
	sprintf(big, "Nostr   %s  ", h + 6);
	ck_assert_int_eq(nip98_verify(big, &r, NULL, &why), 0);
	free(big);
	/* A flipped base64 character breaks JSON, the id or the sig. */
	h[40] = h[40] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(nip98_verify(h, &r, NULL, &why), -1);
	free(h);

	/* size cap: checked before any decoding */
	big = xmalloc(NIP98_HEADER_MAX + 2);
	memcpy(big, "Nostr ", 6);
	memset(big + 6, 'A', NIP98_HEADER_MAX - 5);
	big[NIP98_HEADER_MAX + 1] = '\0';
	ck_assert_int_eq(nip98_verify(big, &r, NULL, &why), -1);
	ck_assert_str_eq(why, "authorization header is too large");
	big[NIP98_HEADER_MAX] = '\0';
	ck_assert_int_eq(nip98_verify(big, &r, NULL, &why), -1);
	ck_assert_str_eq(why, "event is not valid JSON");
	free(big);

	/* incomplete rules fail closed */
	h = signed_header(sk, NIP98_KIND, 2, utag);
	ck_assert_int_eq(nip98_verify(h, NULL, NULL, &why), -1);
	ck_assert_str_eq(why, "server auth rules are incomplete");
	r.url = NULL;
	ck_assert_int_eq(nip98_verify(h, &r, NULL, &why), -1);
	r.url = URL;
	r.strict = 0;
	r.host = NULL;
	ck_assert_int_eq(nip98_verify(h, &r, NULL, &why), -1);
	ck_assert_str_eq(why, "server auth rules are incomplete");
	r.host = HOST;
	r.max_future = -1;
	ck_assert_int_eq(nip98_verify(h, &r, NULL, &why), -1);
	r.max_future = 0;
	ck_assert_int_eq(nip98_verify(h, &r, NULL, &why), 0);
	ck_assert_int_eq(nip98_verify(h, &r, NULL, NULL), 0);
	free(h);
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tc;

	/* Before forking: an absent vector file SKIPs the whole program. */
	(void)tl_vector_path("nip98-vectors.json");
	s = suite_create("nip98");
	tc = tcase_create("nip98");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, vectors_generated);
	tcase_add_test(tc, vectors_nip_example);
	tcase_add_test(tc, header_alloc_roundtrip);
	tcase_add_test(tc, padding_forms);
	tcase_add_test(tc, session_rules);
	tcase_add_test(tc, hostile_headers);
	suite_add_tcase(s, tc);
	return tl_run(s);
}

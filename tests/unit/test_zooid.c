/*
 * test_zooid.c: the zooid client (src/zooid.c): the offline tests of
 * test_zooid_offline.c, then every call against tests/fakes/zooid.mjs, a fake that verifies NIP-98 with nostr-tools and
 * validates like zooid (research/zooid-api.md §5): create, repeated
 * create, patch, unknown ids in both eras, conflicts, validation, auth,
 * 500s, timeouts, a crash after zooid stored the relay, members, and
 * tables of hostile replies and error texts.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "core.h"
#include "cfg.h"
#include "db.h"
#include "fake.h"
#include "httpc.h"
#include "json.h"
#include "nostr.h"
#include "testlib.h"
#include "zooidtest.h"
#include "zooid.h"

static struct fake fk;
static char logpath[4096];
static char api_pk[65];

/* The fake imports nostr-tools from tests/js/node_modules. */
static int
have_node_modules(void)
{
	char path[4096];
	const char *top;

	if ((top = getenv("top_srcdir")) == NULL)
		top = ".";
	snprintf(path, sizeof(path),
	    "%s/tests/js/node_modules/nostr-tools/package.json", top);
	return access(path, R_OK) == 0;
}

static void
start(void)
{
	static char wl[128], logenv[4200];
	static const char *env[] = { wl, logenv, NULL };

	pubkey_of(API_SK, api_pk);
	fake_init(&fk);
	snprintf(logpath, sizeof(logpath), "%s/zooid.log", fk.dir);
	snprintf(logenv, sizeof(logenv), "ZOOID_FAKE_LOG=%s", logpath);
	snprintf(wl, sizeof(wl), "ZOOID_FAKE_WHITELIST=%s", api_pk);
	fake_start(&fk, "zooid.mjs", env);
}

static void
stop(void)
{
	fake_stop(&fk);
}

static void
client(struct zooid *z, const char *sk)
{
	memset(z, 0, sizeof(*z));
	z->base_url = fk.url;
	tl_hex(sk, z->secret, 32);
	z->timeout = 10;
}

static void
reset(void)
{
	fake_control(&fk, "{\"reset\": true}");
}

/* GET a fake path as JSON (caller puts it). */
static struct json_object *
fake_get(const char *path)
{
	struct httpc_req q;
	struct httpc_resp r;
	struct json_object *o;
	char url[256];

	snprintf(url, sizeof(url), "%s%s", fk.url, path);
	memset(&q, 0, sizeof(q));
	q.method = "GET";
	q.url = url;
	q.timeout_ms = 10000;
	q.max_body = 64 * 1024 * 1024;
	ck_assert_msg(httpc_do(&q, &r) == 0, "%s", r.err);
	ck_assert_int_eq(r.status, 200);
	o = json_tokener_parse(r.body);
	ck_assert_ptr_nonnull(o);
	httpc_resp_release(&r);
	return o;
}

/* The fake's stored config of relay id, or NULL (caller puts it). */
static struct json_object *
stored(const char *id)
{
	struct json_object *s, *rel, *c = NULL;

	s = fake_get("/__state");
	if (json_object_object_get_ex(s, "relays", &rel) &&
	    json_object_object_get_ex(rel, id, &c))
		json_object_get(c);
	json_object_put(s);
	return c;
}

static void
control_reply(long status, const char *body)
{
	struct json_object *c, *r;

	c = jobj();
	r = jobj();
	jadd_int(r, "status", status);
	jadd_str(r, "body", body);
	jadd(c, "reply_next", r);
	fake_control(&fk, json_text(c, NULL));
	json_object_put(c);
}

/* --- against the fake --- */

START_TEST(create_and_patch)
{
	struct config c;
	struct relay r;
	struct zooid z;
	struct json_object *b, *s, *logs, *e;
	char id[33], schema[32], sub[32], *err, *text;
	long st;

	reset();
	base_config(&c);
	s3_config(&c, 1);
	relay_n(&r, 1, id, schema, sub);
	r.livekit_enabled = 1;
	client(&z, API_SK);
	b = zooid_relay_body(&c, &r, RELAY_SK);
	ck_assert_int_eq(zooid_relay_create(&z, id, b, &st, &err), ZOOID_OK);
	ck_assert_int_eq(st, 201);
	ck_assert_ptr_null(err);
	s = stored(id);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(at(s, "host", NULL, NULL), "s1.spaces.example.com");
	ck_assert_str_eq(at(s, "schema", NULL, NULL), "relay_1");
	ck_assert_str_eq(at(s, "secret", NULL, NULL), RELAY_SK);
	ck_assert_str_eq(at(s, "info", "pubkey", NULL), TENANT);
	ck_assert_str_eq(at(s, "blossom", "adapter", NULL), "s3");
	ck_assert_str_eq(at(s, "blossom", "s3", "key_prefix"), "relay_1");
	ck_assert_str_eq(at(s, "livekit", "server_url", NULL),
	    "wss://lk.example.com");
	json_object_put(s);

	/* A retried create: 409 "already exists"; then PATCH converges. */
	ck_assert_int_eq(zooid_relay_create(&z, id, b, &st, &err),
	    ZOOID_EXISTS);
	ck_assert_int_eq(st, 409);
	ck_assert_str_eq(err, "zooid POST /relay/00000000000000000000000000000"
	    "001 answered 409: relay with this id already exists");
	free(err);
	json_object_put(b);
	r.info_name = "Renamed";
	r.status = "delinquent";
	b = zooid_relay_body(&c, &r, NULL);
	ck_assert_int_eq(zooid_relay_patch(&z, id, b, &st, &err), ZOOID_OK);
	ck_assert_int_eq(st, 200);
	json_object_put(b);
	s = stored(id);
	ck_assert_str_eq(at(s, "info", "name", NULL), "Renamed");
	ck_assert(json_object_get_boolean(json_object_object_get(s,
	    "inactive")));
	ck_assert_str_eq(at(s, "secret", NULL, NULL), RELAY_SK);
	json_object_put(s);

	/* What zooid saw: signed by our key, payload tag, no secret logged. */
	logs = fake_get("/__log");
	ck_assert_uint_eq(json_object_array_length(logs), 3);
	e = json_object_array_get_idx(logs, 0);
	ck_assert_str_eq(at(e, "auth", NULL, NULL), "ok");
	ck_assert_str_eq(at(e, "pubkey", NULL, NULL), api_pk);
	ck_assert_str_eq(at(e, "payload", NULL, NULL), "ok");
	ck_assert_str_eq(at(e, "query", NULL, NULL), "");
	/* zooid before July 2026 (era D) drops the two era E policy keys. */
	ck_assert_str_eq(json_object_to_json_string_ext(json_object_object_get(
	    e, "unknown_keys"), JSON_C_TO_STRING_PLAIN),
	    "[\"policy.public_read\",\"policy.public_write\"]");
	e = json_object_array_get_idx(logs, 2);
	ck_assert_str_eq(at(e, "method", NULL, NULL), "PATCH");
	ck_assert_ptr_null(at(e, "body", "secret", NULL));
	json_object_put(logs);
	text = tl_read_file(logpath, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_null(strstr(text, RELAY_SK));
	ck_assert_ptr_null(strstr(text, S3_SECRET));
	ck_assert_ptr_null(strstr(text, LK_SECRET));
	ck_assert_ptr_null(strstr(text, API_SK));
	free(text);
	cfg_free(&c);
}
END_TEST

START_TEST(not_found_and_conflicts)
{
	struct config c;
	struct relay r;
	struct zooid z;
	struct json_object *b;
	char id[33], schema[32], sub[32], url[96], *err;
	long st;

	reset();
	base_config(&c);
	client(&z, API_SK);
	/* A trailing slash in ZOOID_API_URL is fine. */
	snprintf(url, sizeof(url), "%s//", fk.url);
	z.base_url = url;
	relay_n(&r, 5, id, schema, sub);
	b = zooid_relay_body(&c, &r, NULL);
	ck_assert_int_eq(zooid_relay_patch(&z, id, b, &st, &err),
	    ZOOID_NOT_FOUND);
	ck_assert_int_eq(st, 404);
	ck_assert_str_eq(err, "zooid PATCH /relay/0000000000000000000000000000"
	    "0005 answered 404: relay not found");
	free(err);
	fake_control(&fk, "{\"era\": \"C\"}");
	ck_assert_int_eq(zooid_relay_patch(&z, id, b, &st, &err),
	    ZOOID_NOT_FOUND);
	ck_assert_int_eq(st, 409);
	free(err);
	json_object_put(b);

	/* Era C: a PATCH without the secret fails, with it works (§4.4). */
	b = zooid_relay_body(&c, &r, RELAY_SK);
	ck_assert_int_eq(zooid_relay_create(&z, id, b, &st, &err), ZOOID_OK);
	ck_assert_int_eq(zooid_relay_patch(&z, id, b, &st, &err), ZOOID_OK);
	json_object_put(b);
	b = zooid_relay_body(&c, &r, NULL);
	ck_assert_int_eq(zooid_relay_patch(&z, id, b, &st, &err),
	    ZOOID_REJECTED);
	ck_assert_int_eq(st, 400);
	ck_assert_str_eq(err, "zooid PATCH /relay/0000000000000000000000000000"
	    "0005 answered 400: invalid secret key: [redacted]");
	free(err);
	json_object_put(b);

	/* Another relay with the same schema, then the same host. */
	relay_n(&r, 6, id, schema, sub);
	r.schema = "relay_5";
	b = zooid_relay_body(&c, &r, RELAY_SK);
	ck_assert_int_eq(zooid_relay_create(&z, id, b, &st, &err),
	    ZOOID_CONFLICT);
	ck_assert_int_eq(st, 409);
	ck_assert_str_eq(err, "zooid POST /relay/00000000000000000000000000000"
	    "006 answered 409: schema \"relay_5\" is already in use");
	free(err);
	json_object_put(b);
	r.schema = schema;
	r.subdomain = "s5";
	b = zooid_relay_body(&c, &r, RELAY_SK);
	ck_assert_int_eq(zooid_relay_create(&z, id, b, &st, &err),
	    ZOOID_CONFLICT);
	ck_assert_ptr_nonnull(strstr(err, "host \"s5.spaces.example.com\" is "
	    "already in use"));
	free(err);
	json_object_put(b);
	cfg_free(&c);
}
END_TEST

START_TEST(rejected_and_auth)
{
	struct config c;
	struct relay r;
	struct zooid z;
	struct json_object *b, *logs, *e, *s;
	char id[33], schema[32], sub[32], url[128], *err;
	long st;

	reset();
	base_config(&c);
	client(&z, API_SK);
	relay_n(&r, 7, id, schema, sub);
	r.schema = "Relay_7";
	b = zooid_relay_body(&c, &r, RELAY_SK);
	ck_assert_int_eq(zooid_relay_create(&z, id, b, &st, &err),
	    ZOOID_REJECTED);
	ck_assert_int_eq(st, 400);
	ck_assert_ptr_nonnull(strstr(err, "answered 400: schema must contain "
	    "only lowercase letters, numbers, and underscores"));
	free(err);
	json_object_put(b);

	/* zooid echoes a bad secret: the sentence never does. */
	r.schema = schema;
	b = zooid_relay_body(&c, &r, RELAY_SK "00");
	ck_assert_int_eq(zooid_relay_create(&z, id, b, &st, &err),
	    ZOOID_REJECTED);
	ck_assert_ptr_null(strstr(err, RELAY_SK));
	ck_assert_ptr_nonnull(strstr(err, "invalid secret key: [redacted]"));
	free(err);
	json_object_put(b);

	/* A key zooid does not list: 403; ours again once listed. */
	b = zooid_relay_body(&c, &r, RELAY_SK);
	client(&z, OTHER_SK);
	ck_assert_int_eq(zooid_relay_create(&z, id, b, &st, &err), ZOOID_AUTH);
	ck_assert_int_eq(st, 403);
	ck_assert_ptr_nonnull(strstr(err, "403: pubkey not in whitelist"));
	ck_assert_ptr_null(strstr(err, OTHER_SK));
	free(err);
	fake_control(&fk, "{\"whitelist\": []}");
	client(&z, API_SK);
	ck_assert_int_eq(zooid_relay_create(&z, id, b, &st, &err), ZOOID_AUTH);
	free(err);
	reset();

	/* Era E: created_at comes from clock_now() (pinned far in the past). */
	fake_control(&fk, "{\"era\": \"E\"}");
	setenv("CARAVEL_TEST_NOW", "1000000000", 1);
	ck_assert_int_eq(zooid_relay_create(&z, id, b, &st, &err), ZOOID_AUTH);
	ck_assert_int_eq(st, 401);
	ck_assert_ptr_nonnull(strstr(err, "created_at"));
	free(err);
	unsetenv("CARAVEL_TEST_NOW");
	ck_assert_int_eq(zooid_relay_create(&z, id, b, &st, &err), ZOOID_OK);
	/* Era E reads every key we send, the flags Flotilla edits too. */
	logs = fake_get("/__log");
	e = json_object_array_get_idx(logs,
	    json_object_array_length(logs) - 1);
	ck_assert_uint_eq(json_object_array_length(json_object_object_get(e,
	    "unknown_keys")), 0);
	json_object_put(logs);
	s = stored(id);
	ck_assert(json_object_object_get_ex(s, "policy", &e) &&
	    json_object_object_get_ex(e, "public_read", &e) &&
	    json_object_is_type(e, json_type_boolean));
	ck_assert(json_object_object_get_ex(s, "roles", &e) &&
	    json_object_object_get_ex(e, "member", &e) &&
	    json_object_object_get_ex(e, "can_invite", &e) &&
	    json_object_is_type(e, json_type_boolean));
	json_object_put(s);

	/* Another Host (ZOOID_API_URL not zooid's API host): plain 404. */
	snprintf(url, sizeof(url), "http://localhost:%s",
	    strrchr(fk.url, ':') + 1);
	z.base_url = url;
	ck_assert_int_eq(zooid_relay_patch(&z, id, b, &st, &err),
	    ZOOID_REJECTED);
	ck_assert_int_eq(st, 404);
	ck_assert_ptr_nonnull(strstr(err, "404 without zooid's JSON error "
	    "(is ZOOID_API_URL zooid's API host?)"));
	free(err);
	json_object_put(b);
	cfg_free(&c);
}
END_TEST

START_TEST(failures)
{
	struct config c;
	struct relay r;
	struct zooid z;
	struct json_object *b;
	char id[33], schema[32], sub[32], *err;
	long st;
	enum zooid_rc rc;

	reset();
	base_config(&c);
	client(&z, API_SK);
	relay_n(&r, 8, id, schema, sub);
	b = zooid_relay_body(&c, &r, RELAY_SK);
	fake_control(&fk, "{\"fail_next\": 500}");
	ck_assert_int_eq(zooid_relay_create(&z, id, b, &st, &err),
	    ZOOID_FAILED);
	ck_assert_int_eq(st, 500);
	ck_assert_ptr_nonnull(strstr(err, "500: failed to write config: disk "
	    "full"));
	free(err);
	control_reply(502, "<html>bad gateway</html>");
	ck_assert_int_eq(zooid_relay_create(&z, id, b, &st, &err),
	    ZOOID_FAILED);
	ck_assert_ptr_nonnull(strstr(err, "502 without zooid's JSON error"));
	free(err);
	control_reply(429, "");
	ck_assert_int_eq(zooid_relay_create(&z, id, b, &st, &err),
	    ZOOID_FAILED);
	free(err);
	/* A 2xx that is not zooid's JSON is not a success. */
	control_reply(201, "<html>ok</html>");
	ck_assert_int_eq(zooid_relay_create(&z, id, b, &st, &err),
	    ZOOID_REJECTED);
	ck_assert_ptr_nonnull(strstr(err, "201 with a body that is not "
	    "zooid's JSON"));
	free(err);
	/* An unknown 409 is a conflict; odd bytes in zooid's text are cut. */
	control_reply(409, "{\"error\":\"odd\\nconflict\\u00e9\"}");
	ck_assert_int_eq(zooid_relay_create(&z, id, b, &st, &err),
	    ZOOID_CONFLICT);
	ck_assert_ptr_nonnull(strstr(err, "409: odd?conflict?"));
	free(err);

	/*
	 * zooid stored it, then the answer was lost: retry says EXISTS. On a
	 * reused connection libcurl itself may resend once and already get
	 * that EXISTS; either way the relay exists exactly once.
	 */
	fake_control(&fk, "{\"drop_after_write\": \"close\"}");
	rc = zooid_relay_create(&z, id, b, &st, &err);
	ck_assert_msg(rc == ZOOID_FAILED || rc == ZOOID_EXISTS,
	    "lost answer: %s", zooid_rc_name(rc));
	free(err);
	ck_assert_int_eq(zooid_relay_create(&z, id, b, &st, &err),
	    ZOOID_EXISTS);
	free(err);
	ck_assert_int_eq(zooid_relay_patch(&z, id, b, &st, &err), ZOOID_OK);

	/*
	 * Timeout: the whole call is bounded by z.timeout seconds. The held
	 * PATCH names no relay, so its late answer changes nothing.
	 */
	z.timeout = 1;
	fake_control(&fk, "{\"delay_ms\": 2500}");
	ck_assert_int_eq(zooid_relay_patch(&z, "late", b, &st, &err),
	    ZOOID_FAILED);
	ck_assert_int_eq(st, 0);
	ck_assert_ptr_nonnull(strstr(err, "failed: no complete response"));
	free(err);

	/* Nobody listening. */
	z.base_url = "http://127.0.0.1:9";
	ck_assert_int_eq(zooid_relay_patch(&z, id, b, NULL, &err),
	    ZOOID_FAILED);
	free(err);
	json_object_put(b);
	cfg_free(&c);
}
END_TEST

START_TEST(members)
{
	struct config c;
	struct relay r;
	struct zooid z;
	struct json_object *b, *ctl, *add, *arr;
	char id[33], schema[32], sub[32], relay_pk[65], *err, **m;
	char *big;
	size_t n, i, len;

	reset();
	base_config(&c);
	client(&z, API_SK);
	relay_n(&r, 9, id, schema, sub);
	pubkey_of(RELAY_SK, relay_pk);
	b = zooid_relay_body(&c, &r, RELAY_SK);
	ck_assert_int_eq(zooid_relay_create(&z, id, b, NULL, &err), ZOOID_OK);
	json_object_put(b);
	ck_assert_int_eq(zooid_members(&z, id, &m, &n, &err), ZOOID_OK);
	ck_assert_ptr_null(err);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(m[0], strcmp(relay_pk, TENANT) < 0 ? relay_pk :
	    TENANT);
	ck_assert_str_eq(m[1], strcmp(relay_pk, TENANT) < 0 ? TENANT :
	    relay_pk);
	zooid_members_free(m, n);

	ctl = jobj();
	add = jobj();
	arr = jarr();
	jpush(arr, jstr("0000000000000000000000000000000000000000000000000000"
	    "000000000001"));
	jadd(add, id, arr);
	jadd(ctl, "members_add", add);
	fake_control(&fk, json_text(ctl, NULL));
	json_object_put(ctl);
	ck_assert_int_eq(zooid_members(&z, id, &m, &n, &err), ZOOID_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(m[0], "000000000000000000000000000000000000000000000"
	    "0000000000000000001");
	zooid_members_free(m, n);

	ck_assert_int_eq(zooid_members(&z, "ffff", &m, &n, &err),
	    ZOOID_NOT_FOUND);
	ck_assert_ptr_null(m);
	ck_assert_str_eq(err, "zooid GET /relay/ffff/members answered 404: "
	    "relay not found");
	free(err);
	fake_control(&fk, "{\"era\": \"C\"}");
	ck_assert_int_eq(zooid_members(&z, "ffff", &m, &n, &err),
	    ZOOID_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(err, "answered 500: failed to load relay "
	    "members"));
	free(err);
	fake_control(&fk, "{\"fail_next\": 500}");
	ck_assert_int_eq(zooid_members(&z, id, &m, &n, &err), ZOOID_FAILED);
	free(err);

	/* Hostile 200 answers, through the wire. */
	for (i = 0; i < nbad_members; i++) {
		if (bad_members[i].len != 0)
			continue;
		control_reply(200, bad_members[i].body);
		ck_assert_msg(zooid_members(&z, id, &m, &n, &err) ==
		    ZOOID_REJECTED, "accepted case %zu", i);
		ck_assert_ptr_null(m);
		ck_assert_uint_eq(n, 0);
		ck_assert_msg(strstr(err, " answered 200") != NULL,
		    "case %zu: %s", i, err);
		free(err);
	}
	big = xmalloc(HTTPC_MAX_BODY + 64);
	len = (size_t)snprintf(big, 64, "{\"members\":[],\"pad\":\"");
	memset(big + len, 'x', HTTPC_MAX_BODY);
	memcpy(big + len + HTTPC_MAX_BODY, "\"}", 3);
	control_reply(200, big);
	free(big);
	ck_assert_int_eq(zooid_members(&z, id, &m, &n, &err), ZOOID_REJECTED);
	ck_assert_ptr_nonnull(strstr(err, "response body over"));
	free(err);
	cfg_free(&c);
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tf;
	int status, fake;

	/* Without nostr-tools: a failure in CI, elsewhere a loud skip. */
	if (!(fake = have_node_modules()) && getenv("CI") != NULL &&
	    getenv("CI")[0] != '\0') {
		fprintf(stderr, "FAIL: tests/js/node_modules is missing: run "
		    "npm ci --prefix tests/js\n");
		return EXIT_FAILURE;
	}
	if (httpc_global_init() == -1)
		return EXIT_FAILURE;
	s = suite_create("zooid");
	suite_add_tcase(s, zooid_offline_tcase());
	if (fake) {
		tf = tcase_create("fake");
		tcase_add_unchecked_fixture(tf, start, stop);
		tcase_set_timeout(tf, 60);
		tcase_add_test(tf, create_and_patch);
		tcase_add_test(tf, not_found_and_conflicts);
		tcase_add_test(tf, rejected_and_auth);
		tcase_add_test(tf, failures);
		tcase_add_test(tf, members);
		suite_add_tcase(s, tf);
	}
	status = tl_run(s);
	httpc_global_cleanup();
	if (status != EXIT_SUCCESS)
		return status;
	if (!fake) {
		fprintf(stderr, "SKIP: tests/js/node_modules is missing (npm "
		    "ci --prefix tests/js): the zooid fake tests did NOT "
		    "run\n");
		printf("SKIP: tests/js/node_modules is missing\n");
		return 77;
	}
	return EXIT_SUCCESS;
}

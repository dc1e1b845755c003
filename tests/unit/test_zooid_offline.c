/*
 * test_zooid_offline.c: the half of test_zooid that needs no fake: the
 * config body zooid_relay_body() builds (zooid's exact leaf keys and
 * values), zooid_init(), and tables of hostile members replies, error
 * texts and relay ids.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core.h"
#include "cfg.h"
#include "db.h"
#include "httpc.h"
#include "json.h"
#include "nostr.h"
#include "testlib.h"
#include "zooidtest.h"
#include "zooid.h"

void
pubkey_of(const char *skhex, char out[65])
{
	unsigned char sk[32], pk[32];

	tl_hex(skhex, sk, 32);
	ck_assert_int_eq(nostr_pubkey(sk, pk), 0);
	hex_encode(pk, 32, out);
}

void
cset(struct config *c, enum cfgkey k, const char *v)
{
	free(c->str[k]);
	c->str[k] = xstrdup(v);
}

void
base_config(struct config *c)
{
	memset(c, 0, sizeof(*c));
	cset(c, CFG_RELAY_DOMAIN, "spaces.example.com");
	cset(c, CFG_ZOOID_API_SECRET, API_SK);
	cset(c, CFG_LIVEKIT_URL, "wss://lk.example.com");
	cset(c, CFG_LIVEKIT_API_KEY, "APIkey1");
	cset(c, CFG_LIVEKIT_API_SECRET, LK_SECRET);
	c->num[CFG_HTTP_TIMEOUT] = 10;
}

void
s3_config(struct config *c, int endpoint)
{
	if (endpoint)
		cset(c, CFG_BLOSSOM_S3_ENDPOINT, "https://s3.example.com");
	cset(c, CFG_BLOSSOM_S3_REGION, "us-east-1");
	cset(c, CFG_BLOSSOM_S3_BUCKET, "media");
	cset(c, CFG_BLOSSOM_S3_ACCESS_KEY, "AKIA0001");
	cset(c, CFG_BLOSSOM_S3_SECRET_KEY, S3_SECRET);
}

/* Relay n: id "0...0n" (32 hex), schema relay_n, subdomain sn. */
void
relay_n(struct relay *r, unsigned int n, char id[33], char schema[32],
    char sub[32])
{
	memset(r, 0, sizeof(*r));
	snprintf(id, 33, "%032x", n);
	snprintf(schema, 32, "relay_%u", n);
	snprintf(sub, 32, "s%u", n);
	r->id = id;
	r->tenant = TENANT;
	r->schema = schema;
	r->subdomain = sub;
	r->plan = "basic";
	r->status = "active";
	r->info_name = "My space";
	r->info_icon = "https://x.example/i.png";
	r->info_description = "A \"quoted\" place";
	r->policy_public_join = 1;
	r->groups_enabled = 1;
	r->management_enabled = 1;
	r->blossom_enabled = 1;
}

const char *
at(struct json_object *o, const char *a, const char *b, const char *c)
{
	const char *path[3] = { a, b, c };
	size_t i;

	for (i = 0; i < 3 && path[i] != NULL; i++)
		if (o == NULL || !json_object_object_get_ex(o, path[i], &o))
			return NULL;
	return json_object_is_type(o, json_type_string) ?
	    json_object_get_string(o) : NULL;
}

/* --- the body (workers.md §1, zooid-api.md §3.1) --- */

#define INFO "\"info\":{\"name\":\"My space\",\"icon\":" \
	"\"https://x.example/i.png\",\"description\":\"A \\\"quoted\\\" " \
	"place\",\"pubkey\":\"" TENANT "\"}"
#define ROLES(invite) "\"roles\":{\"owner\":{\"pubkeys\":[\"" TENANT \
	"\"],\"can_manage\":true,\"can_invite\":true}," \
	"\"member\":{\"can_invite\":" invite "}}"

static const char *const body_local =
    "{\"host\":\"s1.spaces.example.com\",\"schema\":\"relay_1\","
    "\"secret\":\"" RELAY_SK "\",\"inactive\":false," INFO ","
    "\"policy\":{\"public_join\":true,\"strip_signatures\":false,"
    "\"public_read\":false,\"public_write\":false},"
    "\"groups\":{\"enabled\":true},\"management\":{\"enabled\":true},"
    "\"push\":{\"enabled\":false},"
    "\"blossom\":{\"enabled\":true,\"adapter\":\"local\"},"
    "\"livekit\":{\"server_url\":\"\",\"api_key\":\"\",\"api_secret\":\"\"},"
    ROLES("false") "}";

static const char *const body_s3 =
    "{\"host\":\"s2.spaces.example.com\",\"schema\":\"relay_2\","
    "\"inactive\":true," INFO ","
    "\"policy\":{\"public_join\":false,\"strip_signatures\":true,"
    "\"public_read\":true,\"public_write\":true},"
    "\"groups\":{\"enabled\":false},\"management\":{\"enabled\":false},"
    "\"push\":{\"enabled\":true},"
    "\"blossom\":{\"enabled\":false,\"adapter\":\"s3\",\"s3\":{"
    "\"endpoint\":\"https://s3.example.com\",\"region\":\"us-east-1\","
    "\"bucket\":\"media\",\"access_key\":\"AKIA0001\",\"secret_key\":\""
    S3_SECRET "\",\"key_prefix\":\"relay_2\"}},"
    "\"livekit\":{\"server_url\":\"wss://lk.example.com\",\"api_key\":"
    "\"APIkey1\",\"api_secret\":\"" LK_SECRET "\"}," ROLES("true") "}";

/* Every leaf zooid reads (§3.1), as dotted paths; roles as "roles.*". */
static const char *const zooid_leaves[] = {
	"host", "schema", "secret", "inactive", "info.name", "info.icon",
	"info.description", "info.pubkey", "policy.public_join",
	"policy.strip_signatures", "policy.public_read", "policy.public_write",
	"groups.enabled", "management.enabled",
	"push.enabled", "blossom.enabled", "blossom.authenticated_read",
	"blossom.adapter", "blossom.s3.endpoint", "blossom.s3.region",
	"blossom.s3.bucket", "blossom.s3.access_key", "blossom.s3.secret_key",
	"blossom.s3.key_prefix", "livekit.server_url", "livekit.api_key",
	"livekit.api_secret", "roles.*.pubkeys", "roles.*.can_invite",
	"roles.*.can_manage",
};

/* Count the leaves of o, asserting each is one zooid reads. */
static size_t
leaves(struct json_object *o, const char *prefix)
{
	char path[256];
	size_t n = 0, i, ok;

	json_object_object_foreach(o, k, v) {
		snprintf(path, sizeof(path), "%s%s%s", prefix,
		    prefix[0] != '\0' ? "." : "", k);
		if (strcmp(prefix, "roles") == 0)
			snprintf(path, sizeof(path), "roles.*");
		if (json_object_is_type(v, json_type_object)) {
			n += leaves(v, path);
			continue;
		}
		for (i = ok = 0; i < nitems(zooid_leaves); i++)
			if (strcmp(zooid_leaves[i], path) == 0)
				ok = 1;
		ck_assert_msg(ok, "key %s is not one zooid reads", path);
		n++;
	}
	return n;
}

START_TEST(body_exact)
{
	struct config c;
	struct relay r;
	struct json_object *b;
	char id[33], schema[32], sub[32];

	base_config(&c);
	relay_n(&r, 1, id, schema, sub);
	b = zooid_relay_body(&c, &r, RELAY_SK);
	ck_assert_str_eq(json_text(b, NULL), body_local);
	ck_assert_uint_eq(leaves(b, ""), 24);
	json_object_put(b);

	/* S3 (all four set) with an endpoint, livekit on, delinquent. */
	s3_config(&c, 1);
	relay_n(&r, 2, id, schema, sub);
	r.status = "delinquent";
	r.policy_public_join = 0;
	r.policy_strip_signatures = 1;
	r.groups_enabled = 0;
	r.management_enabled = 0;
	r.blossom_enabled = 0;
	r.livekit_enabled = 1;
	r.push_enabled = 1;
	r.policy_public_read = 1;
	r.policy_public_write = 1;
	r.members_can_invite = 1;
	b = zooid_relay_body(&c, &r, NULL);
	ck_assert_str_eq(json_text(b, NULL), body_s3);
	ck_assert_uint_eq(leaves(b, ""), 29);
	json_object_put(b);
	cfg_free(&c);
}
END_TEST

START_TEST(body_variants)
{
	struct config c;
	struct relay r;
	struct json_object *b;
	char id[33], schema[32], sub[32];

	/* inactive; RELAY_DOMAIN empty: the host is the subdomain. */
	base_config(&c);
	cset(&c, CFG_RELAY_DOMAIN, "");
	relay_n(&r, 3, id, schema, sub);
	r.status = "inactive";
	b = zooid_relay_body(&c, &r, NULL);
	ck_assert_str_eq(at(b, "host", NULL, NULL), "s3");
	ck_assert(json_object_get_boolean(json_object_object_get(b,
	    "inactive")));
	ck_assert_ptr_null(json_object_object_get(b, "secret"));
	json_object_put(b);

	/* S3 without an endpoint; livekit wanted but a setting is blank. */
	s3_config(&c, 0);
	cset(&c, CFG_LIVEKIT_API_SECRET, "  ");
	r.livekit_enabled = 1;
	r.status = "active";
	b = zooid_relay_body(&c, &r, NULL);
	ck_assert_ptr_null(at(b, "blossom", "s3", "endpoint"));
	ck_assert_ptr_nonnull(json_object_object_get(json_object_object_get(
	    b, "blossom"), "s3"));
	ck_assert_str_eq(at(b, "blossom", "s3", "key_prefix"), "relay_3");
	ck_assert_str_eq(at(b, "livekit", "server_url", NULL), "");
	ck_assert_str_eq(at(b, "livekit", "api_key", NULL), "");
	ck_assert_str_eq(at(b, "livekit", "api_secret", NULL), "");
	ck_assert(!json_object_get_boolean(json_object_object_get(b,
	    "inactive")));
	json_object_put(b);

	/* One of the four S3 settings blank: local; values are trimmed. */
	cset(&c, CFG_BLOSSOM_S3_BUCKET, " \t");
	cset(&c, CFG_LIVEKIT_API_SECRET, " " LK_SECRET "\t");
	cset(&c, CFG_LIVEKIT_URL, " wss://lk.example.com ");
	b = zooid_relay_body(&c, &r, NULL);
	ck_assert_str_eq(at(b, "blossom", "adapter", NULL), "local");
	ck_assert_ptr_null(json_object_object_get(json_object_object_get(b,
	    "blossom"), "s3"));
	ck_assert_str_eq(at(b, "livekit", "server_url", NULL),
	    "wss://lk.example.com");
	ck_assert_str_eq(at(b, "livekit", "api_secret", NULL), LK_SECRET);
	json_object_put(b);

	/* Livekit settings present but the relay has it off: empty. */
	r.livekit_enabled = 0;
	b = zooid_relay_body(&c, &r, NULL);
	ck_assert_str_eq(at(b, "livekit", "api_key", NULL), "");
	json_object_put(b);

	/* An unknown status is never served. */
	r.status = "paused";
	b = zooid_relay_body(&c, &r, NULL);
	ck_assert(json_object_get_boolean(json_object_object_get(b,
	    "inactive")));
	json_object_put(b);
	cfg_free(&c);
}
END_TEST

START_TEST(init_settings)
{
	static const char *const bad_urls[] = {
		"", "ftp://zooid", "http://", "https:///relay", "zooid:3334",
		"http://zooid/?x=1", "http://zooid#f", "http://u:p@zooid",
		"http://zoo id", "http://zooid\n",
	};
	struct config c;
	struct zooid z;
	unsigned char sk[32];
	size_t i;

	base_config(&c);
	cset(&c, CFG_ZOOID_API_URL, "https://zooid.example.com/");
	c.num[CFG_HTTP_TIMEOUT] = 7;
	ck_assert_int_eq(zooid_init(&z, &c), 0);
	ck_assert_str_eq(z.base_url, "https://zooid.example.com/");
	ck_assert_int_eq(z.timeout, 7);
	tl_hex(API_SK, sk, 32);
	ck_assert_mem_eq(z.secret, sk, 32);
	zooid_release(&z);
	memset(sk, 0, sizeof(sk));
	ck_assert_mem_eq(z.secret, sk, 32);

	for (i = 0; i < nitems(bad_urls); i++) {
		cset(&c, CFG_ZOOID_API_URL, bad_urls[i]);
		ck_assert_msg(zooid_init(&z, &c) == -1, "accepted %s",
		    bad_urls[i]);
		ck_assert_mem_eq(z.secret, sk, 32);
	}
	cset(&c, CFG_ZOOID_API_URL, "http://127.0.0.1:3334");
	cset(&c, CFG_ZOOID_API_SECRET, "");
	ck_assert_int_eq(zooid_init(&z, &c), -1);
	cset(&c, CFG_ZOOID_API_SECRET, "0123");
	ck_assert_int_eq(zooid_init(&z, &c), -1);
	cset(&c, CFG_ZOOID_API_SECRET, "0000000000000000000000000000000000"
	    "000000000000000000000000000000");
	ck_assert_int_eq(zooid_init(&z, &c), -1);
	cfg_free(&c);
}
END_TEST

/* --- hostile input for the parsers --- */

#define NUL_BODY "{\"members\":[\"" TENANT "\"]}\0{"

const struct zooid_bad_reply bad_members[] = {
	{ "", 0 },
	{ "not json", 0 },
	{ "[]", 0 },
	{ "\"members\"", 0 },
	{ "{}", 0 },
	{ "{\"members\":null}", 0 },
	{ "{\"members\":\"" TENANT "\"}", 0 },
	{ "{\"members\":{}}", 0 },
	{ "{\"members\":[1]}", 0 },
	{ "{\"members\":[null]}", 0 },
	{ "{\"members\":[[\"" TENANT "\"]]}", 0 },
	{ "{\"members\":[\"C6047F9441ED7D6D3045406E95C07CD85C778E4B8CEF3CA7AB"
	  "AC09B95C709EE5\"]}", 0 },
	{ "{\"members\":[\"c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7ab"
	  "ac09b95c709ee\"]}", 0 },
	{ "{\"members\":[\"" TENANT "0\"]}", 0 },
	{ "{\"members\":[\"g6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7ab"
	  "ac09b95c709ee5\"]}", 0 },
	{ "{\"members\":[\"c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7ab"
	  "ac09b95c709e\\u0000\"]}", 0 },
	{ "{\"members\":[\"" TENANT "\",\"" TENANT "\"]}", 0 },
	{ "{\"members\":[\"" TENANT "\"]", 0 },
	{ "{\"members\":[\"" TENANT "\"]} x", 0 },
	{ "{\"members\":[\"\xff\xfe\"]}", 0 },
	{ NUL_BODY, sizeof(NUL_BODY) - 1 },
};
const size_t nbad_members = nitems(bad_members);

START_TEST(members_hostile)
{
	static const char good[] = "{\"members\":[\"" TENANT "\",\""
	    "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
	    "\"],\"next\":1}";
	char **m, *big;
	const char *why;
	size_t i, n, len;

	for (i = 0; i < nbad_members; i++) {
		len = bad_members[i].len != 0 ? bad_members[i].len :
		    strlen(bad_members[i].body);
		ck_assert_msg(zooid_members_parse(bad_members[i].body, len, &m,
		    &n, &why) == -1, "accepted case %zu", i);
		ck_assert_ptr_null(m);
		ck_assert_uint_eq(n, 0);
		ck_assert_ptr_nonnull(why);
	}
	ck_assert_int_eq(zooid_members_parse(NULL, 0, &m, &n, &why), -1);

	/* Deep nesting, and a body over the cap. */
	big = xmalloc(HTTPC_MAX_BODY + 64);
	for (i = 0; i < 5000; i++)
		big[i] = '[';
	big[i] = '\0';
	ck_assert_int_eq(zooid_members_parse(big, strlen(big), &m, &n, &why),
	    -1);
	len = (size_t)snprintf(big, 64, "{\"members\":[],\"pad\":\"");
	memset(big + len, 'x', HTTPC_MAX_BODY);
	memcpy(big + len + HTTPC_MAX_BODY, "\"}", 3);
	ck_assert_int_eq(zooid_members_parse(big, strlen(big), &m, &n, &why),
	    -1);
	free(big);

	/* Good: unsorted in, sorted out; empty list; extra keys ignored. */
	ck_assert_int_eq(zooid_members_parse(good, strlen(good), &m, &n,
	    &why), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(m[0], "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce"
	    "28d959f2815b16f81798");
	ck_assert_str_eq(m[1], TENANT);
	zooid_members_free(m, n);
	ck_assert_int_eq(zooid_members_parse("{\"members\":[]}", 14, &m, &n,
	    &why), 0);
	ck_assert_uint_eq(n, 0);
	zooid_members_free(m, n);
}
END_TEST

static const struct {
	const char *in, *want;
} texts[] = {
	{ "relay not found", "relay not found" },
	{ "invalid secret key: '00" RELAY_SK "' is not valid hex",
	  "invalid secret key: [redacted]" },
	{ "invalid secret key: invalid secret key",
	  "invalid secret key: [redacted]" },
	{ "echo " RELAY_SK " and " API_SK " done",
	  "echo [redacted] and [redacted] done" },
	{ "upper 3B6A27BCCEB6A42D62A3A8D02A6F0D73653215771DE243A63AC048A18B59"
	  "DA29!", "upper [redacted]!" },
	{ "s3 said " S3_SECRET, "s3 said [redacted]" },
	{ "short secrets like abc stay", "short secrets like abc stay" },
	{ "line1\nline2\tx\x7f", "line1?line2?x?" },
	{ "caf\xc3\xa9 \xf0\x9f\x90\x98", "caf? ?" },
	/* A stray continuation byte must not join two halves of a secret. */
	{ "stray s3-secret-\x80value-42", "stray s3-secret-?value-42" },
	{ "schema \"relay_1\" is already in use",
	  "schema \"relay_1\" is already in use" },
};

START_TEST(error_texts)
{
	static const char *const secrets[] = { RELAY_SK, API_SK, S3_SECRET,
	    "abc", NULL };
	char *s, *big;
	size_t i;

	for (i = 0; i < nitems(texts); i++) {
		s = zooid_clean_text(texts[i].in, strlen(texts[i].in),
		    secrets);
		ck_assert_str_eq(s, texts[i].want);
		free(s);
	}
	/* Long text is cut; a cut never shows part of a secret. */
	big = xmalloc(5000);
	memset(big, 'm', 5000);
	memcpy(big + ZOOID_ERR_MAX - 10, RELAY_SK, 64);
	s = zooid_clean_text(big, 5000, secrets);
	ck_assert_uint_le(strlen(s), ZOOID_ERR_MAX + 16);
	ck_assert_ptr_null(strstr(s, "3b6a27"));
	ck_assert_ptr_nonnull(strstr(s, "..."));
	free(s);
	free(big);
	s = zooid_clean_text("x\0y", 3, NULL);
	ck_assert_str_eq(s, "x?y");
	free(s);
}
END_TEST

/* 65 characters: one too many for an id. */
#define ID65 "x0123456789abcdef0123456789abcdef" \
	"0123456789abcdef0123456789abcdef"

START_TEST(ids)
{
	static const char *const good[] = {
		"a",
		"0123456789abcdef0123456789abcdef",
		"My_relay-1",
		&ID65[1],
	};
	static const char *const bad[] = {
		"", "a/b", "..", "a.b", "a b", "a?b", "a%2Fb", "\xc3\xa9", ID65,
	};
	struct zooid z;
	struct json_object *b;
	char *err;
	long st;
	size_t i;

	for (i = 0; i < nitems(good); i++)
		ck_assert(zooid_id_ok(good[i]));
	for (i = 0; i < nitems(bad); i++)
		ck_assert_msg(!zooid_id_ok(bad[i]), "%s", bad[i]);
	ck_assert(!zooid_id_ok(NULL));
	/* Nothing is sent for a bad id or a bad base URL. */
	memset(&z, 0, sizeof(z));
	z.base_url = "http://127.0.0.1:9";
	z.timeout = 1;
	b = jobj();
	ck_assert_int_eq(zooid_relay_create(&z, "../etc", b, &st, &err),
	    ZOOID_REJECTED);
	ck_assert_int_eq(st, 0);
	ck_assert_str_eq(err, "zooid POST not sent: the relay id is not 1 to "
	    "64 of [A-Za-z0-9_-]");
	free(err);
	z.base_url = "http://127.0.0.1:9/?q";
	ck_assert_int_eq(zooid_relay_patch(&z, "abc", b, &st, &err),
	    ZOOID_REJECTED);
	ck_assert_ptr_nonnull(strstr(err, "not sent"));
	free(err);
	json_object_put(b);
	ck_assert_str_eq(zooid_rc_name(ZOOID_NOT_FOUND), "not found");
}
END_TEST

TCase *
zooid_offline_tcase(void)
{
	TCase *tc;

	tc = tcase_create("offline");
	tcase_add_test(tc, body_exact);
	tcase_add_test(tc, body_variants);
	tcase_add_test(tc, init_settings);
	tcase_add_test(tc, members_hostile);
	tcase_add_test(tc, error_texts);
	tcase_add_test(tc, ids);
	return tc;
}

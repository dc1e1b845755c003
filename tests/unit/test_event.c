/*
 * test_event.c: BIP-340 (every row of bip340-test-vectors.csv), NIP-01
 * events (every entry of nip01-events.json), keys, and hostile event JSON.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include "core.h"
#include "nostr.h"
#include "testlib.h"

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

static void
assert_hex(const unsigned char *v, size_t n, const char *want)
{
	char hex[257];

	ck_assert_uint_le(n, 128);
	hex_encode(v, n, hex);
	ck_assert_str_eq(hex, want);
}

/* Split one CSV line into at most 8 fields (the comment keeps its commas). */
static size_t
csv_fields(char *line, char **f)
{
	size_t n = 0;
	char *p = line;

	f[n++] = p;
	while (n < 8 && (p = strchr(p, ',')) != NULL) {
		*p++ = '\0';
		f[n++] = p;
	}
	return n;
}

/* BIP-340: sign rows must reproduce the signature; all rows the verdict. */
START_TEST(bip340_vectors)
{
	const secp256k1_context *ctx = nostr_secp();
	secp256k1_schnorrsig_extraparams ep =
	    SECP256K1_SCHNORRSIG_EXTRAPARAMS_INIT;
	secp256k1_keypair kp;
	secp256k1_xonly_pubkey xpk;
	unsigned char sk[32], pk[32], aux[32], msg[128], sig[64], out[64];
	char *buf, *line, *next, *f[8];
	size_t msglen, rows = 0, signs = 0;
	int expect, got;

	buf = tl_read_file(tl_vector_path("bip340-test-vectors.csv"), NULL);
	ck_assert_ptr_nonnull(buf);
	printf("vectors: bip340-test-vectors.csv\n");
	line = strchr(buf, '\n') + 1; /* header */
	for (; *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (*line == '\0')
			continue;
		ck_assert_uint_eq(csv_fields(line, f), 8);
		msglen = strlen(f[4]) / 2;
		ck_assert_uint_le(msglen, sizeof(msg));
		tl_hex(f[2], pk, 32);
		tl_hex(f[4], msg, msglen);
		tl_hex(f[5], sig, 64);
		expect = strcmp(f[6], "TRUE") == 0;
		ck_assert(expect || strcmp(f[6], "FALSE") == 0);
		if (*f[1] != '\0') {
			tl_hex(f[1], sk, 32);
			tl_hex(f[3], aux, 32);
			ck_assert_int_eq(nostr_pubkey(sk, out), 0);
			ck_assert_mem_eq(out, pk, 32);
			ck_assert(secp256k1_keypair_create(ctx, &kp, sk));
			ep.ndata = aux;
			ck_assert(secp256k1_schnorrsig_sign_custom(ctx, out,
			    msg, msglen, &kp, &ep));
			ck_assert_msg(memcmp(out, sig, 64) == 0, "row %s",
			    f[0]);
			if (msglen == 32) {
				ck_assert(secp256k1_schnorrsig_sign32(ctx, out,
				    msg, &kp, aux));
				ck_assert_mem_eq(out, sig, 64);
			}
			signs++;
		}
		got = secp256k1_xonly_pubkey_parse(ctx, &xpk, pk) == 1 &&
		    secp256k1_schnorrsig_verify(ctx, sig, msg, msglen,
		    &xpk) == 1;
		ck_assert_msg(got == expect, "row %s: %s", f[0], f[7]);
		ck_assert_int_eq(nostr_pubkey_ok(pk),
		    secp256k1_xonly_pubkey_parse(ctx, &xpk, pk));
		rows++;
	}
	ck_assert_uint_eq(rows, 19);
	ck_assert_uint_eq(signs, 8);
	free(buf);
}
END_TEST

/* Parse through text, as the network delivers events. */
static void
parse_obj(struct json_object *o, struct nostr_event *ev)
{
	const char *text, *why = NULL;
	size_t n;

	text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &n);
	ck_assert_msg(nostr_event_parse(text, n, 1, ev, &why) == 0, "%s", why);
}

START_TEST(nip01_valid_events)
{
	struct json_object *vec, *list, *o;
	struct nostr_event ev, ev2;
	unsigned char id[32];
	const char *why;
	char *json;
	size_t i, n, len;

	vec = tl_vector_json("nip01-events.json");
	list = get(vec, "valid_events");
	ck_assert_uint_gt((n = json_object_array_length(list)), 0);
	for (i = 0; i < n; i++) {
		o = get(json_object_array_get_idx(list, i), "event");
		parse_obj(o, &ev);
		why = NULL;
		ck_assert_msg(nostr_event_verify(&ev, &why) == 0, "%zu: %s", i,
		    why);
		nostr_event_compute_id(&ev, id);
		assert_hex(id, 32, str(o, "id"));
		assert_hex(ev.sig, 64, str(o, "sig"));
		ck_assert_int_eq(ev.kind, json_object_get_int(get(o, "kind")));
		ck_assert_int_eq(ev.created_at,
		    json_object_get_int64(get(o, "created_at")));
		ck_assert_uint_eq(ev.content_len, (size_t)
		    json_object_get_string_len(get(o, "content")));
		/* Our JSON parses back to the same, still valid, event. */
		json = nostr_event_json_alloc(&ev, &len);
		ck_assert_int_eq(nostr_event_parse(json, len, 1, &ev2, &why),
		    0);
		ck_assert_int_eq(nostr_event_verify(&ev2, &why), 0);
		ck_assert_mem_eq(ev2.id, ev.id, 32);
		free(json);
		nostr_event_release(&ev2);
		/* Through nostr_event_to_json and from_json as well. */
		o = nostr_event_to_json(&ev);
		ck_assert_int_eq(nostr_event_from_json(o, 1, &ev2, &why), 0);
		ck_assert_int_eq(nostr_event_verify(&ev2, &why), 0);
		json_object_put(o);
		nostr_event_release(&ev2);
		nostr_event_release(&ev);
	}
	json_object_put(vec);
}
END_TEST

START_TEST(nip01_invalid_id_events)
{
	struct json_object *vec, *list, *e, *o;
	struct nostr_event ev;
	secp256k1_xonly_pubkey xpk;
	unsigned char id[32];
	const char *why;
	size_t i, n;

	vec = tl_vector_json("nip01-events.json");
	list = get(vec, "invalid_id_events");
	ck_assert_uint_gt((n = json_object_array_length(list)), 0);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(list, i);
		o = get(e, "event");
		parse_obj(o, &ev);
		why = NULL;
		ck_assert_int_eq(nostr_event_verify(&ev, &why), -1);
		ck_assert_str_eq(why, "event id does not match its content");
		ck_assert_int_eq(nostr_event_check_id(&ev, NULL), -1);
		nostr_event_compute_id(&ev, id);
		assert_hex(id, 32, str(e, "computed_id"));
		/* The trap: the sig is good over the stated id. */
		ck_assert(secp256k1_xonly_pubkey_parse(nostr_secp(), &xpk,
		    ev.pubkey));
		ck_assert(secp256k1_schnorrsig_verify(nostr_secp(), ev.sig,
		    ev.id, 32, &xpk));
		nostr_event_release(&ev);
	}
	json_object_put(vec);
}
END_TEST

/* An event from a case's unsigned_event, built through the public API. */
static void
build_event(struct json_object *u, struct nostr_event *ev)
{
	struct json_object *tags, *tag, *c;
	const char *vals[16];
	size_t i, j, m;

	nostr_event_init(ev);
	tl_hex(str(u, "pubkey"), ev->pubkey, 32);
	ev->created_at = json_object_get_int64(get(u, "created_at"));
	ev->kind = json_object_get_int(get(u, "kind"));
	tags = get(u, "tags");
	for (i = 0; i < json_object_array_length(tags); i++) {
		tag = json_object_array_get_idx(tags, i);
		m = json_object_array_length(tag);
		ck_assert_uint_le(m, nitems(vals));
		for (j = 0; j < m; j++)
			vals[j] = json_object_get_string(
			    json_object_array_get_idx(tag, j));
		nostr_event_add_tag(ev, m, vals);
	}
	c = get(u, "content");
	nostr_event_set_content(ev, json_object_get_string(c),
	    (size_t)json_object_get_string_len(c));
}

START_TEST(nip01_serialization_cases)
{
	struct json_object *vec, *list, *c, *want;
	struct nostr_event ev, ev2;
	unsigned char sk[32], aux[32], pk[32];
	const char *why;
	char *ser, *json;
	size_t i, n, len;

	vec = tl_vector_json("nip01-events.json");
	list = get(vec, "serialization_cases");
	ck_assert_uint_gt((n = json_object_array_length(list)), 0);
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(list, i);
		build_event(get(c, "unsigned_event"), &ev);
		ser = nostr_event_serialize_alloc(&ev, &len);
		want = get(c, "serialized");
		ck_assert_uint_eq(len,
		    (size_t)json_object_get_string_len(want));
		ck_assert_msg(memcmp(ser, json_object_get_string(want),
		    len) == 0, "%s: %s", str(c, "name"), ser);
		free(ser);
		tl_hex(str(c, "secret_key"), sk, 32);
		tl_hex(str(c, "aux_rand"), aux, 32);
		ck_assert_int_eq(nostr_pubkey(sk, pk), 0);
		ck_assert_mem_eq(pk, ev.pubkey, 32);
		ck_assert_int_eq(nostr_event_sign_aux(&ev, sk, aux), 0);
		ck_assert_int_eq(ev.has_sig, 1);
		assert_hex(ev.id, 32, str(c, "id"));
		assert_hex(ev.sig, 64, str(c, "sig"));
		ck_assert_int_eq(nostr_event_verify(&ev, &why), 0);
		json = nostr_event_json_alloc(&ev, &len);
		ck_assert_int_eq(nostr_event_parse(json, len, 1, &ev2, &why),
		    0);
		ck_assert_uint_eq(ev2.content_len, ev.content_len);
		ck_assert_mem_eq(ev2.content, ev.content, ev.content_len);
		ck_assert_int_eq(nostr_event_verify(&ev2, &why), 0);
		free(json);
		nostr_event_release(&ev2);
		nostr_event_release(&ev);
	}
	json_object_put(vec);
}
END_TEST

static const char *const bad_secrets[] = {
	"",
	"0000000000000000000000000000000000000000000000000000000000000000",
	/* the group order n, and n + 1 */
	"fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
	"fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364142",
	"000000000000000000000000000000000000000000000000000000000000003",
	"00000000000000000000000000000000000000000000000000000000000000030",
	"000000000000000000000000000000000000000000000000000000000000000g",
	" 0000000000000000000000000000000000000000000000000000000000000003",
	"nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe4",
	"npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6",
	"nsec1",
};
static const char *const bad_pubkeys[] = {
	"",
	/* BIP-340 rows 5 (not on the curve) and 14 (x >= p) */
	"eefdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34",
	"fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc30",
	"f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f",
	"nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5",
	"npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w7",
};

START_TEST(key_parsing)
{
	unsigned char sk[32], pk[32], pk2[32], sk2[32];
	size_t i;

	ck_assert_int_eq(nostr_secret_parse(
	    "0000000000000000000000000000000000000000000000000000000000000003",
	    sk), 0);
	ck_assert_int_eq(nostr_pubkey(sk, pk), 0);
	assert_hex(pk, 32,
	    "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9");
	ck_assert_int_eq(nostr_pubkey_parse(
	    "F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9",
	    pk2), 0);
	ck_assert_mem_eq(pk, pk2, 32);
	/* NIP-19 examples */
	ck_assert_int_eq(nostr_secret_parse(
	    "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5",
	    sk), 0);
	assert_hex(sk, 32,
	    "67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa");
	ck_assert_int_eq(nostr_pubkey_parse(
	    "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6",
	    pk), 0);
	assert_hex(pk, 32,
	    "3bf0c63fcb93463407af97a5e5ee64fa883d107ef9e558472c4eb9aaaefa459d");
	for (i = 0; i < nitems(bad_secrets); i++)
		ck_assert_msg(nostr_secret_parse(bad_secrets[i], sk) == -1,
		    "accepted %s", bad_secrets[i]);
	ck_assert_int_eq(nostr_secret_parse(NULL, sk), -1);
	for (i = 0; i < nitems(bad_pubkeys); i++)
		ck_assert_msg(nostr_pubkey_parse(bad_pubkeys[i], pk) == -1,
		    "accepted %s", bad_pubkeys[i]);
	memset(sk, 0, 32);
	ck_assert_int_eq(nostr_pubkey(sk, pk), -1);
	ck_assert_int_eq(nostr_keygen(sk, pk), 0);
	ck_assert_int_eq(nostr_keygen(sk2, pk2), 0);
	ck_assert(memcmp(sk, sk2, 32) != 0);
	ck_assert(nostr_pubkey_ok(pk));
	ck_assert_int_eq(nostr_pubkey(sk, pk2), 0);
	ck_assert_mem_eq(pk, pk2, 32);
	ck_assert_int_eq(nostr_random(sk, 0), 0);
	/* SHA-256("abc"), FIPS 180-2 */
	nostr_sha256("abc", 3, pk);
	assert_hex(pk, 32,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(sign_and_tamper)
{
	static const char *const tag1[] = { "p", "abc", "wss://r" };
	static const char *const tag2[] = { "p", "second" };
	static const char *const tag3[] = { "x" };
	struct nostr_event ev, ev2;
	unsigned char sk[32], pk[32], sig[64];
	const char *why;
	char *json;
	size_t len;

	ck_assert_int_eq(nostr_keygen(sk, pk), 0);
	nostr_event_init(&ev);
	ck_assert_ptr_nonnull(ev.tags);
	ck_assert_str_eq(ev.content, "");
	ev.kind = 1;
	ev.created_at = 1700000000;
	nostr_event_set_content(&ev, "a\0b", 3);
	nostr_event_add_tag(&ev, 3, tag1);
	nostr_event_add_tag(&ev, 2, tag2);
	nostr_event_add_tag(&ev, 1, tag3);
	ck_assert_str_eq(nostr_event_tag(&ev, "p"), "abc");
	ck_assert_ptr_null(nostr_event_tag(&ev, "x"));
	ck_assert_ptr_null(nostr_event_tag(&ev, "q"));
	ck_assert_ptr_null(nostr_event_tag(&ev, ""));
	ck_assert_int_eq(nostr_event_sign(&ev, sk), 0);
	ck_assert_mem_eq(ev.pubkey, pk, 32);
	ck_assert_int_eq(nostr_event_verify(&ev, &why), 0);
	memcpy(sig, ev.sig, 64);
	/* Fresh aux_rand: a second signature differs and still verifies. */
	ck_assert_int_eq(nostr_event_sign(&ev, sk), 0);
	ck_assert(memcmp(sig, ev.sig, 64) != 0);
	ck_assert_int_eq(nostr_event_verify(&ev, NULL), 0);
	json = nostr_event_json_alloc(&ev, &len);
	ck_assert_ptr_nonnull(strstr(json, "\"content\":\"a\\u0000b\""));
	ck_assert_int_eq(nostr_event_parse(json, len, 1, &ev2, &why), 0);
	ck_assert_uint_eq(ev2.content_len, 3);
	ck_assert_int_eq(nostr_event_verify(&ev2, &why), 0);
	free(json);
	nostr_event_release(&ev2);
	ev.content[2] = 'c';
	ck_assert_int_eq(nostr_event_verify(&ev, &why), -1);
	ck_assert_str_eq(why, "event id does not match its content");
	ev.content[2] = 'b';
	ev.sig[10] ^= 1;
	ck_assert_int_eq(nostr_event_verify(&ev, &why), -1);
	ck_assert_str_eq(why, "event signature does not verify");
	ev.sig[10] ^= 1;
	ev.has_sig = 0;
	ck_assert_int_eq(nostr_event_verify(&ev, &why), -1);
	ck_assert_str_eq(why, "event is not signed");
	memset(sk, 0, 32);
	ck_assert_int_eq(nostr_event_sign(&ev, sk), -1);
	ck_assert_int_eq(ev.has_sig, 0);
	nostr_event_release(&ev);
	nostr_event_release(&ev);
}
END_TEST

START_TEST(rumor)
{
	struct nostr_event ev, ev2;
	unsigned char sk[32], pk[32];
	const char *why;
	char *json;
	size_t len;

	ck_assert_int_eq(nostr_keygen(sk, pk), 0);
	nostr_event_init(&ev);
	ev.kind = 14;
	ev.created_at = 1;
	nostr_event_set_content(&ev, "hi", 2);
	nostr_event_make_rumor(&ev, pk);
	ck_assert_int_eq(ev.has_sig, 0);
	ck_assert_int_eq(nostr_event_check_id(&ev, &why), 0);
	ck_assert_int_eq(nostr_event_verify(&ev, &why), -1);
	json = nostr_event_json_alloc(&ev, &len);
	ck_assert_ptr_null(strstr(json, "\"sig\""));
	ck_assert_int_eq(nostr_event_parse(json, len, 1, &ev2, &why), -1);
	ck_assert_str_eq(why, "event sig is not 128 lower-case hex digits");
	ck_assert_int_eq(nostr_event_parse(json, len, 0, &ev2, &why), 0);
	ck_assert_int_eq(ev2.has_sig, 0);
	ck_assert_int_eq(nostr_event_check_id(&ev2, &why), 0);
	ck_assert_mem_eq(ev2.pubkey, pk, 32);
	free(json);
	nostr_event_release(&ev2);
	nostr_event_release(&ev);
}
END_TEST

#define ID64 "b2a44af84ca99b14820ae91c44e1ef0908f8aadc4e10620a6e6caa344507f03c"
#define ID63 "b2a44af84ca99b14820ae91c44e1ef0908f8aadc4e10620a6e6caa344507f03"
#define ID64UP \
	"B2A44AF84CA99B14820AE91C44E1EF0908F8AADC4E10620A6E6CAA344507F03C"
#define H64 "6af0f9de588f2c53cedcba26c5e2402e0d0aa64ec7b47c9f8d97b5bc562bab5f"
#define H63 "6af0f9de588f2c53cedcba26c5e2402e0d0aa64ec7b47c9f8d97b5bc562bab5"
#define S128 \
	"70d65ee6101b4011054ee815e507c4e30d13bf4f517fcfc083039ba1b39fb5a7" \
	"dfa5228a18ae2555c360c89d923a6d08083c8d6f3594ef649f5a5b3009834fee"

/* The valid base event, with one member replaced (value NULL: dropped). */
static char *
event_with(const char *key, const char *value)
{
	static const char *const keys[] = {
		"id", "pubkey", "created_at", "kind", "tags", "content", "sig"
	};
	static const char *const vals[] = {
		"\"" ID64 "\"", "\"" H64 "\"", "1617932115", "1", "[]",
		"\"Hello, world!\"",
		"\"" S128 "\""
	};
	char *buf;
	size_t i, n = 0, cap = 1024 + (value != NULL ? strlen(value) : 0);
	int first = 1;

	buf = xmalloc(cap);
	buf[n++] = '{';
	for (i = 0; i < nitems(keys); i++) {
		const char *v = strcmp(keys[i], key) == 0 ? value : vals[i];

		if (v == NULL)
			continue;
		n += (size_t)snprintf(buf + n, cap - n, "%s\"%s\":%s",
		    first ? "" : ",", keys[i], v);
		first = 0;
	}
	snprintf(buf + n, cap - n, "}");
	return buf;
}

#define W_ID "event id is not 64 lower-case hex digits"
#define W_PK "event pubkey is not 64 lower-case hex digits"
#define W_SIG "event sig is not 128 lower-case hex digits"
#define W_TS "event created_at is not a non-negative integer"
#define W_KIND "event kind is not an integer from 0 to 65535"
#define W_TAGS "event tags are not arrays of strings"
#define W_CONT "event content is not a string"
#define W_JSON "event is not valid JSON"

/* One member at a time made hostile; a NULL why means still accepted. */
START_TEST(hostile_members)
{
	static const struct {
		const char *key, *value, *why;
	} cases[] = {
		{ "id", NULL, W_ID },
		{ "id", "\"" ID64UP "\"", W_ID },
		{ "id", "\"" ID63 "\"", W_ID },
		{ "id", "\"" ID64 "0\"", W_ID },
		{ "id", "\"g" ID63 "\"", W_ID },
		{ "id", "\" " ID63 "\"", W_ID },
		{ "id", "1", W_ID },
		{ "id", "null", W_ID },
		{ "id", "[\"" H64 "\"]", W_ID },
		{ "pubkey", NULL, W_PK },
		{ "pubkey", "\"" H63 "F\"", W_PK },
		{ "pubkey", "\"\"", W_PK },
		{ "pubkey", "\"" H63 "\\u0066\"", NULL },
		{ "sig", NULL, W_SIG },
		{ "sig", "\"" H64 "\"", W_SIG },
		{ "sig", "null", W_SIG },
		{ "sig", "\"\"", W_SIG },
		{ "created_at", NULL, W_TS },
		{ "created_at", "1.0", W_TS },
		{ "created_at", "1617932115.0", W_TS },
		{ "created_at", "1.617932115e9", W_TS },
		{ "created_at", "\"1617932115\"", W_TS },
		{ "created_at", "-1", W_TS },
		{ "created_at", "9007199254740992", W_TS },
		{ "created_at", "9223372036854775807", W_TS },
		{ "created_at", "18446744073709551616", W_TS },
		{ "created_at", "-99999999999999999999999", W_TS },
		{ "created_at", "true", W_TS },
		{ "created_at", "0", NULL },
		{ "created_at", "9007199254740991", NULL },
		{ "created_at", "null", W_TS },
		{ "kind", NULL, W_KIND },
		{ "kind", "-1", W_KIND },
		{ "kind", "65536", W_KIND },
		{ "kind", "4294967297", W_KIND },
		{ "kind", "1.5", W_KIND },
		{ "kind", "1e0", W_KIND },
		{ "kind", "\"1\"", W_KIND },
		{ "kind", "0", NULL },
		{ "kind", "65535", NULL },
		{ "tags", NULL, W_TAGS },
		{ "tags", "{}", W_TAGS },
		{ "tags", "\"[]\"", W_TAGS },
		{ "tags", "null", W_TAGS },
		{ "tags", "[1]", W_TAGS },
		{ "tags", "[[]]", W_TAGS },
		{ "tags", "[[1]]", W_TAGS },
		{ "tags", "[[\"e\",null]]", W_TAGS },
		{ "tags", "[[\"e\",[\"x\"]]]", W_TAGS },
		{ "tags", "[[\"e\",{}]]", W_TAGS },
		{ "tags", "[[\"e\",\"x\"],\"e\"]", W_TAGS },
		{ "tags", "[[\"\xc0\xaf\"]]", W_TAGS },
		{ "tags", "[[[[[[[[[\"x\"]]]]]]]]]", W_JSON },
		{ "content", NULL, W_CONT },
		{ "content", "null", W_CONT },
		{ "content", "1", W_CONT },
		{ "content", "[\"x\"]", W_CONT },
		{ "content", "\"\xc0\xaf\"", W_CONT },
		{ "content", "\"\xed\xa0\x80\"", W_CONT },
		{ "content", "\"\xf4\x90\x80\x80\"", W_CONT },
		{ "content", "\"\xff\"", W_JSON },
		{ "content", "\"\xe2\x82\"", W_JSON },
		{ "content", "\"raw\nnewline\"", W_JSON },
		{ "content", "\"raw\ttab\"", W_JSON },
		{ "content", "\"bad \\x escape\"", W_JSON },
		{ "content", "\"unterminated", W_JSON },
		{ "content", "'single'", W_JSON },
	};
	struct nostr_event ev;
	const char *why;
	char *json;
	size_t i;
	int rc;

	json = event_with("", NULL);
	ck_assert_int_eq(nostr_event_parse(json, strlen(json), 1, &ev, &why),
	    0);
	ck_assert_int_eq(nostr_event_verify(&ev, &why), 0);
	nostr_event_release(&ev);
	free(json);
	for (i = 0; i < nitems(cases); i++) {
		json = event_with(cases[i].key, cases[i].value);
		why = NULL;
		rc = nostr_event_parse(json, strlen(json), 1, &ev, &why);
		if (cases[i].why == NULL)
			/* e.g. escaped hex, decoded before the check */
			ck_assert_msg(rc == 0, "case %zu: %s", i, why);
		else {
			ck_assert_msg(rc == -1, "accepted case %zu: %s", i, json);
			ck_assert_msg(why != NULL &&
			    strcmp(why, cases[i].why) == 0, "case %zu: %s", i,
			    why);
			ck_assert_ptr_null(ev.tags);
			ck_assert_ptr_null(ev.content);
		}
		nostr_event_release(&ev);
		free(json);
	}
}
END_TEST

START_TEST(hostile_text)
{
	static const char *const texts[] = {
		"", " ", "{", "}", "[]", "null", "1", "\"s\"", "{}",
		"{\"id\":}", "{,}", "NaN", "/* c */{}",
		"\xef\xbb\xbf{}",
	};
	struct nostr_event ev;
	const char *why;
	char *json, *big;
	size_t i, n;

	for (i = 0; i < nitems(texts); i++) {
		why = NULL;
		ck_assert_msg(nostr_event_parse(texts[i], strlen(texts[i]), 1,
		    &ev, &why) == -1, "accepted %s", texts[i]);
		ck_assert_ptr_nonnull(why);
	}
	json = event_with("", NULL);
	n = strlen(json);
	/* every truncation */
	for (i = 0; i < n; i++)
		ck_assert_msg(nostr_event_parse(json, i, 1, &ev, NULL) == -1,
		    "accepted a prefix of %zu bytes", i);
	/* whitespace after the object is JSON; anything else is not */
	big = xmalloc(NOSTR_EVENT_MAX + 2);
	memcpy(big, json, n);
	memcpy(big + n, " \r\n\t", 4);
	ck_assert_int_eq(nostr_event_parse(big, n + 4, 1, &ev, &why), 0);
	nostr_event_release(&ev);
	memcpy(big + n, " x", 2);
	ck_assert_int_eq(nostr_event_parse(big, n + 2, 1, &ev, &why), -1);
	memcpy(big + n, "{}", 2);
	ck_assert_int_eq(nostr_event_parse(big, n + 2, 1, &ev, &why), -1);
	big[n] = '\0';
	ck_assert_int_eq(nostr_event_parse(big, n + 1, 1, &ev, &why), -1);
	/* a NUL byte inside a string */
	memcpy(big, json, n);
	big[n - 5] = '\0';
	ck_assert_int_eq(nostr_event_parse(big, n, 1, &ev, &why), -1);
	ck_assert_str_eq(why, "event is not valid JSON");
	/* oversized, even if it is only whitespace padding */
	memcpy(big, json, n);
	memset(big + n, ' ', NOSTR_EVENT_MAX + 1 - n);
	ck_assert_int_eq(nostr_event_parse(big, NOSTR_EVENT_MAX + 1, 1, &ev,
	    &why), -1);
	ck_assert_str_eq(why, "event is too large");
	ck_assert_int_eq(nostr_event_parse(big, NOSTR_EVENT_MAX, 1, &ev, &why),
	    0);
	nostr_event_release(&ev);
	free(big);
	free(json);
}
END_TEST

/* Tag lookup reads the first tag of a name; NUL-bearing values hide. */
START_TEST(tag_lookup)
{
	struct nostr_event ev;
	const char *why;
	char *json;

	json = event_with("tags", "[[\"u\",\"a\\u0000b\"],[\"u\",\"c\"],"
	    "[\"p\",\"x\",\"y\"],[\"p\",\"z\"],[\"e\"],[\"e\",\"w\"],"
	    "[\"\",\"empty\"]]");
	ck_assert_int_eq(nostr_event_parse(json, strlen(json), 1, &ev, &why),
	    0);
	ck_assert_uint_eq(json_object_array_length(ev.tags), 7);
	ck_assert_ptr_null(nostr_event_tag(&ev, "u"));
	ck_assert_str_eq(nostr_event_tag(&ev, "p"), "x");
	ck_assert_ptr_null(nostr_event_tag(&ev, "e"));
	ck_assert_str_eq(nostr_event_tag(&ev, ""), "empty");
	ck_assert_ptr_null(nostr_event_tag(&ev, "pp"));
	nostr_event_release(&ev);
	free(json);
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tc;

	/* Before forking: an absent vector file SKIPs the whole program. */
	(void)tl_vector_path("bip340-test-vectors.csv");
	(void)tl_vector_path("nip01-events.json");
	s = suite_create("event");
	tc = tcase_create("event");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, bip340_vectors);
	tcase_add_test(tc, nip01_valid_events);
	tcase_add_test(tc, nip01_invalid_id_events);
	tcase_add_test(tc, nip01_serialization_cases);
	tcase_add_test(tc, key_parsing);
	tcase_add_test(tc, sign_and_tamper);
	tcase_add_test(tc, rumor);
	tcase_add_test(tc, hostile_members);
	tcase_add_test(tc, hostile_text);
	tcase_add_test(tc, tag_lookup);
	suite_add_tcase(s, tc);
	return tl_run(s);
}

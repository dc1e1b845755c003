/*
 * test_giftwrap.c: NIP-59 / NIP-17 gift wraps. Every chain of
 * nip59-nip17-giftwrap-vectors.json is unwrapped and compared layer by
 * layer; our own wraps round-trip, use a fresh key and a past time each,
 * and a table of hand-built hostile wraps must all be refused.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core.h"
#include "crypt.h"
#include "testlib.h"

#define TWO_DAYS (2 * 24 * 60 * 60)
#define NOW INT64_C(1760000000)

static struct json_object *vec;

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
	struct json_object *v = get(o, key);

	ck_assert(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static void
hex32(struct json_object *o, const char *key, unsigned char out[32])
{
	tl_hex(str(o, key), out, 32);
}

/* ev must equal the JSON event want member by member (sig if present). */
static void
check_event(const struct nostr_event *ev, struct json_object *want)
{
	unsigned char b[64];
	struct json_object *v;
	const char *a, *t;

	hex32(want, "id", b);
	ck_assert(memcmp(ev->id, b, 32) == 0);
	hex32(want, "pubkey", b);
	ck_assert(memcmp(ev->pubkey, b, 32) == 0);
	ck_assert_int_eq(ev->created_at,
	    json_object_get_int64(get(want, "created_at")));
	ck_assert_int_eq(ev->kind, json_object_get_int(get(want, "kind")));
	ck_assert_str_eq(ev->content, str(want, "content"));
	ck_assert_uint_eq(ev->content_len, strlen(str(want, "content")));
	a = json_object_to_json_string_ext(ev->tags, JSON_C_TO_STRING_PLAIN);
	t = json_object_to_json_string_ext(get(want, "tags"),
	    JSON_C_TO_STRING_PLAIN);
	ck_assert_str_eq(a, t);
	if (json_object_object_get_ex(want, "sig", &v)) {
		ck_assert_int_eq(ev->has_sig, 1);
		tl_hex(json_object_get_string(v), b, 64);
		ck_assert(memcmp(ev->sig, b, 64) == 0);
	} else
		ck_assert_int_eq(ev->has_sig, 0);
}

/* NIP-44 plaintext of ev's content under conv(sk, ev->pubkey). */
static char *
layer_text(const unsigned char sk[32], const struct nostr_event *ev,
    const unsigned char want_ck[32])
{
	unsigned char ck[32], *out;
	size_t outlen;
	const char *why;

	ck_assert(nip44_conversation_key(sk, ev->pubkey, ck) == 0);
	ck_assert(memcmp(ck, want_ck, 32) == 0);
	ck_assert_msg(nip44_decrypt_alloc(ck, ev->content, ev->content_len,
	    &out, &outlen, &why) == 0, "%s", why);
	return (char *)out;
}

START_TEST(vectors)
{
	struct json_object *cases, *e, *checks;
	struct nostr_event wrap, seal, rumor, s2, r2;
	unsigned char sk[32], pk[32], other[32], wck[32], sck[32];
	const char *why;
	char *text;
	size_t i, ran = 0;

	cases = get(vec, "cases");
	for (i = 0; i < json_object_array_length(cases); i++) {
		e = json_object_array_get_idx(cases, i);
		hex32(e, "recipient_secret_key", sk);
		hex32(e, "recipient_public_key", pk);
		ck_assert(nostr_pubkey(sk, other) == 0);
		ck_assert(memcmp(pk, other, 32) == 0);
		hex32(e, "wrap_conversation_key", wck);
		hex32(e, "seal_conversation_key", sck);
		checks = get(e, "checks");
		json_object_object_foreach(checks, ckey, cval) {
			ck_assert_msg(json_object_get_boolean(cval), "%s",
			    ckey);
		}
		ck_assert(nostr_event_from_json(get(e, "gift_wrap"), 1, &wrap,
		    &why) == 0);
		ck_assert_int_eq(wrap.kind, 1059);

		why = NULL;
		ck_assert_msg(giftwrap_unwrap(sk, &wrap, &seal, &rumor,
		    &why) == 0, "case %zu: %s", i, why);
		check_event(&seal, get(e, "expected_seal"));
		check_event(&rumor, get(e, "expected_rumor"));
		ck_assert_int_eq(rumor.has_sig, 0);
		ck_assert(memcmp(rumor.pubkey, seal.pubkey, 32) == 0);

		/* Each layer's plaintext and conversation key, exactly. */
		text = layer_text(sk, &wrap, wck);
		ck_assert_str_eq(text, str(e, "expected_seal_plaintext"));
		free(text);
		text = layer_text(sk, &seal, sck);
		ck_assert_str_eq(text, str(e, "expected_rumor_plaintext"));
		free(text);

		/* Nobody else can open it. */
		memset(other, 0x77, sizeof(other));
		ck_assert(giftwrap_unwrap(other, &wrap, &s2, &r2, &why) == -1);
		ck_assert_str_eq(why, "invalid MAC");

		/* A changed wrap no longer verifies. */
		wrap.created_at++;
		ck_assert(giftwrap_unwrap(sk, &wrap, &s2, &r2, &why) == -1);
		ck_assert_str_eq(why, "event id does not match its content");

		nostr_event_release(&wrap);
		nostr_event_release(&seal);
		nostr_event_release(&rumor);
		ran++;
	}
	ck_assert_uint_eq(ran, 3);
}
END_TEST

static void
keys(unsigned char fill, unsigned char sk[32], unsigned char pk[32])
{
	memset(sk, fill, 32);
	ck_assert(nostr_pubkey(sk, pk) == 0);
}

static void
check_past(int64_t t)
{
	ck_assert_int_le(t, NOW);
	ck_assert_int_ge(t, NOW - TWO_DAYS);
}

START_TEST(round_trip)
{
	struct nostr_event rumor, wrap, seal, got;
	unsigned char ask[32], apk[32], bsk[32], bpk[32], csk[32], cpk[32];
	unsigned char id[32];
	char hex[65], want[80];
	const char *why = NULL;

	keys(0x0a, ask, apk);
	keys(0x0b, bsk, bpk);
	keys(0x0c, csk, cpk);
	giftwrap_dm_rumor(&rumor, apk, bpk, "\xc2\xbfQu\xc3\xa9 tal?", NOW);
	ck_assert_int_eq(rumor.kind, 14);
	ck_assert_int_eq(rumor.has_sig, 0);
	ck_assert_int_eq(rumor.created_at, NOW);
	ck_assert(memcmp(rumor.pubkey, apk, 32) == 0);
	hex_encode(bpk, 32, hex);
	ck_assert_str_eq(nostr_event_tag(&rumor, "p"), hex);
	ck_assert_uint_eq(json_object_array_length(rumor.tags), 1);
	nostr_event_compute_id(&rumor, id);
	ck_assert(memcmp(rumor.id, id, 32) == 0);

	ck_assert(giftwrap_wrap(&rumor, ask, bpk, NOW, &wrap) == 0);
	ck_assert_int_eq(wrap.kind, 1059);
	ck_assert_int_eq(nostr_event_verify(&wrap, NULL), 0);
	snprintf(want, sizeof(want), "[[\"p\",\"%s\"]]", hex);
	ck_assert_str_eq(json_object_to_json_string_ext(wrap.tags,
	    JSON_C_TO_STRING_PLAIN), want);
	ck_assert_str_eq(nostr_event_tag(&wrap, "p"), hex);
	ck_assert(memcmp(wrap.pubkey, apk, 32) != 0);
	check_past(wrap.created_at);

	ck_assert_msg(giftwrap_unwrap(bsk, &wrap, &seal, &got, &why) == 0,
	    "%s", why);
	ck_assert_int_eq(seal.kind, 13);
	ck_assert(memcmp(seal.pubkey, apk, 32) == 0);
	ck_assert_uint_eq(json_object_array_length(seal.tags), 0);
	check_past(seal.created_at);
	ck_assert(memcmp(got.id, rumor.id, 32) == 0);
	ck_assert(memcmp(got.pubkey, apk, 32) == 0);
	ck_assert_int_eq(got.kind, 14);
	ck_assert_int_eq(got.created_at, NOW);
	ck_assert_str_eq(got.content, "\xc2\xbfQu\xc3\xa9 tal?");
	ck_assert_str_eq(nostr_event_tag(&got, "p"), hex);
	ck_assert_int_eq(got.has_sig, 0);
	nostr_event_release(&seal);
	nostr_event_release(&got);

	/* A third party holds no key to it. */
	ck_assert(giftwrap_unwrap(csk, &wrap, &seal, &got, &why) == -1);
	ck_assert_str_eq(why, "invalid MAC");
	nostr_event_release(&wrap);

	/* NIP-17 self copy: the same rumor wrapped to the sender. */
	ck_assert(giftwrap_wrap(&rumor, ask, apk, NOW, &wrap) == 0);
	ck_assert(giftwrap_unwrap(ask, &wrap, &seal, &got, &why) == 0);
	ck_assert(memcmp(got.id, rumor.id, 32) == 0);
	nostr_event_release(&seal);
	nostr_event_release(&got);
	nostr_event_release(&wrap);

	/* Only the author may seal a rumor, and only with a true id. */
	ck_assert(giftwrap_wrap(&rumor, csk, bpk, NOW, &wrap) == -1);
	rumor.created_at++;
	ck_assert(giftwrap_wrap(&rumor, ask, bpk, NOW, &wrap) == -1);
	rumor.created_at--;
	memset(id, 0xff, sizeof(id));
	ck_assert(giftwrap_wrap(&rumor, ask, id, NOW, &wrap) == -1);
	nostr_event_release(&rumor);
}
END_TEST

START_TEST(fresh_keys_and_times)
{
	struct nostr_event rumor, w[16], seal, got;
	unsigned char ask[32], apk[32], bsk[32], bpk[32];
	size_t i, j, distinct_times = 0;
	int64_t oldest = NOW;

	keys(0x0a, ask, apk);
	keys(0x0b, bsk, bpk);
	giftwrap_dm_rumor(&rumor, apk, bpk, "same rumor", NOW);
	for (i = 0; i < nitems(w); i++) {
		ck_assert(giftwrap_wrap(&rumor, ask, bpk, NOW, &w[i]) == 0);
		check_past(w[i].created_at);
		ck_assert(giftwrap_unwrap(bsk, &w[i], &seal, &got, NULL) == 0);
		check_past(seal.created_at);
		ck_assert(memcmp(got.id, rumor.id, 32) == 0);
		if (seal.created_at != w[i].created_at)
			distinct_times++;
		if (seal.created_at < oldest)
			oldest = seal.created_at;
		if (w[i].created_at < oldest)
			oldest = w[i].created_at;
		nostr_event_release(&seal);
		nostr_event_release(&got);
		for (j = 0; j < i; j++) {
			ck_assert(memcmp(w[i].pubkey, w[j].pubkey, 32) != 0);
			ck_assert_str_ne(w[i].content, w[j].content);
		}
	}
	/* Seal and wrap draw their times independently. */
	ck_assert_uint_gt(distinct_times, 0);
	/*
	 * 32 uniform draws over two days all within the last hour would
	 * happen with probability (3601/172801)^32: the range is used.
	 */
	ck_assert_int_lt(oldest, NOW - 3600);
	for (i = 0; i < nitems(w); i++)
		nostr_event_release(&w[i]);

	/* Never before the epoch, never in the future. */
	ck_assert(giftwrap_wrap(&rumor, ask, bpk, 5, &w[0]) == 0);
	ck_assert_int_ge(w[0].created_at, 0);
	ck_assert_int_le(w[0].created_at, 5);
	nostr_event_release(&w[0]);
	nostr_event_release(&rumor);
}
END_TEST

/*
 * Hand-built layers. A row describes the wrap the test assembles; only
 * the rows with ok = 1 may unwrap.
 */
struct row {
	const char *name;
	int wrap_kind; /* 0: 1059 */
	int wrap_badsig;
	const char *seal_text; /* wrap plaintext instead of a seal */
	int seal_kind; /* 0: 13 */
	int seal_tag;
	int seal_unsigned;
	int seal_badid;
	const char *rumor_text; /* seal plaintext instead of a rumor */
	int rumor_other; /* rumor authored by someone else */
	int rumor_badid;
	const char *rumor_extra; /* JSON members added to the rumor */
	int ok;
	const char *why;
};

static const struct row rows[] = {
	{ "plain", 0, 0, NULL, 0, 0, 0, 0, NULL, 0, 0, NULL, 1, NULL },
	{ "ephemeral kind 21059", 21059, 0, NULL, 0, 0, 0, 0, NULL, 0, 0,
	    NULL, 1, NULL },
	{ "rumor sig ignored", 0, 0, NULL, 0, 0, 0, 0, NULL, 0, 0,
	    ",\"sig\":\"" "00000000000000000000000000000000000000000000000000"
	    "000000000000000000000000000000000000000000000000000000000000000"
	    "000000000000000\"", 1, NULL },
	{ "junk rumor sig ignored", 0, 0, NULL, 0, 0, 0, 0, NULL, 0, 0,
	    ",\"sig\":[1,{}]", 1, NULL },
	{ "wrap kind 1", 1, 0, NULL, 0, 0, 0, 0, NULL, 0, 0, NULL, 0,
	    "not a gift wrap (kind 1059)" },
	{ "wrap kind 13", 13, 0, NULL, 0, 0, 0, 0, NULL, 0, 0, NULL, 0,
	    "not a gift wrap (kind 1059)" },
	{ "wrap bad sig", 0, 1, NULL, 0, 0, 0, 0, NULL, 0, 0, NULL, 0,
	    "event signature does not verify" },
	{ "seal not JSON", 0, 0, "not json", 0, 0, 0, 0, NULL, 0, 0, NULL, 0,
	    "event is not valid JSON" },
	{ "seal JSON array", 0, 0, "[]", 0, 0, 0, 0, NULL, 0, 0, NULL, 0,
	    "event is not a JSON object" },
	{ "seal truncated", 0, 0, "{\"id\":\"00", 0, 0, 0, 0, NULL, 0, 0,
	    NULL, 0, "event is not valid JSON" },
	{ "seal kind string", 0, 0, "{\"id\":\"" "00000000000000000000000000"
	    "00000000000000000000000000000000000000\",\"pubkey\":\"0000000000"
	    "000000000000000000000000000000000000000000000000000000\",\"creat"
	    "ed_at\":1,\"kind\":\"13\",\"tags\":[],\"content\":\"\",\"sig\":\""
	    "00000000000000000000000000000000000000000000000000000000000000"
	    "00000000000000000000000000000000000000000000000000000000000000"
	    "0000\"}", 0, 0, 0, 0, NULL, 0, 0, NULL, 0,
	    "event kind is not an integer from 0 to 65535" },
	{ "seal kind 1", 0, 0, NULL, 1, 0, 0, 0, NULL, 0, 0, NULL, 0,
	    "seal is not kind 13" },
	{ "seal kind 14", 0, 0, NULL, 14, 0, 0, 0, NULL, 0, 0, NULL, 0,
	    "seal is not kind 13" },
	{ "seal with tags", 0, 0, NULL, 0, 1, 0, 0, NULL, 0, 0, NULL, 0,
	    "seal has tags" },
	{ "seal unsigned", 0, 0, NULL, 0, 0, 1, 0, NULL, 0, 0, NULL, 0,
	    "event sig is not 128 lower-case hex digits" },
	{ "seal bad id", 0, 0, NULL, 0, 0, 0, 1, NULL, 0, 0, NULL, 0,
	    "event id does not match its content" },
	{ "rumor not JSON", 0, 0, NULL, 0, 0, 0, 0, "hello", 0, 0, NULL, 0,
	    "rumor is not a JSON object" },
	{ "rumor trailing junk", 0, 0, NULL, 0, 0, 0, 0, "{} x", 0, 0, NULL,
	    0, "rumor is not a JSON object" },
	{ "rumor string", 0, 0, NULL, 0, 0, 0, 0, "\"{}\"", 0, 0, NULL, 0,
	    "rumor is not a JSON object" },
	{ "rumor empty object", 0, 0, NULL, 0, 0, 0, 0, "{}", 0, 0, NULL, 0,
	    "event id is not 64 lower-case hex digits" },
	{ "rumor other author", 0, 0, NULL, 0, 0, 0, 0, NULL, 1, 0, NULL, 0,
	    "rumor author is not the seal signer" },
	{ "rumor bad id", 0, 0, NULL, 0, 0, 0, 0, NULL, 0, 1, NULL, 0,
	    "rumor id does not match its content" },
	{ "rumor tags of numbers", 0, 0, NULL, 0, 0, 0, 0, NULL, 0, 0,
	    ",\"tags\":[[1]]", 0, "event tags are not arrays of strings" },
};

/* NIP-44 of text from sk to pk, signed by sk, into ev of kind. */
static void
layer(struct nostr_event *ev, int kind, const unsigned char sk[32],
    const unsigned char pk[32], const char *text, size_t len)
{
	unsigned char ck[32];
	char *payload;

	ck_assert(nip44_conversation_key(sk, pk, ck) == 0);
	payload = nip44_encrypt_alloc(ck, (const unsigned char *)text, len,
	    NULL);
	ck_assert_ptr_nonnull(payload);
	nostr_event_init(ev);
	ev->kind = kind;
	ev->created_at = NOW - 100;
	nostr_event_set_content(ev, payload, strlen(payload));
	free(payload);
	ck_assert(nostr_event_sign(ev, sk) == 0);
}

/* Rumor JSON with extra members spliced in before the closing brace. */
static char *
rumor_json(const struct row *r, const unsigned char author[32])
{
	struct nostr_event rumor;
	char *json, *out;
	size_t len, extra;

	nostr_event_init(&rumor);
	rumor.kind = 14;
	rumor.created_at = NOW;
	nostr_event_set_content(&rumor, "hi", 2);
	nostr_event_make_rumor(&rumor, author);
	if (r->rumor_badid)
		rumor.id[0] ^= 1;
	json = nostr_event_json_alloc(&rumor, &len);
	nostr_event_release(&rumor);
	extra = r->rumor_extra != NULL ? strlen(r->rumor_extra) : 0;
	out = xmalloc(len + extra + 1);
	memcpy(out, json, len - 1);
	if (extra > 0)
		memcpy(out + len - 1, r->rumor_extra, extra);
	memcpy(out + len - 1 + extra, "}", 2);
	free(json);
	return out;
}

static void
build(const struct row *r, const unsigned char ask[32],
    const unsigned char bpk[32], struct nostr_event *wrap)
{
	struct nostr_event seal;
	unsigned char esk[32], epk[32], csk[32], cpk[32];
	char *text, *sealjson = NULL;
	const char *tag[2] = { "p", "x" };

	keys(0x0c, csk, cpk);
	if (r->seal_text == NULL) {
		if (r->rumor_text != NULL)
			text = xstrdup(r->rumor_text);
		else {
			ck_assert(nostr_pubkey(ask, epk) == 0);
			text = rumor_json(r, r->rumor_other ? cpk : epk);
		}
		layer(&seal, r->seal_kind ? r->seal_kind : 13, ask, bpk, text,
		    strlen(text));
		free(text);
		if (r->seal_tag) {
			nostr_event_add_tag(&seal, 2, tag);
			ck_assert(nostr_event_sign(&seal, ask) == 0);
		}
		if (r->seal_unsigned)
			seal.has_sig = 0;
		if (r->seal_badid)
			seal.id[5] ^= 0x10;
		sealjson = nostr_event_json_alloc(&seal, NULL);
		nostr_event_release(&seal);
	}
	ck_assert(nostr_keygen(esk, epk) == 0);
	text = sealjson != NULL ? sealjson : xstrdup(r->seal_text);
	layer(wrap, r->wrap_kind ? r->wrap_kind : 1059, esk, bpk, text,
	    strlen(text));
	free(text);
	if (r->wrap_badsig)
		wrap->sig[63] ^= 1;
}

START_TEST(hostile)
{
	struct nostr_event wrap, seal, rumor;
	unsigned char ask[32], apk[32], bsk[32], bpk[32];
	const char *why;
	size_t i;
	int rc;

	keys(0x0a, ask, apk);
	keys(0x0b, bsk, bpk);
	for (i = 0; i < nitems(rows); i++) {
		build(&rows[i], ask, bpk, &wrap);
		why = NULL;
		rc = giftwrap_unwrap(bsk, &wrap, &seal, &rumor, &why);
		if (rows[i].ok) {
			ck_assert_msg(rc == 0, "%s: %s", rows[i].name, why);
			ck_assert(memcmp(rumor.pubkey, apk, 32) == 0);
			ck_assert_int_eq(rumor.has_sig, 0);
			ck_assert_str_eq(rumor.content, "hi");
			nostr_event_release(&seal);
			nostr_event_release(&rumor);
		} else {
			ck_assert_msg(rc == -1, "%s accepted", rows[i].name);
			ck_assert_msg(why != NULL &&
			    strcmp(why, rows[i].why) == 0, "%s: %s",
			    rows[i].name, why);
			ck_assert_ptr_null(seal.tags);
			ck_assert_ptr_null(rumor.tags);
		}
		nostr_event_release(&wrap);
	}
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tc;
	int status;

	vec = tl_vector_json("nip59-nip17-giftwrap-vectors.json");
	s = suite_create("giftwrap");
	tc = tcase_create("giftwrap");
	tcase_add_test(tc, vectors);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, fresh_keys_and_times);
	tcase_add_test(tc, hostile);
	suite_add_tcase(s, tc);
	status = tl_run(s);
	json_object_put(vec);
	return status;
}

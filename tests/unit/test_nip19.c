/*
 * test_nip19.c: NIP-19 bech32 against every entry of nip19-vectors.json,
 * BIP-173's own checksum cases, and hostile strings and TLV lists.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

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
assert_hex(const unsigned char *v, const char *want)
{
	char hex[65];

	hex_encode(v, 32, hex);
	ck_assert_str_eq(hex, want);
}

static void
check_key(struct json_object *e, const char *type, const char *b32)
{
	unsigned char v[32], w[32];
	char out[NIP19_MAX + 1], up[128];
	size_t i;

	ck_assert_int_eq(nip19_decode32(b32, type, v), 0);
	assert_hex(v, str(e, "hex"));
	ck_assert_int_eq(nip19_encode(type, v, 32, out, sizeof(out)), 0);
	ck_assert_str_eq(out, b32);
	ck_assert_uint_eq(strlen(out), 63);
	/* One case throughout is valid bech32 (BIP-173), upper included. */
	for (i = 0; i < sizeof(up) - 1 && b32[i] != '\0'; i++)
		up[i] = (char)toupper((unsigned char)b32[i]);
	up[i] = '\0';
	ck_assert_int_eq(nip19_decode32(up, type, w), 0);
	ck_assert_mem_eq(v, w, 32);
	/* The hrp is part of the value. */
	ck_assert_int_eq(nip19_decode32(b32, strcmp(type, "npub") == 0 ?
	    "nsec" : "npub", w), -1);
	if (strcmp(type, "nsec") == 0) {
		ck_assert_int_eq(nostr_secret_parse(b32, w), 0);
		ck_assert_mem_eq(v, w, 32);
	} else if (strcmp(type, "npub") == 0) {
		ck_assert_int_eq(nostr_pubkey_parse(b32, w), 0);
		ck_assert_mem_eq(v, w, 32);
	}
}

static void
check_pointer(struct json_object *e, const char *type, const char *b32)
{
	struct nip19_pointer p;
	struct json_object *relays, *order, *a, *k;
	struct nip19_tlv t;
	unsigned char raw[NIP19_MAX], tmp[32];
	const unsigned char *v;
	unsigned int tt;
	char hrp[16], out[NIP19_MAX + 1];
	size_t n, vl, i;

	ck_assert_int_eq(nip19_pointer_decode(b32, &p), 0);
	ck_assert_str_eq(p.type, type);
	if (strcmp(type, "nprofile") == 0)
		assert_hex(p.special, str(e, "pubkey"));
	else if (strcmp(type, "nevent") == 0)
		assert_hex(p.special, str(e, "id"));
	else {
		ck_assert_str_eq(p.identifier, str(e, "identifier"));
		ck_assert(p.has_author);
		assert_hex(p.author, str(e, "pubkey"));
	}
	if (json_object_object_get_ex(e, "author", &a)) {
		ck_assert_int_eq(p.has_author, a != NULL);
		if (a != NULL)
			assert_hex(p.author, json_object_get_string(a));
	}
	if (json_object_object_get_ex(e, "kind", &k)) {
		ck_assert_int_eq(p.has_kind, k != NULL);
		if (k != NULL)
			ck_assert_int_eq(p.kind, json_object_get_int64(k));
	}
	relays = get(e, "relays");
	ck_assert_uint_eq(p.nrelays, json_object_array_length(relays));
	for (i = 0; i < p.nrelays; i++)
		ck_assert_str_eq(p.relays[i], json_object_get_string(
		    json_object_array_get_idx(relays, i)));
	/* TLV order, and the bytes encode back to the same string. */
	ck_assert_int_eq(nip19_decode(b32, hrp, sizeof(hrp), raw, sizeof(raw),
	    &n), 0);
	ck_assert_str_eq(hrp, type);
	order = get(e, "tlv_order");
	t.p = raw;
	t.len = n;
	t.off = 0;
	for (i = 0; nip19_tlv_next(&t, &tt, &v, &vl) == 1; i++) {
		ck_assert_uint_lt(i, json_object_array_length(order));
		ck_assert_int_eq(tt, json_object_get_int(
		    json_object_array_get_idx(order, i)));
	}
	ck_assert_uint_eq(i, json_object_array_length(order));
	ck_assert_uint_eq(t.off, n);
	ck_assert_int_eq(nip19_encode(type, raw, n, out, sizeof(out)), 0);
	ck_assert_str_eq(out, b32);
	ck_assert_int_eq(nip19_decode32(b32, type, tmp), -1);
}

START_TEST(vectors_valid)
{
	struct json_object *vec, *list, *e;
	const char *type, *b32;
	size_t i, n, keys = 0, pointers = 0;

	vec = tl_vector_json("nip19-vectors.json");
	list = get(vec, "valid");
	ck_assert_uint_gt((n = json_object_array_length(list)), 0);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(list, i);
		type = str(e, "type");
		b32 = str(e, "bech32");
		if (strcmp(type, "npub") == 0 || strcmp(type, "nsec") == 0 ||
		    strcmp(type, "note") == 0) {
			check_key(e, type, b32);
			keys++;
		} else {
			ck_assert_msg(strcmp(type, "nprofile") == 0 ||
			    strcmp(type, "nevent") == 0 ||
			    strcmp(type, "naddr") == 0, "type %s", type);
			check_pointer(e, type, b32);
			pointers++;
		}
	}
	ck_assert_uint_eq(keys + pointers, n);
	ck_assert_uint_gt(keys, 0);
	ck_assert_uint_gt(pointers, 0);
	json_object_put(vec);
}
END_TEST

START_TEST(vectors_invalid)
{
	static const char *const hrps[] = {
		"npub", "nsec", "note", "nprofile", "nevent", "naddr"
	};
	struct json_object *vec, *list, *e;
	struct nip19_pointer p;
	unsigned char raw[NIP19_MAX], v[32];
	const char *b32, *why;
	char hrp[16];
	size_t i, j, n, len;
	int rc;

	vec = tl_vector_json("nip19-vectors.json");
	list = get(vec, "invalid");
	ck_assert_uint_gt((n = json_object_array_length(list)), 0);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(list, i);
		b32 = str(e, "bech32");
		why = str(e, "reason");
		ck_assert_int_eq(nip19_pointer_decode(b32, &p), -1);
		for (j = 0; j < nitems(hrps); j++)
			ck_assert_int_eq(nip19_decode32(b32, hrps[j], v), -1);
		rc = nip19_decode(b32, hrp, sizeof(hrp), raw, sizeof(raw),
		    &len);
		/* "malformed": valid bech32 around a broken TLV list */
		ck_assert_msg(rc == (strncmp(why, "malformed", 9) == 0 ?
		    0 : -1), "%s: %s", why, b32);
	}
	json_object_put(vec);
}
END_TEST

/* BIP-173's published strings: checksums and separators. */
START_TEST(bip173)
{
	static const char *const good[] = {
		"A12UEL5L", "a12uel5l",
		("an83characterlonghumanreadablepartthatcontainsthenumber1"
		    "andtheexcludedcharactersbio1tt5tgs"),
		"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
		"?1ezyfcl",
	};
	static const char *const bad[] = {
		"\x20" "1nwldj5", "\x7f" "1axkwrx", "pzry9x0s0muk",
		"1pzry9x0s0muk", "x1b4n0q5v", "li1dgmt3", "de1lg7wt\xff",
		"A1G7SGD8", "10a06t8", "1qzzfhee",
		"a1lqfn3a", /* bech32m (BIP-350) is not NIP-19 */
	};
	unsigned char raw[64];
	char hrp[100];
	size_t i, n;

	for (i = 0; i < nitems(good); i++)
		ck_assert_msg(nip19_decode(good[i], hrp, sizeof(hrp), raw,
		    sizeof(raw), &n) == 0, "rejected %s", good[i]);
	ck_assert_int_eq(nip19_decode("A12UEL5L", hrp, sizeof(hrp), raw,
	    sizeof(raw), &n), 0);
	ck_assert_str_eq(hrp, "a");
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(nip19_decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7"
	    "lmqqqxw", hrp, sizeof(hrp), raw, sizeof(raw), &n), 0);
	ck_assert_uint_eq(n, 20);
	ck_assert_int_eq(raw[0], 0x00);
	ck_assert_int_eq(raw[1], 0x44);
	for (i = 0; i < nitems(bad); i++)
		ck_assert_msg(nip19_decode(bad[i], hrp, sizeof(hrp), raw,
		    sizeof(raw), &n) == -1, "accepted %s", bad[i]);
}
END_TEST

/* A bech32 string from raw 5-bit words (independent of nip19.c). */
static void
words_b32(const char *hrp, const unsigned char *w, size_t n, char *out)
{
	static const char cs[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
	static const uint32_t gen[5] = {
		0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3
	};
	unsigned char all[256];
	size_t hl = strlen(hrp), m = 0, i, k;
	uint32_t chk = 1, top;

	for (i = 0; i < hl; i++)
		all[m++] = (unsigned char)hrp[i] >> 5;
	all[m++] = 0;
	for (i = 0; i < hl; i++)
		all[m++] = hrp[i] & 31;
	memcpy(all + m, w, n);
	m += n;
	memset(all + m, 0, 6);
	m += 6;
	for (i = 0; i < m; i++) {
		top = chk >> 25;
		chk = ((chk & 0x1ffffff) << 5) ^ all[i];
		for (k = 0; k < 5; k++)
			if ((top >> k) & 1)
				chk ^= gen[k];
	}
	chk ^= 1;
	out += sprintf(out, "%s1", hrp);
	for (i = 0; i < n; i++)
		*out++ = cs[w[i]];
	for (i = 0; i < 6; i++)
		*out++ = cs[(chk >> (5 * (5 - i))) & 31];
	*out = '\0';
}

START_TEST(padding)
{
	unsigned char w[64], raw[64];
	char s[128], hrp[16];
	size_t n;

	memset(w, 0, sizeof(w));
	/* 52 words = 32 bytes and 4 zero bits: the npub shape */
	words_b32("npub", w, 52, s);
	ck_assert_int_eq(nip19_decode(s, hrp, sizeof(hrp), raw, sizeof(raw),
	    &n), 0);
	ck_assert_uint_eq(n, 32);
	w[51] = 1; /* a padding bit set */
	words_b32("npub", w, 52, s);
	ck_assert_int_eq(nip19_decode(s, hrp, sizeof(hrp), raw, sizeof(raw),
	    &n), -1);
	w[51] = 0;
	/* 9 words = 5 bytes and 5 bits: too much padding */
	words_b32("npub", w, 9, s);
	ck_assert_int_eq(nip19_decode(s, hrp, sizeof(hrp), raw, sizeof(raw),
	    &n), -1);
	words_b32("npub", w, 8, s);
	ck_assert_int_eq(nip19_decode(s, hrp, sizeof(hrp), raw, sizeof(raw),
	    &n), 0);
	ck_assert_uint_eq(n, 5);
	/* 53 words is 33 bytes: not an npub */
	words_b32("npub", w, 53, s);
	ck_assert_int_eq(nip19_decode32(s, "npub", raw), -1);
	ck_assert_int_eq(nip19_decode(s, hrp, sizeof(hrp), raw, 32, &n), -1);
}
END_TEST

/* NIP-19 example npub without its last character */
#define NPUB62 "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w"

START_TEST(hostile_strings)
{
	static const char *const bad[] = {
		"", "1", "npub", "npub1", "npub1qqqqqq",
		NPUB62, NPUB62 "66", " " NPUB62 "6", NPUB62 "6 ", NPUB62 "6\n",
		NPUB62 "b", NPUB62 "o", NPUB62 "i", NPUB62 "\xc3\xa6",
		"npub 180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyj"
		    "h6w6",
		"npub280cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh"
		    "6w6",
		"Npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh"
		    "6w6",
	};
	unsigned char raw[64], v[32];
	char hrp[16], *big, small[4];
	size_t i, n;

	for (i = 0; i < nitems(bad); i++) {
		ck_assert_msg(nip19_decode(bad[i], hrp, sizeof(hrp), raw,
		    sizeof(raw), &n) == -1, "accepted %s", bad[i]);
		ck_assert_int_eq(nip19_decode32(bad[i], "npub", v), -1);
	}
	/* buffers too small: hrp and payload */
	ck_assert_int_eq(nip19_decode(NPUB62 "6", hrp, sizeof(hrp), raw,
	    sizeof(raw), &n), 0);
	ck_assert_int_eq(nip19_decode(NPUB62 "6", small, sizeof(small), raw,
	    sizeof(raw), &n), -1);
	ck_assert_int_eq(nip19_decode(NPUB62 "6", hrp, sizeof(hrp), raw, 31,
	    &n), -1);
	/* over NIP19_MAX characters, even if otherwise plausible */
	big = xmalloc(NIP19_MAX + 2);
	memset(big, 'q', NIP19_MAX + 1);
	memcpy(big, "nevent1", 7);
	big[NIP19_MAX + 1] = '\0';
	ck_assert_int_eq(nip19_decode(big, hrp, sizeof(hrp), raw, sizeof(raw),
	    &n), -1);
	free(big);
}
END_TEST

START_TEST(encode_limits)
{
	unsigned char v[32], *big;
	char out[NIP19_MAX + 1];

	memset(v, 0xab, sizeof(v));
	ck_assert_int_eq(nip19_encode("npub", v, 32, out, 64), 0);
	ck_assert_uint_eq(strlen(out), 63);
	ck_assert_int_eq(nip19_encode("npub", v, 32, out, 63), -1);
	ck_assert_int_eq(nip19_encode("", v, 32, out, sizeof(out)), -1);
	ck_assert_int_eq(nip19_encode("Npub", v, 32, out, sizeof(out)), -1);
	ck_assert_int_eq(nip19_encode("np b", v, 32, out, sizeof(out)), -1);
	ck_assert_int_eq(nip19_encode("np\x7f", v, 32, out, sizeof(out)), -1);
	ck_assert_int_eq(nip19_encode("a", v, 0, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a12uel5l");
	big = xcalloc(1, NIP19_MAX);
	ck_assert_int_eq(nip19_encode("naddr", big, NIP19_MAX, out,
	    sizeof(out)), -1);
	ck_assert_int_eq(nip19_encode("naddr", big, 3200, out,
	    sizeof(out)), -1);
	ck_assert_int_eq(nip19_encode("naddr", big, 3000, out,
	    sizeof(out)), 0);
	free(big);
}
END_TEST

/* Raw TLV bytes as a bech32 string under hrp. */
static void
tlv_b32(const char *hrp, const unsigned char *raw, size_t n, char *out)
{
	ck_assert_int_eq(nip19_encode(hrp, raw, n, out, NIP19_MAX + 1), 0);
}

START_TEST(hostile_tlv)
{
	static const struct {
		const char *hrp;
		unsigned char raw[48];
		size_t n;
	} bad[] = {
		{ "nevent", { 0, 31 }, 33 }, /* id of 31 bytes */
		{ "nevent", { 0, 32 }, 33 }, /* truncated value */
		{ "nevent", { 0 }, 1 }, /* truncated header */
		{ "nprofile", { 0 }, 0 }, /* empty */
		{ "nprofile", { 9, 1, 'x' }, 3 }, /* no type 0 */
		{ "nprofile", { 1, 3, 'w', 's', 's' }, 5 }, /* only a relay */
		/* no author */
		{ "naddr", { 0, 1, 'd', 3, 4, 0, 0, 0x75, 0x17 }, 9 },
		{ "naddr", { 0, 0, 2, 32 }, 36 }, /* no kind */
		{ "naddr", { 0, 2, 0xc0, 0xaf }, 4 }, /* identifier not UTF-8 */
		{ "naddr", { 0, 2, 'a', 0 }, 4 }, /* NUL in identifier */
		{ "nprofile", { 1, 2, 'a', '\n' }, 4 }, /* control in relay */
		{ "nprofile", { 1, 0 }, 2 }, /* empty relay */
		{ "note", { 0, 0 }, 2 }, /* not a TLV type */
		{ "nrelay", { 0, 1, 'x' }, 3 }, /* deprecated, unsupported */
	};
	struct nip19_pointer p;
	unsigned char raw[2 + 32 + 3 + 20 * 6];
	char s[NIP19_MAX + 1];
	size_t i, n;

	for (i = 0; i < nitems(bad); i++) {
		tlv_b32(bad[i].hrp, bad[i].raw, bad[i].n, s);
		ck_assert_msg(nip19_pointer_decode(s, &p) == -1, "case %zu", i);
	}
	/* Unknown types are skipped, extra relays beyond the cap dropped. */
	memset(raw, 0, sizeof(raw));
	raw[0] = 0;
	raw[1] = 32;
	raw[2] = 0x11;
	n = 34;
	raw[n++] = 7;
	raw[n++] = 1;
	raw[n++] = 0xff;
	for (i = 0; i < 20; i++) {
		raw[n++] = 1;
		raw[n++] = 4;
		memcpy(raw + n, "wss:", 4);
		n += 4;
	}
	tlv_b32("nprofile", raw, n, s);
	ck_assert_int_eq(nip19_pointer_decode(s, &p), 0);
	ck_assert_int_eq(p.special[0], 0x11);
	ck_assert_uint_eq(p.nrelays, NIP19_RELAYS_MAX);
	ck_assert_str_eq(p.relays[NIP19_RELAYS_MAX - 1], "wss:");
	ck_assert_int_eq(p.has_author, 0);
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tc;

	/* Before forking: an absent vector file SKIPs the whole program. */
	(void)tl_vector_path("nip19-vectors.json");
	s = suite_create("nip19");
	tc = tcase_create("nip19");
	tcase_add_test(tc, vectors_valid);
	tcase_add_test(tc, vectors_invalid);
	tcase_add_test(tc, bip173);
	tcase_add_test(tc, padding);
	tcase_add_test(tc, hostile_strings);
	tcase_add_test(tc, encode_limits);
	tcase_add_test(tc, hostile_tlv);
	suite_add_tcase(s, tc);
	return tl_run(s);
}

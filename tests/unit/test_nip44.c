/*
 * test_nip44.c: NIP-44 v2 against every entry of nip44.vectors.json and
 * nip44-extended-length.vectors.json, plus hostile payloads.
 *
 * Length policy (research nostr.md §5.7): decrypt accepts both length
 * prefixes up to NIP44_DECRYPT_MAX; encrypt refuses more than 65535
 * bytes. So every entry of invalid.encrypt_msg_lengths (0, 65536, 100000,
 * 10000000) is an expected encrypt failure, and the extended vectors are
 * produced with nip44_encrypt_raw_alloc and checked on the decrypt side.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core.h"
#include "crypt.h"
#include "testlib.h"

static struct json_object *vec, *ext;

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

static struct json_object *
group(const char *validity, const char *name)
{
	struct json_object *v;

	v = get(get(get(vec, "v2"), validity), name);
	ck_assert(json_object_is_type(v, json_type_array));
	ck_assert_int_gt(json_object_array_length(v), 0);
	return v;
}

static void
hex32(struct json_object *o, const char *key, unsigned char out[32])
{
	tl_hex(str(o, key), out, 32);
}

/* Lower-case hex of sha256(p[0..n)) into out (65 bytes). */
static void
sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen;

	ck_assert(EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) == 1);
	hex_encode(md, 32, out);
}

static void
check_decrypts(const unsigned char ck[32], const char *payload,
    const void *pt, size_t ptlen)
{
	unsigned char *out;
	size_t outlen;
	const char *why = NULL;

	ck_assert_msg(nip44_decrypt_alloc(ck, payload, strlen(payload), &out,
	    &outlen, &why) == 0, "decrypt: %s", why);
	ck_assert_uint_eq(outlen, ptlen);
	ck_assert(memcmp(out, pt, ptlen) == 0);
	ck_assert_int_eq(out[outlen], '\0');
	free(out);
}

START_TEST(valid_conversation_key)
{
	struct json_object *g = group("valid", "get_conversation_key"), *e;
	unsigned char sk[32], pk[32], want[32], got[32];
	size_t i, ran = 0;

	for (i = 0; i < json_object_array_length(g); i++) {
		e = json_object_array_get_idx(g, i);
		hex32(e, "sec1", sk);
		hex32(e, "pub2", pk);
		hex32(e, "conversation_key", want);
		ck_assert_msg(nip44_conversation_key(sk, pk, got) == 0,
		    "entry %zu", i);
		ck_assert_msg(memcmp(got, want, 32) == 0, "entry %zu", i);
		ran++;
	}
	ck_assert_uint_eq(ran, 35);
}
END_TEST

START_TEST(valid_message_keys)
{
	struct json_object *g, *keys, *e;
	unsigned char ck[32], nonce[32], want[32];
	struct nip44_keys k;
	size_t i, ran = 0;

	g = get(get(get(vec, "v2"), "valid"), "get_message_keys");
	hex32(g, "conversation_key", ck);
	keys = get(g, "keys");
	for (i = 0; i < json_object_array_length(keys); i++) {
		e = json_object_array_get_idx(keys, i);
		hex32(e, "nonce", nonce);
		ck_assert(nip44_message_keys(ck, nonce, &k) == 0);
		hex32(e, "chacha_key", want);
		ck_assert(memcmp(k.chacha_key, want, 32) == 0);
		tl_hex(str(e, "chacha_nonce"), want, 12);
		ck_assert(memcmp(k.chacha_nonce, want, 12) == 0);
		hex32(e, "hmac_key", want);
		ck_assert(memcmp(k.hmac_key, want, 32) == 0);
		ran++;
	}
	ck_assert_uint_gt(ran, 0);
	ck_assert_uint_eq(ran, json_object_array_length(keys));
}
END_TEST

START_TEST(valid_padded_len)
{
	struct json_object *g = group("valid", "calc_padded_len"), *e;
	uint64_t n, want;
	size_t i, ran = 0;

	for (i = 0; i < json_object_array_length(g); i++) {
		e = json_object_array_get_idx(g, i);
		n = (uint64_t)json_object_get_int64(
		    json_object_array_get_idx(e, 0));
		want = (uint64_t)json_object_get_int64(
		    json_object_array_get_idx(e, 1));
		ck_assert_uint_eq(nip44_padded_len(n), want);
		ran++;
	}
	ck_assert_uint_eq(ran, 24);
	/* Values from the NIP text beyond the vector file. */
	ck_assert_uint_eq(nip44_padded_len(65537), 81920);
	ck_assert_uint_eq(nip44_padded_len(1), 32);
	ck_assert_uint_eq(nip44_padded_len(0), 0);
}
END_TEST

START_TEST(valid_encrypt_decrypt)
{
	struct json_object *g = group("valid", "encrypt_decrypt"), *e;
	unsigned char sk1[32], sk2[32], pk1[32], pk2[32], ck[32], want[32];
	unsigned char nonce[32];
	const char *pt, *payload;
	char *got;
	size_t i, ran = 0;

	for (i = 0; i < json_object_array_length(g); i++) {
		e = json_object_array_get_idx(g, i);
		hex32(e, "sec1", sk1);
		hex32(e, "sec2", sk2);
		hex32(e, "conversation_key", want);
		hex32(e, "nonce", nonce);
		pt = str(e, "plaintext");
		payload = str(e, "payload");
		ck_assert(nostr_pubkey(sk1, pk1) == 0);
		ck_assert(nostr_pubkey(sk2, pk2) == 0);
		ck_assert(nip44_conversation_key(sk1, pk2, ck) == 0);
		ck_assert_msg(memcmp(ck, want, 32) == 0, "entry %zu", i);
		got = nip44_encrypt_alloc(ck, (const unsigned char *)pt,
		    strlen(pt), nonce);
		ck_assert_ptr_nonnull(got);
		ck_assert_str_eq(got, payload);
		free(got);
		ck_assert(nip44_conversation_key(sk2, pk1, ck) == 0);
		ck_assert(memcmp(ck, want, 32) == 0);
		check_decrypts(ck, payload, pt, strlen(pt));
		ran++;
	}
	ck_assert_uint_eq(ran, 10);
}
END_TEST

START_TEST(valid_long_msg)
{
	struct json_object *g = group("valid", "encrypt_decrypt_long_msg"), *e;
	unsigned char ck[32], nonce[32];
	const char *pattern;
	char *pt, *payload, hex[65];
	size_t i, j, plen, repeat, n, ran = 0;

	for (i = 0; i < json_object_array_length(g); i++) {
		e = json_object_array_get_idx(g, i);
		hex32(e, "conversation_key", ck);
		hex32(e, "nonce", nonce);
		pattern = str(e, "pattern");
		plen = strlen(pattern);
		repeat = (size_t)json_object_get_int64(get(e, "repeat"));
		n = plen * repeat;
		pt = xmalloc(n + 1);
		for (j = 0; j < repeat; j++)
			memcpy(pt + j * plen, pattern, plen);
		pt[n] = '\0';
		sha256_hex(pt, n, hex);
		ck_assert_str_eq(hex, str(e, "plaintext_sha256"));
		payload = nip44_encrypt_alloc(ck, (unsigned char *)pt, n,
		    nonce);
		ck_assert_ptr_nonnull(payload);
		sha256_hex(payload, strlen(payload), hex);
		ck_assert_str_eq(hex, str(e, "payload_sha256"));
		check_decrypts(ck, payload, pt, n);
		free(payload);
		free(pt);
		ran++;
	}
	ck_assert_uint_eq(ran, 3);
}
END_TEST

START_TEST(invalid_msg_lengths)
{
	struct json_object *g = group("invalid", "encrypt_msg_lengths");
	unsigned char ck[32], *pt;
	size_t i, n, ran = 0;

	memset(ck, 7, sizeof(ck));
	for (i = 0; i < json_object_array_length(g); i++) {
		n = (size_t)json_object_get_int64(json_object_array_get_idx(g,
		    i));
		pt = xmalloc(n + 1);
		memset(pt, 'a', n);
		/* Our policy: 0 and anything above 65535 are refused. */
		ck_assert_ptr_null(nip44_encrypt_alloc(ck, pt, n, NULL));
		free(pt);
		ran++;
	}
	ck_assert_uint_eq(ran, 4);
}
END_TEST

START_TEST(invalid_conversation_key)
{
	struct json_object *g = group("invalid", "get_conversation_key"), *e;
	unsigned char sk[32], pk[32], ck[32];
	size_t i, ran = 0;

	for (i = 0; i < json_object_array_length(g); i++) {
		e = json_object_array_get_idx(g, i);
		hex32(e, "sec1", sk);
		hex32(e, "pub2", pk);
		ck_assert_msg(nip44_conversation_key(sk, pk, ck) == -1, "%s",
		    str(e, "note"));
		ran++;
	}
	ck_assert_uint_eq(ran, 8);
}
END_TEST

/* The vectors' notes, and the reason our decrypt must give for each. */
static const struct {
	const char *note;
	const char *why;
} reasons[] = {
	{ "unknown encryption version", "unsupported encryption version" },
	{ "unknown encryption version 0", "unknown encryption version" },
	{ "invalid base64", "invalid base64" },
	{ "invalid MAC", "invalid MAC" },
	{ "invalid padding", "invalid padding" },
	{ "invalid payload length: 0", "unsupported encryption version" },
	{ "invalid payload length: 4", "invalid payload size" },
	{ "invalid payload length: 48", "invalid payload size" },
	{ "invalid payload length: 92", "invalid payload size" },
};

START_TEST(invalid_decrypt)
{
	struct json_object *g = group("invalid", "decrypt"), *e;
	unsigned char ck[32], *out;
	const char *payload, *note, *why, *want;
	size_t i, k, outlen, ran = 0;

	for (i = 0; i < json_object_array_length(g); i++) {
		e = json_object_array_get_idx(g, i);
		hex32(e, "conversation_key", ck);
		payload = str(e, "payload");
		note = str(e, "note");
		why = NULL;
		ck_assert_msg(nip44_decrypt_alloc(ck, payload, strlen(payload),
		    &out, &outlen, &why) == -1, "%s", note);
		ck_assert_ptr_null(out);
		for (want = NULL, k = 0; k < nitems(reasons); k++)
			if (strcmp(note, reasons[k].note) == 0)
				want = reasons[k].why;
		ck_assert_msg(want != NULL, "unmapped note %s", note);
		ck_assert_str_eq(why, want);
		ran++;
	}
	ck_assert_uint_eq(ran, 12);
}
END_TEST

START_TEST(extended_length)
{
	struct json_object *cases, *e;
	unsigned char ck[32], nonce[32], *pt, *raw;
	char *payload, hex[65];
	size_t i, n, rawlen, padded, prefix, ran = 0;

	hex32(ext, "conversation_key", ck);
	hex32(ext, "nonce", nonce);
	cases = get(ext, "cases");
	for (i = 0; i < json_object_array_length(cases); i++) {
		e = json_object_array_get_idx(cases, i);
		n = (size_t)json_object_get_int64(get(e, "plaintext_len"));
		prefix = (size_t)json_object_get_int64(get(e, "prefix_len"));
		padded = (size_t)json_object_get_int64(get(e, "padded_len"));
		ck_assert_uint_eq(nip44_padded_len(n), padded);
		pt = xmalloc(n);
		memset(pt, 'a', n);
		sha256_hex(pt, n, hex);
		ck_assert_str_eq(hex, str(e, "plaintext_sha256"));
		payload = nip44_encrypt_raw_alloc(ck, pt, n, nonce);
		ck_assert_ptr_nonnull(payload);
		sha256_hex(payload, strlen(payload), hex);
		ck_assert_str_eq(hex, str(e, "payload_sha256"));
		raw = xmalloc(strlen(payload));
		ck_assert(base64_decode(payload, strlen(payload), raw,
		    strlen(payload), &rawlen) == 0);
		ck_assert_uint_eq(rawlen, 1 + 32 + prefix + padded + 32);
		check_decrypts(ck, payload, pt, n);
		/* Policy: we never send the 6-byte prefix ourselves. */
		if (n > NIP44_PLAINTEXT_MAX)
			ck_assert_ptr_null(nip44_encrypt_alloc(ck, pt, n,
			    nonce));
		free(raw);
		free(payload);
		free(pt);
		ran++;
	}
	ck_assert_uint_eq(ran, 3);
}
END_TEST

/*
 * A payload whose MAC is right but whose decrypted blob is padded[0..n)
 * as given, to reach the checks behind the MAC.
 */
static char *
forge(const unsigned char ck[32], const unsigned char *padded, size_t n)
{
	struct nip44_keys k;
	EVP_CIPHER_CTX *c;
	unsigned char *raw, iv[16] = { 0 }, md[32];
	unsigned int mdlen;
	char *payload;
	int len;

	raw = xmalloc(65 + n);
	raw[0] = 2;
	memset(raw + 1, 0x5a, 32);
	ck_assert(nip44_message_keys(ck, raw + 1, &k) == 0);
	memcpy(iv + 4, k.chacha_nonce, 12);
	ck_assert_ptr_nonnull(c = EVP_CIPHER_CTX_new());
	ck_assert(EVP_EncryptInit_ex(c, EVP_chacha20(), NULL, k.chacha_key,
	    iv) == 1);
	ck_assert(EVP_EncryptUpdate(c, raw + 33, &len, padded, (int)n) == 1);
	EVP_CIPHER_CTX_free(c);
	ck_assert_ptr_nonnull(HMAC(EVP_sha256(), k.hmac_key, 32, raw + 1,
	    32 + n, md, &mdlen));
	memcpy(raw + 33 + n, md, 32);
	payload = base64_encode_alloc(raw, 65 + n);
	free(raw);
	return payload;
}

static const char *
try_decrypt(const unsigned char ck[32], const char *payload, size_t n)
{
	static unsigned char sentinel;
	unsigned char *out = &sentinel;
	size_t outlen = 1;
	const char *why = NULL;

	if (nip44_decrypt_alloc(ck, payload, n, &out, &outlen, &why) == 0) {
		free(out);
		return NULL;
	}
	ck_assert_ptr_null(out);
	ck_assert_uint_eq(outlen, 0);
	ck_assert_ptr_nonnull(why);
	return why;
}

/* Blobs behind a good MAC: prefix, plaintext bytes, total length. */
static const struct {
	const char *name;
	unsigned char head[8];
	size_t headlen;
	size_t len;
	const char *why; /* NULL: must decrypt */
} blobs[] = {
	{ "length 1", { 0, 1, 'a' }, 3, 34, NULL },
	{ "U+0000 is UTF-8", { 0, 1, 0 }, 3, 34, NULL },
	{ "length 0", { 0, 0 }, 2, 34, "invalid padding" },
	{ "length past the blob", { 0, 40, 'a' }, 3, 34, "invalid padding" },
	{ "padded too long", { 0, 1, 'a' }, 3, 66, "invalid padding" },
	{ "padded too short", { 0, 33, 'a' }, 3, 34, "invalid padding" },
	{ "6-byte prefix under 65536", { 0, 0, 0, 0, 0, 1, 'a' }, 7, 38,
	    "invalid padding" },
	{ "6-byte prefix of 65535", { 0, 0, 0, 0, 0xff, 0xff }, 6, 65542,
	    "invalid padding" },
	{ "lone continuation byte", { 0, 1, 0x80 }, 3, 34,
	    "plaintext is not UTF-8" },
	{ "overlong NUL", { 0, 2, 0xc0, 0x80 }, 4, 34,
	    "plaintext is not UTF-8" },
	{ "surrogate", { 0, 3, 0xed, 0xa0, 0x80 }, 5, 34,
	    "plaintext is not UTF-8" },
};

START_TEST(hostile_padding)
{
	unsigned char ck[32], *blob;
	const char *why;
	char *payload;
	size_t i;

	memset(ck, 0x11, sizeof(ck));
	for (i = 0; i < nitems(blobs); i++) {
		blob = xcalloc(1, blobs[i].len);
		memcpy(blob, blobs[i].head, blobs[i].headlen);
		payload = forge(ck, blob, blobs[i].len);
		why = try_decrypt(ck, payload, strlen(payload));
		if (blobs[i].why == NULL)
			ck_assert_msg(why == NULL, "%s: %s", blobs[i].name,
			    why);
		else {
			ck_assert_msg(why != NULL, "%s", blobs[i].name);
			ck_assert_str_eq(why, blobs[i].why);
		}
		free(payload);
		free(blob);
	}
}
END_TEST

START_TEST(hostile_payloads)
{
	unsigned char ck[32], other[32], nonce[32], raw[200];
	char *good, *p, buf[400];
	size_t n, rawlen, big;

	memset(ck, 0x22, sizeof(ck));
	memset(other, 0x23, sizeof(other));
	memset(nonce, 0x33, sizeof(nonce));
	good = nip44_encrypt_alloc(ck, (const unsigned char *)"hello", 5,
	    nonce);
	ck_assert_ptr_nonnull(good);
	n = strlen(good);
	ck_assert_uint_eq(n, 132);
	ck_assert_ptr_null(try_decrypt(ck, good, n));

	ck_assert_str_eq(try_decrypt(other, good, n), "invalid MAC");
	ck_assert_str_eq(try_decrypt(ck, good, n - 4), "invalid payload size");
	ck_assert_str_eq(try_decrypt(ck, "", 0),
	    "unsupported encryption version");

	/* Base64: NUL, whitespace, '=' inside, URL alphabet, no padding. */
	memcpy(buf, good, n + 1);
	buf[10] = '\0';
	ck_assert_str_eq(try_decrypt(ck, buf, n), "invalid base64");
	buf[10] = '\n';
	ck_assert_str_eq(try_decrypt(ck, buf, n), "invalid base64");
	buf[10] = '=';
	ck_assert_str_eq(try_decrypt(ck, buf, n), "invalid base64");
	buf[10] = '-';
	ck_assert_str_eq(try_decrypt(ck, buf, n), "invalid base64");
	memcpy(buf, good, n + 1);
	buf[n] = 'A';
	buf[n + 1] = '\0';
	ck_assert_str_eq(try_decrypt(ck, buf, n + 1), "invalid base64");

	/* 33 bytes pad to 64: 131 raw bytes, so one '=' that must be there. */
	p = nip44_encrypt_alloc(ck, (const unsigned char *)
	    "123456789012345678901234567890123", 33, nonce);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(strlen(p), 176);
	ck_assert_int_eq(p[175], '=');
	ck_assert_ptr_null(try_decrypt(ck, p, 176));
	ck_assert_str_eq(try_decrypt(ck, p, 175), "invalid base64");
	free(p);

	/* Versions 0, 1 and 3 with everything else intact. */
	ck_assert(base64_decode(good, n, raw, sizeof(raw), &rawlen) == 0);
	raw[0] = 1;
	p = base64_encode_alloc(raw, rawlen);
	ck_assert_str_eq(try_decrypt(ck, p, strlen(p)),
	    "unknown encryption version");
	free(p);
	raw[0] = 3;
	p = base64_encode_alloc(raw, rawlen);
	ck_assert_str_eq(try_decrypt(ck, p, strlen(p)),
	    "unknown encryption version");
	free(p);
	raw[0] = 2;

	/* One flipped bit anywhere fails the MAC. */
	raw[40] ^= 1;
	p = base64_encode_alloc(raw, rawlen);
	ck_assert_str_eq(try_decrypt(ck, p, strlen(p)), "invalid MAC");
	free(p);
	raw[40] ^= 1;
	raw[rawlen - 1] ^= 0x80;
	p = base64_encode_alloc(raw, rawlen);
	ck_assert_str_eq(try_decrypt(ck, p, strlen(p)), "invalid MAC");
	free(p);

	/* Decoded data shorter than 99 bytes in a long enough string. */
	p = base64_encode_alloc(raw, 98);
	ck_assert_uint_eq(strlen(p), 132);
	ck_assert_str_eq(try_decrypt(ck, p, strlen(p)), "invalid data size");
	free(p);

	/* Over the local cap: refused before decoding. */
	big = 4 * ((NIP44_DECRYPT_MAX + 71 + 2) / 3) + 4;
	p = xmalloc(big + 1);
	memset(p, 'A', big);
	p[big] = '\0';
	ck_assert_str_eq(try_decrypt(ck, p, big), "invalid payload size");
	ck_assert_str_eq(try_decrypt(ck, p, big - 4),
	    "unknown encryption version");
	free(p);

	/* Encrypt refuses what decrypt would refuse. */
	ck_assert_ptr_null(nip44_encrypt_alloc(ck,
	    (const unsigned char *)"\xff", 1, NULL));
	ck_assert_ptr_null(nip44_encrypt_raw_alloc(ck,
	    (const unsigned char *)"a", 0, NULL));
	free(good);
}
END_TEST

START_TEST(random_nonce)
{
	unsigned char ck[32];
	char *a, *b;

	memset(ck, 0x44, sizeof(ck));
	a = nip44_encrypt_alloc(ck, (const unsigned char *)"same", 4, NULL);
	b = nip44_encrypt_alloc(ck, (const unsigned char *)"same", 4, NULL);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_ne(a, b);
	check_decrypts(ck, a, "same", 4);
	check_decrypts(ck, b, "same", 4);
	free(a);
	free(b);
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tc;
	int status;

	vec = tl_vector_json("nip44.vectors.json");
	ext = tl_vector_json("nip44-extended-length.vectors.json");
	s = suite_create("nip44");
	tc = tcase_create("nip44");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, valid_conversation_key);
	tcase_add_test(tc, valid_message_keys);
	tcase_add_test(tc, valid_padded_len);
	tcase_add_test(tc, valid_encrypt_decrypt);
	tcase_add_test(tc, valid_long_msg);
	tcase_add_test(tc, invalid_msg_lengths);
	tcase_add_test(tc, invalid_conversation_key);
	tcase_add_test(tc, invalid_decrypt);
	tcase_add_test(tc, extended_length);
	tcase_add_test(tc, hostile_padding);
	tcase_add_test(tc, hostile_payloads);
	tcase_add_test(tc, random_nonce);
	suite_add_tcase(s, tc);
	status = tl_run(s);
	json_object_put(vec);
	json_object_put(ext);
	return status;
}

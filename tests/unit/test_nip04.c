/*
 * test_nip04.c: NIP-04 against every entry of nip04-vectors.json (both
 * key pairs, and re-encryption with the embedded IV byte for byte), and
 * a table of hostile payloads.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>

#include "core.h"
#include "crypt.h"
#include "testlib.h"

static struct json_object *vec;

static const char *
str(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	ck_assert(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static void
check_decrypts(const unsigned char sk[32], const unsigned char pk[32],
    const char *payload, const char *want)
{
	unsigned char *out;
	size_t outlen;
	const char *why = NULL;

	ck_assert_msg(nip04_decrypt_alloc(sk, pk, payload, strlen(payload),
	    &out, &outlen, &why) == 0, "decrypt: %s", why);
	ck_assert_uint_eq(outlen, strlen(want));
	ck_assert_str_eq((char *)out, want);
	free(out);
}

START_TEST(vectors)
{
	struct json_object *g, *e;
	unsigned char ssk[32], spk[32], rsk[32], rpk[32], pk[32], iv[16];
	const char *pt, *payload, *mark;
	char *got;
	size_t i, ivlen, ran = 0;

	ck_assert(json_object_object_get_ex(vec, "decrypt", &g));
	ck_assert(json_object_is_type(g, json_type_array));
	for (i = 0; i < json_object_array_length(g); i++) {
		e = json_object_array_get_idx(g, i);
		tl_hex(str(e, "sender_secret_key"), ssk, 32);
		tl_hex(str(e, "sender_public_key"), spk, 32);
		tl_hex(str(e, "receiver_secret_key"), rsk, 32);
		tl_hex(str(e, "receiver_public_key"), rpk, 32);
		pt = str(e, "plaintext");
		payload = str(e, "payload");
		ck_assert(nostr_pubkey(ssk, pk) == 0);
		ck_assert(memcmp(pk, spk, 32) == 0);
		ck_assert(nostr_pubkey(rsk, pk) == 0);
		ck_assert(memcmp(pk, rpk, 32) == 0);
		check_decrypts(rsk, spk, payload, pt);
		check_decrypts(ssk, rpk, payload, pt);

		ck_assert_ptr_nonnull(mark = strstr(payload, "?iv="));
		ck_assert(base64_decode(mark + 4, strlen(mark + 4), iv,
		    sizeof(iv), &ivlen) == 0);
		ck_assert_uint_eq(ivlen, 16);
		got = nip04_encrypt_alloc(ssk, rpk, (const unsigned char *)pt,
		    strlen(pt), iv);
		ck_assert_ptr_nonnull(got);
		ck_assert_str_eq(got, payload);
		free(got);
		got = nip04_encrypt_alloc(rsk, spk, (const unsigned char *)pt,
		    strlen(pt), iv);
		ck_assert_ptr_nonnull(got);
		ck_assert_str_eq(got, payload);
		free(got);
		ran++;
	}
	ck_assert_uint_eq(ran, 3);
}
END_TEST

START_TEST(round_trip)
{
	unsigned char a[32], b[32], apk[32], bpk[32];
	char *p, *q;

	memset(a, 0x01, sizeof(a));
	memset(b, 0x02, sizeof(b));
	ck_assert(nostr_pubkey(a, apk) == 0);
	ck_assert(nostr_pubkey(b, bpk) == 0);
	p = nip04_encrypt_alloc(a, bpk, (const unsigned char *)"h\xc3\xa9llo",
	    6, NULL);
	q = nip04_encrypt_alloc(a, bpk, (const unsigned char *)"h\xc3\xa9llo",
	    6, NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(q);
	ck_assert_str_ne(p, q);
	check_decrypts(b, apk, p, "h\xc3\xa9llo");
	check_decrypts(a, bpk, q, "h\xc3\xa9llo");
	free(p);
	free(q);
	p = nip04_encrypt_alloc(a, bpk, (const unsigned char *)"", 0, NULL);
	ck_assert_ptr_nonnull(p);
	check_decrypts(b, apk, p, "");
	free(p);
}
END_TEST

/* AES-256-CBC of exactly the given blocks with no padding added. */
static char *
forge(const unsigned char sk[32], const unsigned char pk[32],
    const unsigned char *blocks, size_t n)
{
	unsigned char key[32], iv[16], *ct;
	EVP_CIPHER_CTX *c;
	char *a, *b, *payload;
	int len;

	memset(iv, 0x42, sizeof(iv));
	ck_assert(crypt_ecdh_x(sk, pk, key) == 0);
	ct = xmalloc(n + 16);
	ck_assert_ptr_nonnull(c = EVP_CIPHER_CTX_new());
	ck_assert(EVP_EncryptInit_ex(c, EVP_aes_256_cbc(), NULL, key, iv) ==
	    1);
	EVP_CIPHER_CTX_set_padding(c, 0);
	ck_assert(EVP_EncryptUpdate(c, ct, &len, blocks, (int)n) == 1);
	EVP_CIPHER_CTX_free(c);
	a = base64_encode_alloc(ct, n);
	b = base64_encode_alloc(iv, sizeof(iv));
	payload = xmalloc(strlen(a) + strlen(b) + 5);
	strcpy(payload, a);
	strcat(payload, "?iv=");
	strcat(payload, b);
	free(a);
	free(b);
	free(ct);
	return payload;
}

static const struct {
	const char *name;
	const char *payload;
	const char *why;
} bad[] = {
	{ "empty", "", "no ?iv= in payload" },
	{ "no iv", "zJxfaJ32rN5Dg1ODjOlEew==", "no ?iv= in payload" },
	{ "empty iv", "zJxfaJ32rN5Dg1ODjOlEew==?iv=", "invalid IV" },
	{ "short iv", "zJxfaJ32rN5Dg1ODjOlEew==?iv=EV5bUjcc4OX2Km/z",
	    "invalid IV" },
	{ "long iv", "zJxfaJ32rN5Dg1ODjOlEew==?iv=EV5bUjcc4OX2Km/zPp4ndQAA",
	    "invalid IV" },
	{ "unpadded iv", "zJxfaJ32rN5Dg1ODjOlEew==?iv=EV5bUjcc4OX2Km/zPp4ndQ",
	    "invalid IV" },
	{ "second mark",
	    "zJxfaJ32rN5Dg1ODjOlEew==?iv=EV5bUjcc4OX2Km/zPp4ndQ==?iv=",
	    "invalid IV" },
	{ "iv trailing space",
	    "zJxfaJ32rN5Dg1ODjOlEew==?iv=EV5bUjcc4OX2Km/zPp4ndQ== ",
	    "invalid IV" },
	{ "upper-case mark",
	    "zJxfaJ32rN5Dg1ODjOlEew==?IV=EV5bUjcc4OX2Km/zPp4ndQ==",
	    "no ?iv= in payload" },
	{ "empty ciphertext", "?iv=EV5bUjcc4OX2Km/zPp4ndQ==",
	    "invalid base64" },
	{ "bad base64", "zJxfaJ32rN5Dg1OD*OlEew==?iv=EV5bUjcc4OX2Km/zPp4ndQ==",
	    "invalid base64" },
	{ "url base64", "zJxfaJ32rN5Dg1OD-OlEew==?iv=EV5bUjcc4OX2Km/zPp4ndQ==",
	    "invalid base64" },
	{ "unpadded ciphertext",
	    "zJxfaJ32rN5Dg1ODjOlEew?iv=EV5bUjcc4OX2Km/zPp4ndQ==",
	    "invalid base64" },
	{ "15 bytes", "zJxfaJ32rN5Dg1ODjOlE?iv=EV5bUjcc4OX2Km/zPp4ndQ==",
	    "invalid ciphertext length" },
	{ "17 bytes", "zJxfaJ32rN5Dg1ODjOlEewAA?iv=EV5bUjcc4OX2Km/zPp4ndQ==",
	    "invalid ciphertext length" },
	{ "wrong iv", "zJxfaJ32rN5Dg1ODjOlEew==?iv=AAAAAAAAAAAAAAAAAAAAAA==",
	    "invalid padding" },
};

START_TEST(hostile)
{
	unsigned char rsk[32], spk[32], *out, blk[32];
	const char *why;
	char *p;
	size_t i, outlen, n;

	tl_hex("96f6fa197aa07477ab88f6981118466a"
	    "e3a982faab8ad5db9d5426870c73d220", rsk, 32);
	tl_hex("b38ce15d3d9874ee710dfabb7ff9801b"
	    "1e0e20aace6e9a1a05fa7482a04387d1", spk, 32);
	for (i = 0; i < nitems(bad); i++) {
		why = NULL;
		out = rsk;
		ck_assert_msg(nip04_decrypt_alloc(rsk, spk, bad[i].payload,
		    strlen(bad[i].payload), &out, &outlen, &why) == -1, "%s",
		    bad[i].name);
		ck_assert_ptr_null(out);
		ck_assert_msg(why != NULL && strcmp(why, bad[i].why) == 0,
		    "%s: %s", bad[i].name, why);
	}

	/* A NUL inside the payload (the length says there is more). */
	ck_assert(nip04_decrypt_alloc(rsk, spk,
	    "zJxfaJ32rN5Dg1OD\0OlEew==?iv=EV5bUjcc4OX2Km/zPp4ndQ==", 52, &out,
	    &outlen, &why) == -1);
	ck_assert_str_eq(why, "invalid base64");

	/* A wrong key pair decrypts to garbage padding (or fails UTF-8). */
	ck_assert(nip04_decrypt_alloc(rsk, rsk + 0, "zJxfaJ32rN5Dg1ODjOlEew==?"
	    "iv=EV5bUjcc4OX2Km/zPp4ndQ==", 52, &out, &outlen, &why) == -1);

	/* Valid padding around bytes that are not UTF-8. */
	memset(blk, 16, sizeof(blk));
	blk[0] = 0xff;
	p = forge(rsk, spk, blk, 32);
	ck_assert(nip04_decrypt_alloc(rsk, spk, p, strlen(p), &out, &outlen,
	    &why) == -1);
	ck_assert_str_eq(why, "plaintext is not UTF-8");
	free(p);

	/* PKCS#7: a pad byte of 0, of 17, and one inconsistent byte. */
	memset(blk, 'a', sizeof(blk));
	blk[31] = 0;
	p = forge(rsk, spk, blk, 32);
	ck_assert(nip04_decrypt_alloc(rsk, spk, p, strlen(p), &out, &outlen,
	    &why) == -1);
	ck_assert_str_eq(why, "invalid padding");
	free(p);
	blk[31] = 17;
	p = forge(rsk, spk, blk, 32);
	ck_assert(nip04_decrypt_alloc(rsk, spk, p, strlen(p), &out, &outlen,
	    &why) == -1);
	ck_assert_str_eq(why, "invalid padding");
	free(p);
	blk[31] = 3;
	blk[30] = 3;
	blk[29] = 4;
	p = forge(rsk, spk, blk, 32);
	ck_assert(nip04_decrypt_alloc(rsk, spk, p, strlen(p), &out, &outlen,
	    &why) == -1);
	ck_assert_str_eq(why, "invalid padding");
	free(p);
	blk[29] = 3;
	p = forge(rsk, spk, blk, 32);
	check_decrypts(rsk, spk, p, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	free(p);

	/* Oversized payloads are refused before any work. */
	n = NIP04_PAYLOAD_MAX + 1;
	p = xmalloc(n + 1);
	memset(p, 'A', n);
	p[n] = '\0';
	ck_assert(nip04_decrypt_alloc(rsk, spk, p, n, &out, &outlen,
	    &why) == -1);
	ck_assert_str_eq(why, "payload too large");
	free(p);

	/* Encrypt refuses non-UTF-8, oversized text and bad keys. */
	ck_assert_ptr_null(nip04_encrypt_alloc(rsk, spk,
	    (const unsigned char *)"\xc0\x80", 2, NULL));
	p = xcalloc(1, NIP04_PLAINTEXT_MAX + 1);
	memset(p, 'a', NIP04_PLAINTEXT_MAX + 1);
	ck_assert_ptr_null(nip04_encrypt_alloc(rsk, spk,
	    (const unsigned char *)p, NIP04_PLAINTEXT_MAX + 1, NULL));
	free(p);
	memset(blk, 0xff, sizeof(blk));
	ck_assert_ptr_null(nip04_encrypt_alloc(rsk, blk,
	    (const unsigned char *)"a", 1, NULL));
	ck_assert_ptr_null(nip04_encrypt_alloc(blk, spk,
	    (const unsigned char *)"a", 1, NULL));
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tc;
	int status;

	vec = tl_vector_json("nip04-vectors.json");
	s = suite_create("nip04");
	tc = tcase_create("nip04");
	tcase_add_test(tc, vectors);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, hostile);
	suite_add_tcase(s, tc);
	status = tl_run(s);
	json_object_put(vec);
	return status;
}

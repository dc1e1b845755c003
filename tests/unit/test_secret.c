/*
 * test_secret.c: secrets at rest (api.md §7): the key comes from
 * ENCRYPTION_SECRET as hex or nsec, sealed values are plain NIP-44 v2
 * payloads under conv(sk, pubkey(sk)), and anything altered or sealed
 * under another key fails to open.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core.h"
#include "crypt.h"
#include "testlib.h"

/* The example key pair of NIP-19. */
#define SK_HEX "67dea2ed018072d675f5415ecfaed7d2" \
    "597555e202d85b3d65ea4e58d2d92ffa"
#define SK_NSEC "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935k" \
    "e9laqsnlfe5"
#define NWC "nostr+walletconnect://b889ff5b1513b641e2a139f661a661364979c5be" \
    "beee7b1ac7f83e2aac1c7b3a?relay=wss%3A%2F%2Frelay.example&secret=71a8c1" \
    "4c1407c113601079c4302dab36460f0ccd0ad506f1f2dc73b5100e4f3c"

START_TEST(init_forms)
{
	struct secretbox a, b;
	unsigned char sk[32], pk[32], ck[32], zero[32];

	tl_hex(SK_HEX, sk, 32);
	ck_assert(nostr_pubkey(sk, pk) == 0);
	ck_assert(nip44_conversation_key(sk, pk, ck) == 0);
	ck_assert(secretbox_init(&a, SK_HEX) == 0);
	ck_assert(memcmp(a.ck, ck, 32) == 0);
	ck_assert(secretbox_init(&b, SK_NSEC) == 0);
	ck_assert(memcmp(b.ck, ck, 32) == 0);
	secretbox_release(&a);
	memset(zero, 0, sizeof(zero));
	ck_assert(memcmp(a.ck, zero, 32) == 0);
	secretbox_release(&b);
	ck_assert(memcmp(b.ck, zero, 32) == 0);
}
END_TEST

static const char *const bad_secrets[] = {
	"",
	"67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ff",
	"67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa0",
	"67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffg",
	" 67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa",
	"0000000000000000000000000000000000000000000000000000000000000000",
	"fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
	"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe6",
	"nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9la",
	"npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg",
	"nsec1",
};

START_TEST(init_rejects)
{
	struct secretbox box;
	unsigned char zero[32];
	size_t i;

	memset(zero, 0, sizeof(zero));
	for (i = 0; i < nitems(bad_secrets); i++) {
		memset(box.ck, 0xaa, sizeof(box.ck));
		ck_assert_msg(secretbox_init(&box, bad_secrets[i]) == -1,
		    "accepted \"%s\"", bad_secrets[i]);
		ck_assert(memcmp(box.ck, zero, 32) == 0);
	}
	ck_assert(secretbox_init(&box, NULL) == -1);
}
END_TEST

START_TEST(round_trip)
{
	struct secretbox box;
	char *a, *b, *p;
	unsigned char *out;
	size_t outlen;
	const char *why;

	ck_assert(secretbox_init(&box, SK_HEX) == 0);
	a = secretbox_seal_alloc(&box, NWC);
	b = secretbox_seal_alloc(&box, NWC);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_ne(a, b);
	ck_assert_ptr_null(strstr(a, "walletconnect"));
	ck_assert_ptr_nonnull(p = secretbox_open_alloc(&box, a));
	ck_assert_str_eq(p, NWC);
	free(p);
	ck_assert_ptr_nonnull(p = secretbox_open_alloc(&box, b));
	ck_assert_str_eq(p, NWC);
	free(p);

	/* The stored form is an ordinary NIP-44 v2 payload. */
	ck_assert(nip44_decrypt_alloc(box.ck, a, strlen(a), &out, &outlen,
	    &why) == 0);
	ck_assert_str_eq((char *)out, NWC);
	free(out);
	p = nip44_encrypt_alloc(box.ck, (const unsigned char *)"k", 1, NULL);
	ck_assert_ptr_nonnull(p);
	free(a);
	ck_assert_ptr_nonnull(a = secretbox_open_alloc(&box, p));
	ck_assert_str_eq(a, "k");
	free(a);
	free(p);
	free(b);
	secretbox_release(&box);
}
END_TEST

START_TEST(hostile)
{
	struct secretbox box, other, zbox;
	char *sealed, *p, *t;
	size_t i, n;

	ck_assert(secretbox_init(&box, SK_HEX) == 0);
	ck_assert(secretbox_init(&other,
	    "0000000000000000000000000000000000000000000000000000000000000003")
	    == 0);
	ck_assert_ptr_null(secretbox_seal_alloc(&box, ""));
	ck_assert_ptr_null(secretbox_seal_alloc(&box, "\xff\xfe"));
	sealed = secretbox_seal_alloc(&box, "secret value");
	ck_assert_ptr_nonnull(sealed);
	n = strlen(sealed);

	ck_assert_ptr_null(secretbox_open_alloc(&other, sealed));
	ck_assert_ptr_null(secretbox_open_alloc(&box, ""));
	ck_assert_ptr_null(secretbox_open_alloc(&box, "secret value"));
	ck_assert_ptr_null(secretbox_open_alloc(&box, NWC));
	memset(&zbox, 0, sizeof(zbox));
	ck_assert_ptr_null(secretbox_open_alloc(&zbox, sealed));

	/* Every prefix, and a change at every position, is refused. */
	t = xstrdup(sealed);
	for (i = 0; i < n; i++) {
		t[i] = '\0';
		ck_assert_ptr_null(secretbox_open_alloc(&box, t));
		t[i] = sealed[i] == 'B' ? 'C' : 'B';
		p = secretbox_open_alloc(&box, t);
		ck_assert_msg(p == NULL, "altered at %zu", i);
		t[i] = sealed[i];
	}
	ck_assert_ptr_nonnull(p = secretbox_open_alloc(&box, t));
	free(p);
	free(t);

	/* A NUL inside an otherwise valid payload is not a C string. */
	p = nip44_encrypt_alloc(box.ck, (const unsigned char *)"a\0b", 3, NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(secretbox_open_alloc(&box, p));
	free(p);

	free(sealed);
	secretbox_release(&box);
	secretbox_release(&other);
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("secret");
	tc = tcase_create("secret");
	tcase_add_test(tc, init_forms);
	tcase_add_test(tc, init_rejects);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, hostile);
	suite_add_tcase(s, tc);
	return tl_run(s);
}

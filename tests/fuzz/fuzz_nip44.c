/*
 * fuzz_nip44.c: libFuzzer harness for the payload decryptors that read
 * what peers send: nip44_decrypt_alloc() (gift wraps, NWC) under a fixed
 * conversation key, and nip04_decrypt_alloc() (legacy NWC wallets). The
 * first input byte modulo 5 picks the mode; the rest is its input:
 *
 *	0  a NIP-44 payload as received;
 *	1  the decrypted bytes of a NIP-44 message (length prefix, plaintext,
 *	   padding): the harness encrypts them and adds a valid MAC, so the
 *	   checks behind the MAC see fuzzed data;
 *	2  a plaintext: nip44 encrypt, then decrypt, must give it back;
 *	3  a NIP-04 payload as received;
 *	4  a plaintext: nip04 encrypt, then decrypt, must give it back.
 *
 * A broken promise of crypt.h aborts, which libFuzzer reports as a crash.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core.h"
#include "crypt.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static unsigned char ck[32], nonce[32], iv[16];
static unsigned char ska[32], pka[32], skb[32], pkb[32];

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_nip44: invariant broken: %s\n", what);
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < 32; i++) {
		ck[i] = (unsigned char)(0xc4 ^ (i * 7));
		nonce[i] = (unsigned char)(i + 1);
		ska[i] = (unsigned char)(0x11 + i);
		skb[i] = (unsigned char)(0x71 + i);
	}
	for (i = 0; i < 16; i++)
		iv[i] = (unsigned char)(0xf0 - i);
	if (nostr_pubkey(ska, pka) != 0 || nostr_pubkey(skb, pkb) != 0)
		fail("the fixed keys are not keys");
	return 0;
}

/* Decrypt; on success the result is NUL-terminated UTF-8 of *n bytes. */
static int
nip44_open(const char *p, size_t n, unsigned char **out, size_t *outlen)
{
	const char *why = NULL;

	if (nip44_decrypt_alloc(ck, p, n, out, outlen, &why) != 0) {
		if (why == NULL || *out != NULL)
			fail("nip44: a failure without a reason, or with output");
		return -1;
	}
	if (*out == NULL || (*out)[*outlen] != '\0' ||
	    !is_utf8((const char *)*out, *outlen) || *outlen == 0)
		fail("nip44: output is not non-empty NUL-terminated UTF-8");
	return 0;
}

static int
nip04_open(const char *p, size_t n, unsigned char **out, size_t *outlen)
{
	const char *why = NULL;

	if (nip04_decrypt_alloc(skb, pka, p, n, out, outlen, &why) != 0) {
		if (why == NULL || *out != NULL)
			fail("nip04: a failure without a reason, or with output");
		return -1;
	}
	if (*out == NULL || (*out)[*outlen] != '\0' ||
	    !is_utf8((const char *)*out, *outlen))
		fail("nip04: output is not NUL-terminated UTF-8");
	return 0;
}

/* ChaCha20 (RFC 8439, counter 0) as NIP-44 uses it; aborts on failure. */
static void
chacha(const struct nip44_keys *k, unsigned char *buf, size_t n)
{
	EVP_CIPHER_CTX *c;
	unsigned char civ[16];
	int len;

	memset(civ, 0, 4);
	memcpy(civ + 4, k->chacha_nonce, 12);
	if ((c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(c, EVP_chacha20(), NULL, k->chacha_key,
	    civ) != 1 || EVP_EncryptUpdate(c, buf, &len, buf, (int)n) != 1 ||
	    (size_t)len != n)
		fail("OpenSSL ChaCha20 failed");
	EVP_CIPHER_CTX_free(c);
}

/*
 * Mode 1: blob is what decryption yields (prefix, text, padding). It is
 * sealed as NIP-44 v2 would seal it, so only the padding and UTF-8 rules
 * decide; for the 2-byte prefix the harness knows the answer.
 */
static void
sealed_blob(const unsigned char *blob, size_t n)
{
	struct nip44_keys k;
	unsigned char *raw, *out = NULL;
	char *payload;
	size_t rawlen, outlen, l, mlen;
	int ok, want;

	if (n < 34 || n > 65536 + 2)
		return;
	rawlen = 1 + 32 + n + 32;
	raw = xmalloc(rawlen);
	raw[0] = 2;
	memcpy(raw + 1, nonce, 32);
	memcpy(raw + 33, blob, n);
	if (nip44_message_keys(ck, nonce, &k) != 0)
		fail("nip44_message_keys failed");
	chacha(&k, raw + 33, n);
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k.hmac_key, 32,
	    raw + 1, 32 + n, raw + 33 + n, 32, &mlen) == NULL || mlen != 32)
		fail("OpenSSL HMAC failed");
	payload = base64_encode_alloc(raw, rawlen);
	ok = nip44_open(payload, strlen(payload), &out, &outlen) == 0;
	l = (size_t)blob[0] << 8 | blob[1];
	if (l != 0) {
		want = nip44_padded_len(l) == n - 2 &&
		    is_utf8((const char *)blob + 2, l);
		if (ok != want)
			fail(ok ? "nip44: accepted bad padding" :
			    "nip44: rejected a well-formed message");
		if (ok && (outlen != l || memcmp(out, blob + 2, l) != 0))
			fail("nip44: decrypted to other bytes");
	} else if (ok && (outlen < 65536 || nip44_padded_len(outlen) !=
	    n - 6 || memcmp(out, blob + 6, outlen) != 0))
		fail("nip44: accepted a bad extended prefix");
	free(out);
	free(payload);
	free(raw);
}

/* Modes 2 and 4: encryption and decryption must be inverses. */
static void
nip44_trip(const unsigned char *pt, size_t n)
{
	unsigned char *out = NULL;
	char *payload;
	size_t outlen;

	payload = nip44_encrypt_alloc(ck, pt, n, nonce);
	if ((payload != NULL) != (n >= 1 && n <= NIP44_PLAINTEXT_MAX &&
	    is_utf8((const char *)pt, n)))
		fail("nip44: encryption refused UTF-8 or accepted other bytes");
	if (payload == NULL)
		return;
	if (nip44_open(payload, strlen(payload), &out, &outlen) != 0 ||
	    outlen != n || memcmp(out, pt, n) != 0)
		fail("nip44: decrypt(encrypt(x)) != x");
	free(out);
	free(payload);
}

static void
nip04_trip(const unsigned char *pt, size_t n)
{
	unsigned char *out = NULL;
	char *payload;
	size_t outlen;

	payload = nip04_encrypt_alloc(ska, pkb, pt, n, iv);
	if ((payload != NULL) != (n <= NIP04_PLAINTEXT_MAX &&
	    is_utf8((const char *)pt, n)))
		fail("nip04: encryption refused UTF-8 or accepted other bytes");
	if (payload == NULL)
		return;
	if (nip04_open(payload, strlen(payload), &out, &outlen) != 0 ||
	    outlen != n || memcmp(out, pt, n) != 0)
		fail("nip04: decrypt(encrypt(x)) != x");
	free(out);
	free(payload);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *out = NULL;
	size_t outlen;

	if (size == 0)
		return 0;
	switch (data[0] % 5) {
	case 0:
		if (nip44_open((const char *)data + 1, size - 1, &out,
		    &outlen) == 0)
			free(out);
		break;
	case 1:
		sealed_blob(data + 1, size - 1);
		break;
	case 2:
		nip44_trip(data + 1, size - 1);
		break;
	case 3:
		if (nip04_open((const char *)data + 1, size - 1, &out,
		    &outlen) == 0)
			free(out);
		break;
	default:
		nip04_trip(data + 1, size - 1);
		break;
	}
	return 0;
}

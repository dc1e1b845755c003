/*
 * fuzz_nip04.c: libFuzzer harness for NIP-04 payloads (crypt.h, nip04.c),
 * base64(AES-256-CBC(text)) "?iv=" base64(iv), which legacy NWC wallets
 * send: nip04_decrypt_alloc() between two fixed keys. The first input
 * byte modulo 3 picks the mode ("0", "1" and "2" do); the rest is its
 * input:
 *
 *	0  a payload as received;
 *	1  a plaintext: nip04_encrypt_alloc() must take it exactly when it
 *	   is UTF-8 of at most NIP04_PLAINTEXT_MAX bytes, give a payload of
 *	   the length and IV that follow from it, and decrypting that with
 *	   the other side's keys must give the plaintext back;
 *	2  decrypted blocks (text, then padding), cut to whole 16-byte
 *	   blocks: the harness encrypts them without padding, so the checks
 *	   behind the cipher see fuzzed bytes. They decrypt exactly when the
 *	   last byte p is 1..16, the last p bytes are all p and the rest is
 *	   UTF-8, and then to the rest.
 *
 * Every payload is also read by the harness, with its own strict base64
 * (padded, canonical: RFC 4648 §3.5), its own UTF-8 check (RFC 3629) and
 * OpenSSL's AES-256-CBC without padding under the shared key, computed
 * once at start. nip04_decrypt_alloc() must succeed exactly when that
 * reading finds a first "?iv=" followed by base64 of 16 bytes, base64 of
 * one or more whole blocks before it, PKCS#7 padding and UTF-8 inside,
 * and then give that text. Whatever the reading, a success has exactly
 * one "?iv=", an IV of 16 bytes, a ciphertext of whole blocks, a text
 * shorter than the ciphertext and a NUL after it; a failure gives no
 * output and a reason.
 *
 * nip04_decrypt_alloc() takes the secret and the public key, not the
 * shared key, and nip04.c has no entry point below it: every payload that
 * gets past the base64 and length checks costs one ECDH.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core.h"
#include "crypt.h"

#define MARK "?iv="
#define BLOCK 16

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static unsigned char ska[32], pka[32], skb[32], pkb[32], shared[32];
static unsigned char fixed_iv[BLOCK];

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_nip04: invariant broken: %s\n", what);
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned char x[32];
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < 32; i++) {
		ska[i] = (unsigned char)(0x3c ^ (i * 11));
		skb[i] = (unsigned char)(0x52 + i * 5);
	}
	for (i = 0; i < BLOCK; i++)
		fixed_iv[i] = (unsigned char)(0x9d + i * 37);
	if (nostr_pubkey(ska, pka) != 0 || nostr_pubkey(skb, pkb) != 0)
		fail("the fixed secret keys are not keys");
	if (crypt_ecdh_x(skb, pka, shared) != 0 ||
	    crypt_ecdh_x(ska, pkb, x) != 0 || memcmp(shared, x, 32) != 0)
		fail("the two sides do not share a key");
	return 0;
}

/* AES-256-CBC of whole blocks under the shared key, no padding. */
static void
aes_raw(int enc, const unsigned char iv[BLOCK], const unsigned char *in,
    size_t n, unsigned char *out)
{
	EVP_CIPHER_CTX *c;
	int l1 = 0, l2 = 0, ok;

	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		fail("OpenSSL: no cipher context");
	ok = EVP_CipherInit_ex(c, EVP_aes_256_cbc(), NULL, shared, iv,
	    enc) == 1 && EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
	    EVP_CipherUpdate(c, out, &l1, in, (int)n) == 1 &&
	    EVP_CipherFinal_ex(c, out + l1, &l2) == 1 &&
	    (size_t)l1 + (size_t)l2 == n;
	EVP_CIPHER_CTX_free(c);
	if (!ok)
		fail("OpenSSL AES-256-CBC failed");
}

/* RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF. */
static int
utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, k, len;
	unsigned char lo, hi;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		lo = 0x80;
		hi = 0xbf;
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			len = 2;
		else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			len = 3;
			if (s[i] == 0xe0)
				lo = 0xa0;
			else if (s[i] == 0xed)
				hi = 0x9f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			len = 4;
			if (s[i] == 0xf0)
				lo = 0x90;
			else if (s[i] == 0xf4)
				hi = 0x8f;
		} else
			return 0;
		if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (k = 2; k < len; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return 0;
		i += len;
	}
	return 1;
}

/*
 * Padded base64 of canonical form: whole quads, "=" only to pad the last
 * one, spare bits zero. out has room for n / 4 * 3 bytes. 0 or -1.
 */
static int
b64_read(const char *s, size_t n, unsigned char *out, size_t *outlen)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p;
	size_t i, k, pad = 0, data, o = 0;
	uint32_t v = 0;

	if (n == 0 || n % 4 != 0)
		return -1;
	if (s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	data = n - pad;
	for (i = 0; i < n; i += 4) {
		v = 0;
		for (k = i; k < i + 4; k++) {
			v <<= 6;
			if (k >= data)
				continue;
			if (s[k] == '\0' || (p = strchr(abc, s[k])) == NULL)
				return -1;
			v |= (uint32_t)(p - abc);
		}
		out[o++] = (unsigned char)(v >> 16);
		if (i + 2 < data)
			out[o++] = (unsigned char)(v >> 8);
		if (i + 3 < data)
			out[o++] = (unsigned char)v;
	}
	if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0))
		return -1;
	*outlen = o;
	return 0;
}

/*
 * The harness's reading of payload p (n bytes): 1 and the text in pt
 * (room for n bytes), *ptlen long, when it must decrypt; else 0.
 */
static int
ref_open(const char *p, size_t n, unsigned char *pt, size_t *ptlen)
{
	const char *mark;
	unsigned char iv[BLOCK + 2], *ct;
	size_t ctb64, ivlen, ctlen, pad, k;
	int ok = 0;

	if ((mark = memmem(p, n, MARK, strlen(MARK))) == NULL)
		return 0;
	ctb64 = (size_t)(mark - p);
	/* Base64 of 16 bytes is 24 characters, whatever else it is. */
	if (n - ctb64 - strlen(MARK) != 24 ||
	    b64_read(mark + strlen(MARK), 24, iv, &ivlen) == -1 ||
	    ivlen != BLOCK)
		return 0;
	ct = xmalloc(ctb64 / 4 * 3 + 1);
	if (b64_read(p, ctb64, ct, &ctlen) == -1 || ctlen == 0 ||
	    ctlen % BLOCK != 0)
		goto out;
	aes_raw(0, iv, ct, ctlen, pt);
	pad = pt[ctlen - 1];
	if (pad < 1 || pad > BLOCK)
		goto out;
	for (k = 1; k <= pad; k++)
		if (pt[ctlen - k] != pad)
			goto out;
	*ptlen = ctlen - pad;
	ok = utf8_ok(pt, *ptlen);
out:
	free(ct);
	return ok;
}

/* What a success says of its payload, read without the AES. */
static void
check_shape(const char *p, size_t n, size_t outlen)
{
	const char *mark, *iv;
	unsigned char *buf;
	size_t ctb64, len;

	mark = memmem(p, n, MARK, strlen(MARK));
	if (mark == NULL || memmem(mark + 1, n - (size_t)(mark + 1 - p),
	    MARK, strlen(MARK)) != NULL)
		fail("a payload decrypted without exactly one ?iv=");
	ctb64 = (size_t)(mark - p);
	iv = mark + strlen(MARK);
	buf = xmalloc(n / 4 * 3 + 1);
	if (b64_read(iv, n - ctb64 - strlen(MARK), buf, &len) == -1 ||
	    len != BLOCK)
		fail("a payload decrypted without a 16-byte IV");
	if (b64_read(p, ctb64, buf, &len) == -1 || len == 0 ||
	    len % BLOCK != 0)
		fail("a payload decrypted without whole blocks");
	if (outlen >= len)
		fail("a text as long as its ciphertext");
	free(buf);
}

/*
 * nip04_decrypt_alloc() on p as the receiving side, held to the
 * harness's reading and, when want is not NULL, to the text wantlen
 * bytes long. Returns whether it decrypted.
 */
static int
open_payload(const char *p, size_t n, const unsigned char *want,
    size_t wantlen)
{
	unsigned char *out = NULL, *pt;
	const char *why = NULL;
	size_t outlen = 1, ptlen = 0;
	int rc, ok;

	pt = xmalloc(n + 1);
	ok = ref_open(p, n, pt, &ptlen);
	rc = nip04_decrypt_alloc(skb, pka, p, n, &out, &outlen, &why);
	if (rc != 0 && rc != -1)
		fail("nip04_decrypt_alloc returned neither 0 nor -1");
	if ((rc == 0) != ok)
		fail(ok ? "a well-formed payload was refused" :
		    "a malformed payload was accepted");
	if (rc == 0) {
		check_shape(p, n, outlen);
		if (out == NULL || out[outlen] != '\0')
			fail("a text without its NUL");
		if (outlen != ptlen || memcmp(out, pt, ptlen) != 0)
			fail("a payload decrypted to other bytes");
		if (want != NULL && (outlen != wantlen ||
		    memcmp(out, want, wantlen) != 0))
			fail("decrypt(encrypt(x)) != x");
	} else {
		if (out != NULL || outlen != 0 || why == NULL ||
		    why[0] == '\0')
			fail("a refusal with output, or without a reason");
		if (want != NULL)
			fail("a payload we made was refused");
	}
	free(out);
	free(pt);
	return rc == 0;
}

/* Mode 1: the sender's payload, then the receiver's reading of it. */
static void
round_trip(const unsigned char *pt, size_t n, unsigned char salt)
{
	unsigned char iv[BLOCK], got[BLOCK + 2];
	char *p;
	size_t i, len, ctlen, ivlen;
	int ok;

	for (i = 0; i < BLOCK; i++)
		iv[i] = (unsigned char)(salt + n * 7 + i * 29);
	p = nip04_encrypt_alloc(ska, pkb, pt, n, iv);
	ok = n <= NIP04_PLAINTEXT_MAX && utf8_ok(pt, n);
	if ((p != NULL) != ok)
		fail(ok ? "nip04_encrypt_alloc refused UTF-8" :
		    "nip04_encrypt_alloc took what is not UTF-8");
	if (p == NULL)
		return;
	len = strlen(p);
	ctlen = (n / BLOCK + 1) * BLOCK;
	if (len != (ctlen + 2) / 3 * 4 + strlen(MARK) + 24)
		fail("a payload of another length");
	if (b64_read(p + len - 24, 24, got, &ivlen) == -1 || ivlen != BLOCK ||
	    memcmp(got, iv, BLOCK) != 0)
		fail("a payload that does not carry its IV");
	open_payload(p, len, pt, n);
	free(p);
}

/* Mode 2: blocks sealed here, so the padding and UTF-8 rules decide. */
static void
sealed(const unsigned char *blob, size_t n)
{
	unsigned char *ct;
	char *b64ct, *b64iv, *p;
	size_t m = n - n % BLOCK, pad, k;
	int ok;

	if (m == 0)
		return;
	ct = xmalloc(m);
	aes_raw(1, fixed_iv, blob, m, ct);
	b64ct = base64_encode_alloc(ct, m);
	b64iv = base64_encode_alloc(fixed_iv, BLOCK);
	p = xasprintf("%s%s%s", b64ct, MARK, b64iv);
	pad = blob[m - 1];
	ok = pad >= 1 && pad <= BLOCK;
	for (k = 1; ok && k <= pad; k++)
		ok = blob[m - k] == pad;
	ok = ok && utf8_ok(blob, m - pad);
	if (open_payload(p, strlen(p), ok ? blob : NULL, ok ? m - pad : 0) !=
	    ok)
		fail("sealed blocks decrypted against the padding rules");
	free(p);
	free(b64iv);
	free(b64ct);
	free(ct);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		open_payload((const char *)data + 1, size - 1, NULL, 0);
		break;
	case 1:
		round_trip(data + 1, size - 1, data[0]);
		break;
	default:
		sealed(data + 1, size - 1);
		break;
	}
	return 0;
}

/*
 * nip04.c: NIP-04 payloads, base64(AES-256-CBC(x, iv, text)) "?iv="
 * base64(iv), keyed by the bare ECDH x. Deprecated by NIP-17 and NIP-44;
 * kept for NWC wallets that do not announce nip44_v2 (NIP-47). There is
 * no MAC: the outer event's signature must be verified first.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core.h"
#include "crypt.h"

#define NIP04_IV_MARK "?iv="
#define NIP04_IV_LEN 16
#define NIP04_BLOCK 16

/*
 * AES-256-CBC with PKCS#7 padding (OpenSSL's default) of n bytes in into
 * out, which has room for n + NIP04_BLOCK. *outlen gets the result size.
 * Padding errors surface from EVP_DecryptFinal_ex. Returns 0 or -1.
 */
static int
aes_cbc(int enc, const unsigned char key[32], const unsigned char iv[16],
    const unsigned char *in, size_t n, unsigned char *out, size_t *outlen)
{
	EVP_CIPHER_CTX *c;
	int len, fin, rc = -1;

	if (n > INT_MAX - NIP04_BLOCK || (c = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	if (EVP_CipherInit_ex(c, EVP_aes_256_cbc(), NULL, key, iv, enc) == 1 &&
	    EVP_CipherUpdate(c, out, &len, in, (int)n) == 1 &&
	    EVP_CipherFinal_ex(c, out + len, &fin) == 1) {
		*outlen = (size_t)len + (size_t)fin;
		rc = 0;
	}
	EVP_CIPHER_CTX_free(c);
	return rc;
}

/*
 * Encrypt n bytes of UTF-8 (at most NIP04_PLAINTEXT_MAX) from sk to pk.
 * iv is 16 bytes, or NULL for a random one. Returns the payload (caller
 * frees) or NULL.
 */
char *
nip04_encrypt_alloc(const unsigned char sk[32], const unsigned char pk[32],
    const unsigned char *pt, size_t n, const unsigned char *iv)
{
	unsigned char key[32], ivbuf[NIP04_IV_LEN], *ct = NULL;
	char *b64ct = NULL, *b64iv = NULL, *payload = NULL;
	size_t ctlen, a, b;

	if (n > NIP04_PLAINTEXT_MAX || !is_utf8((const char *)pt, n))
		return NULL;
	if (iv != NULL)
		memcpy(ivbuf, iv, sizeof(ivbuf));
	else if (nostr_random(ivbuf, sizeof(ivbuf)) == -1)
		return NULL;
	if (crypt_ecdh_x(sk, pk, key) == -1)
		return NULL;
	ct = xmalloc(n + NIP04_BLOCK);
	if (aes_cbc(1, key, ivbuf, pt, n, ct, &ctlen) == -1)
		goto out;
	b64ct = base64_encode_alloc(ct, ctlen);
	b64iv = base64_encode_alloc(ivbuf, sizeof(ivbuf));
	a = strlen(b64ct);
	b = strlen(b64iv);
	payload = xmalloc(a + strlen(NIP04_IV_MARK) + b + 1);
	memcpy(payload, b64ct, a);
	memcpy(payload + a, NIP04_IV_MARK, strlen(NIP04_IV_MARK));
	memcpy(payload + a + strlen(NIP04_IV_MARK), b64iv, b + 1);
out:
	explicit_zero(key, sizeof(key));
	free(ct);
	free(b64ct);
	free(b64iv);
	return payload;
}

/* Strict base64 of canonical length (a multiple of 4); 0 or -1. */
static int
b64_strict(const char *s, size_t n, unsigned char *out, size_t outsz,
    size_t *outlen)
{
	if (n == 0 || n % 4 != 0)
		return -1;
	return base64_decode(s, n, out, outsz, outlen);
}

/*
 * Decrypt a NIP-04 payload of n bytes sent between sk and pk: exactly one
 * "?iv=", an IV of 16 bytes, a ciphertext that is a non-zero multiple of
 * the block size, valid PKCS#7 padding, and UTF-8 inside. On 0, *out is
 * NUL-terminated (*outlen bytes, caller frees); on -1, *why is set.
 */
int
nip04_decrypt_alloc(const unsigned char sk[32], const unsigned char pk[32],
    const char *payload, size_t n, unsigned char **out, size_t *outlen,
    const char **why)
{
	unsigned char key[32], iv[NIP04_IV_LEN + 3], *ct = NULL, *pt = NULL;
	const char *mark;
	size_t ctb64, ivb64, ctlen, ivlen, ptlen = 0;
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	if (n > NIP04_PAYLOAD_MAX) {
		*why = "payload too large";
		return -1;
	}
	if ((mark = memmem(payload, n, NIP04_IV_MARK,
	    strlen(NIP04_IV_MARK))) == NULL) {
		*why = "no ?iv= in payload";
		return -1;
	}
	ctb64 = (size_t)(mark - payload);
	ivb64 = n - ctb64 - strlen(NIP04_IV_MARK);
	if (b64_strict(mark + strlen(NIP04_IV_MARK), ivb64, iv, sizeof(iv),
	    &ivlen) == -1 || ivlen != NIP04_IV_LEN) {
		*why = "invalid IV";
		return -1;
	}
	ct = xmalloc(ctb64 + 1);
	if (b64_strict(payload, ctb64, ct, ctb64, &ctlen) == -1) {
		*why = "invalid base64";
		goto out;
	}
	if (ctlen == 0 || ctlen % NIP04_BLOCK != 0) {
		*why = "invalid ciphertext length";
		goto out;
	}
	if (crypt_ecdh_x(sk, pk, key) == -1) {
		*why = "invalid key";
		goto out;
	}
	pt = xmalloc(ctlen + NIP04_BLOCK + 1);
	rc = aes_cbc(0, key, iv, ct, ctlen, pt, &ptlen);
	explicit_zero(key, sizeof(key));
	if (rc == -1) {
		*why = "invalid padding";
		goto out;
	}
	rc = -1;
	if (!is_utf8((const char *)pt, ptlen)) {
		*why = "plaintext is not UTF-8";
		goto out;
	}
	pt[ptlen] = '\0';
	*out = pt;
	*outlen = ptlen;
	pt = NULL;
	rc = 0;
out:
	if (pt != NULL) {
		explicit_zero(pt, ctlen + NIP04_BLOCK + 1);
		free(pt);
	}
	free(ct);
	return rc;
}

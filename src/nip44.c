/*
 * nip44.c: NIP-44 v2 payload encryption (secp256k1 ECDH x, HKDF-SHA256,
 * ChaCha20 of a padded plaintext, HMAC-SHA256 over nonce and ciphertext).
 * Callers: NIP-59 gift wraps, NWC requests, secrets at rest.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <secp256k1.h>
#include <secp256k1_ecdh.h>

#include "core.h"
#include "crypt.h"

#define NIP44_VERSION 2
#define NIP44_SALT "nip44-v2"
#define NIP44_MIN_PAYLOAD 132 /* base64 chars of the smallest message */
#define NIP44_MIN_DATA 99 /* version, nonce, prefix, 32 padded, MAC */
#define NIP44_OVERHEAD 65 /* version, nonce and MAC around the ciphertext */

/* secp256k1 ECDH hash callback: NIP-04 and NIP-44 want the bare x. */
static int
copy_x(unsigned char *out, const unsigned char *x32,
    const unsigned char *y32, void *data)
{
	(void)y32;
	(void)data;
	memcpy(out, x32, 32);
	return 1;
}

/*
 * The x coordinate of sk * lift_x(pk) (NIP-04, NIP-44 §conversation key).
 * The parity of the lifted point does not matter: x(a·P) = x(a·(−P)).
 * Returns -1 for a secret outside [1, n-1] or a pk that is not on the
 * curve (the NIP-44 invalid vectors' twist points fail the parse).
 */
int
crypt_ecdh_x(const unsigned char sk[32], const unsigned char pk[32],
    unsigned char x[32])
{
	const secp256k1_context *ctx = nostr_secp();
	secp256k1_pubkey point;
	unsigned char ser[33];

	ser[0] = 0x02;
	memcpy(ser + 1, pk, 32);
	if (!secp256k1_ec_seckey_verify(ctx, sk) ||
	    !secp256k1_ec_pubkey_parse(ctx, &point, ser, sizeof(ser)))
		return -1;
	if (!secp256k1_ecdh(ctx, x, &point, sk, copy_x, NULL)) {
		explicit_zero(x, 32);
		return -1;
	}
	return 0;
}

/*
 * HKDF-SHA256 (RFC 5869) in one of OpenSSL's modes: extract-only (key is
 * the IKM, salt given, out must be 32 bytes) or expand-only (key is the
 * PRK, info given). Returns 0 or -1.
 */
static int
hkdf(int mode, const unsigned char *key, size_t keylen,
    const unsigned char *salt, size_t saltlen, const unsigned char *info,
    size_t infolen, unsigned char *out, size_t outlen)
{
	EVP_KDF *kdf;
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM params[5], *p = params;
	char digest[] = "SHA256";
	int rc = -1;

	if ((kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL)) == NULL)
		return -1;
	if ((kctx = EVP_KDF_CTX_new(kdf)) == NULL)
		goto out;
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    digest, 0);
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)(uintptr_t)key, keylen);
	if (salt != NULL)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
		    (void *)(uintptr_t)salt, saltlen);
	else
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
		    (void *)(uintptr_t)info, infolen);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, outlen, params) == 1)
		rc = 0;
out:
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return rc;
}

/* HMAC-SHA256(key, a || b) into out; 0 or -1. */
static int
hmac_sha256(const unsigned char key[32], const unsigned char *a,
    size_t alen, const unsigned char *b, size_t blen,
    unsigned char out[32])
{
	EVP_MAC *mac;
	EVP_MAC_CTX *mctx = NULL;
	OSSL_PARAM params[2];
	char digest[] = "SHA256";
	size_t outlen;
	int rc = -1;

	if ((mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL)) == NULL)
		return -1;
	if ((mctx = EVP_MAC_CTX_new(mac)) == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(mctx, key, 32, params) != 1 ||
	    EVP_MAC_update(mctx, a, alen) != 1 ||
	    EVP_MAC_update(mctx, b, blen) != 1 ||
	    EVP_MAC_final(mctx, out, &outlen, 32) != 1 || outlen != 32)
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(mctx);
	EVP_MAC_free(mac);
	return rc;
}

/*
 * Conversation key: HKDF-extract(salt "nip44-v2", IKM = ECDH x). It is
 * symmetric, so conv(a, B) == conv(b, A). Returns 0 or -1.
 */
int
nip44_conversation_key(const unsigned char sk[32],
    const unsigned char pk[32], unsigned char ck[32])
{
	unsigned char x[32];
	int rc;

	if (crypt_ecdh_x(sk, pk, x) == -1)
		return -1;
	rc = hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, x, sizeof(x),
	    (const unsigned char *)NIP44_SALT, strlen(NIP44_SALT), NULL, 0,
	    ck, 32);
	explicit_zero(x, sizeof(x));
	return rc;
}

/* Message keys: HKDF-expand(PRK = ck, info = nonce, L = 76), sliced. */
int
nip44_message_keys(const unsigned char ck[32], const unsigned char nonce[32],
    struct nip44_keys *k)
{
	unsigned char okm[76];
	int rc;

	rc = hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, ck, 32, NULL, 0, nonce, 32,
	    okm, sizeof(okm));
	if (rc == 0) {
		memcpy(k->chacha_key, okm, 32);
		memcpy(k->chacha_nonce, okm + 32, 12);
		memcpy(k->hmac_key, okm + 44, 32);
	}
	explicit_zero(okm, sizeof(okm));
	return rc;
}

/*
 * NIP-44 padded length of a plaintext of n >= 1 bytes (0 for n == 0):
 * 32 up to 32 bytes, then chunks of 32 up to 256, then an eighth of the
 * next power of two.
 */
uint64_t
nip44_padded_len(uint64_t n)
{
	uint64_t next, chunk;

	if (n == 0)
		return 0;
	if (n <= 32)
		return 32;
	for (next = 64; next < n; next <<= 1)
		;
	chunk = next <= 256 ? 32 : next / 8;
	return chunk * ((n - 1) / chunk + 1);
}

/* ChaCha20 (RFC 8439, block counter 0) of n bytes in place; 0 or -1. */
static int
chacha20(const struct nip44_keys *k, unsigned char *buf, size_t n)
{
	EVP_CIPHER_CTX *cctx;
	unsigned char iv[16];
	int len, rc = -1;

	if (n > INT32_MAX || (cctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	/* OpenSSL's IV is the little-endian counter, then the nonce. */
	memset(iv, 0, 4);
	memcpy(iv + 4, k->chacha_nonce, 12);
	if (EVP_EncryptInit_ex(cctx, EVP_chacha20(), NULL, k->chacha_key,
	    iv) == 1 &&
	    EVP_EncryptUpdate(cctx, buf, &len, buf, (int)n) == 1 &&
	    (size_t)len == n)
		rc = 0;
	EVP_CIPHER_CTX_free(cctx);
	explicit_zero(iv, sizeof(iv));
	return rc;
}

/*
 * Encrypt without the 65535-byte policy: plaintexts of 65536 bytes or
 * more take the 6-byte length prefix (NIP-44, nips PR #1907), up to
 * NIP44_DECRYPT_MAX. Exposed for the extended-length vectors.
 */
char *
nip44_encrypt_raw_alloc(const unsigned char ck[32],
    const unsigned char *pt, size_t n, const unsigned char *nonce)
{
	struct nip44_keys k;
	unsigned char *raw = NULL, *ct;
	size_t prefix, padded, rawlen = 0;
	char *payload = NULL;

	if (n == 0 || n > NIP44_DECRYPT_MAX || !is_utf8((const char *)pt, n))
		return NULL;
	prefix = n < 65536 ? 2 : 6;
	padded = (size_t)nip44_padded_len(n);
	rawlen = 1 + 32 + prefix + padded + 32;
	raw = xcalloc(1, rawlen);
	raw[0] = NIP44_VERSION;
	if (nonce != NULL)
		memcpy(raw + 1, nonce, 32);
	else if (nostr_random(raw + 1, 32) == -1)
		goto out;
	ct = raw + 33;
	if (prefix == 2) {
		ct[0] = (unsigned char)(n >> 8);
		ct[1] = (unsigned char)n;
	} else {
		ct[2] = (unsigned char)(n >> 24);
		ct[3] = (unsigned char)(n >> 16);
		ct[4] = (unsigned char)(n >> 8);
		ct[5] = (unsigned char)n;
	}
	memcpy(ct + prefix, pt, n);
	if (nip44_message_keys(ck, raw + 1, &k) == -1 ||
	    chacha20(&k, ct, prefix + padded) == -1 ||
	    hmac_sha256(k.hmac_key, raw + 1, 32, ct, prefix + padded,
	    ct + prefix + padded) == -1)
		goto out;
	payload = base64_encode_alloc(raw, rawlen);
out:
	explicit_zero(&k, sizeof(k));
	explicit_zero(raw, rawlen);
	free(raw);
	return payload;
}

/*
 * NIP-44 v2 encryption of n bytes of UTF-8, 1..NIP44_PLAINTEXT_MAX: by
 * policy we never send the 6-byte prefix, which most peers still reject
 * (research nostr.md §5.7). Returns base64 the caller frees, or NULL.
 */
char *
nip44_encrypt_alloc(const unsigned char ck[32], const unsigned char *pt,
    size_t n, const unsigned char *nonce)
{
	if (n == 0 || n > NIP44_PLAINTEXT_MAX)
		return NULL;
	return nip44_encrypt_raw_alloc(ck, pt, n, nonce);
}

/*
 * Undo the padding of a decrypted blob of n bytes: both the u16 prefix
 * and the extended 00 00 u32 prefix (which must then hold >= 65536).
 * Sets *off and *len of the plaintext; 0 or -1.
 */
static int
unpad(const unsigned char *p, size_t n, size_t *off, size_t *len)
{
	uint64_t l;
	size_t prefix;

	if (n < 2)
		return -1;
	l = (uint64_t)p[0] << 8 | p[1];
	prefix = 2;
	if (l == 0) {
		if (n < 6)
			return -1;
		l = (uint64_t)p[2] << 24 | (uint64_t)p[3] << 16 |
		    (uint64_t)p[4] << 8 | p[5];
		prefix = 6;
		if (l < 65536)
			return -1;
	}
	if (l > n - prefix || n - prefix != nip44_padded_len(l))
		return -1;
	*off = prefix;
	*len = (size_t)l;
	return 0;
}

/* Base64 characters of the largest payload we agree to decode. */
static size_t
max_payload_len(void)
{
	size_t raw;

	raw = NIP44_OVERHEAD + 6 + (size_t)nip44_padded_len(NIP44_DECRYPT_MAX);
	return 4 * ((raw + 2) / 3);
}

/*
 * NIP-44 v2 decryption, checks in the order of the NIP: version marker,
 * payload size (and our cap) before decoding, strict base64, data size,
 * version byte, MAC (constant time, before any decryption), padding,
 * UTF-8. On 0, *out is NUL-terminated (it may hold NUL bytes: *outlen
 * counts them) and the caller frees it; on -1, *why says what failed.
 */
int
nip44_decrypt_alloc(const unsigned char ck[32], const char *payload,
    size_t n, unsigned char **out, size_t *outlen, const char **why)
{
	struct nip44_keys k;
	unsigned char *raw = NULL, *ct, mac[32];
	size_t rawlen = 0, clen, off, len;
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	memset(&k, 0, sizeof(k));
	if (n == 0 || payload[0] == '#') {
		*why = "unsupported encryption version";
		return -1;
	}
	if (n < NIP44_MIN_PAYLOAD || n > max_payload_len()) {
		*why = "invalid payload size";
		return -1;
	}
	raw = xmalloc(n);
	if (n % 4 != 0 || base64_decode(payload, n, raw, n, &rawlen) == -1) {
		*why = "invalid base64";
		goto out;
	}
	if (rawlen < NIP44_MIN_DATA) {
		*why = "invalid data size";
		goto out;
	}
	if (raw[0] != NIP44_VERSION) {
		*why = "unknown encryption version";
		goto out;
	}
	ct = raw + 33;
	clen = rawlen - NIP44_OVERHEAD;
	if (nip44_message_keys(ck, raw + 1, &k) == -1 ||
	    hmac_sha256(k.hmac_key, raw + 1, 32, ct, clen, mac) == -1) {
		*why = "key derivation failed";
		goto out;
	}
	if (!ct_equal(mac, ct + clen, sizeof(mac))) {
		*why = "invalid MAC";
		goto out;
	}
	if (chacha20(&k, ct, clen) == -1) {
		*why = "decryption failed";
		goto out;
	}
	if (unpad(ct, clen, &off, &len) == -1) {
		*why = "invalid padding";
		goto out;
	}
	if (!is_utf8((const char *)ct + off, len)) {
		*why = "plaintext is not UTF-8";
		goto out;
	}
	*out = xmalloc(len + 1);
	memcpy(*out, ct + off, len);
	(*out)[len] = '\0';
	*outlen = len;
	rc = 0;
out:
	explicit_zero(&k, sizeof(k));
	explicit_zero(raw, n);
	free(raw);
	return rc;
}

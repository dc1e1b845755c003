/*
 * stripe_sig.c: the Stripe-Signature header of a webhook
 * (research/stripe.md §3.1): "t=<unix>,v1=<hex>[,v1=<hex>...]" where v1
 * is HMAC-SHA256 keyed by the whole "whsec_..." secret over the bytes
 * "<t>.<raw body>". Any v1 may match (secrets rotate); v0 and unknown
 * schemes are ignored.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "core.h"
#include "stripe.h"

/* Fetched once per process: a fetch costs more than the MAC. */
static EVP_MAC *
hmac_impl(void)
{
	static EVP_MAC *mac;

	if (mac == NULL)
		mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	return mac;
}

/* HMAC-SHA256(key, a || "." || b); 0 or -1. */
static int
sig_hmac(const char *key, const char *a, size_t alen, const char *b,
    size_t blen, unsigned char out[32])
{
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	char digest[] = "SHA256";
	size_t outlen;
	int rc = -1;

	if (hmac_impl() == NULL || (ctx = EVP_MAC_CTX_new(hmac_impl())) == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, (const unsigned char *)key, strlen(key),
	    params) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)a, alen) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)".", 1) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)b, blen) == 1 &&
	    EVP_MAC_final(ctx, out, &outlen, 32) == 1 && outlen == 32)
		rc = 0;
	EVP_MAC_CTX_free(ctx);
	return rc;
}

int
stripe_sig_parse(const char *h, struct stripe_sig *sig, const char **why)
{
	const char *p, *end, *eq;
	size_t klen, vlen;
	int64_t t;
	int has_t = 0;

	memset(sig, 0, sizeof(*sig));
	*why = "the Stripe-Signature header is missing";
	if (h == NULL || *h == '\0')
		return -1;
	*why = "the Stripe-Signature header is too long";
	if (strlen(h) > STRIPE_SIG_HEADER_MAX)
		return -1;
	for (p = h; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		end = p + strcspn(p, ",");
		eq = memchr(p, '=', (size_t)(end - p));
		*why = "the Stripe-Signature header is malformed";
		if (eq == NULL)
			return -1;
		klen = (size_t)(eq - p);
		vlen = (size_t)(end - eq - 1);
		if (klen == 1 && *p == 't') {
			char digits[21];

			*why = "the Stripe-Signature timestamp is not a number";
			if (has_t || vlen == 0 || vlen > 20)
				return -1;
			memcpy(digits, eq + 1, vlen);
			digits[vlen] = '\0';
			if (parse_int64(digits, 0, INT64_MAX / 2, &t) == -1)
				return -1;
			sig->t = t;
			has_t = 1;
		} else if (klen == 2 && strncmp(p, "v1", 2) == 0) {
			*why = "a v1 signature is not 64 lower-case hex digits";
			if (vlen != 64 || !is_lower_hex(eq + 1, 64))
				return -1;
			if (sig->nv1 == STRIPE_SIG_MAX)
				continue;
			if (hex_decode(eq + 1, 64, sig->v1[sig->nv1], 32) == -1)
				return -1;
			sig->nv1++;
		}
	}
	*why = "the Stripe-Signature header has no timestamp";
	if (!has_t)
		return -1;
	*why = "the Stripe-Signature header has no v1 signature";
	if (sig->nv1 == 0)
		return -1;
	*why = NULL;
	return 0;
}

int
stripe_sig_verify(const char *header, const char *body, size_t len,
    const char *secret, int64_t now, int64_t tolerance, const char **why)
{
	struct stripe_sig sig;
	unsigned char mac[32];
	char t[24];
	size_t i;
	int match = 0;

	if (stripe_sig_parse(header, &sig, why) == -1)
		return -1;
	/* Stripe's SDK refuses only old times; a far future one is no better. */
	*why = "the Stripe-Signature timestamp is outside the tolerance";
	if (sig.t < now - tolerance || sig.t > now + tolerance)
		return -1;
	*why = "the webhook secret is not set";
	if (secret == NULL || *secret == '\0')
		return -1;
	*why = "the signature could not be computed";
	snprintf(t, sizeof(t), "%lld", (long long)sig.t);
	if (sig_hmac(secret, t, strlen(t), body, len, mac) == -1)
		return -1;
	for (i = 0; i < sig.nv1; i++)
		match |= ct_equal(mac, sig.v1[i], 32);
	explicit_zero(mac, sizeof(mac));
	*why = "no signature matches the body (wrong secret, or the body "
	    "was changed)";
	if (!match)
		return -1;
	*why = NULL;
	return 0;
}

/*
 * bolt11.c: BOLT #11 Lightning invoices (lightning/bolts,
 * 11-payment-encoding.md). Billing decodes the invoice the platform
 * wallet made before a tenant's wallet is asked to pay it: the amount
 * must be exactly what was asked, and the payment hash and expiry are
 * stored. Nothing else of the invoice is kept.
 *
 * The signature is not checked. Without the platform wallet's node id to
 * compare with, a valid signature shows only that someone signed, and the
 * bech32 checksum already catches damage in transit; so the spec's
 * "signature is not recoverable" example decodes here. Everything else
 * the spec asks a reader to fail on is failed on.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "core.h"
#include "bolt11.h"

#define TS_WORDS 7		/* 35-bit timestamp */
#define SIG_WORDS 104		/* 520 bits: 64-byte signature, recovery id */
#define HASH_WORDS 52		/* 256 bits and 4 bits of zero padding */
#define EXPIRY_DEFAULT 3600	/* seconds, when there is no x field */
#define MSATS_MAX UINT64_C(2100000000000000000) /* 21 million bitcoin */

/* Tagged field types (BOLT #11 "Tagged Fields") that we read. */
enum tag {
	TAG_PAYMENT_HASH = 1,	/* p */
	TAG_FEATURES = 5,	/* 9 */
	TAG_EXPIRY = 6,		/* x */
};

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/* BIP-173 currency prefixes BOLT #11 names. */
static const char *const networks[] = { "bc", "tb", "tbs", "bcrt" };

/*
 * Even (compulsory) feature bits BOLT #9 allows in invoices (context 9):
 * var_onion_optin, payment_secret, basic_mpp, option_route_blinding,
 * option_payment_metadata. Any other even bit set must fail the payment.
 */
static const unsigned int known_even[] = { 8, 14, 16, 24, 48 };

/* Multipliers: millisatoshis per unit of the amount ('p' is special). */
static const struct {
	char letter;
	uint64_t msats;
} multipliers[] = {
	{ 'm', UINT64_C(100000000) },
	{ 'u', UINT64_C(100000) },
	{ 'n', UINT64_C(100) },
};

static uint32_t
polymod_step(uint32_t chk, unsigned int v)
{
	static const uint32_t gen[5] = {
		0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3
	};
	uint32_t top = chk >> 25;
	int i;

	chk = ((chk & 0x1ffffff) << 5) ^ v;
	for (i = 0; i < 5; i++)
		if ((top >> i) & 1)
			chk ^= gen[i];
	return chk;
}

static char
lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* 5-bit value of a data character in either case, or -1. */
static int
charval(char c)
{
	const char *p;

	c = lower(c);
	if (c == '\0' || (p = strchr(charset, c)) == NULL)
		return -1;
	return (int)(p - charset);
}

/*
 * Check s as bech32 (BIP-173 without its 90-character limit): printable
 * US-ASCII, one case, a separator, checksum constant 1 (bech32m is not
 * BOLT #11). The hrp is s[0..*hrplen); the data words before the checksum
 * go to w (BOLT11_MAX of them at most). 0, or -1 with *err.
 */
static int
bech32_words(const char *s, size_t *hrplen, unsigned char *w, size_t *nw,
    const char **err)
{
	size_t len, sep, i;
	uint32_t chk = 1;
	int has_lower = 0, has_upper = 0, v;

	if ((len = strnlen(s, BOLT11_MAX + 1)) == 0) {
		*err = "the invoice is empty";
		return -1;
	}
	if (len > BOLT11_MAX) {
		*err = "the invoice is longer than 4096 characters";
		return -1;
	}
	sep = len;
	for (i = 0; i < len; i++) {
		if (s[i] < 33 || s[i] > 126) {
			*err = "the invoice has a character that is not "
			    "printable US-ASCII";
			return -1;
		}
		has_lower |= s[i] >= 'a' && s[i] <= 'z';
		has_upper |= s[i] >= 'A' && s[i] <= 'Z';
		if (s[i] == '1')
			sep = i;
	}
	if (has_lower && has_upper) {
		*err = "the invoice mixes upper and lower case";
		return -1;
	}
	if (sep == len || sep == 0) {
		*err = "the invoice is not bech32 (no \"1\" after a prefix)";
		return -1;
	}
	if (len - sep - 1 < 6) {
		*err = "the invoice is too short for a bech32 checksum";
		return -1;
	}
	for (i = 0; i < sep; i++)
		chk = polymod_step(chk, (unsigned char)lower(s[i]) >> 5);
	chk = polymod_step(chk, 0);
	for (i = 0; i < sep; i++)
		chk = polymod_step(chk, (unsigned char)lower(s[i]) & 31);
	*nw = 0;
	for (i = sep + 1; i < len; i++) {
		if ((v = charval(s[i])) < 0) {
			*err = "the invoice has a character outside the "
			    "bech32 set";
			return -1;
		}
		chk = polymod_step(chk, (unsigned int)v);
		if (i < len - 6)
			w[(*nw)++] = (unsigned char)v;
	}
	if (chk != 1) {
		*err = "the invoice's bech32 checksum is wrong";
		return -1;
	}
	*hrplen = sep;
	return 0;
}

/*
 * The amount after the network: digits without a leading zero, then an
 * optional multiplier (BOLT #11 "Human-Readable Part"). a is lower case.
 */
static int
parse_amount(const char *a, size_t n, uint64_t *msats, const char **err)
{
	uint64_t v = 0, per = UINT64_C(100000000000); /* msats per bitcoin */
	size_t nd, i;
	char m = '\0';

	for (nd = 0; nd < n && a[nd] >= '0' && a[nd] <= '9'; nd++)
		continue;
	if (nd == 0) {
		*err = "the invoice amount is not a number";
		return -1;
	}
	if (a[0] == '0') {
		*err = "the invoice amount starts with 0";
		return -1;
	}
	if (nd + 1 < n) {
		*err = "the invoice amount is followed by more than a "
		    "multiplier";
		return -1;
	}
	if (nd < n) {
		m = a[nd];
		if (m == 'p') {
			/* Pico-bitcoin: tenths of a millisatoshi. */
			if (a[nd - 1] != '0') {
				*err = "a pico-bitcoin amount must end in 0 "
				    "(whole millisatoshis)";
				return -1;
			}
			nd--;
			per = 1;
		} else {
			per = 0;
			for (i = 0; i < nitems(multipliers); i++)
				if (multipliers[i].letter == m)
					per = multipliers[i].msats;
			if (per == 0) {
				*err = "the invoice amount has an unknown "
				    "multiplier";
				return -1;
			}
		}
	}
	for (i = 0; i < nd; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			goto big;
		v = v * 10 + (uint64_t)(a[i] - '0');
	}
	if (v > MSATS_MAX / per)
		goto big;
	*msats = v * per;
	return 0;
big:
	*err = "the invoice amount is above 21 million bitcoin";
	return -1;
}

/* "ln", a known network, an optional amount; s[0..n) in either case. */
static int
parse_hrp(const char *s, size_t n, struct bolt11 *out, const char **err)
{
	char hrp[84];
	size_t i, net;

	if (n < 2 || lower(s[0]) != 'l' || lower(s[1]) != 'n') {
		*err = "not a Lightning invoice (no \"ln\" prefix)";
		return -1;
	}
	/* BIP-173 allows 83; a valid one here has at most 27. */
	if (n >= sizeof(hrp)) {
		*err = "the invoice prefix is longer than 83 characters";
		return -1;
	}
	for (i = 0; i < n; i++)
		hrp[i] = lower(s[i]);
	hrp[n] = '\0';
	for (net = 2; net < n && hrp[net] >= 'a' && hrp[net] <= 'z'; net++)
		continue;
	for (i = 0; i < nitems(networks); i++)
		if (strlen(networks[i]) == net - 2 &&
		    memcmp(networks[i], hrp + 2, net - 2) == 0)
			break;
	if (i == nitems(networks)) {
		*err = "the invoice is for an unknown network";
		return -1;
	}
	memcpy(out->network, hrp + 2, net - 2);
	out->network[net - 2] = '\0';
	if (net == n)
		return 0;
	if (parse_amount(hrp + net, n - net, &out->msats, err) == -1)
		return -1;
	out->has_amount = 1;
	return 0;
}

/* A p field's 52 words as 32 bytes; -1 if its 4 padding bits are not 0. */
static int
hash_bytes(const unsigned char *w, unsigned char out[32])
{
	uint32_t acc = 0;
	unsigned int bits = 0;
	size_t i, o = 0;

	for (i = 0; i < HASH_WORDS; i++) {
		acc = ((acc << 5) | w[i]) & 0xfff;
		if ((bits += 5) >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return (acc & ((1u << bits) - 1)) == 0 ? 0 : -1;
}

/* 0 unless an even feature bit BOLT #9 does not allow here is set. */
static int
features_ok(const unsigned char *w, size_t n)
{
	size_t i, k;
	unsigned int b, bit;

	for (i = 0; i < n; i++)
		for (b = 0; b < 5; b++) {
			if (((w[i] >> b) & 1) == 0)
				continue;
			/* Big-endian: bit 0 is the last word's lowest bit. */
			bit = (unsigned int)(n - 1 - i) * 5 + b;
			/* Odd bits are optional: unknown ones are ignored. */
			if (bit % 2 != 0)
				continue;
			for (k = 0; k < nitems(known_even); k++)
				if (known_even[k] == bit)
					break;
			if (k == nitems(known_even))
				return -1;
		}
	return 0;
}

/*
 * The data words: 35-bit timestamp, tagged fields, 104-word signature
 * (BOLT #11 "Data Part"). The first p of 52 words is the payment hash
 * (others are skipped, as the spec says); the first x is the expiry.
 */
static int
parse_data(const unsigned char *w, size_t nw, struct bolt11 *out,
    const char **err)
{
	const unsigned char *sig, *v;
	uint64_t x;
	size_t n, i, len, k;
	int has_hash = 0, has_expiry = 0;

	if (nw < TS_WORDS + SIG_WORDS) {
		*err = "the invoice is too short for a timestamp and a "
		    "signature";
		return -1;
	}
	n = nw - SIG_WORDS;
	sig = w + n;
	/* The last byte of the 65 is the recovery id: 0, 1, 2 or 3. */
	if ((sig[SIG_WORDS - 2] & 7) != 0 || sig[SIG_WORDS - 1] > 3) {
		*err = "the invoice signature's recovery id is not 0 to 3";
		return -1;
	}
	out->timestamp = 0;
	for (i = 0; i < TS_WORDS; i++)
		out->timestamp = out->timestamp << 5 | w[i];
	out->expiry = EXPIRY_DEFAULT;
	for (i = TS_WORDS; i < n; i += 3 + len) {
		if (n - i < 3) {
			*err = "the invoice has a tagged field cut short";
			return -1;
		}
		len = (size_t)w[i + 1] << 5 | w[i + 2];
		if (len > n - i - 3) {
			*err = "the invoice has a tagged field longer than "
			    "the data";
			return -1;
		}
		v = w + i + 3;
		switch (w[i]) {
		case TAG_PAYMENT_HASH:
			if (len != HASH_WORDS || has_hash)
				break;
			if (hash_bytes(v, out->payment_hash) == -1) {
				*err = "the invoice payment hash has non-zero "
				    "padding bits";
				return -1;
			}
			has_hash = 1;
			break;
		case TAG_EXPIRY:
			if (has_expiry)
				break;
			x = 0;
			for (k = 0; k < len; k++) {
				if (x > (uint64_t)INT64_MAX >> 5)
					goto big;
				x = x << 5 | v[k];
			}
			if (x > (uint64_t)(INT64_MAX - out->timestamp))
				goto big;
			out->expiry = (int64_t)x;
			has_expiry = 1;
			break;
		case TAG_FEATURES:
			if (features_ok(v, len) == -1) {
				*err = "the invoice requires a feature BOLT #9 "
				    "does not define for invoices";
				return -1;
			}
			break;
		default:
			break;
		}
	}
	if (!has_hash) {
		*err = "the invoice has no payment hash";
		return -1;
	}
	return 0;
big:
	*err = "the invoice expiry is out of range";
	return -1;
}

/*
 * See bolt11.h. The string is checked as bech32 first, so that damage
 * reads as a bad checksum rather than as whatever it happened to hit.
 */
int
bolt11_decode(const char *s, struct bolt11 *out, const char **why)
{
	unsigned char w[BOLT11_MAX];
	const char *err = NULL;
	size_t hrplen, nw;

	memset(out, 0, sizeof(*out));
	if (strncasecmp(s, "lightning:", 10) == 0)
		s += 10;
	if (bech32_words(s, &hrplen, w, &nw, &err) == -1 ||
	    parse_hrp(s, hrplen, out, &err) == -1 ||
	    parse_data(w, nw, out, &err) == -1)
		goto fail;
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	if (why != NULL)
		*why = err;
	return -1;
}

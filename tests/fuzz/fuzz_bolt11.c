/*
 * fuzz_bolt11.c: libFuzzer harness for the BOLT #11 decoder, which reads
 * the invoices the platform wallet returns before billing asks a tenant's
 * wallet to pay them. Each input is used twice:
 *
 *  - as a string (up to its first NUL) for bolt11_decode(). What decodes
 *    must keep the promises of bolt11.h, and decode the same in the other
 *    case and behind "lightning:"; what fails must say why and leave the
 *    result zero;
 *  - as a recipe, so that the parsers behind the checksum see fuzzed
 *    input: the first byte picks a network (and from 0xf0 on spoils the
 *    "ln"), the bytes up to a 0xff (at most 90) spell the amount, the
 *    rest are 5-bit data words; all of it
 *    is encoded with a good checksum. A second reading written here, apart
 *    from bolt11.c and bit by bit, must accept exactly what the decoder
 *    accepts and find the same values.
 *
 * A broken promise aborts, which libFuzzer reports as a crash.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core.h"
#include "bolt11.h"

#define AMOUNT_MAX 90 /* recipe bytes spelling the amount */
#define MSATS_MAX UINT64_C(2100000000000000000)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
static char text[2 * BOLT11_MAX], other[2 * BOLT11_MAX + 16];
static unsigned char words[2 * BOLT11_MAX];

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_bolt11: invariant broken: %s\n", what);
	abort();
}

static void
check_promises(const struct bolt11 *b)
{
	if (strcmp(b->network, "bc") != 0 && strcmp(b->network, "tb") != 0 &&
	    strcmp(b->network, "tbs") != 0 && strcmp(b->network, "bcrt") != 0)
		fail("an unknown network decoded");
	if (b->has_amount != 0 && b->has_amount != 1)
		fail("has_amount is not 0 or 1");
	if (b->has_amount && (b->msats == 0 || b->msats > MSATS_MAX))
		fail("an amount of 0 or above 21 million bitcoin");
	if (!b->has_amount && b->msats != 0)
		fail("an amount without has_amount");
	if (b->timestamp < 0 || b->timestamp >= INT64_C(1) << 35)
		fail("a timestamp outside 35 bits");
	if (b->expiry < 0 || b->expiry > INT64_MAX - b->timestamp)
		fail("timestamp + expiry overflows");
}

static int
same(const struct bolt11 *a, const struct bolt11 *b)
{
	return strcmp(a->network, b->network) == 0 &&
	    a->has_amount == b->has_amount && a->msats == b->msats &&
	    a->timestamp == b->timestamp && a->expiry == b->expiry &&
	    memcmp(a->payment_hash, b->payment_hash, 32) == 0;
}

static void
as_string(const uint8_t *data, size_t size)
{
	static const struct bolt11 zero;
	struct bolt11 b, b2;
	const char *why = NULL;
	size_t i, n;

	n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, data, n);
	text[n] = '\0';
	if (bolt11_decode(text, &b, &why) != 0) {
		if (why == NULL || why[0] == '\0')
			fail("a rejection without a reason");
		if (memcmp(&b, &zero, sizeof(b)) != 0)
			fail("a rejection left values behind");
		return;
	}
	check_promises(&b);
	n = strlen(text);
	for (i = 0; i <= n; i++)
		other[i] = (char)(text[i] >= 'a' && text[i] <= 'z' ?
		    text[i] - 'a' + 'A' : text[i] >= 'A' && text[i] <= 'Z' ?
		    text[i] - 'A' + 'a' : text[i]);
	if (bolt11_decode(other, &b2, NULL) != 0 || !same(&b, &b2))
		fail("the invoice in the other case decodes otherwise");
	snprintf(other, sizeof(other), "LIGHTNING:%s", text);
	if (strncasecmp(text, "lightning:", 10) != 0 &&
	    (bolt11_decode(other, &b2, NULL) != 0 || !same(&b, &b2)))
		fail("\"LIGHTNING:\" changes the result");
}

/* hrp "1" words and a good BIP-173 checksum into text; 0 or -1. */
static int
encode(const char *hrp, const unsigned char *w, size_t n)
{
	static const uint32_t gen[5] = {
		0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3
	};
	size_t hl = strlen(hrp), i, k, o;
	uint32_t chk = 1, top, v;

	if (hl + 1 + n + 6 >= sizeof(text))
		return -1;
	for (i = 0; i < 2 * hl + 1 + n + 6; i++) {
		if (i < hl)
			v = (unsigned char)hrp[i] >> 5;
		else if (i == hl)
			v = 0;
		else if (i <= 2 * hl)
			v = hrp[i - hl - 1] & 31;
		else if (i < 2 * hl + 1 + n)
			v = w[i - 2 * hl - 1];
		else
			v = 0;
		top = chk >> 25;
		chk = ((chk & 0x1ffffff) << 5) ^ v;
		for (k = 0; k < 5; k++)
			if ((top >> k) & 1)
				chk ^= gen[k];
	}
	chk ^= 1;
	o = (size_t)snprintf(text, sizeof(text), "%s1", hrp);
	for (i = 0; i < n; i++)
		text[o++] = charset[w[i]];
	for (i = 0; i < 6; i++)
		text[o++] = charset[(chk >> (5 * (5 - i))) & 31];
	text[o] = '\0';
	return 0;
}

/* Bit k (from the most significant) of the word string w. */
static unsigned int
bit(const unsigned char *w, size_t k)
{
	return (w[k / 5] >> (4 - k % 5)) & 1;
}

/*
 * The amount after the network, read with 128-bit arithmetic: value
 * times 10^11 msats per bitcoin, divided by the multiplier's power of
 * ten, which must divide it. 0 or -1.
 */
static int
ref_amount(const char *a, struct bolt11 *r)
{
	unsigned __int128 v = 0, div = 1;
	size_t n = strlen(a), nd, i;

	for (nd = 0; nd < n && a[nd] >= '0' && a[nd] <= '9'; nd++)
		continue;
	if (nd == 0 || a[0] == '0' || nd > 25 || n > nd + 1)
		return -1;
	for (i = 0; i < nd; i++)
		v = v * 10 + (unsigned int)(a[i] - '0');
	if (n == nd + 1) {
		switch (a[nd]) {
		case 'm':
			div = 1000;
			break;
		case 'u':
			div = 1000000;
			break;
		case 'n':
			div = 1000000000;
			break;
		case 'p':
			div = 1000000000000ULL;
			break;
		default:
			return -1;
		}
	}
	v *= 100000000000ULL;
	if (v % div != 0 || v / div > MSATS_MAX)
		return -1;
	r->msats = (uint64_t)(v / div);
	r->has_amount = 1;
	return 0;
}

static int
ref_feature_ok(const unsigned char *w, size_t len)
{
	size_t k, b;

	for (k = 0; k < len * 5; k++) {
		b = len * 5 - 1 - k; /* feature number of bit k */
		if (bit(w, k) && b % 2 == 0 && b != 8 && b != 14 && b != 16 &&
		    b != 24 && b != 48)
			return -1;
	}
	return 0;
}

/* The data words, bit by bit; 0 or -1. */
static int
ref_data(const unsigned char *w, size_t nw, struct bolt11 *r)
{
	unsigned __int128 x;
	size_t n, i, len, k;
	int has_p = 0, has_x = 0;

	if (nw < 7 + 104)
		return -1;
	n = nw - 104;
	/* Recovery id: the last 8 of the 520 signature bits. */
	for (k = 512, x = 0; k < 520; k++)
		x = x << 1 | bit(w + n, k);
	if (x > 3)
		return -1;
	for (k = 0; k < 35; k++)
		r->timestamp = r->timestamp << 1 | bit(w, k);
	r->expiry = 3600;
	for (i = 7; i < n; i += 3 + len) {
		if (i + 3 > n)
			return -1;
		len = w[i + 1] * 32u + w[i + 2];
		if (i + 3 + len > n)
			return -1;
		if (w[i] == 1 && len == 52 && !has_p) {
			memset(r->payment_hash, 0, 32);
			for (k = 0; k < 256; k++)
				r->payment_hash[k / 8] |= (unsigned char)
				    (bit(w + i + 3, k) << (7 - k % 8));
			for (k = 256; k < 260; k++)
				if (bit(w + i + 3, k))
					return -1;
			has_p = 1;
		} else if (w[i] == 6 && !has_x) {
			for (k = 0, x = 0; k < len; k++) {
				x = x << 5 | w[i + 3 + k];
				if (x > (unsigned __int128)INT64_MAX)
					return -1;
			}
			if (x > (unsigned __int128)(INT64_MAX - r->timestamp))
				return -1;
			r->expiry = (int64_t)x;
			has_x = 1;
		} else if (w[i] == 5 && ref_feature_ok(w + i + 3, len) != 0)
			return -1;
	}
	return has_p ? 0 : -1;
}

static void
as_recipe(const uint8_t *data, size_t size)
{
	static const char *const nets[] = { "bc", "tb", "tbs", "bcrt", "" };
	static const char amount[] = "0123456789munp-x";
	struct bolt11 b, r;
	char hrp[2 + 4 + AMOUNT_MAX + 1];
	const char *net;
	size_t i, h, nw;
	int ok;

	if (size == 0)
		return;
	net = nets[data[0] % nitems(nets)];
	h = (size_t)snprintf(hrp, sizeof(hrp), "%s%s",
	    data[0] >= 0xf0 ? "lm" : "ln", net);
	for (i = 1; i < size && i <= AMOUNT_MAX && data[i] != 0xff; i++)
		hrp[h++] = amount[data[i] % 16];
	hrp[h] = '\0';
	if (i < size && data[i] == 0xff)
		i++;
	for (nw = 0; i < size && nw < sizeof(words); i++)
		words[nw++] = data[i] & 31;
	if (encode(hrp, words, nw) != 0)
		return;
	memset(&r, 0, sizeof(r));
	ok = strlen(text) <= BOLT11_MAX && data[0] < 0xf0 && net[0] != '\0' &&
	    (h == 2 + strlen(net) ||
	    ref_amount(hrp + 2 + strlen(net), &r) == 0) &&
	    ref_data(words, nw, &r) == 0;
	if (ok)
		memcpy(r.network, net, strlen(net) + 1);
	else
		memset(&r, 0, sizeof(r));
	if (bolt11_decode(text, &b, NULL) != (ok ? 0 : -1))
		fail(ok ? "the decoder rejects what the reference reads" :
		    "the decoder accepts what the reference rejects");
	if (!same(&b, &r))
		fail("the decoder and the reference disagree");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_string(data, size);
	as_recipe(data, size);
	return 0;
}

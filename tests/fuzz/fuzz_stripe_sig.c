/*
 * fuzz_stripe_sig.c: libFuzzer harness for the Stripe-Signature check of
 * the webhook (stripe_sig_parse() and stripe_sig_verify(), stripe.h),
 * which reads a header and a body straight from the network. Bit 0 of
 * the first input byte picks what the rest is; either way it is cut at
 * its first newline into a front part and the body:
 *
 *	0  the front is the header as received. A parse that succeeds
 *	   keeps 1..STRIPE_SIG_MAX v1 values, read from the header's first
 *	   v1 fields, and its one t; verify accepts exactly when the parse
 *	   does, t is within the tolerance and some kept v1 is the HMAC the
 *	   harness computes, for the secret given (so never for a wrong or
 *	   empty one);
 *	1  the front is a recipe, so that most headers parse and the checks
 *	   behind the parse see fuzzed input: bytes 0-1 give t's distance
 *	   from now (-601..601 s), byte 2 where the t field goes (0xff: no
 *	   t), and each further byte adds one field: a v1 with the right
 *	   HMAC, one for a wrong secret or a wrong t, random hex, a v0 or an
 *	   unknown key (both ignored), a second t, or one malformed field.
 *	   The harness knows what it built: the parse must succeed exactly
 *	   when every field is well formed, there is one t and some v1, and
 *	   keep the first STRIPE_SIG_MAX v1 in order; verify must succeed
 *	   exactly when a kept v1 is right and t within the tolerance.
 *
 * In both modes, a header the harness signs for the body (HMAC-SHA256
 * computed here with OpenSSL, apart from stripe_sig.c) must verify, and
 * must not once one byte of the body changes or under another secret.
 * A broken promise aborts, which libFuzzer reports as a crash.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core.h"
#include "stripe.h"

#define NOW INT64_C(1700000000)
#define TOL STRIPE_SIG_TOLERANCE
#define SECRET "whsec_fuzz_5f3a9c"
#define WRONG "whsec_fuzz_5f3a9d"
/* Room for a header a little past the cap, and for its last field. */
#define HDR_BUF (STRIPE_SIG_HEADER_MAX + 256)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char hdr[HDR_BUF];

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_stripe_sig: invariant broken: %s\n", what);
	abort();
}

/*
 * HMAC-SHA256(secret, "<t>." || body), Stripe's v1 scheme. SHA-256 is
 * fetched once: an implicit fetch per call costs more than the MAC.
 */
static void
mac_of(const char *secret, int64_t t, const char *body, size_t len,
    unsigned char out[32])
{
	static EVP_MD *md;
	char ts[24];
	unsigned char *msg;
	unsigned int outlen = 0;
	size_t n;

	if (md == NULL && (md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		fail("OpenSSL has no SHA-256");
	n = (size_t)snprintf(ts, sizeof(ts), "%lld.", (long long)t);
	msg = xmalloc(n + len + 1);
	memcpy(msg, ts, n);
	if (len > 0)
		memcpy(msg + n, body, len);
	if (HMAC(md, secret, (int)strlen(secret), msg, n + len, out,
	    &outlen) == NULL || outlen != 32)
		fail("OpenSSL cannot compute the HMAC");
	free(msg);
}

/* Does some kept v1 of sig equal mac? */
static int
kept(const struct stripe_sig *sig, const unsigned char mac[32])
{
	size_t i;

	for (i = 0; i < sig->nv1; i++)
		if (memcmp(sig->v1[i], mac, 32) == 0)
			return 1;
	return 0;
}

/*
 * Verify h over body with secret, and hold the result to the rule:
 * accepted exactly when h parses, the secret is set, t is within the
 * tolerance and a kept v1 is the HMAC computed here. Returns the result.
 */
static int
verify_as_promised(const char *h, const char *body, size_t len,
    const char *secret)
{
	struct stripe_sig sig;
	unsigned char mac[32];
	const char *why = NULL;
	int rc, want;

	rc = stripe_sig_verify(h, body, len, secret, NOW, TOL, &why);
	if (rc != 0 && rc != -1)
		fail("verify returned neither 0 nor -1");
	if (rc == -1 && (why == NULL || why[0] == '\0'))
		fail("verify rejected without a reason");
	if (rc == 0 && why != NULL)
		fail("verify accepted and left a reason");
	want = 0;
	if (stripe_sig_parse(h, &sig, &why) == 0 && secret != NULL &&
	    secret[0] != '\0' && sig.t >= NOW - TOL && sig.t <= NOW + TOL) {
		mac_of(secret, sig.t, body, len, mac);
		want = kept(&sig, mac);
	}
	if ((rc == 0) != want)
		fail(want ? "verify rejects a header with the right HMAC" :
		    "verify accepts a header without the right HMAC");
	return rc;
}

/*
 * What a successful parse of a raw header must show: 1..STRIPE_SIG_MAX
 * v1 values, the first ones of the header in order, and its one t.
 */
static void
check_parse(const char *h, const struct stripe_sig *sig)
{
	const char *p, *end;
	unsigned char v[32];
	size_t seen = 0, nt = 0;
	int64_t t = -1;

	if (sig->nv1 < 1 || sig->nv1 > STRIPE_SIG_MAX)
		fail("a parse kept no v1, or more than STRIPE_SIG_MAX");
	if (strlen(h) > STRIPE_SIG_HEADER_MAX)
		fail("a header over STRIPE_SIG_HEADER_MAX parsed");
	for (p = h; ; p = end + 1) {
		end = p + strcspn(p, ",");
		if (end - p == 67 && strncmp(p, "v1=", 3) == 0 &&
		    seen < STRIPE_SIG_MAX) {
			if (hex_decode(p + 3, 64, v, 32) != 0 ||
			    memcmp(v, sig->v1[seen], 32) != 0)
				fail("a kept v1 is not the header's");
			seen++;
		} else if (strncmp(p, "t=", 2) == 0) {
			nt++;
			t = strtoll(p + 2, NULL, 10);
		}
		if (*end == '\0')
			break;
	}
	if (seen != sig->nv1)
		fail("the parse kept another number of v1 than the header has");
	if (nt != 1 || t != sig->t || sig->t < 0)
		fail("the parse's t is not the header's one t");
}

/* A header signed here for body must verify; not after a change. */
static void
signed_here(const char *body, size_t len)
{
	unsigned char mac[32];
	char hex[65], *copy;

	mac_of(SECRET, NOW, body, len, mac);
	hex_encode(mac, 32, hex);
	snprintf(hdr, sizeof(hdr), "t=%lld,v1=%s", (long long)NOW, hex);
	if (verify_as_promised(hdr, body, len, SECRET) != 0)
		fail("a header signed for the body does not verify");
	if (verify_as_promised(hdr, body, len, WRONG) == 0)
		fail("a header verifies under another secret");
	copy = xmalloc(len + 1);
	if (len > 0)
		memcpy(copy, body, len);
	copy[len] = 'x';
	if (len > 0)
		copy[len / 2] ^= 0x01;
	if (verify_as_promised(hdr, copy, len > 0 ? len : 1, SECRET) == 0)
		fail("a header verifies for a changed body");
	free(copy);
}

/* Mode 0: the header as received. */
static void
raw(const char *front, size_t flen, const char *body, size_t len)
{
	struct stripe_sig sig;
	const char *why = NULL;
	char *h;

	h = xmalloc(flen + 1);
	memcpy(h, front, flen);
	h[flen] = '\0';
	if (stripe_sig_parse(h, &sig, &why) == 0) {
		if (why != NULL)
			fail("a parse succeeded and left a reason");
		check_parse(h, &sig);
	} else if (why == NULL || why[0] == '\0')
		fail("a parse failed without a reason");
	/* An empty front also stands for a missing header. */
	(void)verify_as_promised(flen > 0 ? h : NULL, body, len, SECRET);
	(void)verify_as_promised(h, body, len, WRONG);
	(void)verify_as_promised(h, body, len, "");
	(void)verify_as_promised(h, body, len, NULL);
	free(h);
}

/* What a recipe built, as the parse must see it. */
struct built {
	size_t len; /* of hdr */
	size_t nt; /* t fields */
	int malformed;
	unsigned char v1[STRIPE_SIG_MAX][32]; /* the first v1 values */
	size_t nv1; /* all v1 fields */
};

static void
add(struct built *b, const char *field)
{
	size_t n = strlen(field);

	if (b->len + n + 2 > sizeof(hdr))
		fail("the recipe outgrew the header buffer");
	if (b->len > 0)
		hdr[b->len++] = ',';
	memcpy(hdr + b->len, field, n + 1);
	b->len += n;
}

static void
add_v1(struct built *b, const char *key, const unsigned char v[32])
{
	char f[8 + 65];

	snprintf(f, sizeof(f), "%s=", key);
	hex_encode(v, 32, f + strlen(f));
	add(b, f);
	if (strcmp(key, "v1") == 0) {
		if (b->nv1 < STRIPE_SIG_MAX)
			memcpy(b->v1[b->nv1], v, 32);
		b->nv1++;
	}
}

static void
add_malformed(struct built *b, unsigned int arg, const unsigned char v[32])
{
	char f[8 + 66];
	size_t i;

	switch (arg % 8) {
	case 0:
		add(b, "v1");
		break;
	case 1:
		add(b, "v1:");
		break;
	case 2:
		add(b, "t=");
		break;
	case 3:
		add(b, "t=-1");
		break;
	case 4:
		add(b, "t=123456789012345678901");
		break;
	case 5:
		memcpy(f, "v1=", 3);
		hex_encode(v, 32, f + 3);
		for (i = 3; f[i] != '\0'; i++)
			if (f[i] >= 'a' && f[i] <= 'f')
				f[i] = (char)(f[i] - 'a' + 'A');
		if (strcspn(f + 3, "ABCDEF") == 64)
			f[3] = 'G';
		add(b, f);
		break;
	case 6:
		memcpy(f, "v1=", 3);
		hex_encode(v, 32, f + 3);
		f[66] = '\0';
		add(b, f);
		break;
	default:
		memcpy(f, "v1=", 3);
		hex_encode(v, 32, f + 3);
		f[67] = '0';
		f[68] = '\0';
		add(b, f);
		break;
	}
	b->malformed = 1;
}

/* One field from recipe byte c; the MACs are those of the recipe's t. */
static void
add_field(struct built *b, unsigned int c, int64_t t,
    const unsigned char good[32], const unsigned char wrong_key[32],
    const unsigned char wrong_t[32])
{
	static const char *const unknown[] = { "v2=abc", "x=1", "v10=5",
		"t1=17", "=", "V1=00", "v=1", "scheme=v1" };
	unsigned char rnd[32];
	char f[32];
	unsigned int arg = c >> 4;
	size_t i;

	switch (c & 15) {
	case 0: case 1: case 2: case 3: case 4: case 5:
		add_v1(b, "v1", good);
		break;
	case 6: case 7:
		add_v1(b, "v1", wrong_key);
		break;
	case 8:
		add_v1(b, "v1", wrong_t);
		break;
	case 9:
		add_v1(b, "v0", good);
		break;
	case 10: case 11:
		add(b, unknown[arg % nitems(unknown)]);
		break;
	case 12: case 13:
		for (i = 0; i < 32; i++)
			rnd[i] = (unsigned char)(arg * 37 + i * 11);
		add_v1(b, "v1", rnd);
		break;
	case 14:
		snprintf(f, sizeof(f), "t=%lld", (long long)t);
		add(b, f);
		b->nt++;
		break;
	default:
		add_malformed(b, arg, good);
		break;
	}
}

/* Mode 1: a header built from a recipe, with the verdicts it must get. */
static void
recipe(const uint8_t *r, size_t rn, const char *body, size_t len)
{
	struct built b;
	struct stripe_sig sig;
	unsigned char good[32], wrong_key[32], wrong_t[32];
	const char *why = NULL;
	char f[32];
	int64_t t, d;
	size_t k, nops, pos, i;
	int want_parse, want_verify, found;

	if (rn < 3)
		return;
	memset(&b, 0, sizeof(b));
	hdr[0] = '\0';
	d = (int64_t)((r[0] << 8 | r[1]) % 1203) - 601;
	t = NOW + d;
	mac_of(SECRET, t, body, len, good);
	mac_of(WRONG, t, body, len, wrong_key);
	mac_of(SECRET, t + 1, body, len, wrong_t);
	nops = rn - 3;
	pos = r[2] == 0xff ? SIZE_MAX : r[2] % (nops + 1);
	for (k = 0; k <= nops && b.len <= STRIPE_SIG_HEADER_MAX + 80; k++) {
		if (k == pos) {
			snprintf(f, sizeof(f), "t=%lld", (long long)t);
			add(&b, f);
			b.nt++;
		}
		if (k < nops)
			add_field(&b, r[3 + k], t, good, wrong_key, wrong_t);
	}

	want_parse = !b.malformed && b.nt == 1 && b.nv1 > 0 &&
	    b.len <= STRIPE_SIG_HEADER_MAX;
	if ((stripe_sig_parse(hdr, &sig, &why) == 0) != want_parse)
		fail(want_parse ? "a well-formed header does not parse" :
		    "a malformed header parses");
	if (want_parse) {
		if (sig.t != t || sig.nv1 != (b.nv1 < STRIPE_SIG_MAX ? b.nv1 :
		    STRIPE_SIG_MAX))
			fail("the parse read another t or number of v1");
		for (i = 0; i < sig.nv1; i++)
			if (memcmp(sig.v1[i], b.v1[i], 32) != 0)
				fail("the parse kept other v1 values");
	}
	found = 0;
	for (i = 0; want_parse && i < sig.nv1; i++)
		found |= memcmp(b.v1[i], good, 32) == 0;
	want_verify = found && d >= -TOL && d <= TOL;
	if ((verify_as_promised(hdr, body, len, SECRET) == 0) != want_verify)
		fail(want_verify ? "verify rejects a good recipe header" :
		    "verify accepts a bad recipe header");
	/* Held to the same rule: only a v1 made with WRONG may pass. */
	(void)verify_as_promised(hdr, body, len, WRONG);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl;
	const char *body;
	size_t flen, len;

	if (size == 0)
		return 0;
	nl = memchr(data + 1, '\n', size - 1);
	flen = nl != NULL ? (size_t)(nl - data - 1) : size - 1;
	body = nl != NULL ? (const char *)nl + 1 : "";
	len = nl != NULL ? size - (size_t)(nl - data) - 1 : 0;
	if (data[0] & 1)
		recipe(data + 1, flen, body, len);
	else
		raw((const char *)data + 1, flen, body, len);
	signed_here(body, len);
	return 0;
}

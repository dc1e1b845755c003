/*
 * fuzz_price.c: libFuzzer harness for the BTC price path (price.h): the
 * price source's answer, read by price_reply_parse(); the decimal text,
 * read by decimal_parse() (core.h; it also reads the configured override
 * and the cached price); and the fiat amount in millisatoshis,
 * price_msats(). The input is used three ways:
 *
 *  - whole, as the source's answer. It parses exactly when it is a JSON
 *    object whose "data" object has an "amount" string of at most
 *    PRICE_TEXT_MAX bytes that is a decimal, and then gives that string;
 *  - up to its first newline, as a decimal. decimal_parse() must accept
 *    exactly what the harness's own reading accepts (1-12 digits, then
 *    optionally "." and 1-12 digits, 18 digits in all, above zero) and
 *    find the same units and scale;
 *  - after that newline, as an amount of cents (base 10), tried with
 *    fixed amounts and with a decimal made of the input's last 9 bytes
 *    (units and a scale of -2..13, not all of them valid).
 *
 * For each decimal and amount, price_msats() must succeed exactly when
 * the currency is "usd", the amount is 1..10^11 cents, the decimal is
 * valid and the result at most 21 million BTC, and msats must then be
 * the least integer m with m * units >= amount * 10^(9 + scale), which
 * the harness checks with unsigned __int128 multiplication, not
 * division. A failure leaves msats 0 and says why. A broken promise
 * aborts, which libFuzzer reports as a crash.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "json.h"
#include "price.h"

#define AMOUNT_MAX INT64_C(100000000000) /* cents: a billion dollars */
#define MSATS_MAX (UINT64_C(21000000) * UINT64_C(100000000000))

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_price: invariant broken: %s\n", what);
	abort();
}

/* The harness's own reading of a decimal; 0 or -1. */
static int
ref_decimal(const char *s, struct decimal *d)
{
	const char *dot;
	size_t whole, frac, i;

	d->units = 0;
	d->scale = 0;
	dot = strchr(s, '.');
	whole = dot != NULL ? (size_t)(dot - s) : strlen(s);
	frac = dot != NULL ? strlen(dot + 1) : 0;
	if (whole < 1 || whole > 12 || frac > 12 || whole + frac > 18 ||
	    (dot != NULL && frac == 0))
		return -1;
	for (i = 0; i < whole + frac + (dot != NULL); i++) {
		if (s + i == dot)
			continue;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d->units = d->units * 10 + (uint64_t)(s[i] - '0');
	}
	d->scale = (int)frac;
	return d->units > 0 ? 0 : -1;
}

static void
check_decimal(const char *s)
{
	struct decimal d, r;
	int rc, want;

	rc = decimal_parse(s, &d);
	want = ref_decimal(s, &r);
	if (rc != want)
		fail(want == 0 ? "decimal_parse refuses a decimal" :
		    "decimal_parse accepts what is not a decimal");
	if (rc == 0 && (d.units != r.units || d.scale != r.scale))
		fail("decimal_parse reads another value");
}

/*
 * price_msats for amount at price d, held to the definition of the
 * ceiling, in 128-bit products only.
 */
static void
check_msats(int64_t amount, const struct decimal *d)
{
	unsigned __int128 need, got, below;
	uint64_t m = 1;
	const char *why = NULL;
	int i, rc, want;

	rc = price_msats("usd", amount, d, &m, &why);
	if (rc != 0 && rc != -1)
		fail("price_msats returned neither 0 nor -1");
	want = amount >= 1 && amount <= AMOUNT_MAX && d->units > 0 &&
	    d->scale >= 0 && d->scale <= 12;
	need = 0;
	if (want) {
		need = (unsigned __int128)(uint64_t)amount * 1000000000u;
		for (i = 0; i < d->scale; i++)
			need *= 10;
		/* The ceiling exceeds MSATS_MAX exactly when this holds. */
		if ((unsigned __int128)MSATS_MAX * d->units < need)
			want = 0;
	}
	if ((rc == 0) != want)
		fail(want ? "price_msats refuses a payable amount" :
		    "price_msats converts what it must refuse");
	if (rc == -1) {
		if (m != 0 || why == NULL || why[0] == '\0')
			fail("a refusal left msats, or no reason");
		return;
	}
	if (why != NULL)
		fail("a conversion left a reason");
	got = (unsigned __int128)m * d->units;
	below = (unsigned __int128)(m - 1) * d->units;
	if (m == 0 || m > MSATS_MAX || got < need || below >= need)
		fail("msats is not the least m with m * units >= need");
	m = 1;
	why = NULL;
	if (price_msats("eur", amount, d, &m, &why) != -1 || m != 0 ||
	    why == NULL)
		fail("a conversion from another currency");
	m = 1;
	why = NULL;
	if (price_msats(NULL, amount, d, &m, &why) != -1 || m != 0 ||
	    why == NULL)
		fail("a conversion without a currency");
}

static void
check_amounts(const struct decimal *d, int64_t extra)
{
	static const int64_t amounts[] = { 1, 2, 99, 100, 2500, 99999999,
		AMOUNT_MAX - 1, AMOUNT_MAX, AMOUNT_MAX + 1, 0, -1, INT64_MAX,
		INT64_MIN };
	size_t i;

	for (i = 0; i < nitems(amounts); i++)
		check_msats(amounts[i], d);
	check_msats(extra, d);
}

/* Whole input as the source's answer: exactly data.amount, a decimal. */
static void
check_reply(const char *body, size_t len, int64_t extra)
{
	struct json_object *o, *data, *v;
	struct decimal d;
	char out[PRICE_TEXT_MAX + 1];
	const char *s = NULL;
	size_t n = 0;
	int rc, want = 0;

	memset(out, 'x', sizeof(out));
	rc = price_reply_parse(body, len, out);
	if ((o = json_parse_object(body, len)) != NULL &&
	    json_object_object_get_ex(o, "data", &data) &&
	    json_object_is_type(data, json_type_object) &&
	    json_object_object_get_ex(data, "amount", &v) &&
	    json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		n = (size_t)json_object_get_string_len(v);
		want = n <= PRICE_TEXT_MAX && strlen(s) == n &&
		    ref_decimal(s, &d) == 0;
	}
	if ((rc == 0) != want)
		fail(want ? "price_reply_parse refuses a good answer" :
		    "price_reply_parse accepts a bad answer");
	if (rc == 0) {
		if (memchr(out, '\0', sizeof(out)) == NULL ||
		    strcmp(out, s) != 0)
			fail("price_reply_parse gives another text");
		if (decimal_parse(out, &d) != 0)
			fail("price_reply_parse gives no decimal");
		check_amounts(&d, extra);
	} else if (rc != -1 || out[0] != '\0')
		fail("price_reply_parse failed and left text");
	json_object_put(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decimal d;
	const uint8_t *nl;
	char *text, *tail;
	uint64_t units = 0;
	int64_t extra;
	size_t flen, i;

	nl = size > 0 ? memchr(data, '\n', size) : NULL;
	flen = nl != NULL ? (size_t)(nl - data) : size;
	text = xmalloc(size + 1);
	if (size > 0)
		memcpy(text, data, size);
	text[size] = '\0';
	tail = nl != NULL ? text + flen + 1 : text + size;
	extra = strtoll(tail, NULL, 10);
	text[flen] = '\0';

	check_reply((const char *)data, size, extra);
	check_decimal(text);
	if (decimal_parse(text, &d) == 0)
		check_amounts(&d, extra);
	if (size >= 9) {
		for (i = 0; i < 8; i++)
			units = units << 8 | data[size - 9 + i];
		d.units = units;
		d.scale = (int)(data[size - 1] % 16) - 2;
		check_amounts(&d, extra);
	}
	free(text);
	return 0;
}

/*
 * test_price.c: fiat to millisatoshis (spec/api.md §8) and the decimal
 * prices it rests on. Every expected value is checked two ways: against
 * the defining inequality of a ceiling (m is the least integer with
 * m x units >= amount x 10^(9 + scale)), evaluated here by schoolbook
 * multiplication in base 10^9, not by the division price.c does; and for
 * a few, against figures worked out by hand.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "price.h"
#include "testlib.h"

/* A non-negative integer as base-10^9 limbs, little-endian. */
struct big {
	uint32_t d[8];
};

static void
big_set(struct big *b, uint64_t v)
{
	size_t i;

	memset(b, 0, sizeof(*b));
	for (i = 0; v > 0; i++, v /= 1000000000u)
		b->d[i] = (uint32_t)(v % 1000000000u);
}

/* b *= m (m < 10^9) */
static void
big_mul(struct big *b, uint64_t m)
{
	uint64_t carry = 0, x;
	size_t i;

	for (i = 0; i < 8; i++) {
		x = (uint64_t)b->d[i] * m + carry;
		b->d[i] = (uint32_t)(x % 1000000000u);
		carry = x / 1000000000u;
	}
	ck_assert_uint_eq(carry, 0);
}

/* Multiply by an arbitrary 64-bit value in limb-sized pieces. */
static void
big_mul64(struct big *b, uint64_t m)
{
	struct big acc, part;
	uint64_t piece;
	size_t i, k, shift;

	memset(&acc, 0, sizeof(acc));
	for (shift = 0; m > 0; shift++, m /= 1000000000u) {
		piece = m % 1000000000u;
		part = *b;
		big_mul(&part, piece);
		for (k = 0; k < shift; k++) {
			for (i = 7; i > 0; i--)
				part.d[i] = part.d[i - 1];
			part.d[0] = 0;
		}
		for (i = 0; i < 8; i++) {
			acc.d[i] += part.d[i];
			if (i < 7 && acc.d[i] >= 1000000000u) {
				acc.d[i] -= 1000000000u;
				acc.d[i + 1]++;
			}
		}
	}
	*b = acc;
}

static int
big_cmp(const struct big *a, const struct big *b)
{
	int i;

	for (i = 7; i >= 0; i--)
		if (a->d[i] != b->d[i])
			return a->d[i] < b->d[i] ? -1 : 1;
	return 0;
}

/* m is ceil(amount x 10^(9+scale) / units)? */
static void
check_ceiling(int64_t amount, const struct decimal *p, uint64_t m)
{
	struct big need, got, below;
	int i;

	big_set(&need, (uint64_t)amount);
	big_mul(&need, 1000000000u);
	for (i = 0; i < p->scale; i++)
		big_mul(&need, 10);
	big_set(&got, m);
	big_mul64(&got, p->units);
	big_set(&below, m - 1);
	big_mul64(&below, p->units);
	ck_assert_msg(big_cmp(&got, &need) >= 0, "%lld cents: %llu msats pay "
	    "too little", (long long)amount, (unsigned long long)m);
	ck_assert_msg(big_cmp(&below, &need) < 0, "%lld cents: %llu msats is "
	    "not the least that pays", (long long)amount,
	    (unsigned long long)m);
}

START_TEST(amounts_at_several_prices)
{
	static const char *const prices[] = { "1", "0.5", "97123.45",
		"100000", "43210.987654321", "999999999999", "25000.5",
		"12345678.12345" };
	static const int64_t amounts[] = { 1, 2500, 99999999, 3, 500, 2599 };
	struct decimal p;
	uint64_t m;
	const char *why;
	size_t i, j;

	for (i = 0; i < nitems(prices); i++) {
		ck_assert_int_eq(decimal_parse(prices[i], &p), 0);
		for (j = 0; j < nitems(amounts); j++) {
			ck_assert_int_eq(price_msats("usd", amounts[j], &p, &m,
			    &why), 0);
			check_ceiling(amounts[j], &p, m);
		}
	}
}
END_TEST

/* Figures worked by hand: $25.00 at $100,000 is 0.00025 BTC. */
START_TEST(known_figures)
{
	static const struct {
		const char *price;
		int64_t cents;
		uint64_t msats;
	} v[] = {
		{ "100000", 2500, 25000000 },
		{ "100000", 1, 10000 },
		{ "100000", 99999999, 999999990000ULL },
		/* 1 cent at $97,123.45: 10^9 x 100 / 9712345 = 10296.2... */
		{ "97123.45", 1, 10297 },
		/* $1 at $3: 1/3 BTC = 33333333333.33... msats, rounded up */
		{ "3", 100, 33333333334ULL },
		{ "1", 1, 1000000000 },
	};
	struct decimal p;
	uint64_t m;
	const char *why;
	size_t i;

	for (i = 0; i < nitems(v); i++) {
		ck_assert_int_eq(decimal_parse(v[i].price, &p), 0);
		ck_assert_int_eq(price_msats("usd", v[i].cents, &p, &m, &why),
		    0);
		ck_assert_msg(m == v[i].msats, "%lld cents at %s: %llu, want "
		    "%llu", (long long)v[i].cents, v[i].price,
		    (unsigned long long)m, (unsigned long long)v[i].msats);
	}
}
END_TEST

START_TEST(refusals)
{
	struct decimal p;
	uint64_t m;
	const char *why;

	ck_assert_int_eq(decimal_parse("50000", &p), 0);
	ck_assert_int_eq(price_msats("eur", 100, &p, &m, &why), -1);
	ck_assert_str_eq(why, "only US dollar amounts can be paid over "
	    "Lightning");
	ck_assert_int_eq(price_msats("usd", 0, &p, &m, &why), -1);
	ck_assert_int_eq(price_msats("usd", -5, &p, &m, &why), -1);
	ck_assert_int_eq(price_msats(NULL, 5, &p, &m, &why), -1);
	/* More than 21 million BTC at a silly low price. */
	ck_assert_int_eq(decimal_parse("0.000001", &p), 0);
	ck_assert_int_eq(price_msats("usd", 100000000000LL, &p, &m, &why),
	    -1);
}
END_TEST

START_TEST(decimals)
{
	static const char *const bad[] = { "", ".", "1.", ".5", "0", "0.00",
		"-1", "+1", "1e5", "1,5", "1.2.3", " 1", "1 ", "0x10",
		"1234567890123", "1.1234567890123", "123456789012.1234567",
		"nan", "inf" };
	struct decimal d;
	size_t i;

	for (i = 0; i < nitems(bad); i++)
		ck_assert_msg(decimal_parse(bad[i], &d) == -1, "accepted %s",
		    bad[i]);
	ck_assert_int_eq(decimal_parse("97123.45", &d), 0);
	ck_assert_uint_eq(d.units, 9712345);
	ck_assert_int_eq(d.scale, 2);
	ck_assert_int_eq(decimal_parse("0.5", &d), 0);
	ck_assert_uint_eq(d.units, 5);
	ck_assert_int_eq(decimal_parse("123456789012.123456", &d), 0);
	ck_assert_int_eq(d.scale, 6);
}
END_TEST

START_TEST(coinbase_reply)
{
	char out[PRICE_TEXT_MAX + 1];
	const char *ok = "{\"data\":{\"amount\":\"97123.45\",\"base\":\"BTC\","
	    "\"currency\":\"USD\"}}";

	ck_assert_int_eq(price_reply_parse(ok, strlen(ok), out), 0);
	ck_assert_str_eq(out, "97123.45");
	/* A number would lose the exact decimal: refused. */
	ck_assert_int_eq(price_reply_parse("{\"data\":{\"amount\":97123.45}}",
	    28, out), -1);
	ck_assert_int_eq(price_reply_parse("{\"data\":{\"amount\":\"-1\"}}",
	    24, out), -1);
	ck_assert_int_eq(price_reply_parse("{\"amount\":\"5\"}", 14, out), -1);
	ck_assert_int_eq(price_reply_parse("[]", 2, out), -1);
	ck_assert_int_eq(price_reply_parse("{\"data\":{\"amount\":"
	    "\"1e9\"}}", 25, out), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("price");
	TCase *tc = tcase_create("price");

	tcase_add_test(tc, amounts_at_several_prices);
	tcase_add_test(tc, known_figures);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, decimals);
	tcase_add_test(tc, coinbase_reply);
	suite_add_tcase(s, tc);
	return tl_run(s);
}

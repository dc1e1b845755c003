/*
 * test_stripe_sig.c: the Stripe-Signature header (research/stripe.md
 * §3.1). The two known answers were made by stripe-node 23.1.0's
 * generateTestHeaderString and matched by openssl dgst -hmac (ibid.); the
 * JS suite (tests/js/billing.test.mjs) signs with the npm package itself
 * through nginx. Here: the rules one by one, and hostile headers.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "stripe.h"
#include "testlib.h"

#define T0 1700000000
#define BODY1 "{\"id\":\"evt_1\",\"object\":\"event\"}"
#define SIG1 "c9bcc97a8a4ff4bae104ef32dcacf8b24b4c3cf0512aef639b8502673db15436"
#define BODY2 "{\"id\":\"evt_1\",\"object\":\"event\",\"type\":\"invoice.paid\"," \
	"\"data\":{\"object\":{\"id\":\"in_1\",\"object\":\"invoice\"}}}"
#define SIG2 "ff98affdc1be24cbdc87a2ea3a44b367d12efe861446add8d9be9cc10b867502"
#define ZEROS "0000000000000000000000000000000000000000000000000000000000000000"

static int
verify(const char *h, const char *body, const char *secret, int64_t now,
    const char **why)
{
	return stripe_sig_verify(h, body, strlen(body), secret, now,
	    STRIPE_SIG_TOLERANCE, why);
}

START_TEST(known_answers)
{
	const char *why;
	char h[256];

	snprintf(h, sizeof(h), "t=%d,v1=%s", T0, SIG1);
	ck_assert_int_eq(verify(h, BODY1, "whsec_x", T0, &why), 0);
	snprintf(h, sizeof(h), "t=%d,v1=%s", T0, SIG2);
	ck_assert_int_eq(verify(h, BODY2, "whsec_test_secret_abc", T0, &why),
	    0);
	/* The key is the whole secret, prefix included. */
	ck_assert_int_eq(verify(h, BODY2, "test_secret_abc", T0, &why), -1);
	ck_assert_str_eq(why, "no signature matches the body (wrong secret, "
	    "or the body was changed)");
}
END_TEST

START_TEST(any_v1_matches)
{
	const char *why;
	char h[512];

	snprintf(h, sizeof(h), "t=%d,v1=%s,v1=%s,v0=deadbeef", T0, ZEROS, SIG1);
	ck_assert_int_eq(verify(h, BODY1, "whsec_x", T0, &why), 0);
	snprintf(h, sizeof(h), "v0=%s,t=%d,v1=%s", ZEROS, T0, SIG1);
	ck_assert_int_eq(verify(h, BODY1, "whsec_x", T0, &why), 0);
	/* Only v0 (test mode's extra scheme) is not a signature. */
	snprintf(h, sizeof(h), "t=%d,v0=%s", T0, SIG1);
	ck_assert_int_eq(verify(h, BODY1, "whsec_x", T0, &why), -1);
	ck_assert_str_eq(why, "the Stripe-Signature header has no v1 "
	    "signature");
}
END_TEST

START_TEST(tampered_body)
{
	const char *why;
	char h[256];

	snprintf(h, sizeof(h), "t=%d,v1=%s", T0, SIG1);
	ck_assert_int_eq(verify(h, "{\"id\":\"evt_1\",\"object\":\"event\"} ",
	    "whsec_x", T0, &why), -1);
	ck_assert_int_eq(verify(h, "{\"id\":\"evt_2\",\"object\":\"event\"}",
	    "whsec_x", T0, &why), -1);
	/* The timestamp is signed too. */
	snprintf(h, sizeof(h), "t=%d,v1=%s", T0 + 1, SIG1);
	ck_assert_int_eq(verify(h, BODY1, "whsec_x", T0, &why), -1);
}
END_TEST

/* 300 s both ways (workers.md §3). */
START_TEST(tolerance)
{
	const char *why;
	char h[256];

	snprintf(h, sizeof(h), "t=%d,v1=%s", T0, SIG1);
	ck_assert_int_eq(verify(h, BODY1, "whsec_x", T0 + 300, &why), 0);
	ck_assert_int_eq(verify(h, BODY1, "whsec_x", T0 - 300, &why), 0);
	ck_assert_int_eq(verify(h, BODY1, "whsec_x", T0 + 301, &why), -1);
	ck_assert_str_eq(why, "the Stripe-Signature timestamp is outside the "
	    "tolerance");
	ck_assert_int_eq(verify(h, BODY1, "whsec_x", T0 - 301, &why), -1);
}
END_TEST

START_TEST(hostile_headers)
{
	static const char *const bad[] = {
		"", "t=", "t=abc,v1=" ZEROS, "v1=" ZEROS, "t=1700000000",
		"t=1700000000,v1=", "t=1700000000,v1=" ZEROS "0",
		"t=1700000000,v1=" "0000000000000000000000000000000000000000000"
		    "00000000000000000000G",
		"t=1700000000,v1=" "ABCDEF0000000000000000000000000000000000000"
		    "000000000000000000000",
		"t=1700000000,t=1700000000,v1=" ZEROS,
		"t=-1,v1=" ZEROS, "t=17000000000000000000000,v1=" ZEROS,
		"t 1700000000,v1=" ZEROS, ",,,", "t=1700000000;v1=" ZEROS,
	};
	struct stripe_sig sig;
	const char *why;
	char big[STRIPE_SIG_HEADER_MAX + 2];
	size_t i;

	for (i = 0; i < nitems(bad); i++) {
		ck_assert_msg(stripe_sig_parse(bad[i], &sig, &why) == -1,
		    "accepted %s", bad[i]);
		ck_assert_ptr_nonnull(why);
	}
	ck_assert_int_eq(stripe_sig_parse(NULL, &sig, &why), -1);
	ck_assert_str_eq(why, "the Stripe-Signature header is missing");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(stripe_sig_parse(big, &sig, &why), -1);
	ck_assert_str_eq(why, "the Stripe-Signature header is too long");
	/* Unknown schemes are ignored; more v1 than kept are too. */
	ck_assert_int_eq(stripe_sig_parse("x=1,t=5,v2=abc,v1=" ZEROS, &sig,
	    &why), 0);
	ck_assert_int_eq(sig.t, 5);
	ck_assert_uint_eq(sig.nv1, 1);
}
END_TEST

START_TEST(no_secret)
{
	const char *why;
	char h[256];

	snprintf(h, sizeof(h), "t=%d,v1=%s", T0, SIG1);
	ck_assert_int_eq(verify(h, BODY1, "", T0, &why), -1);
	ck_assert_int_eq(verify(h, BODY1, NULL, T0, &why), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("stripe_sig");
	TCase *tc = tcase_create("stripe_sig");

	tcase_add_test(tc, known_answers);
	tcase_add_test(tc, any_v1_matches);
	tcase_add_test(tc, tampered_body);
	tcase_add_test(tc, tolerance);
	tcase_add_test(tc, hostile_headers);
	tcase_add_test(tc, no_secret);
	suite_add_tcase(s, tc);
	return tl_run(s);
}

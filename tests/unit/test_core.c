/* test_core.c: arena, hex, base64, UTF-8, integers, constant-time compare. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "worker.h"
#include "testlib.h"

START_TEST(arena_grows_and_frees)
{
	struct arena a = { NULL };
	char *p, *big;
	int i;

	for (i = 0; i < 1000; i++) {
		p = arena_printf(&a, "item-%d", i);
		ck_assert_str_eq(p, i == 0 ? "item-0" : p);
	}
	big = arena_alloc(&a, 100000);
	ck_assert_int_eq(big[99999], 0);
	ck_assert_str_eq(arena_strndup(&a, "abcdef", 3), "abc");
	arena_free(&a);
	ck_assert_ptr_null(a.head);
	ck_assert_str_eq(arena_strdup(&a, "again"), "again");
	arena_free(&a);
	/* arena_clear keeps only the newest block, emptied: a list read a
	 * row at a time reuses it. */
	arena_clear(&a);
	ck_assert_ptr_null(a.head);
	(void)arena_strdup(&a, "row 1");
	big = arena_alloc(&a, 100000);
	arena_clear(&a);
	ck_assert_ptr_nonnull(a.head);
	ck_assert_ptr_eq(arena_alloc(&a, 10), big);
	ck_assert_str_eq(arena_strdup(&a, "row 2"), "row 2");
	arena_free(&a);
}
END_TEST

START_TEST(hex_round_trip)
{
	unsigned char b[4] = { 0x00, 0x7f, 0xa0, 0xff }, d[4];
	char h[9];

	hex_encode(b, 4, h);
	ck_assert_str_eq(h, "007fa0ff");
	ck_assert_int_eq(hex_decode(h, 8, d, 4), 0);
	ck_assert_mem_eq(b, d, 4);
	ck_assert_int_eq(hex_decode("007FA0FF", 8, d, 4), -1);
	ck_assert_int_eq(hex_decode("007fa0f", 7, d, 4), -1);
	ck_assert_int_eq(hex_decode("007fa0fg", 8, d, 4), -1);
	ck_assert_int_eq(hex_decode("00\0fa0ff", 8, d, 4), -1);
	ck_assert_int_eq(is_lower_hex("abc123", 6), 1);
	ck_assert_int_eq(is_lower_hex("abC123", 6), 0);
}
END_TEST

/* RFC 4648 §10 test vectors, then what must be rejected. */
START_TEST(base64_vectors)
{
	static const char *const plain[] = { "", "f", "fo", "foo", "foob",
		"fooba", "foobar" };
	static const char *const enc[] = { "", "Zg==", "Zm8=", "Zm9v",
		"Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	static const char *const unpadded[] = { "", "Zg", "Zm8", "Zm9v",
		"Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	static const char *const bad[] = { "Z", "Zg=", "Zh==", "Zm9=", "Zm9v!",
		"Zm9v\n", "Zm-v", "Zm_v", "=Zm9", "Zg===", "Z===" };
	unsigned char out[16];
	size_t i, n;
	char *e;

	for (i = 0; i < nitems(plain); i++) {
		e = base64_encode_alloc((const unsigned char *)plain[i],
		    strlen(plain[i]));
		ck_assert_str_eq(e, enc[i]);
		free(e);
		ck_assert_int_eq(base64_decode(enc[i], strlen(enc[i]), out,
		    sizeof(out), &n), 0);
		ck_assert_uint_eq(n, strlen(plain[i]));
		ck_assert_mem_eq(out, plain[i], n);
		ck_assert_int_eq(base64_decode(unpadded[i],
		    strlen(unpadded[i]), out, sizeof(out), &n), 0);
		ck_assert_uint_eq(n, strlen(plain[i]));
	}
	for (i = 0; i < nitems(bad); i++)
		ck_assert_msg(base64_decode(bad[i], strlen(bad[i]), out,
		    sizeof(out), &n) == -1, "accepted %s", bad[i]);
	ck_assert_int_eq(base64_decode("Zm9vYmFy", 8, out, 5, &n), -1);
}
END_TEST

START_TEST(utf8_rules)
{
	static const struct {
		const char *s;
		int ok;
	} t[] = {
		{ "plain", 1 }, { "caf\xc3\xa9", 1 }, { "\xf0\x9f\x8c\x8d", 1 },
		{ "\xe2\x80\xa8", 1 }, { "\xc3", 0 }, { "\xc0\xaf", 0 },
		{ "\xe0\x80\xaf", 0 }, { "\xed\xa0\x80", 0 },
		{ "\xf4\x90\x80\x80", 0 }, { "\xff", 0 }, { "\x80", 0 },
		{ "\xf0\x9f\x8c", 0 },
	};
	size_t i;

	for (i = 0; i < nitems(t); i++)
		ck_assert_msg(is_utf8(t[i].s, strlen(t[i].s)) == t[i].ok,
		    "case %zu", i);
}
END_TEST

START_TEST(int_parsing)
{
	int64_t v;

	ck_assert_int_eq(parse_int64("42", 0, 100, &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(parse_int64("-1", 0, 100, &v), -1);
	ck_assert_int_eq(parse_int64("101", 0, 100, &v), -1);
	ck_assert_int_eq(parse_int64("4x", 0, 100, &v), -1);
	ck_assert_int_eq(parse_int64("", 0, 100, &v), -1);
	ck_assert_int_eq(parse_int64(" 4", 0, 100, &v), -1);
	ck_assert_int_eq(parse_int64("99999999999999999999", 0, INT64_MAX,
	    &v), -1);
	ck_assert_int_eq(ct_equal("abc", "abc", 3), 1);
	ck_assert_int_eq(ct_equal("abc", "abd", 3), 0);
}
END_TEST

/* Both workers' retry waits (infra: 30 s to 15 min; robot: 1 min to 1 h). */
START_TEST(backoff_doubles_to_its_cap)
{
	ck_assert_int_eq(worker_backoff(30, 900, 1), 30);
	ck_assert_int_eq(worker_backoff(30, 900, 2), 60);
	ck_assert_int_eq(worker_backoff(30, 900, 5), 480);
	ck_assert_int_eq(worker_backoff(30, 900, 6), 900);
	ck_assert_int_eq(worker_backoff(30, 900, 1000000), 900);
	ck_assert_int_eq(worker_backoff(60, 3600, 7), 3600);
	ck_assert_int_eq(worker_backoff(60, 3600, 6), 1920);
	/* A first failure, or a count that never was, waits the base. */
	ck_assert_int_eq(worker_backoff(60, 3600, 0), 60);
	ck_assert_int_eq(worker_backoff(60, 3600, -5), 60);
}
END_TEST

START_TEST(clock_can_be_pinned)
{
	setenv("CARAVEL_TEST_NOW", "1700000000", 1);
	ck_assert_int_eq(clock_now(), 1700000000);
	unsetenv("CARAVEL_TEST_NOW");
	ck_assert_int_gt(clock_now(), 1700000000);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, arena_grows_and_frees);
	tcase_add_test(tc, hex_round_trip);
	tcase_add_test(tc, base64_vectors);
	tcase_add_test(tc, utf8_rules);
	tcase_add_test(tc, int_parsing);
	tcase_add_test(tc, clock_can_be_pinned);
	tcase_add_test(tc, backoff_doubles_to_its_cap);
	suite_add_tcase(s, tc);
	return tl_run(s);
}

/* test_json.c: strict parsing of untrusted JSON and the typed getters. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "json.h"
#include "testlib.h"

START_TEST(parse_table)
{
	static const struct {
		const char *text;
		int ok;
	} t[] = {
		{ "{}", 1 }, { " {\"a\":1} \n", 1 }, { "9", 1 }, { "-1", 1 },
		{ "1.5", 1 }, { "true", 1 },
		/* json-c's null is a NULL pointer: a bare null cannot parse. */
		{ "null", 0 }, { "\"s\"", 1 },
		{ "[1,2]", 1 },
		/* Out of range for a double: refused like NaN. */
		{ "1e999", 0 },
		{ "", 0 }, { "{", 0 }, { "{\"a\":}", 0 }, { "{} {}", 0 },
		{ "{}x", 0 }, { "{'a':1}", 0 }, { "{\"a\":NaN}", 0 },
		{ "[Infinity]", 0 }, { "-Infinity", 0 }, { "{\"a\":1,}", 0 },
		{ "{\"a\":\"\xff\"}", 0 }, { "{\"a\":\"\xc0\xaf\"}", 0 },
		{ "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]", 0 },
		{ "{\"a\":01}", 0 }, { "/* c */{}", 0 },
		{ "{\"a\":\"tab\there\"}", 0 }, { "{\"a\":\"nl\nhere\"}", 0 },
		{ "{\"a\":\"esc\\\"q'\"}", 1 }, { "[\"'\"]", 1 },
	};
	struct json_object *o;
	size_t i;

	for (i = 0; i < nitems(t); i++) {
		o = json_parse(t[i].text, strlen(t[i].text));
		ck_assert_msg((o != NULL) == t[i].ok, "case %zu: %s", i,
		    t[i].text);
		json_object_put(o);
	}
	ck_assert_ptr_null(json_parse_object("[1]", 3));
	ck_assert_ptr_null(json_parse_object("{\"a\":1}\0", 8));
}
END_TEST

START_TEST(getters)
{
	static const char text[] = "{\"s\":\"hi\",\"n\":42,\"d\":1.0,"
	    "\"b\":true,\"z\":0,\"big\":99999999999999999999,"
	    "\"nul\":\"a\\u0000b\",\"two\":2}";
	struct json_object *o;
	const char *s;
	size_t len;
	int64_t n;
	int f;

	ck_assert_ptr_nonnull(o = json_parse_object(text, strlen(text)));
	ck_assert_int_eq(json_get_str(o, "s", 10, &s, &len), JGET_OK);
	ck_assert_str_eq(s, "hi");
	ck_assert_int_eq(json_get_str(o, "s", 1, &s, &len), JGET_BAD);
	ck_assert_int_eq(json_get_str(o, "n", 10, &s, &len), JGET_BAD);
	ck_assert_int_eq(json_get_str(o, "nul", 10, &s, &len), JGET_BAD);
	ck_assert_int_eq(json_get_str(o, "nope", 10, &s, &len), JGET_ABSENT);
	ck_assert_int_eq(json_get_int(o, "n", 0, 100, &n), JGET_OK);
	ck_assert_int_eq(n, 42);
	ck_assert_int_eq(json_get_int(o, "n", 0, 10, &n), JGET_BAD);
	ck_assert_int_eq(json_get_int(o, "d", 0, 10, &n), JGET_BAD);
	ck_assert_int_eq(json_get_int(o, "s", 0, 10, &n), JGET_BAD);
	ck_assert_int_eq(json_get_int(o, "big", INT64_MIN, INT64_MAX, &n),
	    JGET_BAD);
	ck_assert_int_eq(json_get_flag(o, "b", &f), JGET_OK);
	ck_assert_int_eq(f, 1);
	ck_assert_int_eq(json_get_flag(o, "z", &f), JGET_OK);
	ck_assert_int_eq(f, 0);
	ck_assert_int_eq(json_get_flag(o, "two", &f), JGET_BAD);
	ck_assert_int_eq(json_get_flag(o, "s", &f), JGET_BAD);
	json_object_put(o);
}
END_TEST

START_TEST(text_is_compact)
{
	struct json_object *o = jobj();
	size_t len;

	jadd_str(o, "u", "https://a/b");
	jadd_int(o, "n", -3);
	jadd_null(o, "x");
	ck_assert_str_eq(json_text(o, &len),
	    "{\"u\":\"https://a/b\",\"n\":-3,\"x\":null}");
	json_object_put(o);
}
END_TEST

/* Integers without printf, at both ends of int64_t. */
START_TEST(sbuf_writes_integers)
{
	struct sbuf b = { NULL, 0, 0 };

	sbuf_int(&b, 0);
	sbuf_lit(&b, ",");
	sbuf_int(&b, -7);
	sbuf_lit(&b, ",");
	sbuf_int(&b, 1796000000);
	sbuf_lit(&b, ",");
	sbuf_int(&b, INT64_MAX);
	sbuf_lit(&b, ",");
	sbuf_int(&b, INT64_MIN);
	ck_assert_str_eq(b.p, "0,-7,1796000000,9223372036854775807,"
	    "-9223372036854775808");
	ck_assert_uint_eq(b.len, strlen(b.p));
	sbuf_release(&b);
}
END_TEST

/*
 * Every byte value at every place of an eight-byte word, and beside plain
 * text on both sides, against JSON.stringify's rules written out byte by
 * byte (the writer looks at eight bytes at a time).
 */
START_TEST(sbuf_escapes_every_byte)
{
	static const char *const shorts[32] = { ['\b'] = "\\b",
		['\t'] = "\\t", ['\n'] = "\\n", ['\f'] = "\\f",
		['\r'] = "\\r" };
	struct sbuf b = { NULL, 0, 0 };
	char in[24], want[40];
	size_t at, len;
	int c;

	for (c = 0; c < 256; c++)
		for (at = 0; at < 17; at++) {
			memset(in, 'a', sizeof(in));
			in[at] = (char)c;
			memcpy(want, "\"", 1);
			memset(want + 1, 'a', at);
			len = 1 + at;
			if (c == '"' || c == '\\')
				len += (size_t)snprintf(want + len, 3, "\\%c", c);
			else if (c < 0x20 && shorts[c] != NULL)
				len += (size_t)snprintf(want + len, 3, "%s",
				    shorts[c]);
			else if (c < 0x20)
				len += (size_t)snprintf(want + len, 7,
				    "\\u%04x", c);
			else
				want[len++] = (char)c;
			memset(want + len, 'a', sizeof(in) - at - 1);
			len += sizeof(in) - at - 1;
			want[len++] = '"';
			b.len = 0;
			sbuf_json_str(&b, in, sizeof(in));
			ck_assert_msg(b.len == len && memcmp(b.p, want, len) == 0,
			    "byte 0x%02x at %zu: %.*s", (unsigned)c, at,
			    (int)b.len, b.p);
		}
	sbuf_release(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("json");

	tcase_add_test(tc, parse_table);
	tcase_add_test(tc, getters);
	tcase_add_test(tc, text_is_compact);
	tcase_add_test(tc, sbuf_writes_integers);
	tcase_add_test(tc, sbuf_escapes_every_byte);
	suite_add_tcase(s, tc);
	return tl_run(s);
}

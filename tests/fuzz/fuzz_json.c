/*
 * fuzz_json.c: libFuzzer harness for request bodies: json_parse(),
 * json_parse_object() and the typed getters of json.h, which are the
 * only way handlers read a body. The input is the body. Promises checked
 * (a broken one aborts, which libFuzzer reports as a crash):
 *
 *  - json_parse_object() accepts exactly the objects json_parse() does;
 *  - a getter says ABSENT exactly when the member is missing, and OK only
 *    for the right JSON type within its bounds (strings: length, no NUL,
 *    UTF-8; integers: range, never a double; flags: 0 or 1);
 *  - no NaN or Infinity gets through (RFC 8259 §6);
 *  - the compact text json_text() writes parses back to an equal value
 *    (values holding a double are left out: json-c compares doubles by
 *    value, and their text need not round-trip exactly).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_json: invariant broken: %s\n", what);
	abort();
}

static void
check_str(struct json_object *o, const char *key, int present,
    struct json_object *v, size_t max)
{
	const char *s = NULL;
	size_t len = SIZE_MAX;

	switch (json_get_str(o, key, max, &s, &len)) {
	case JGET_OK:
		if (!present || !json_object_is_type(v, json_type_string))
			fail("json_get_str: OK for a missing or non-string member");
		if (s == NULL || len > max || strlen(s) != len ||
		    !is_utf8(s, len))
			fail("json_get_str: OK for a bad string");
		break;
	case JGET_ABSENT:
		if (present)
			fail("json_get_str: ABSENT for a present member");
		break;
	case JGET_BAD:
		if (!present)
			fail("json_get_str: BAD for a missing member");
		break;
	default:
		fail("json_get_str: not a jget value");
	}
}

static void
check_int(struct json_object *o, const char *key, int present,
    struct json_object *v, int64_t min, int64_t max)
{
	int64_t n = 0;

	switch (json_get_int(o, key, min, max, &n)) {
	case JGET_OK:
		if (!present || !json_object_is_type(v, json_type_int))
			fail("json_get_int: OK for a missing or non-integer");
		if (n < min || n > max || n != json_object_get_int64(v))
			fail("json_get_int: OK out of range");
		break;
	case JGET_ABSENT:
		if (present)
			fail("json_get_int: ABSENT for a present member");
		break;
	case JGET_BAD:
		if (!present)
			fail("json_get_int: BAD for a missing member");
		break;
	default:
		fail("json_get_int: not a jget value");
	}
}

static void
check_flag(struct json_object *o, const char *key, int present,
    struct json_object *v)
{
	int f = -1;

	switch (json_get_flag(o, key, &f)) {
	case JGET_OK:
		if (!present || (f != 0 && f != 1) ||
		    (!json_object_is_type(v, json_type_boolean) &&
		    !json_object_is_type(v, json_type_int)))
			fail("json_get_flag: OK for something not a flag");
		break;
	case JGET_ABSENT:
		if (present)
			fail("json_get_flag: ABSENT for a present member");
		break;
	case JGET_BAD:
		if (!present)
			fail("json_get_flag: BAD for a missing member");
		break;
	default:
		fail("json_get_flag: not a jget value");
	}
}

/*
 * Every getter on key. A member whose value is JSON null is present, and
 * json-c gives it as a NULL object.
 */
static void
check_key(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;
	int present;

	present = json_object_object_get_ex(o, key, &v);
	check_str(o, key, present, v, 0);
	check_str(o, key, present, v, 8);
	check_str(o, key, present, v, 253);
	check_str(o, key, present, v, SIZE_MAX);
	check_int(o, key, present, v, 0, 100);
	check_int(o, key, present, v, -1, 1);
	check_int(o, key, present, v, INT64_MIN, INT64_MAX);
	check_flag(o, key, present, v);
}

/*
 * Does v hold a double? JSON has no NaN or Infinity (RFC 8259 §6), so a
 * double that json-c writes as one came from a literal strict parsing
 * must refuse (1e999 is JSON, and json-c keeps its text).
 */
static int
has_double(struct json_object *v)
{
	struct json_object_iterator it, end;
	const char *text;
	size_t i, n;
	int found = 0;

	switch (json_object_get_type(v)) {
	case json_type_double:
		text = json_object_get_string(v);
		if (strstr(text, "NaN") != NULL ||
		    strstr(text, "Infinity") != NULL)
			fail("accepted NaN or Infinity, which JSON does not have");
		return 1;
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			found |= has_double(json_object_array_get_idx(v, i));
		return found;
	case json_type_object:
		it = json_object_iter_begin(v);
		end = json_object_iter_end(v);
		for (; !json_object_iter_equal(&it, &end);
		    json_object_iter_next(&it))
			found |= has_double(json_object_iter_peek_value(&it));
		return found;
	default:
		return 0;
	}
}

static void
round_trip(struct json_object *v)
{
	struct json_object *w;
	const char *text;
	size_t len;

	text = json_text(v, &len);
	if (text == NULL || strlen(text) != len)
		fail("json_text: no text, or a NUL inside it");
	if ((w = json_parse(text, len)) == NULL)
		fail("json_text of a parsed value does not parse");
	if (!json_object_equal(v, w))
		fail("json_text round trip changed the value");
	json_object_put(w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {
		"subdomain", "plan", "name", "nwc_url", "amount", "active",
		"", "a", "0"
	};
	struct json_object *any, *obj;
	struct json_object_iterator it, end;
	const char *buf = (const char *)data;
	size_t i;
	int doubles;

	any = json_parse(buf, size);
	obj = json_parse_object(buf, size);
	if ((obj != NULL) != (any != NULL &&
	    json_object_is_type(any, json_type_object)))
		fail("json_parse_object disagrees with json_parse");
	doubles = any != NULL && has_double(any);
	if (obj != NULL) {
		if (!doubles && !json_object_equal(obj, any))
			fail("the two parsers read different values");
		for (i = 0; i < nitems(keys); i++)
			check_key(obj, keys[i]);
		it = json_object_iter_begin(obj);
		end = json_object_iter_end(obj);
		for (; !json_object_iter_equal(&it, &end);
		    json_object_iter_next(&it))
			check_key(obj, json_object_iter_peek_name(&it));
	}
	if (any != NULL && !doubles)
		round_trip(any);
	json_object_put(obj);
	json_object_put(any);
	return 0;
}

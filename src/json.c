/* json.c: see json.h. */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "json.h"

/*
 * Does o hold NaN or ±Infinity anywhere? json-c accepts them even in
 * strict mode; JSON has no such values (RFC 8259 §6).
 */
static int
json_nonfinite(struct json_object *o)
{
	struct json_object_iterator it, end;
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_double:
		return !isfinite(json_object_get_double(o));
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (json_nonfinite(json_object_array_get_idx(o, i)))
				return 1;
		return 0;
	case json_type_object:
		it = json_object_iter_begin(o);
		end = json_object_iter_end(o);
		for (; !json_object_iter_equal(&it, &end);
		    json_object_iter_next(&it))
			if (json_nonfinite(json_object_iter_peek_value(&it)))
				return 1;
		return 0;
	default:
		return 0;
	}
}

/*
 * What json-c's strict mode still lets through (json-c 0.16): single
 * quoted strings, raw control characters inside strings (RFC 8259 §7),
 * and overlong or surrogate UTF-8 (RFC 3629).
 */
static int
json_lex_ok(const char *buf, size_t len)
{
	size_t i;
	int in_string = 0;

	if (!is_utf8(buf, len))
		return 0;
	for (i = 0; i < len; i++) {
		if (!in_string) {
			if (buf[i] == '\'')
				return 0;
			if (buf[i] == '"')
				in_string = 1;
		} else if (buf[i] == '\\')
			i++;
		else if (buf[i] == '"')
			in_string = 0;
		else if ((unsigned char)buf[i] < 0x20)
			return 0;
	}
	return 1;
}

struct json_object *
json_parse(const char *buf, size_t len)
{
	struct json_tokener *tok;
	struct json_object *o;
	size_t end;

	if (len > INT32_MAX || !json_lex_ok(buf, len) ||
	    (tok = json_tokener_new_ex(JSON_MAX_DEPTH)) == NULL)
		return NULL;
	json_tokener_set_flags(tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	end = json_tokener_get_parse_end(tok);
	/*
	 * A bare number or literal may go on as far as the tokener knows:
	 * a NUL byte tells it the input has ended.
	 */
	if (o == NULL && json_tokener_get_error(tok) == json_tokener_continue &&
	    end == len) {
		o = json_tokener_parse_ex(tok, "", 1);
		end = len;
	}
	while (end < len && isspace((unsigned char)buf[end]))
		end++;
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    end != len || json_nonfinite(o))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

struct json_object *
json_parse_object(const char *buf, size_t len)
{
	struct json_object *o;

	if ((o = json_parse(buf, len)) != NULL &&
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

enum jget
json_get_str(struct json_object *o, const char *key, size_t max,
    const char **out, size_t *lenp)
{
	struct json_object *v;
	const char *s;
	size_t len;

	if (!json_object_object_get_ex(o, key, &v))
		return JGET_ABSENT;
	if (!json_object_is_type(v, json_type_string))
		return JGET_BAD;
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len > max || memchr(s, '\0', len) != NULL || !is_utf8(s, len))
		return JGET_BAD;
	*out = s;
	if (lenp != NULL)
		*lenp = len;
	return JGET_OK;
}

int
json_has_null(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v == NULL;
}

enum jget
json_get_int(struct json_object *o, const char *key, int64_t min, int64_t max,
    int64_t *out)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v))
		return JGET_ABSENT;
	if (!json_object_is_type(v, json_type_int))
		return JGET_BAD;
	/* json-c clamps out-of-range numbers to INT64_MIN/MAX. */
	n = json_object_get_int64(v);
	if (n < min || n > max || n == INT64_MAX || n == INT64_MIN)
		return JGET_BAD;
	*out = n;
	return JGET_OK;
}

enum jget
json_get_flag(struct json_object *o, const char *key, int *out)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v))
		return JGET_ABSENT;
	if (json_object_is_type(v, json_type_boolean)) {
		*out = json_object_get_boolean(v) ? 1 : 0;
		return JGET_OK;
	}
	if (!json_object_is_type(v, json_type_int))
		return JGET_BAD;
	n = json_object_get_int64(v);
	if (n != 0 && n != 1)
		return JGET_BAD;
	*out = (int)n;
	return JGET_OK;
}

static struct json_object *
jcheck(struct json_object *o)
{
	if (o == NULL) {
		fputs("json: out of memory\n", stderr);
		abort();
	}
	return o;
}

struct json_object *
jobj(void)
{
	return jcheck(json_object_new_object());
}

struct json_object *
jarr(void)
{
	return jcheck(json_object_new_array());
}

struct json_object *
jstr(const char *s)
{
	return jcheck(json_object_new_string(s));
}

void
jadd(struct json_object *o, const char *key, struct json_object *v)
{
	if (json_object_object_add(o, key, v) != 0)
		abort();
}

void
jadd_str(struct json_object *o, const char *key, const char *s)
{
	jadd(o, key, jcheck(json_object_new_string(s)));
}

void
jadd_strn(struct json_object *o, const char *key, const char *s, size_t n)
{
	if (n > INT32_MAX)
		abort();
	jadd(o, key, jcheck(json_object_new_string_len(s, (int)n)));
}

void
jadd_int(struct json_object *o, const char *key, int64_t n)
{
	jadd(o, key, jcheck(json_object_new_int64(n)));
}

void
jadd_bool(struct json_object *o, const char *key, int b)
{
	jadd(o, key, jcheck(json_object_new_boolean(b ? 1 : 0)));
}

void
jadd_null(struct json_object *o, const char *key)
{
	jadd(o, key, NULL);
}

void
jpush(struct json_object *a, struct json_object *v)
{
	if (json_object_array_add(a, v) != 0)
		abort();
}

const char *
json_text(struct json_object *o, size_t *len)
{
	const char *s;

	s = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
	if (s == NULL) {
		fputs("json: out of memory\n", stderr);
		abort();
	}
	return s;
}

/*
 * json.h: json-c used one way everywhere. Untrusted input is parsed only by
 * json_parse_object(); fields are read only through typed getters that
 * check the JSON type (json-c would silently coerce); builders abort on
 * OOM like xmalloc, so code that builds a response stays straight-line.
 */
#ifndef CARAVEL_JSON_H
#define CARAVEL_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#define JSON_MAX_DEPTH 16

/* Getter results: present and valid, absent, or present with a bad type. */
enum jget { JGET_OK, JGET_ABSENT, JGET_BAD };

/*
 * Parse buf[0..len) as exactly one JSON value of any type: strict syntax,
 * valid UTF-8, nesting at most JSON_MAX_DEPTH, nothing but whitespace after
 * it; NaN and Infinity are refused. Returns a new reference (caller puts
 * it) or NULL, which is also the answer for a bare "null".
 */
struct json_object *json_parse(const char *, size_t);
/* The same, and the value must be an object. */
struct json_object *json_parse_object(const char *, size_t);

/* Member key as a string of at most max bytes, valid UTF-8, no NUL. */
enum jget json_get_str(struct json_object *, const char *key, size_t max,
    const char **out, size_t *len);
/* Member key as an integer (not a double) within [min, max]. */
enum jget json_get_int(struct json_object *, const char *key, int64_t min,
    int64_t max, int64_t *out);
/* Member key as a flag: 0/1 or false/true. */
enum jget json_get_flag(struct json_object *, const char *key, int *out);
/* 1 if member key is there and null. */
int json_has_null(struct json_object *, const char *key);

/* Builders: never NULL. */
struct json_object *jobj(void);
struct json_object *jarr(void);
struct json_object *jstr(const char *);
void jadd_str(struct json_object *, const char *key, const char *);
void jadd_strn(struct json_object *, const char *key, const char *, size_t);
void jadd_int(struct json_object *, const char *key, int64_t);
void jadd_bool(struct json_object *, const char *key, int);
void jadd_null(struct json_object *, const char *key);
void jadd(struct json_object *, const char *key, struct json_object *);
void jpush(struct json_object *arr, struct json_object *);
/* Compact text of o (no "\/" escapes); belongs to o. */
const char *json_text(struct json_object *, size_t *len);

/* sbuf.c: JSON text written by hand (caller frees p, or sbuf_release). */
struct sbuf {
	char *p; /* NUL-terminated once anything was added */
	size_t len, cap;
};
void sbuf_grow(struct sbuf *, size_t n); /* room for n more and a NUL */

/* Inline: a list of relays appends some 80 pieces per element. */
static inline void
sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->cap - b->len <= n)
		sbuf_grow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}
void sbuf_str(struct sbuf *, const char *);
/* A string literal, its length known at compile time. */
#define sbuf_lit(b, lit) sbuf_add((b), "" lit "", sizeof(lit) - 1)
void sbuf_int(struct sbuf *, int64_t);
/* s[0..n) as a quoted JSON string (JSON.stringify's escapes). */
void sbuf_json_str(struct sbuf *, const char *, size_t);
void sbuf_release(struct sbuf *);

#endif

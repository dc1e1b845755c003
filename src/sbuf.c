/*
 * sbuf.c: a growing string for JSON written by hand, where json-c's object
 * tree would cost more than the text itself (NIP-01 serialization, long
 * lists in responses). Strings are escaped as JSON.stringify does.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "json.h"

void
sbuf_grow(struct sbuf *b, size_t n)
{
	while (b->cap - b->len <= n)
		b->cap = b->cap == 0 ? 256 : b->cap * 2;
	b->p = xrealloc(b->p, b->cap);
}

void
sbuf_str(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

/* Decimal, without printf's format parsing (lists write thousands). */
void
sbuf_int(struct sbuf *b, int64_t v)
{
	char num[24], *p = num + sizeof(num);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	sbuf_add(b, p, (size_t)(num + sizeof(num) - p));
}

#define BYTES_ONES 0x0101010101010101ULL
#define BYTES_HIGHS 0x8080808080808080ULL

/*
 * Whether one of the eight bytes of w is below 0x20, '"' or '\\': a byte
 * less than n shows as (b - n) & ~b & 0x80, a zero byte as (b - 1) & ~b &
 * 0x80, eight lanes at once ("Bit Twiddling Hacks", "Determine if a word
 * has a byte less than n"). A borrow can set a lane above a matching byte,
 * never without one, so the answer for the whole word is exact.
 */
static int
word_needs_escape(uint64_t w)
{
	uint64_t q = w ^ (BYTES_ONES * '"'), bs = w ^ (BYTES_ONES * '\\');

	return (((w - BYTES_ONES * 0x20) & ~w) | ((q - BYTES_ONES) & ~q) |
	    ((bs - BYTES_ONES) & ~bs)) & BYTES_HIGHS ? 1 : 0;
}

/*
 * A JSON string exactly as JavaScript's JSON.stringify writes it (NIP-01
 * id rule): the seven short escapes, other C0 controls as lower-case
 * \u00xx, every other byte (also "/", DEL, U+2028) verbatim. Runs that
 * need no escape are found eight bytes at a time (lists write 85 kB of
 * mostly plain text per answer).
 */
void
sbuf_json_str(struct sbuf *b, const char *s, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char esc[7];
	size_t i, run;
	uint64_t w;
	unsigned char c;

	sbuf_add(b, "\"", 1);
	for (i = 0; i < n; i++) {
		for (run = i; n - run >= sizeof(w); run += sizeof(w)) {
			memcpy(&w, s + run, sizeof(w));
			if (word_needs_escape(w))
				break;
		}
		for (; run < n && (unsigned char)s[run] >= 0x20 &&
		    s[run] != '"' && s[run] != '\\'; run++)
			;
		sbuf_add(b, s + i, run - i);
		if ((i = run) == n)
			break;
		switch ((c = (unsigned char)s[i])) {
		case '"':
			sbuf_add(b, "\\\"", 2);
			break;
		case '\\':
			sbuf_add(b, "\\\\", 2);
			break;
		case '\n':
			sbuf_add(b, "\\n", 2);
			break;
		case '\r':
			sbuf_add(b, "\\r", 2);
			break;
		case '\t':
			sbuf_add(b, "\\t", 2);
			break;
		case '\b':
			sbuf_add(b, "\\b", 2);
			break;
		case '\f':
			sbuf_add(b, "\\f", 2);
			break;
		default:
			snprintf(esc, sizeof(esc), "\\u00%c%c", digits[c >> 4],
			    digits[c & 15]);
			sbuf_add(b, esc, 6);
			break;
		}
	}
	sbuf_add(b, "\"", 1);
}

void
sbuf_release(struct sbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

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

/*
 * A JSON string exactly as JavaScript's JSON.stringify writes it (NIP-01
 * id rule): the seven short escapes, other C0 controls as lower-case
 * \u00xx, every other byte (also "/", DEL, U+2028) verbatim.
 */
void
sbuf_json_str(struct sbuf *b, const char *s, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char esc[7];
	size_t i, run;
	unsigned char c;

	sbuf_add(b, "\"", 1);
	for (i = 0; i < n; i++) {
		for (run = i; run < n && (unsigned char)s[run] >= 0x20 &&
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

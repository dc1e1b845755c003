/*
 * util.c: allocators that abort on OOM (no caller carries an OOM branch),
 * bounded integer parsing, UTF-8 validation and constant-time compare.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL) {
		fputs("out of memory\n", stderr);
		abort();
	}
	return p;
}

void *
xcalloc(size_t n, size_t m)
{
	void *p;

	if ((p = calloc(n == 0 ? 1 : n, m == 0 ? 1 : m)) == NULL) {
		fputs("out of memory\n", stderr);
		abort();
	}
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n == 0 ? 1 : n)) == NULL) {
		fputs("out of memory\n", stderr);
		abort();
	}
	return p;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

/* A formatted string the caller frees; aborts on OOM like xmalloc. */
char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/*
 * Parse a whole decimal string into [min, max], like OpenBSD strtonum().
 * Returns 0, or -1 for empty input, junk, or a value out of range.
 */
int
parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * Is s[0..n) well-formed UTF-8 (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF)? NUL bytes count as valid characters here;
 * callers that forbid them check separately.
 */
int
is_utf8(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, len, k;
	uint32_t cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			len = 2;
			cp = s[i] & 0x1f;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			len = 3;
			cp = s[i] & 0x0f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			len = 4;
			cp = s[i] & 0x07;
		} else
			return 0;
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* Zero memory the compiler may not elide (secrets). */
void
explicit_zero(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

/* Compare n bytes in time independent of where they differ (MACs). */
int
ct_equal(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

int
decimal_parse(const char *s, struct decimal *d)
{
	size_t whole = 0, frac = 0;
	int point = 0;

	d->units = 0;
	d->scale = 0;
	for (; *s != '\0'; s++) {
		if (*s == '.' && !point && whole > 0) {
			point = 1;
			continue;
		}
		if (*s < '0' || *s > '9')
			return -1;
		if (point) {
			if (++frac > 12)
				return -1;
			d->scale++;
		} else if (++whole > 12)
			return -1;
		if (whole + frac > 18)
			return -1;
		d->units = d->units * 10 + (uint64_t)(*s - '0');
	}
	if (whole == 0 || (point && frac == 0) || d->units == 0)
		return -1;
	return 0;
}

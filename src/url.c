/* url.c: percent-decoding of URI components (RFC 3986 §2.1). */
#include "config.h"

#include "nwc.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
url_decode(struct arena *a, const char *s, size_t len)
{
	char *out, *p;
	size_t i;
	int hi, lo;

	p = out = arena_alloc(a, len + 1);
	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			if (len - i < 3 || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0 || (hi == 0 && lo == 0))
				return NULL;
			*p++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '\0')
			return NULL;
		else
			*p++ = s[i];
	}
	*p = '\0';
	return out;
}

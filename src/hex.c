/* hex.c: lower-case hex, the only form NIP-01 allows for ids and keys. */
#include "config.h"

#include "core.h"

void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

static int
hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode exactly outlen bytes from len lower-case hex digits; 0 or -1. */
int
hex_decode(const char *s, size_t len, unsigned char *out, size_t outlen)
{
	size_t i;
	int hi, lo;

	if (len != 2 * outlen)
		return -1;
	for (i = 0; i < outlen; i++) {
		if ((hi = hex_nibble(s[2 * i])) < 0 ||
		    (lo = hex_nibble(s[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int
is_lower_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (hex_nibble(s[i]) < 0)
			return 0;
	return 1;
}

/*
 * base64.c: RFC 4648 §4 standard alphabet. Decoding accepts input with or
 * without "=" padding (the NIP-98 example header is unpadded) and rejects
 * everything else: other characters, bad lengths, non-zero trailing bits.
 */
#include "config.h"

#include <string.h>

#include "core.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Returns a NUL-terminated string the caller frees. */
char *
base64_encode_alloc(const unsigned char *in, size_t n)
{
	char *out, *p;
	size_t i;
	uint32_t v;

	p = out = xmalloc(4 * ((n + 2) / 3) + 1);
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		*p++ = b64[v >> 18];
		*p++ = b64[(v >> 12) & 63];
		*p++ = b64[(v >> 6) & 63];
		*p++ = b64[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		*p++ = b64[v >> 18];
		*p++ = b64[(v >> 12) & 63];
		*p++ = '=';
		*p++ = '=';
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		*p++ = b64[v >> 18];
		*p++ = b64[(v >> 12) & 63];
		*p++ = b64[(v >> 6) & 63];
		*p++ = '=';
	}
	*p = '\0';
	return out;
}

static int
b64_value(char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64, c)) == NULL)
		return -1;
	return (int)(p - b64);
}

/*
 * Decode s[0..len) into out (outsz bytes); *outlen gets the byte count.
 * Returns 0, or -1 for malformed input or when out is too small.
 */
int
base64_decode(const char *s, size_t len, unsigned char *out, size_t outsz,
    size_t *outlen)
{
	size_t i, o = 0, rem;
	uint32_t v;
	int c[4], k;

	if (len % 4 == 0 && len >= 2 && s[len - 1] == '=') {
		len--;
		if (s[len - 1] == '=')
			len--;
	}
	if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i += 4) {
		rem = len - i < 4 ? len - i : 4;
		for (k = 0; k < 4; k++)
			c[k] = (size_t)k < rem ? b64_value(s[i + k]) : 0;
		for (k = 0; k < (int)rem; k++)
			if (c[k] < 0)
				return -1;
		v = (uint32_t)c[0] << 18 | (uint32_t)c[1] << 12 |
		    (uint32_t)c[2] << 6 | (uint32_t)c[3];
		if (o + rem - 1 > outsz)
			return -1;
		out[o++] = (unsigned char)(v >> 16);
		if (rem > 2)
			out[o++] = (unsigned char)(v >> 8);
		if (rem > 3)
			out[o++] = (unsigned char)v;
		/* RFC 4648 §3.5: the bits a partial group leaves over are zero. */
		if ((rem == 2 && (v & 0xffff) != 0) ||
		    (rem == 3 && (v & 0xff) != 0))
			return -1;
	}
	*outlen = o;
	return 0;
}

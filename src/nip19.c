/*
 * nip19.c: NIP-19 bech32 strings (BIP-173 checksum, not bech32m): npub,
 * nsec and note carry 32 bytes; nprofile, nevent and naddr carry a TLV
 * list. Used for key input and display only; the protocol itself is hex.
 */
#include "config.h"

#include <string.h>

#include "core.h"
#include "nostr.h"

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t
polymod_step(uint32_t chk, unsigned int v)
{
	static const uint32_t gen[5] = {
		0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3
	};
	uint32_t top = chk >> 25;
	int i;

	chk = ((chk & 0x1ffffff) << 5) ^ v;
	for (i = 0; i < 5; i++)
		if ((top >> i) & 1)
			chk ^= gen[i];
	return chk;
}

static uint32_t
polymod_hrp(const char *hrp, size_t n)
{
	uint32_t chk = 1;
	size_t i;

	for (i = 0; i < n; i++)
		chk = polymod_step(chk, (unsigned char)hrp[i] >> 5);
	chk = polymod_step(chk, 0);
	for (i = 0; i < n; i++)
		chk = polymod_step(chk, (unsigned char)hrp[i] & 31);
	return chk;
}

/* 5-bit value of a (lower-cased) data character, or -1. */
static int
charval(char c)
{
	const char *p;

	if (c >= 'A' && c <= 'Z')
		c = (char)(c - 'A' + 'a');
	if (c == '\0' || (p = strchr(charset, c)) == NULL)
		return -1;
	return (int)(p - charset);
}

/*
 * Encode n bytes under hrp (lower case, BIP-173 characters) into out as a
 * NUL-terminated lower-case string; 0, or -1 if it would not fit in outsz
 * or exceed NIP19_MAX characters.
 */
int
nip19_encode(const char *hrp, const unsigned char *data, size_t n, char *out,
    size_t outsz)
{
	size_t hrplen = strlen(hrp), words, total, i, o;
	uint32_t chk, acc = 0;
	unsigned int bits = 0, v;

	if (hrplen < 1 || hrplen > 83 || n > NIP19_MAX)
		return -1;
	for (i = 0; i < hrplen; i++)
		if (hrp[i] < 33 || hrp[i] > 126 ||
		    (hrp[i] >= 'A' && hrp[i] <= 'Z'))
			return -1;
	words = (n * 8 + 4) / 5;
	total = hrplen + 1 + words + 6;
	if (total > NIP19_MAX || total >= outsz)
		return -1;
	memcpy(out, hrp, hrplen);
	o = hrplen;
	out[o++] = '1';
	chk = polymod_hrp(hrp, hrplen);
	/* Regroup 8-bit bytes into 5-bit words; zero-pad the last one. */
	for (i = 0; i <= n; i++) {
		if (i < n) {
			acc = ((acc << 8) | data[i]) & 0xfff;
			bits += 8;
		} else if (bits > 0) {
			acc <<= 5 - bits;
			bits = 5;
		}
		while (bits >= 5) {
			bits -= 5;
			v = (acc >> bits) & 31;
			chk = polymod_step(chk, v);
			out[o++] = charset[v];
		}
	}
	for (i = 0; i < 6; i++)
		chk = polymod_step(chk, 0);
	chk ^= 1;
	for (i = 0; i < 6; i++)
		out[o++] = charset[(chk >> (5 * (5 - i))) & 31];
	out[o] = '\0';
	return 0;
}

/*
 * Decode a bech32 string: hrp (lower-cased, NUL-terminated) into hrp,
 * payload bytes into out. BIP-173 rules: printable US-ASCII only, one case
 * throughout, checksum constant 1, padding under 5 bits and all zero.
 * Returns 0, or -1 for anything malformed or too large for the buffers.
 */
int
nip19_decode(const char *s, char *hrp, size_t hrpsz, unsigned char *out,
    size_t outsz, size_t *outlen)
{
	size_t len, sep, i, o = 0;
	uint32_t chk, acc = 0;
	unsigned int bits = 0;
	int lower = 0, upper = 0, v;

	len = strnlen(s, NIP19_MAX + 1);
	if (len > NIP19_MAX || len < 8)
		return -1;
	sep = len;
	for (i = 0; i < len; i++) {
		if (s[i] < 33 || s[i] > 126)
			return -1;
		lower |= s[i] >= 'a' && s[i] <= 'z';
		upper |= s[i] >= 'A' && s[i] <= 'Z';
		if (s[i] == '1')
			sep = i;
	}
	if ((lower && upper) || sep == len || sep < 1 || len - sep - 1 < 6 ||
	    sep >= hrpsz)
		return -1;
	for (i = 0; i < sep; i++)
		hrp[i] = (s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i];
	hrp[sep] = '\0';
	chk = polymod_hrp(hrp, sep);
	for (i = sep + 1; i < len; i++) {
		if ((v = charval(s[i])) < 0)
			return -1;
		chk = polymod_step(chk, (unsigned int)v);
	}
	if (chk != 1)
		return -1;
	for (i = sep + 1; i < len - 6; i++) {
		acc = ((acc << 5) | (unsigned int)charval(s[i])) & 0xfff;
		if ((bits += 5) >= 8) {
			bits -= 8;
			if (o == outsz)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
		return -1;
	*outlen = o;
	return 0;
}

/* An npub / nsec / note whose hrp must be hrp: exactly 32 bytes; 0 or -1. */
int
nip19_decode32(const char *s, const char *hrp, unsigned char out[32])
{
	unsigned char buf[32];
	char h[16];
	size_t n;
	int rc = -1;

	if (nip19_decode(s, h, sizeof(h), buf, sizeof(buf), &n) == 0 &&
	    n == 32 && strcmp(h, hrp) == 0) {
		memcpy(out, buf, 32);
		rc = 0;
	}
	explicit_zero(buf, sizeof(buf));
	return rc;
}

/*
 * Next item of a NIP-19 TLV list: 1 with type and value, 0 at the end,
 * -1 for a truncated item (nostr-tools: "nevent1qq5v4rkz" must fail).
 */
int
nip19_tlv_next(struct nip19_tlv *t, unsigned int *type,
    const unsigned char **val, size_t *vlen)
{
	size_t n;

	if (t->off == t->len)
		return 0;
	if (t->len - t->off < 2)
		return -1;
	n = t->p[t->off + 1];
	if (t->len - t->off - 2 < n)
		return -1;
	*type = t->p[t->off];
	*val = t->p + t->off + 2;
	*vlen = n;
	t->off += 2 + n;
	return 1;
}

static int
relay_ok(const unsigned char *v, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (v[i] <= 0x20 || v[i] >= 0x7f)
			return 0;
	return 1;
}

/* One TLV item into p; 0 or -1. Unknown types are ignored (NIP-19). */
static int
pointer_item(struct nip19_pointer *p, int naddr, unsigned int type,
    const unsigned char *v, size_t n, int *has_special)
{
	switch (type) {
	case 0:
		if (*has_special)
			break;
		if (naddr) {
			if (!is_utf8((const char *)v, n) ||
			    memchr(v, '\0', n) != NULL)
				return -1;
			memcpy(p->identifier, v, n);
			p->identifier[n] = '\0';
		} else if (n == 32)
			memcpy(p->special, v, 32);
		else
			return -1;
		*has_special = 1;
		break;
	case 1:
		if (!relay_ok(v, n))
			return -1;
		if (p->nrelays < NIP19_RELAYS_MAX) {
			memcpy(p->relays[p->nrelays], v, n);
			p->relays[p->nrelays++][n] = '\0';
		}
		break;
	case 2:
		/* A wrong-length author is skipped, as rust-nostr does. */
		if (n == 32 && !p->has_author) {
			memcpy(p->author, v, 32);
			p->has_author = 1;
		}
		break;
	case 3:
		if (n == 4 && !p->has_kind) {
			p->kind = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 |
			    (uint32_t)v[2] << 8 | v[3];
			p->has_kind = 1;
		}
		break;
	default:
		break;
	}
	return 0;
}

/*
 * Decode an nprofile, nevent or naddr into p. Required: the type 0 item
 * (a 32-byte pubkey or event id, or naddr's UTF-8 identifier), and for
 * naddr also the author and kind. At most NIP19_RELAYS_MAX relays are
 * kept. Returns 0, or -1 for anything malformed.
 */
int
nip19_pointer_decode(const char *s, struct nip19_pointer *p)
{
	unsigned char raw[NIP19_MAX * 5 / 8];
	struct nip19_tlv t;
	const unsigned char *v;
	unsigned int type;
	size_t n;
	int naddr, has_special = 0, r;

	memset(p, 0, sizeof(*p));
	if (nip19_decode(s, p->type, sizeof(p->type), raw, sizeof(raw),
	    &n) != 0)
		return -1;
	if (strcmp(p->type, "nprofile") != 0 &&
	    strcmp(p->type, "nevent") != 0 && strcmp(p->type, "naddr") != 0)
		return -1;
	naddr = strcmp(p->type, "naddr") == 0;
	t.p = raw;
	t.len = n;
	t.off = 0;
	while ((r = nip19_tlv_next(&t, &type, &v, &n)) == 1)
		if (pointer_item(p, naddr, type, v, n, &has_special) != 0)
			return -1;
	if (r < 0 || !has_special ||
	    (naddr && (!p->has_author || !p->has_kind)))
		return -1;
	return 0;
}

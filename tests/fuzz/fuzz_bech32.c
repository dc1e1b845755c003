/*
 * fuzz_bech32.c: libFuzzer harness for NIP-19 (BIP-173 bech32), which
 * reads keys and pointers pasted by users and operators. Each input is
 * used twice:
 *
 *  - as a string (up to its first NUL) for nip19_decode(), decode32,
 *    nip19_pointer_decode() and the key parsers. What decodes must encode
 *    back to the same string in lower case, and that must decode to the
 *    same bytes;
 *  - as bytes: the first picks an hrp (npub, nprofile, nevent, naddr),
 *    the rest is encoded, so the TLV reader sees fuzzed payloads behind a
 *    valid checksum; decoding must give the bytes back.
 *
 * A broken promise of nostr.h aborts, which libFuzzer reports as a crash.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "nostr.h"

#define HRP_MAX 84 /* BIP-173: 1 to 83 characters */

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static unsigned char bytes[NIP19_MAX], again[NIP19_MAX];
static char text[NIP19_MAX + 1], str[NIP19_MAX + 16];

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_bech32: invariant broken: %s\n", what);
	abort();
}

static void
check_pointer(const char *s)
{
	struct nip19_pointer p;
	size_t i;

	if (nip19_pointer_decode(s, &p) != 0)
		return;
	if (strcmp(p.type, "nprofile") != 0 && strcmp(p.type, "nevent") != 0 &&
	    strcmp(p.type, "naddr") != 0)
		fail("a pointer of an unknown type decoded");
	if (p.nrelays > NIP19_RELAYS_MAX)
		fail("more relays than there is room for");
	for (i = 0; i < p.nrelays; i++)
		if (strnlen(p.relays[i], sizeof(p.relays[i])) ==
		    sizeof(p.relays[i]) || p.relays[i][0] == '\0')
			fail("a relay is empty or not terminated");
	if (strnlen(p.identifier, sizeof(p.identifier)) ==
	    sizeof(p.identifier))
		fail("the identifier is not terminated");
	if (strcmp(p.type, "naddr") == 0 && (!p.has_author || !p.has_kind))
		fail("an naddr without author or kind decoded");
}

/* The TLV reader must walk any payload to its end or stop at a cut. */
static void
walk_tlv(const unsigned char *p, size_t n)
{
	struct nip19_tlv t;
	const unsigned char *v;
	unsigned int type;
	size_t vlen;
	int r;

	t.p = p;
	t.len = n;
	t.off = 0;
	while ((r = nip19_tlv_next(&t, &type, &v, &vlen)) == 1)
		if (type > 255 || v < p || v + vlen > p + n || t.off > n)
			fail("a TLV item outside its payload");
	if (r == 0 && t.off != n)
		fail("the TLV reader ended early");
}

/* s decoded to hrp and n bytes: encoding them must give s in lower case. */
static void
check_string(const char *s, const char *hrp, size_t n)
{
	char hrp2[HRP_MAX];
	size_t i, len = strlen(s), n2;

	if (nip19_encode(hrp, bytes, n, str, sizeof(str)) != 0)
		fail("what decodes does not encode");
	if (strlen(str) != len)
		fail("encode(decode(s)) has another length");
	for (i = 0; i < len; i++)
		if (str[i] != tolower((unsigned char)s[i]))
			fail("encode(decode(s)) is not s in lower case");
	if (nip19_decode(str, hrp2, sizeof(hrp2), again, sizeof(again),
	    &n2) != 0 || strcmp(hrp, hrp2) != 0 || n2 != n ||
	    memcmp(bytes, again, n) != 0)
		fail("decode(encode(x)) != x");
}

static void
as_string(const uint8_t *data, size_t size)
{
	unsigned char k[32], k2[32];
	char hrp[HRP_MAX];
	size_t n;

	if (size > NIP19_MAX)
		size = NIP19_MAX;
	memcpy(text, data, size);
	text[size] = '\0';
	if (nip19_decode(text, hrp, sizeof(hrp), bytes, sizeof(bytes),
	    &n) == 0) {
		if (hrp[0] == '\0' || strlen(hrp) >= HRP_MAX)
			fail("an empty or unterminated hrp");
		check_string(text, hrp, n);
		walk_tlv(bytes, n);
	}
	if (nip19_decode32(text, "npub", k) == 0) {
		if (nostr_pubkey_parse(text, k2) == 0 && memcmp(k, k2, 32) != 0)
			fail("nostr_pubkey_parse disagrees with nip19_decode32");
	}
	(void)nip19_decode32(text, "nsec", k);
	(void)nip19_decode32(text, "note", k);
	(void)nostr_pubkey_parse(text, k);
	(void)nostr_secret_parse(text, k);
	check_pointer(text);
}

static void
as_bytes(const uint8_t *data, size_t size)
{
	static const char *const hrps[] = {
		"npub", "nprofile", "nevent", "naddr"
	};
	const char *hrp;
	char hrp2[HRP_MAX];
	size_t n, n2;

	if (size == 0)
		return;
	hrp = hrps[data[0] % nitems(hrps)];
	n = size - 1;
	if (nip19_encode(hrp, data + 1, n, str, sizeof(str)) != 0) {
		if (strlen(hrp) + 7 + (n * 8 + 4) / 5 <= NIP19_MAX)
			fail("bytes that fit did not encode");
		return;
	}
	if (nip19_decode(str, hrp2, sizeof(hrp2), again, sizeof(again),
	    &n2) != 0 || strcmp(hrp, hrp2) != 0 || n2 != n ||
	    memcmp(data + 1, again, n) != 0)
		fail("decode(encode(x)) != x");
	check_pointer(str);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_string(data, size);
	as_bytes(data, size);
	return 0;
}

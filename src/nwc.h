/*
 * nwc.h: Nostr Wallet Connect (NIP-47) connection URIs,
 * nostr+walletconnect://<wallet pubkey>?relay=…&secret=…[&lud16=…].
 */
#ifndef CARAVEL_NWC_H
#define CARAVEL_NWC_H

#include <stddef.h>

#include "core.h"

#define NWC_MAX_RELAYS 8
#define NWC_URI_MAX 4096

struct nwc_uri {
	char wallet_pubkey[65]; /* hex */
	char secret[65]; /* hex: the client's key for this connection */
	const char *relay[NWC_MAX_RELAYS]; /* decoded, in order */
	size_t nrelay;
	const char *lud16; /* decoded, or NULL */
};

/*
 * Parse s; strings point into the arena. Returns 0, or -1 with *why a
 * static sentence saying what is wrong (never echoing the secret).
 */
int nwc_uri_parse(struct arena *, const char *s, struct nwc_uri *,
    const char **why);

/* url.c: percent-decoding (RFC 3986 §2.1; "+" stays "+"). */
/* Decode s[0..len) into the arena; NULL for a bad escape or a NUL byte. */
char *url_decode(struct arena *, const char *, size_t len);

#endif

/*
 * nwc.c: NIP-47 connection URIs. The scheme may be followed by "//" or
 * not (then the pubkey is the path); the legacy spelling
 * nostrwalletconnect: is accepted as Alby does. relay (one or more, in
 * order) and secret are required; unknown parameters are ignored.
 */
#include "config.h"

#include <string.h>

#include "nwc.h"
#include "nostr.h"

/* ws:// or wss:// with a host, and no space or control byte anywhere. */
static int
relay_url_ok(const char *u)
{
	const char *host, *p;

	if (strncmp(u, "wss://", 6) == 0)
		host = u + 6;
	else if (strncmp(u, "ws://", 5) == 0)
		host = u + 5;
	else
		return 0;
	for (p = u; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return 0;
	return *host != '\0' && *host != '/' && is_utf8(u, strlen(u));
}

int
nwc_uri_parse(struct arena *a, const char *s, struct nwc_uri *u,
    const char **why)
{
	static const char *const schemes[] = { "nostr+walletconnect:",
		"nostrwalletconnect:" };
	const char *p = NULL, *q, *end, *eq;
	char *v;
	size_t i, n;

	memset(u, 0, sizeof(*u));
	*why = "the NWC URL is too long";
	if ((n = strlen(s)) > NWC_URI_MAX)
		return -1;
	*why = "the NWC URL must start with nostr+walletconnect://";
	for (i = 0; i < nitems(schemes); i++)
		if (strncmp(s, schemes[i], strlen(schemes[i])) == 0)
			p = s + strlen(schemes[i]);
	if (p == NULL)
		return -1;
	if (strncmp(p, "//", 2) == 0)
		p += 2;
	*why = "the NWC URL has no wallet public key (64 hex digits)";
	if ((q = strchr(p, '?')) == NULL || q - p != 64 ||
	    !is_lower_hex(p, 64))
		return -1;
	memcpy(u->wallet_pubkey, p, 64);
	for (p = q + 1; *p != '\0'; p = *end == '&' ? end + 1 : end) {
		end = p + strcspn(p, "&");
		if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL)
			continue;
		*why = "the NWC URL has a malformed parameter";
		if ((v = url_decode(a, eq + 1, (size_t)(end - eq - 1))) == NULL)
			return -1;
		if (eq - p == 5 && strncmp(p, "relay", 5) == 0) {
			*why = "the NWC URL lists a relay that is not a ws:// "
			    "or wss:// URL";
			if (!relay_url_ok(v))
				return -1;
			*why = "the NWC URL lists too many relays";
			if (u->nrelay == NWC_MAX_RELAYS)
				return -1;
			u->relay[u->nrelay++] = v;
		} else if (eq - p == 6 && strncmp(p, "secret", 6) == 0) {
			*why = "the NWC URL secret must be 64 hex digits";
			if (strlen(v) != 64 || !is_lower_hex(v, 64))
				return -1;
			memcpy(u->secret, v, 65);
		} else if (eq - p == 5 && strncmp(p, "lud16", 5) == 0)
			u->lud16 = v;
	}
	*why = "the NWC URL has no relay parameter";
	if (u->nrelay == 0)
		return -1;
	*why = "the NWC URL has no secret parameter";
	if (u->secret[0] == '\0')
		return -1;
	*why = NULL;
	return 0;
}

/*
 * nip98.c: NIP-98 HTTP auth. The API checks headers in one of two modes
 * (api.md §3): session style (u tag host and a freshness window, so the
 * frontend's cached header keeps working) or strict (standard NIP-98:
 * also method, exact URL and body hash). Workers sign headers for the
 * requests they make (zooid).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core.h"
#include "nostr.h"

/*
 * The credentials of "Nostr <token>": scheme compared case-insensitively
 * (RFC 9110 §11.1), then one or more spaces, then the token up to any
 * trailing blanks. 0, or -1 if the scheme is not Nostr or no token.
 */
static int
header_token(const char *h, size_t len, const char **tok, size_t *toklen)
{
	size_t i;

	if (len < 6 || strncasecmp(h, "Nostr", 5) != 0 || h[5] != ' ')
		return -1;
	for (i = 5; i < len && h[i] == ' '; i++)
		;
	while (len > i && (h[len - 1] == ' ' || h[len - 1] == '\t'))
		len--;
	*tok = h + i;
	*toklen = len - i;
	return 0;
}

/* Host part of a host or host:port or [v6]:port string; 0 or -1. */
static int
split_port(const char *p, size_t n, size_t *hostlen)
{
	const char *close, *port;
	size_t i, h;

	if (n > 0 && p[0] == '[') {
		if ((close = memchr(p, ']', n)) == NULL || close == p + 1)
			return -1;
		h = (size_t)(close - p) + 1;
	} else
		h = (port = memchr(p, ':', n)) == NULL ? n : (size_t)(port - p);
	if (h == 0)
		return -1;
	if (h < n) {
		if (p[h] != ':' || n - h - 1 > 5)
			return -1;
		for (i = h + 1; i < n; i++)
			if (p[i] < '0' || p[i] > '9')
				return -1;
	}
	*hostlen = h;
	return 0;
}

/*
 * Host of an absolute http(s) URL, port dropped. Userinfo is refused: in
 * "https://good.example@evil.example/" the host is the second name.
 */
static int
url_host(const char *url, const char **host, size_t *hostlen)
{
	const char *p;
	size_t n;

	if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else
		return -1;
	n = strcspn(p, "/?#");
	if (memchr(p, '@', n) != NULL || split_port(p, n, hostlen) != 0)
		return -1;
	*host = p;
	return 0;
}

static int
host_matches(const char *u, const char *want)
{
	const char *h;
	size_t hl, wl;

	if (url_host(u, &h, &hl) != 0 ||
	    split_port(want, strlen(want), &wl) != 0)
		return 0;
	return hl == wl && strncasecmp(h, want, hl) == 0;
}

static int
rules_ok(const struct nip98_rules *r)
{
	if (r == NULL || r->now < 0 || r->max_age < 0 || r->max_future < 0)
		return 0;
	if (r->strict)
		return r->method != NULL && r->url != NULL;
	return r->host != NULL;
}

/* The strict (standard NIP-98) checks after the session-style ones. */
static int
strict_checks(const struct nostr_event *ev, const char *u,
    const struct nip98_rules *r, const char **why)
{
	unsigned char digest[32];
	char hex[65];
	const char *v;

	/* NIP-98 says "the same" method; nostr-tools ignores case. */
	if ((v = nostr_event_tag(ev, "method")) == NULL ||
	    strcasecmp(v, r->method) != 0) {
		*why = "method tag does not match the request method";
		return -1;
	}
	if (strcmp(u, r->url) != 0) {
		*why = "u tag does not match the request URL";
		return -1;
	}
	if (r->body == NULL)
		return 0;
	if ((v = nostr_event_tag(ev, "payload")) == NULL) {
		*why = "payload tag is missing";
		return -1;
	}
	nostr_sha256(r->body, r->body_len, digest);
	hex_encode(digest, 32, hex);
	if (strcmp(v, hex) != 0) {
		*why = "payload tag does not match the request body";
		return -1;
	}
	return 0;
}

/*
 * The checks, in the order of api.md §3: header and base64; event JSON
 * and hex shape; kind 27235; recomputed id and BIP-340 signature; u tag
 * host; age (max_age, 0 = unlimited) and future skew (max_future); then,
 * if strict, method, exact URL and (given a body) payload.
 */
int
nip98_verify(const char *header, const struct nip98_rules *r,
    struct nip98_auth *auth, const char **why)
{
	struct nostr_event ev;
	unsigned char *json = NULL;
	const char *tok, *u, *dummy;
	size_t hlen, toklen, jlen;
	int rc = -1;

	if (why == NULL)
		why = &dummy;
	memset(&ev, 0, sizeof(ev));
	if (!rules_ok(r)) {
		*why = "server auth rules are incomplete";
		goto out;
	}
	if (header == NULL || *header == '\0') {
		*why = "authorization header is missing";
		goto out;
	}
	if ((hlen = strnlen(header, NIP98_HEADER_MAX + 1)) > NIP98_HEADER_MAX) {
		*why = "authorization header is too large";
		goto out;
	}
	if (header_token(header, hlen, &tok, &toklen) != 0) {
		*why = "authorization scheme is not Nostr";
		goto out;
	}
	json = xmalloc(toklen / 4 * 3 + 3);
	if (toklen == 0 || base64_decode(tok, toklen, json,
	    toklen / 4 * 3 + 3, &jlen) != 0) {
		*why = "authorization token is not valid base64";
		goto out;
	}
	if (nostr_event_parse((const char *)json, jlen, 1, &ev, why) != 0)
		goto out;
	if (ev.kind != NIP98_KIND) {
		*why = "event kind is not 27235";
		goto out;
	}
	if (nostr_event_verify(&ev, why) != 0)
		goto out;
	if ((u = nostr_event_tag(&ev, "u")) == NULL) {
		*why = "event has no u tag";
		goto out;
	}
	if (r->host != NULL && !host_matches(u, r->host)) {
		*why = "u tag host does not match this server";
		goto out;
	}
	if (r->max_age > 0 && ev.created_at < r->now - r->max_age) {
		*why = "event is too old";
		goto out;
	}
	if (ev.created_at - r->max_future > r->now) {
		*why = "event created_at is too far in the future";
		goto out;
	}
	if (r->strict && strict_checks(&ev, u, r, why) != 0)
		goto out;
	if (auth != NULL) {
		memcpy(auth->pubkey, ev.pubkey, 32);
		hex_encode(ev.pubkey, 32, auth->pubkey_hex);
		auth->created_at = ev.created_at;
	}
	rc = 0;
out:
	nostr_event_release(&ev);
	free(json);
	return rc;
}

/*
 * "Nostr <base64 event>" for a request we make: kind 27235 with u, method
 * and, when body is not NULL, payload tags. Caller frees; NULL on failure.
 */
char *
nip98_header_alloc(const unsigned char sk[32], const char *url,
    const char *method, const unsigned char *body, size_t body_len,
    int64_t created_at)
{
	struct nostr_event ev;
	unsigned char digest[32];
	const char *tag[2];
	char hex[65], *json = NULL, *b64 = NULL, *out = NULL;
	size_t len;

	nostr_event_init(&ev);
	ev.kind = NIP98_KIND;
	ev.created_at = created_at;
	tag[0] = "u";
	tag[1] = url;
	nostr_event_add_tag(&ev, 2, tag);
	tag[0] = "method";
	tag[1] = method;
	nostr_event_add_tag(&ev, 2, tag);
	if (body != NULL) {
		nostr_sha256(body, body_len, digest);
		hex_encode(digest, 32, hex);
		tag[0] = "payload";
		tag[1] = hex;
		nostr_event_add_tag(&ev, 2, tag);
	}
	if (nostr_event_sign(&ev, sk) != 0)
		goto out;
	json = nostr_event_json_alloc(&ev, &len);
	b64 = base64_encode_alloc((const unsigned char *)json, len);
	len = strlen(b64);
	out = xmalloc(len + 7);
	memcpy(out, "Nostr ", 6);
	memcpy(out + 6, b64, len + 1);
out:
	free(b64);
	free(json);
	nostr_event_release(&ev);
	return out;
}

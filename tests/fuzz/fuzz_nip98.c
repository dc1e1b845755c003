/*
 * fuzz_nip98.c: libFuzzer harness for nip98_verify(), the check every
 * authenticated request passes (NIP-98, api.md §3). The first input byte
 * chooses the rules and what the rest of the input is:
 *
 *	bits 0-1  0, 1: the Authorization value exactly as received;
 *	          2: event JSON that the harness signs with a fixed key and
 *	             wraps as "Nostr <base64>", so that the checks behind the
 *	             signature (u tag, age, strict rules) see fuzzed events;
 *	          3: a URL that nip98_header_alloc() signs a header for, which
 *	             strict verification against that URL must accept.
 *	bit 2     strict rules (method, exact URL, payload);
 *	bit 3     max_age of 60 s instead of 0 (no limit);
 *	bit 4     the request has a body (strict: payload tag required);
 *	bit 5     the request method is POST instead of GET.
 *
 * Whatever verifies must satisfy what the NIP promises: kind 27235, a u
 * tag, created_at within the window, and in strict mode the same method
 * and URL. A broken promise aborts, which libFuzzer reports as a crash.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core.h"
#include "nostr.h"

#define NOW INT64_C(1700000000)
#define MAX_FUTURE 60
#define HOST "caravel.example"
#define URL "https://caravel.example/tenants"
#define BODY "{\"subdomain\":\"demo\"}"
#define URL_MAX 1024 /* a header for a longer URL may exceed the cap */

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static unsigned char sk[32], pk[32], aux[32];

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_nip98: invariant broken: %s\n", what);
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < 32; i++) {
		sk[i] = (unsigned char)(0x5a ^ i);
		aux[i] = (unsigned char)i;
	}
	if (nostr_pubkey(sk, pk) != 0)
		fail("the fixed key is not a key");
	return 0;
}

static void
rules_from(unsigned int flags, struct nip98_rules *r)
{
	memset(r, 0, sizeof(*r));
	r->host = HOST;
	r->now = NOW;
	r->max_age = (flags & 8) ? 60 : 0;
	r->max_future = MAX_FUTURE;
	r->strict = (flags & 4) != 0;
	r->method = (flags & 32) ? "POST" : "GET";
	r->url = URL;
	if (flags & 16) {
		r->body = (const unsigned char *)BODY;
		r->body_len = strlen(BODY);
	}
}

/* Run the check; on success, what any accepted header must satisfy. */
static int
verify(const char *header, const struct nip98_rules *r,
    struct nip98_auth *auth)
{
	const char *why = NULL;
	char hex[65];

	memset(auth, 0, sizeof(*auth));
	if (nip98_verify(header, r, auth, &why) != 0) {
		if (why == NULL)
			fail("rejected without a reason");
		return -1;
	}
	hex_encode(auth->pubkey, 32, hex);
	if (strcmp(hex, auth->pubkey_hex) != 0)
		fail("pubkey_hex is not the hex of pubkey");
	if (r->max_age > 0 && auth->created_at < r->now - r->max_age)
		fail("accepted an event older than max_age");
	if (auth->created_at > r->now + r->max_future)
		fail("accepted an event from too far in the future");
	return 0;
}

/* "Nostr " and the base64 of the event's JSON; the caller frees it. */
static char *
header_of(const struct nostr_event *ev)
{
	char *json, *b64, *h;
	size_t len, blen;

	json = nostr_event_json_alloc(ev, &len);
	b64 = base64_encode_alloc((const unsigned char *)json, len);
	blen = strlen(b64);
	h = xmalloc(blen + 7);
	memcpy(h, "Nostr ", 6);
	memcpy(h + 6, b64, blen + 1);
	free(b64);
	free(json);
	return h;
}

/* Mode 2: sign the fuzzed event, then check the rules behind the sig. */
static void
signed_event(const char *json, size_t len, const struct nip98_rules *r)
{
	struct nostr_event ev;
	struct nip98_auth auth;
	const char *u, *m;
	char *h;

	if (nostr_event_parse(json, len, 0, &ev, NULL) != 0)
		return;
	if (nostr_event_sign_aux(&ev, sk, aux) != 0)
		fail("cannot sign a parsed event");
	h = header_of(&ev);
	if (verify(h, r, &auth) == 0) {
		if (ev.kind != NIP98_KIND)
			fail("accepted an event of another kind");
		if (memcmp(auth.pubkey, pk, 32) != 0)
			fail("accepted with the wrong pubkey");
		if (auth.created_at != ev.created_at)
			fail("created_at differs from the event's");
		if ((u = nostr_event_tag(&ev, "u")) == NULL)
			fail("accepted an event without a u tag");
		if (r->strict) {
			m = nostr_event_tag(&ev, "method");
			if (strcmp(u, r->url) != 0)
				fail("strict: accepted another URL");
			if (m == NULL || strcasecmp(m, r->method) != 0)
				fail("strict: accepted another method");
			if (r->body != NULL &&
			    nostr_event_tag(&ev, "payload") == NULL)
				fail("strict: accepted a body without payload");
		}
	}
	free(h);
	nostr_event_release(&ev);
}

/* Mode 3: our own signed header must pass strict checks of its URL. */
static void
own_header(const char *url, unsigned int flags)
{
	struct nip98_rules r;
	struct nip98_auth auth;
	char *h;

	rules_from(flags, &r);
	if ((h = nip98_header_alloc(sk, url, r.method, r.body, r.body_len,
	    NOW)) == NULL)
		fail("nip98_header_alloc failed");
	(void)verify(h, &r, &auth);
	r.strict = 1;
	r.host = NULL;
	r.url = url;
	if (strlen(url) <= URL_MAX && is_utf8(url, strlen(url))) {
		if (verify(h, &r, &auth) != 0)
			fail("strict check rejects our own header");
		if (memcmp(auth.pubkey, pk, 32) != 0 || auth.created_at != NOW)
			fail("our own header verified as someone else's");
	} else
		(void)verify(h, &r, &auth);
	free(h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nip98_rules r;
	struct nip98_auth auth;
	unsigned int flags;
	char *s;

	if (size == 0)
		return 0;
	flags = data[0];
	s = xmalloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	rules_from(flags, &r);
	switch (flags & 3) {
	case 2:
		signed_event(s, size - 1, &r);
		break;
	case 3:
		own_header(s, flags);
		break;
	default:
		(void)verify(s, &r, &auth);
		break;
	}
	free(s);
	return 0;
}

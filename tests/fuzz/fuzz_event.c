/*
 * fuzz_event.c: libFuzzer harness for nostr_event_parse(), which reads
 * every event that reaches us (NIP-98 headers, gift wraps, relay and NWC
 * messages). The input is the event JSON. What parses must keep the
 * promises of nostr.h, or the harness aborts:
 *
 *  - what parses with "sig" required also parses without, signed;
 *  - our own JSON of a parsed event parses back to the same event, and
 *    writing that again gives the same bytes (NIP-01 round trip); the
 *    json-c object route (nostr_event_to_json) agrees;
 *  - verification gives the same verdict for the copy, and a parsed
 *    event signed with a fixed key verifies.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "nostr.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static unsigned char sk[32], aux[32];

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_event: invariant broken: %s\n", what);
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < 32; i++) {
		sk[i] = (unsigned char)(0x3c + i);
		aux[i] = (unsigned char)(0xa5 ^ i);
	}
	return 0;
}

static void
same_event(const struct nostr_event *a, const struct nostr_event *b,
    const char *what)
{
	char *sa, *sb;
	size_t la, lb;

	if (memcmp(a->id, b->id, 32) != 0 ||
	    memcmp(a->pubkey, b->pubkey, 32) != 0 ||
	    a->has_sig != b->has_sig ||
	    (a->has_sig && memcmp(a->sig, b->sig, 64) != 0) ||
	    a->created_at != b->created_at || a->kind != b->kind ||
	    a->content_len != b->content_len ||
	    memcmp(a->content, b->content, a->content_len) != 0 ||
	    !json_object_equal(a->tags, b->tags))
		fail(what);
	sa = nostr_event_serialize_alloc(a, &la);
	sb = nostr_event_serialize_alloc(b, &lb);
	if (la != lb || memcmp(sa, sb, la) != 0)
		fail(what);
	free(sa);
	free(sb);
}

/* Our JSON of ev, parsed again, must be ev; writing it again, the same. */
static void
round_trip(const struct nostr_event *ev)
{
	struct nostr_event copy;
	struct json_object *o;
	const char *text, *why = NULL;
	char *json, *again;
	size_t len, alen;
	int v1, v2;

	json = nostr_event_json_alloc(ev, &len);
	if (len > NOSTR_EVENT_MAX) {
		free(json);
		return;
	}
	if (nostr_event_parse(json, len, ev->has_sig, &copy, &why) != 0) {
		fprintf(stderr, "fuzz_event: %s\n", why);
		fail("our own event JSON does not parse");
	}
	same_event(ev, &copy, "the JSON round trip changed the event");
	again = nostr_event_json_alloc(&copy, &alen);
	if (alen != len || memcmp(json, again, len) != 0)
		fail("writing the copy gives other bytes");
	v1 = nostr_event_verify(ev, NULL);
	v2 = nostr_event_verify(&copy, NULL);
	if (v1 != v2)
		fail("the copy verifies differently");
	if (v1 == 0 && nostr_event_check_id(ev, NULL) != 0)
		fail("verified with a wrong id");
	nostr_event_release(&copy);
	free(again);
	free(json);

	o = nostr_event_to_json(ev);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (text == NULL)
		fail("json-c cannot write the event");
	if (nostr_event_from_json(o, ev->has_sig, &copy, &why) != 0) {
		fprintf(stderr, "fuzz_event: %s\n", why);
		fail("nostr_event_to_json gives an object that does not parse");
	}
	same_event(ev, &copy, "the json-c round trip changed the event");
	nostr_event_release(&copy);
	len = strlen(text);
	if (len <= NOSTR_EVENT_MAX) {
		if (nostr_event_parse(text, len, ev->has_sig, &copy, &why) != 0) {
			fprintf(stderr, "fuzz_event: %s\n", why);
			fail("json-c's text of the event does not parse");
		}
		same_event(ev, &copy, "json-c's text changed the event");
		nostr_event_release(&copy);
	}
	json_object_put(o);
}

/* Re-sign a copy with the fixed key: it must then verify. */
static void
resign(const char *buf, size_t len)
{
	struct nostr_event ev;
	const char *why = NULL;

	if (nostr_event_parse(buf, len, 0, &ev, NULL) != 0)
		fail("the input parsed once and not twice");
	if (nostr_event_sign_aux(&ev, sk, aux) != 0)
		fail("cannot sign a parsed event");
	if (nostr_event_verify(&ev, &why) != 0) {
		fprintf(stderr, "fuzz_event: %s\n", why);
		fail("an event we signed does not verify");
	}
	round_trip(&ev);
	nostr_event_release(&ev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nostr_event ev, ev0;
	const char *buf = (const char *)data, *why = NULL;
	int signed_ok;

	signed_ok = nostr_event_parse(buf, size, 1, &ev, &why) == 0;
	if (!signed_ok && why == NULL)
		fail("rejected without a reason");
	why = NULL;
	if (nostr_event_parse(buf, size, 0, &ev0, &why) != 0) {
		if (signed_ok)
			fail("parses with sig required but not without");
		if (why == NULL)
			fail("rejected without a reason");
		nostr_event_release(&ev0);
		return 0;
	}
	if (signed_ok) {
		if (!ev0.has_sig)
			fail("a signed event lost its sig");
		same_event(&ev, &ev0, "require_sig changed the event");
		nostr_event_release(&ev);
	}
	if (ev0.kind < 0 || ev0.kind > 65535 || ev0.created_at < 0 ||
	    ev0.content == NULL || ev0.content[ev0.content_len] != '\0')
		fail("a parsed event breaks the struct's contract");
	why = NULL;
	if (nostr_event_verify(&ev0, &why) != 0 && why == NULL)
		fail("verification failed without a reason");
	(void)nostr_event_tag(&ev0, "p");
	(void)nostr_event_tag(&ev0, "u");
	round_trip(&ev0);
	nostr_event_release(&ev0);
	resign(buf, size);
	return 0;
}

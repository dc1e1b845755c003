/*
 * fuzz_nwc_reply.c: libFuzzer harness for what a Nostr Wallet Connect
 * wallet sends (NIP-47, nwc.h): nwc_reply_parse() on a decrypted reply,
 * and nwc_encryption_choose() on the tags of a wallet's info event. The
 * first input byte picks the method the reply answers; the rest is used
 * twice:
 *
 *  - as the decrypted reply. One that parses gives a JSON object result,
 *    equal to the reply's "result" member, and came from a JSON object
 *    with no error and no other result_type (a string of at most 64
 *    bytes without NUL: others are not read); one that fails gives no
 *    result, a kind of NWC_E_WALLET or NWC_E_REPLY, a sentence, a code
 *    that is "" (not the wallet's error) or upper-case letters and "_"
 *    (the wallet's, with the sentence nwc_code_sentence() gives it), and
 *    a message of valid UTF-8 without control characters (C0, DEL or
 *    C1), fit for a log line or a DM;
 *  - as the JSON array of tags of an info event, taken through
 *    nostr_event_from_json() as a received event's tags are. The choice
 *    must be the one NIP-47 describes, which the harness works out on its
 *    own: the first "encryption" tag with a value decides (nip44_v2 if it
 *    names it, else nip04 if it names that, else NULL); without one,
 *    the first "v" tag naming "1.0" means nip44_v2, anything else nip04.
 *    Names in a value are separated by spaces or commas.
 *
 * A broken promise aborts, which libFuzzer reports as a crash.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "json.h"
#include "nostr.h"
#include "nwc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const methods[] = { "pay_invoice", "make_invoice",
	"lookup_invoice", "get_info", "get_balance", "list_transactions" };

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_nwc_reply: invariant broken: %s\n", what);
	abort();
}

/* Does s hold a control character (C0, DEL, or C1 as UTF-8)? */
static int
has_control(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f ||
		    (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return 1;
	return 0;
}

static int
is_code(const char *s)
{
	return s[0] != '\0' &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == strlen(s);
}

/* What nwc_reply_parse must decide, from the reply read here. */
static void
expected(const char *text, size_t len, const char *method, int *ok,
    struct json_object **result)
{
	struct json_object *o, *v;

	*ok = 0;
	*result = NULL;
	if ((o = json_parse_object(text, len)) == NULL)
		return;
	if (json_object_object_get_ex(o, "result_type", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    (size_t)json_object_get_string_len(v) <= 64 &&
	    strlen(json_object_get_string(v)) ==
	    (size_t)json_object_get_string_len(v) &&
	    strcmp(json_object_get_string(v), method) != 0)
		goto out;
	if (json_object_object_get_ex(o, "error", &v) && v != NULL)
		goto out;
	if (json_object_object_get_ex(o, "result", &v) &&
	    json_object_is_type(v, json_type_object)) {
		*ok = 1;
		*result = json_object_get(v);
	}
out:
	json_object_put(o);
}

static void
reply(const char *text, size_t len, const char *method)
{
	struct json_object *r = NULL, *want = NULL;
	struct nwc_error e;
	int rc, ok;

	rc = nwc_reply_parse(text, len, method, &r, &e);
	expected(text, len, method, &ok, &want);
	if (rc == 0) {
		if (!ok)
			fail("a reply parsed that is no result for the method");
		if (r == NULL || !json_object_is_type(r, json_type_object))
			fail("a reply parsed without an object result");
		if (!json_object_equal(r, want))
			fail("the result is not the reply's result member");
		if (e.kind != NWC_E_NONE)
			fail("a reply parsed with an error kind");
	} else {
		if (rc != -1)
			fail("nwc_reply_parse returned neither 0 nor -1");
		if (ok)
			fail("a good result for the method was refused");
		if (r != NULL)
			fail("a refused reply left a result");
		if (e.kind != NWC_E_WALLET && e.kind != NWC_E_REPLY)
			fail("a refused reply of another kind");
		if (memchr(e.sentence, '\0', sizeof(e.sentence)) == NULL ||
		    e.sentence[0] == '\0')
			fail("a refused reply without a sentence");
		if (memchr(e.code, '\0', sizeof(e.code)) == NULL ||
		    (e.code[0] != '\0' && !is_code(e.code)))
			fail("an error code that is not \"\" or [A-Z_]");
		if ((e.kind == NWC_E_WALLET) != (e.code[0] != '\0'))
			fail("a code for no wallet error, or none for one");
		if (e.kind == NWC_E_WALLET &&
		    strcmp(e.sentence, nwc_code_sentence(e.code)) != 0)
			fail("a wallet error with another code's sentence");
		if (memchr(e.message, '\0', sizeof(e.message)) == NULL)
			fail("a message without its NUL");
		if (!is_utf8(e.message, strlen(e.message)))
			fail("a message that is not UTF-8");
		if (has_control(e.message))
			fail("a message with a control character");
	}
	json_object_put(r);
	json_object_put(want);
}

/* Is word one of the space- or comma-separated names of list? */
static int
names(const char *list, const char *word)
{
	size_t n, wn = strlen(word);

	while (*list != '\0') {
		n = strcspn(list, " ,");
		if (n == wn && strncmp(list, word, n) == 0)
			return 1;
		list += n;
		if (*list != '\0')
			list++;
	}
	return 0;
}

/* The value of the first tag called name that has one, or NULL. */
static const char *
value_of(struct json_object *tags, const char *name)
{
	struct json_object *t;
	size_t i;

	for (i = 0; i < json_object_array_length(tags); i++) {
		t = json_object_array_get_idx(tags, i);
		if (json_object_array_length(t) >= 2 &&
		    strcmp(json_object_get_string(
		    json_object_array_get_idx(t, 0)), name) == 0)
			return json_object_get_string(
			    json_object_array_get_idx(t, 1));
	}
	return NULL;
}

static void
info_tags(const char *text, size_t len)
{
	static const char zeros[] = "00000000000000000000000000000000"
	    "00000000000000000000000000000000";
	struct nostr_event ev;
	struct json_object *tags, *o;
	const char *got, *want, *enc, *v;

	if ((tags = json_parse(text, len)) == NULL)
		return;
	o = jobj();
	jadd_str(o, "id", zeros);
	jadd_str(o, "pubkey", zeros);
	jadd_int(o, "created_at", 1700000000);
	jadd_int(o, "kind", 13194);
	jadd(o, "tags", tags);
	jadd_str(o, "content", "pay_invoice make_invoice lookup_invoice");
	if (nostr_event_from_json(o, 0, &ev, NULL) == 0) {
		if ((enc = value_of(ev.tags, "encryption")) != NULL)
			want = names(enc, "nip44_v2") ? "nip44_v2" :
			    names(enc, "nip04") ? "nip04" : NULL;
		else
			want = (v = value_of(ev.tags, "v")) != NULL &&
			    names(v, "1.0") ? "nip44_v2" : "nip04";
		got = nwc_encryption_choose(ev.tags);
		if ((got == NULL) != (want == NULL) ||
		    (got != NULL && strcmp(got, want) != 0))
			fail("nwc_encryption_choose differs from NIP-47");
		nostr_event_release(&ev);
	}
	json_object_put(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text;

	if (size == 0)
		return 0;
	text = (const char *)data + 1;
	reply(text, size - 1, methods[data[0] % nitems(methods)]);
	info_tags(text, size - 1);
	return 0;
}

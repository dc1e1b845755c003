/*
 * fuzz_relay_msg.c: libFuzzer harness for what a Nostr relay sends our
 * client (relay.h): relay_msg_parse() on one relay-to-client message,
 * relay_text_copy() on the text a relay gives us, and, for an EVENT,
 * relay_filter_match() and the event list of a query. The input is the
 * message; when it holds a NUL byte (which no JSON text does), the
 * message ends there, and the bytes after it are two control bytes
 * (which filter to build, which second event to store) and then a
 * filter of the fuzzer's own; relay_text_copy() takes the whole input
 * as well. No signature is verified: relay_msg_parse() does not, and
 * secp256k1 would be most of the time spent. Promises checked (a broken
 * one aborts, which libFuzzer reports as a crash):
 *
 *  - a message parses exactly when the harness's own reading of NIP-01
 *    and NIP-42 says it should (json-c on the same text); one that
 *    fails says why;
 *  - a parsed message has a known type, the one its first element
 *    names; its subscription id is 1 to 64 bytes without NUL; its text
 *    is the element's string, NUL-terminated after text_len bytes ("" if
 *    absent); an AUTH challenge is 1 to RELAY_CHALLENGE_MAX bytes without
 *    NUL; an OK id is the element's hex; an EVENT holds an event, signed,
 *    whose own JSON passes nostr_event_parse() and reads back the same;
 *  - relay_msg_prefix() gives "" or the letters and "-" before a ":";
 *  - relay_text_copy() gives NUL-terminated, valid UTF-8 without C0, DEL
 *    or C1 controls, within outsz, cut only at a character boundary (a
 *    prefix of the uncut copy, short of it or of outsz by at most one
 *    character), and valid UTF-8 without controls is kept as it is;
 *  - a filter built from the event (ids, authors, kinds, since, until
 *    and a "#x" tag, each present or not, matching or not) matches
 *    exactly when NIP-01 says; a filter that is not an object matches
 *    nothing;
 *  - relay_events_add() keeps an event once, keeps one per replaceable
 *    or addressable slot (the newest), and relay_events_get() and
 *    relay_events_newest() give back the same event: id, pubkey, kind,
 *    created_at, content, tags and sig.
 *
 * Memory that a release does not free is reported by LeakSanitizer.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "json.h"
#include "nostr.h"
#include "relay.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The largest created_at nostr_event_parse() takes: 2^53 - 1. */
#define CREATED_AT_TOP INT64_C(9007199254740991)

/* Control bits of the filter (first byte): "omit" and "do not match". */
#define F_NO_IDS 0x01
#define F_BAD_IDS 0x02
#define F_NO_AUTHORS 0x04
#define F_BAD_AUTHORS 0x08
#define F_NO_KINDS 0x10
#define F_BAD_KINDS 0x20
#define F_NO_SINCE 0x40
#define F_BAD_SINCE 0x80
/* ... and of the second byte, with the second event's variant. */
#define G_NO_UNTIL 0x01
#define G_BAD_UNTIL 0x02
#define G_NO_TAG 0x04
#define G_BAD_TAG 0x08
#define G_AGE(c) (((c) >> 4) & 3) /* 0: newer, 1: same, 2: older */
#define G_OTHER_KIND 0x40
#define G_LAST_TAG 0x80

static const char *const types[] = {
	[RELAY_MSG_EVENT] = "EVENT",
	[RELAY_MSG_OK] = "OK",
	[RELAY_MSG_EOSE] = "EOSE",
	[RELAY_MSG_CLOSED] = "CLOSED",
	[RELAY_MSG_NOTICE] = "NOTICE",
	[RELAY_MSG_AUTH] = "AUTH"
};

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_relay_msg: invariant broken: %s\n", what);
	abort();
}

/* Does s[0..len) hold a control character (C0, DEL, or C1 as UTF-8)? */
static int
has_control(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f || (p[i] == 0xc2 &&
		    i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f))
			return 1;
	return 0;
}

/* Is v a string of exactly s[0..len)? */
static int
str_is(struct json_object *v, const char *s, size_t len)
{
	return json_object_is_type(v, json_type_string) &&
	    (size_t)json_object_get_string_len(v) == len &&
	    memcmp(json_object_get_string(v), s, len) == 0;
}

/* Is v a string of min..max bytes without NUL? */
static int
plain_str(struct json_object *v, size_t min, size_t max)
{
	size_t n;

	if (!json_object_is_type(v, json_type_string))
		return 0;
	n = (size_t)json_object_get_string_len(v);
	return n >= min && n <= max &&
	    memchr(json_object_get_string(v), '\0', n) == NULL;
}

/* Is element i of a absent or a string (an optional message)? */
static int
opt_text(struct json_object *a, size_t i)
{
	return i >= json_object_array_length(a) ||
	    json_object_is_type(json_object_array_get_idx(a, i),
	    json_type_string);
}

/* Is the OK id element a 64-digit lower-case hex string? */
static int
hex64(struct json_object *v)
{
	const char *s;
	size_t i;

	if (!json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) != 64)
		return 0;
	s = json_object_get_string(v);
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Should buf parse, by NIP-01 and NIP-42 as relay.h words them? */
static int
expect_parse(const char *buf, size_t len)
{
	struct json_object *a, *t, *o;
	struct nostr_event ev;
	size_t n;
	int ok = 0;

	if ((a = json_parse(buf, len)) == NULL)
		return 0;
	if (!json_object_is_type(a, json_type_array) ||
	    (n = json_object_array_length(a)) < 2)
		goto out;
	t = json_object_array_get_idx(a, 0);
	if (str_is(t, "EVENT", 5)) {
		o = json_object_array_get_idx(a, 2);
		if (n >= 3 && plain_str(json_object_array_get_idx(a, 1), 1,
		    RELAY_SUBID_MAX) && json_object_is_type(o,
		    json_type_object) && nostr_event_from_json(o, 1, &ev,
		    NULL) == 0) {
			nostr_event_release(&ev);
			ok = 1;
		}
	} else if (str_is(t, "OK", 2))
		ok = n >= 3 && hex64(json_object_array_get_idx(a, 1)) &&
		    json_object_is_type(json_object_array_get_idx(a, 2),
		    json_type_boolean) && opt_text(a, 3);
	else if (str_is(t, "EOSE", 4))
		ok = plain_str(json_object_array_get_idx(a, 1), 1,
		    RELAY_SUBID_MAX);
	else if (str_is(t, "CLOSED", 6))
		ok = plain_str(json_object_array_get_idx(a, 1), 1,
		    RELAY_SUBID_MAX) && opt_text(a, 2);
	else if (str_is(t, "NOTICE", 6))
		ok = json_object_is_type(json_object_array_get_idx(a, 1),
		    json_type_string);
	else if (str_is(t, "AUTH", 4))
		ok = plain_str(json_object_array_get_idx(a, 1), 1,
		    RELAY_CHALLENGE_MAX);
out:
	json_object_put(a);
	return ok;
}

static void
same_event(const struct nostr_event *a, const struct nostr_event *b,
    const char *what)
{
	if (memcmp(a->id, b->id, 32) != 0 ||
	    memcmp(a->pubkey, b->pubkey, 32) != 0 ||
	    a->kind != b->kind || a->created_at != b->created_at ||
	    a->content_len != b->content_len ||
	    memcmp(a->content, b->content, a->content_len) != 0 ||
	    !json_object_equal(a->tags, b->tags) ||
	    a->has_sig != b->has_sig ||
	    (a->has_sig && memcmp(a->sig, b->sig, 64) != 0))
		fail(what);
}

/*
 * relay_text_copy() of s into outsz bytes, against full, the uncut copy
 * (fulllen bytes). The buffer is exactly outsz bytes, for ASan.
 */
static void
copy_cut(const char *s, size_t len, size_t outsz, const char *full,
    size_t fulllen)
{
	char *out;
	size_t n;

	out = xmalloc(outsz > 0 ? outsz : 1);
	out[0] = 'Z';
	relay_text_copy(out, outsz, s, len);
	if (outsz == 0) {
		if (out[0] != 'Z')
			fail("relay_text_copy wrote into 0 bytes");
		free(out);
		return;
	}
	if (memchr(out, '\0', outsz) == NULL)
		fail("relay_text_copy left no NUL within outsz");
	n = strlen(out);
	if (n > fulllen || memcmp(out, full, n) != 0)
		fail("a cut copy is not a prefix of the whole copy");
	if (!is_utf8(out, n))
		fail("a copy cut inside a character");
	/*
	 * Room is counted in input bytes, so a C1 control (two bytes, one
	 * "?") may be left out though its "?" would fit.
	 */
	if (n + 4 < (fulllen < outsz ? fulllen + 1 : outsz))
		fail("relay_text_copy cut more than one character");
	free(out);
}

static void
text_copy(const char *s, size_t len, size_t cut)
{
	char *full;
	size_t n;

	full = xmalloc(len + 1);
	relay_text_copy(full, len + 1, s, len);
	if (memchr(full, '\0', len + 1) == NULL)
		fail("relay_text_copy left no NUL");
	n = strlen(full);
	if (!is_utf8(full, n))
		fail("relay_text_copy gave invalid UTF-8");
	if (has_control(full, n))
		fail("relay_text_copy let a control character through");
	if (is_utf8(s, len) && !has_control(s, len) &&
	    (n != len || memcmp(full, s, len) != 0))
		fail("relay_text_copy changed clean UTF-8");
	copy_cut(s, len, cut, full, n);
	free(full);
}

static int
is_lower_or_dash(char c)
{
	return (c >= 'a' && c <= 'z') || c == '-';
}

static int
is_letter_or_dash(char c)
{
	return is_lower_or_dash(c) || (c >= 'A' && c <= 'Z');
}

static void
prefix(const char *text, size_t len)
{
	char out[32];
	size_t i, n;

	memset(out, 'Z', sizeof(out));
	relay_msg_prefix(text, len, out);
	if (memchr(out, '\0', sizeof(out)) == NULL)
		fail("relay_msg_prefix left no NUL");
	n = strlen(out);
	for (i = 0; i < n; i++)
		if (!is_letter_or_dash(out[i]))
			fail("a prefix of other than letters and -");
	if (n > 0 && (n > 31 || n >= len || text[n] != ':' ||
	    memcmp(out, text, n) != 0))
		fail("a prefix that is not the text before its ':'");
	for (i = 0; i < len && i < 32 && is_lower_or_dash(text[i]); i++)
		;
	if (i >= 1 && i <= 31 && i < len && text[i] == ':' && n != i)
		fail("a good prefix was not found");
}

static void
check_text(const struct relay_msg *m, struct json_object *v)
{
	if (m->text == NULL || m->text[m->text_len] != '\0')
		fail("text without its NUL");
	if (v == NULL ? m->text_len != 0 :
	    !str_is(v, m->text, m->text_len))
		fail("text that is not the message's string");
}

static void
check_sub(const struct relay_msg *m)
{
	size_t n;

	if (m->sub_id == NULL)
		fail("no subscription id");
	n = strlen(m->sub_id);
	if (n < 1 || n > RELAY_SUBID_MAX ||
	    !str_is(json_object_array_get_idx(m->root, 1), m->sub_id, n))
		fail("a bad subscription id");
}

/* The message's element i, or NULL when it has fewer. */
static struct json_object *
elem(const struct relay_msg *m, size_t i)
{
	if (i >= json_object_array_length(m->root))
		return NULL;
	return json_object_array_get_idx(m->root, i);
}

static int
replaceable(int kind)
{
	return kind == 0 || kind == 3 || (kind >= 10000 && kind < 20000);
}

static int
addressable(int kind)
{
	return kind >= 30000 && kind < 40000;
}

/* Does ev hold a tag named name (1 byte) whose value is in values? */
static int
tag_match(const struct nostr_event *ev, const char *name,
    struct json_object *values)
{
	struct json_object *t, *v;
	size_t i, j;

	for (i = 0; i < json_object_array_length(ev->tags); i++) {
		t = json_object_array_get_idx(ev->tags, i);
		if (json_object_array_length(t) < 2 ||
		    !str_is(json_object_array_get_idx(t, 0), name, 1))
			continue;
		v = json_object_array_get_idx(t, 1);
		for (j = 0; j < json_object_array_length(values); j++)
			if (str_is(json_object_array_get_idx(values, j),
			    json_object_get_string(v),
			    (size_t)json_object_get_string_len(v)))
				return 1;
	}
	return 0;
}

/* The tag the "#x" filter is made of: a one-letter name and a value. */
static struct json_object *
filter_tag(const struct nostr_event *ev, int last)
{
	struct json_object *t, *k, *found = NULL;
	const char *s;
	size_t i;

	for (i = 0; i < json_object_array_length(ev->tags); i++) {
		t = json_object_array_get_idx(ev->tags, i);
		k = json_object_array_get_idx(t, 0);
		s = json_object_get_string(k);
		if (json_object_array_length(t) < 2 ||
		    json_object_get_string_len(k) != 1 ||
		    !((s[0] >= 'a' && s[0] <= 'z') ||
		    (s[0] >= 'A' && s[0] <= 'Z')))
			continue;
		found = t;
		if (!last)
			break;
	}
	return found;
}

/* json-c constructors that cannot return NULL, as json.h's builders. */
static struct json_object *
new_strn(const char *s, size_t len)
{
	struct json_object *v;

	if ((v = json_object_new_string_len(s, (int)len)) == NULL)
		abort();
	return v;
}

static struct json_object *
new_int(int64_t n)
{
	struct json_object *v;

	if ((v = json_object_new_int64(n)) == NULL)
		abort();
	return v;
}

static struct json_object *
hex_array(const unsigned char v[32], int bad)
{
	struct json_object *a;
	unsigned char b[32];
	char hex[65];

	memcpy(b, v, 32);
	if (bad)
		b[0] ^= 0x80;
	hex_encode(b, 32, hex);
	a = jarr();
	jpush(a, jstr(hex));
	return a;
}

/* A filter made by c0 and c1 must match exactly when NIP-01 says. */
static void
filter(const struct nostr_event *ev, unsigned char c0, unsigned char c1)
{
	struct json_object *f, *a, *t, *v;
	char key[3];
	size_t n;
	int want = 1;

	f = jobj();
	if (!(c0 & F_NO_IDS)) {
		jadd(f, "ids", hex_array(ev->id, c0 & F_BAD_IDS));
		want &= !(c0 & F_BAD_IDS);
	}
	if (!(c0 & F_NO_AUTHORS)) {
		jadd(f, "authors", hex_array(ev->pubkey, c0 & F_BAD_AUTHORS));
		want &= !(c0 & F_BAD_AUTHORS);
	}
	if (!(c0 & F_NO_KINDS)) {
		a = jarr();
		jpush(a, new_int(c0 & F_BAD_KINDS ? (ev->kind + 1) % 65536 :
		    ev->kind));
		jadd(f, "kinds", a);
		want &= !(c0 & F_BAD_KINDS);
	}
	if (!(c0 & F_NO_SINCE)) {
		jadd_int(f, "since", ev->created_at + !!(c0 & F_BAD_SINCE));
		want &= !(c0 & F_BAD_SINCE);
	}
	if (!(c1 & G_NO_UNTIL)) {
		jadd_int(f, "until", ev->created_at - !!(c1 & G_BAD_UNTIL));
		want &= !(c1 & G_BAD_UNTIL);
	}
	if (!(c1 & G_NO_TAG) &&
	    (t = filter_tag(ev, c1 & G_LAST_TAG)) != NULL) {
		key[0] = '#';
		key[1] = json_object_get_string(
		    json_object_array_get_idx(t, 0))[0];
		key[2] = '\0';
		v = json_object_array_get_idx(t, 1);
		n = (size_t)json_object_get_string_len(v);
		a = jarr();
		/* A shorter value is another one, which the event may hold. */
		jpush(a, new_strn(json_object_get_string(v),
		    c1 & G_BAD_TAG ? n / 2 : n));
		want &= tag_match(ev, key + 1, a);
		jadd(f, key, a);
	}
	if (relay_filter_match(f, ev) != want)
		fail(want ? "a matching filter did not match" :
		    "a filter matched an event it does not describe");
	json_object_put(f);
}

/* The newer of a and b by the NIP-01 replaceable rule. */
static const struct nostr_event *
newest_of(const struct nostr_event *a, const struct nostr_event *b)
{
	if (a->created_at != b->created_at)
		return a->created_at > b->created_at ? a : b;
	return memcmp(a->id, b->id, 32) < 0 ? a : b;
}

/* Event i of e must be want. */
static void
stored(const struct relay_events *e, size_t i,
    const struct nostr_event *want)
{
	struct nostr_event got;

	if (relay_events_get(e, i, &got) != 0)
		fail("relay_events_get lost an event");
	same_event(&got, want, "relay_events_get changed the event");
	nostr_event_release(&got);
}

/* relay_events_newest for want's kind and pubkey must give want. */
static void
newest(const struct relay_events *e, const struct nostr_event *want)
{
	struct nostr_event got;
	unsigned char other[32];

	if (relay_events_newest(e, want->kind, want->pubkey, &got) != 0)
		fail("relay_events_newest found nothing");
	same_event(&got, want, "relay_events_newest gave another event");
	nostr_event_release(&got);
	memcpy(other, want->pubkey, 32);
	other[31] ^= 0x01;
	if (relay_events_newest(e, want->kind, other, &got) != -1)
		fail("relay_events_newest found another author's event");
}

/*
 * Store ev, then a second event made from it (c1 says how), and read
 * both back.
 */
static void
events(const struct nostr_event *ev, unsigned char c1)
{
	struct relay_events e;
	struct nostr_event ev2, got;
	const struct nostr_event *best;
	char *json;
	size_t len;
	int slot, r;

	json = nostr_event_json_alloc(ev, &len);
	if (len > NOSTR_EVENT_MAX) {
		free(json);
		return;
	}
	if (nostr_event_parse(json, len, 1, &ev2, NULL) != 0)
		fail("our JSON of a relay's event does not parse");
	free(json);
	same_event(ev, &ev2, "our JSON of a relay's event reads otherwise");

	relay_events_init(&e);
	if (relay_events_add(&e, ev) != 1 || e.n != 1)
		fail("relay_events_add did not keep a first event");
	if (relay_events_add(&e, ev) != 0 || e.n != 1)
		fail("relay_events_add kept an event twice");
	stored(&e, 0, ev);
	if (relay_events_get(&e, 1, &got) != -1)
		fail("relay_events_get past the end");
	newest(&e, ev);
	if (relay_events_newest(&e, (ev->kind + 1) % 65536, ev->pubkey,
	    &got) != -1)
		fail("relay_events_newest found another kind");

	ev2.id[31] ^= 0x01;
	switch (G_AGE(c1)) {
	case 0:
		if (ev2.created_at < CREATED_AT_TOP)
			ev2.created_at++;
		break;
	case 2:
		if (ev2.created_at > 0)
			ev2.created_at--;
		break;
	case 3:
		ev2.pubkey[0] ^= 0x01;
		break;
	}
	if (c1 & G_OTHER_KIND)
		ev2.kind = (ev2.kind + 1) % 65536;
	/* Equal tags, so an addressable pair has equal "d" values. */
	slot = ev2.kind == ev->kind &&
	    memcmp(ev2.pubkey, ev->pubkey, 32) == 0 &&
	    (replaceable(ev->kind) || addressable(ev->kind));
	r = relay_events_add(&e, &ev2);
	if (slot) {
		best = newest_of(ev, &ev2);
		if (r != (best == &ev2) || e.n != 1)
			fail("relay_events_add broke the replaceable rule");
		stored(&e, 0, best);
		newest(&e, best);
	} else {
		if (r != 1 || e.n != 2)
			fail("relay_events_add did not keep a second event");
		stored(&e, 0, ev);
		stored(&e, 1, &ev2);
		if (ev2.kind == ev->kind &&
		    memcmp(ev2.pubkey, ev->pubkey, 32) == 0)
			newest(&e, newest_of(ev, &ev2));
		else {
			newest(&e, ev);
			newest(&e, &ev2);
		}
	}
	nostr_event_release(&ev2);
	relay_events_release(&e);
}

/* The fuzzer's own filter: no crash, and a non-object matches nothing. */
static void
free_filter(const struct nostr_event *ev, const char *text, size_t len)
{
	struct json_object *f;
	int r;

	if ((f = json_parse(text, len)) == NULL)
		return;
	r = relay_filter_match(f, ev);
	if (r != 0 && r != 1)
		fail("relay_filter_match gave neither 0 nor 1");
	if (r == 1 && !json_object_is_type(f, json_type_object))
		fail("a filter that is not an object matched");
	json_object_put(f);
}

static void
check_event(const struct relay_msg *m, const unsigned char *ctl,
    size_t nctl, const char *rest, size_t restlen)
{
	const struct nostr_event *ev = &m->event;

	check_sub(m);
	if (!m->has_event || !ev->has_sig)
		fail("an EVENT without its signed event");
	if (ev->kind < 0 || ev->kind > 65535 || ev->created_at < 0 ||
	    ev->created_at > CREATED_AT_TOP || ev->content == NULL ||
	    ev->content[ev->content_len] != '\0' ||
	    !json_object_is_type(ev->tags, json_type_array))
		fail("an EVENT's event breaks the struct's contract");
	text_copy(ev->content, ev->content_len, ev->content_len / 2);
	filter(ev, nctl > 0 ? ctl[0] : 0, nctl > 1 ? ctl[1] : 0);
	free_filter(ev, rest, restlen);
	events(ev, nctl > 1 ? ctl[1] : 0);
}

static void
check_msg(const struct relay_msg *m, const unsigned char *ctl,
    size_t nctl, const char *rest, size_t restlen)
{
	char hex[65];

	if ((unsigned int)m->type >= nitems(types))
		fail("a message of no known type");
	if (m->root == NULL || !json_object_is_type(m->root, json_type_array))
		fail("a message without its array");
	if (!str_is(elem(m, 0), types[m->type], strlen(types[m->type])))
		fail("a message of another type than its first element");
	if (m->has_event != (m->type == RELAY_MSG_EVENT))
		fail("an event in a message that is not EVENT, or none");
	switch (m->type) {
	case RELAY_MSG_EVENT:
		check_event(m, ctl, nctl, rest, restlen);
		break;
	case RELAY_MSG_OK:
		hex_encode(m->id, 32, hex);
		if (!str_is(elem(m, 1), hex, 64))
			fail("an OK id that is not the message's");
		if (m->ok != json_object_get_boolean(elem(m, 2)))
			fail("an OK status that is not the message's");
		check_text(m, elem(m, 3));
		prefix(m->text, m->text_len);
		break;
	case RELAY_MSG_EOSE:
		check_sub(m);
		break;
	case RELAY_MSG_CLOSED:
		check_sub(m);
		check_text(m, elem(m, 2));
		prefix(m->text, m->text_len);
		break;
	case RELAY_MSG_NOTICE:
		check_text(m, elem(m, 1));
		break;
	case RELAY_MSG_AUTH:
		check_text(m, elem(m, 1));
		if (m->text_len < 1 || m->text_len > RELAY_CHALLENGE_MAX ||
		    memchr(m->text, '\0', m->text_len) != NULL)
			fail("a bad AUTH challenge");
		break;
	}
	if (m->text == NULL || m->text[m->text_len] != '\0')
		fail("text without its NUL");
	text_copy(m->text, m->text_len, m->text_len / 3 + 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relay_msg m;
	const char *buf = (const char *)data, *why = NULL, *rest = "";
	const unsigned char *ctl = NULL;
	const uint8_t *nul;
	size_t len = size, nctl = 0, restlen = 0;
	int want;

	if ((nul = memchr(data, '\0', size)) != NULL) {
		len = (size_t)(nul - data);
		ctl = nul + 1;
		nctl = size - len - 1 < 2 ? size - len - 1 : 2;
		rest = (const char *)ctl + nctl;
		restlen = size - len - 1 - nctl;
	}
	text_copy(buf, size, nctl > 0 ? (ctl[0] | (size_t)ctl[nctl - 1] <<
	    8) % (size + 2) : size / 2);
	want = expect_parse(buf, len);
	if (relay_msg_parse(buf, len, &m, &why) != 0) {
		if (want)
			fail("a good relay message was refused");
		if (why == NULL || why[0] == '\0')
			fail("a message refused without a reason");
		return 0;
	}
	if (!want)
		fail("a bad relay message parsed");
	check_msg(&m, ctl, nctl, rest, restlen);
	relay_msg_release(&m);
	return 0;
}

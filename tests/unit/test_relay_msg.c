/*
 * test_relay_msg.c: what a relay says (src/relay_msg.c), offline: every
 * message type with its edge cases, a table of hostile messages that
 * must be refused, EVENT messages around the NIP-01 vectors (the valid
 * ones verify, the forged ids do not), OK/CLOSED prefixes, the copy of a
 * relay's text into our messages, and the newest-replaceable rules.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core.h"
#include "nostr.h"
#include "json.h"
#include "relay.h"
#include "testlib.h"

#define ID64 "28a87d7c074d94a58e9e89bb3e9e4e813e2189f285d797b1c56069d36f59eaa7"
#define PK64 "611df01bfcf85c26ae65453b772d8f1dfd25c264621c0277e1fc1518686faef9"
/* An event object with the given created_at, kind, tags and sig member. */
#define EVX(at, kind, tags, sig) "{\"id\":\"" ID64 "\",\"pubkey\":\"" PK64 \
	"\",\"created_at\":" at ",\"kind\":" kind ",\"tags\":" tags \
	",\"content\":\"x\"" sig "}"
#define SIG ",\"sig\":\"" ID64 ID64 "\""
#define EV EVX("1703015180", "1", "[]", SIG)

static const struct {
	const char *in;
	enum relay_msg_type type;
	const char *sub; /* NULL: no subscription id */
	int ok;
	const char *text;
	size_t text_len;
} good_msgs[] = {
	{ "[\"OK\",\"" ID64 "\",true,\"\"]", RELAY_MSG_OK, NULL, 1, "", 0 },
	{ "[\"OK\",\"" ID64 "\",false,\"auth-required: do it\",7,null]",
	  RELAY_MSG_OK, NULL, 0, "auth-required: do it", 20 },
	{ "[\"OK\",\"" ID64 "\",true]", RELAY_MSG_OK, NULL, 1, "", 0 },
	{ " [\"EOSE\",\"sub-1\"] \n", RELAY_MSG_EOSE, "sub-1", 0, "", 0 },
	{ "[\"CLOSED\",\"s\",\"error: shutting down\"]", RELAY_MSG_CLOSED, "s",
	  0, "error: shutting down", 20 },
	{ "[\"CLOSED\",\"s\"]", RELAY_MSG_CLOSED, "s", 0, "", 0 },
	{ "[\"NOTICE\",\"hi \\u00e9\"]", RELAY_MSG_NOTICE, NULL, 0,
	  "hi \xc3\xa9", 5 },
	{ "[\"NOTICE\",\"a\\u0000b\"]", RELAY_MSG_NOTICE, NULL, 0, "a\0b", 3 },
	{ "[\"AUTH\",\"challenge-1\"]", RELAY_MSG_AUTH, NULL, 0, "challenge-1",
	  11 },
	{ "[\"EVENT\",\"" "0123456789012345678901234567890123456789012345678901"
	  "234567890123" "\"," EV "]", RELAY_MSG_EVENT,
	  "0123456789012345678901234567890123456789012345678901234567890123",
	  0, "", 0 },
};

static const char *const bad_msgs[] = {
	"", " ", "null", "{}", "[]", "\"OK\"", "[1]", "[\"OK\"]",
	"[\"ok\",\"" ID64 "\",true,\"\"]", "[\"EOSE\\u0000\",\"s\"]",
	"[\"COUNT\",\"s\",{\"count\":1}]", "[\"EVENT\",\"s\"]",
	"[\"EVENT\",\"\"," EV "]", "[\"EVENT\",5," EV "]",
	"[\"EVENT\",\"s\\u0000\"," EV "]",
	"[\"EVENT\",\"0123456789012345678901234567890123456789012345678901"
	"2345678901234\"," EV "]",
	"[\"EVENT\",\"s\",{}]", "[\"EVENT\",\"s\",[]]",
	"[\"EVENT\",\"s\",\"x\"]",
	"[\"EVENT\",\"s\"," EV "", "[\"OK\",\"" ID64 "\"]",
	"[\"OK\",\"" ID64 "\",\"true\",\"\"]", "[\"OK\",\"" ID64 "\",1,\"\"]",
	"[\"OK\",\"" ID64 "\",true,5]", "[\"OK\",\"" ID64 "\",true,null]",
	"[\"OK\",\"28A87D7C074D94A58E9E89BB3E9E4E813E2189F285D797B1C56069D36F59"
	"EAA7\",true,\"\"]",
	"[\"OK\",\"28a87d7c074d94a58e9e89bb3e9e4e813e2189f285d797b1c56069d36f59"
	"eaa\",true,\"\"]",
	"[\"OK\",\"zz8a87d7c074d94a58e9e89bb3e9e4e813e2189f285d797b1c56069d36f5"
	"9eaa7\",true,\"\"]", "[\"OK\",5,true,\"\"]", "[\"EOSE\"]",
	"[\"EOSE\",5]", "[\"EOSE\",\"\"]", "[\"CLOSED\",\"s\",5]",
	"[\"NOTICE\",5]", "[\"NOTICE\"]", "[\"NOTICE\",\"\xff\"]",
	"[\"NOTICE\",\"\xc0\xaf\"]", "[\"NOTICE\",NaN]", "[\"NOTICE\",'x']",
	"[\"AUTH\",\"\"]", "[\"AUTH\",5]", "[\"AUTH\",\"a\\u0000b\"]",
	"[\"AUTH\"]", "[\"EOSE\",\"s\"] x", "[\"EOSE\",\"s\"][]",
	"[\"EOSE\",\"s\",]", "[\"NOTICE\",\"a\nb\"]",
	"[[[[[[[[[[[[[[[[[[[[\"NOTICE\"]]]]]]]]]]]]]]]]]]]]",
	"[\"EVENT\",\"s\"," EVX("1e9", "1", "[]", SIG) "]",
	"[\"EVENT\",\"s\"," EVX("1", "1.5", "[]", SIG) "]",
	"[\"EVENT\",\"s\"," EVX("1", "1", "[[1]]", SIG) "]",
	"[\"EVENT\",\"s\"," EVX("1", "1", "[]", "") "]",
	"[\"EVENT\",\"s\"," EVX("-1", "1", "[]", SIG) "]",
	"[\"EVENT\",\"s\"," EVX("1", "65536", "[]", SIG) "]",
	"[\"EVENT\",\"s\"," EVX("99999999999999999999", "1", "[]", SIG) "]",
};

START_TEST(relay_messages)
{
	struct relay_msg m;
	const char *why;
	char *auth;
	size_t i;

	for (i = 0; i < nitems(good_msgs); i++) {
		why = NULL;
		ck_assert_msg(relay_msg_parse(good_msgs[i].in,
		    strlen(good_msgs[i].in), &m, &why) == 0, "%s: %s",
		    good_msgs[i].in, why);
		ck_assert_int_eq(m.type, good_msgs[i].type);
		if (good_msgs[i].sub != NULL)
			ck_assert_str_eq(m.sub_id, good_msgs[i].sub);
		else
			ck_assert_ptr_null(m.sub_id);
		ck_assert_uint_eq(m.text_len, good_msgs[i].text_len);
		ck_assert_int_eq(memcmp(m.text, good_msgs[i].text,
		    m.text_len), 0);
		if (m.type == RELAY_MSG_OK) {
			ck_assert_int_eq(m.ok, good_msgs[i].ok);
			ck_assert_int_eq(m.id[0], 0x28);
			ck_assert_int_eq(m.id[31], 0xa7);
		}
		ck_assert_int_eq(m.has_event, m.type == RELAY_MSG_EVENT);
		if (m.has_event) {
			ck_assert_int_eq(m.event.kind, 1);
			ck_assert_str_eq(m.event.content, "x");
		}
		relay_msg_release(&m);
	}
	for (i = 0; i < nitems(bad_msgs); i++) {
		why = NULL;
		ck_assert_msg(relay_msg_parse(bad_msgs[i], strlen(bad_msgs[i]),
		    &m, &why) == -1, "accepted %s", bad_msgs[i]);
		ck_assert_ptr_nonnull(why);
		ck_assert_ptr_null(m.root);
		ck_assert_int_eq(m.has_event, 0);
	}
	/* NUL bytes on the wire, and a challenge of exactly the cap. */
	ck_assert_int_eq(relay_msg_parse("[\"EOSE\",\"s\"]\0", 13, &m, &why),
	    -1);
	auth = xmalloc(RELAY_CHALLENGE_MAX + 32);
	memcpy(auth, "[\"AUTH\",\"", 9);
	memset(auth + 9, 'c', RELAY_CHALLENGE_MAX);
	memcpy(auth + 9 + RELAY_CHALLENGE_MAX, "\"]", 3);
	ck_assert_int_eq(relay_msg_parse(auth, strlen(auth), &m, &why), 0);
	ck_assert_uint_eq(m.text_len, RELAY_CHALLENGE_MAX);
	relay_msg_release(&m);
	memcpy(auth + 9 + RELAY_CHALLENGE_MAX, "c\"]", 4);
	ck_assert_int_eq(relay_msg_parse(auth, strlen(auth), &m, &why), -1);
	free(auth);
}
END_TEST

/* An EVENT message around each NIP-01 vector: parsed, then verified. */
static size_t
vector_events(struct json_object *list, int want_valid)
{
	struct relay_msg m;
	struct json_object *ev;
	const char *why, *ej;
	char *msg;
	size_t i, n, len;

	n = json_object_array_length(list);
	for (i = 0; i < n; i++) {
		ck_assert(json_object_object_get_ex(
		    json_object_array_get_idx(list, i), "event", &ev));
		ej = json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN);
		len = strlen(ej) + 32;
		msg = xmalloc(len);
		snprintf(msg, len, "[\"EVENT\",\"sub\",%s]", ej);
		ck_assert_msg(relay_msg_parse(msg, strlen(msg), &m, &why) == 0,
		    "vector %zu: %s", i, why);
		ck_assert_int_eq(nostr_event_verify(&m.event, NULL) == 0,
		    want_valid);
		relay_msg_release(&m);
		free(msg);
	}
	return n;
}

START_TEST(relay_vectors)
{
	struct json_object *vec, *list;

	vec = tl_vector_json("nip01-events.json");
	ck_assert(json_object_object_get_ex(vec, "valid_events", &list));
	ck_assert_uint_gt(vector_events(list, 1), 0);
	ck_assert(json_object_object_get_ex(vec, "invalid_id_events", &list));
	ck_assert_uint_gt(vector_events(list, 0), 0);
	json_object_put(vec);
}
END_TEST

static const struct {
	const char *in, *prefix;
} prefixes[] = {
	{ "duplicate: already have it", "duplicate" },
	{ "auth-required: sign in", "auth-required" },
	{ "auth-required:", "auth-required" },
	{ "restricted:x", "restricted" },
	{ "", "" },
	{ "no prefix here", "" },
	{ "Duplicate: upper case", "" },
	{ ": empty", "" },
	{ "error", "" },
	{ "rate_limited: underscore", "" },
	{ "a-very-long-prefix-of-many-letters: x", "" },
	{ "abcdefghijklmnopqrstuvwxyzabcde: 31",
	  "abcdefghijklmnopqrstuvwxyzabcde" },
	{ "abcdefghijklmnopqrstuvwxyzabcdef: 32", "" },
};

static const struct {
	const char *in;
	size_t len, outsz;
	const char *out;
} copies[] = {
	{ "plain", 5, 64, "plain" },
	{ "tab\there\nnl\x7f", 12, 64, "tab?here?nl?" },
	{ "a\0b", 3, 64, "a?b" },
	{ "caf\xc3\xa9 \xf0\x9f\x8c\x8d", 10, 64,
	  "caf\xc3\xa9 \xf0\x9f\x8c\x8d" },
	{ "caf\xc3\xa9", 5, 5, "caf" },
	{ "ab\xf0\x9f\x8c\x8d", 6, 5, "ab" },
	{ "\xff\xfe", 2, 64, "??" },
	{ "\xc3", 1, 64, "?" },
	{ "\xed\xa0\x80", 3, 64, "???" },
	{ "abcdef", 6, 4, "abc" },
	{ "abc", 3, 1, "" },
	/* C1 controls (a terminal's CSI is U+009B): found by fuzz_nwc_reply. */
	{ "a\xc2\x9b" "2Jb", 6, 64, "a?2Jb" },
	{ "\xc2\x85\xc2\x80\xc2\x9f\xc2\xa0", 8, 64, "???\xc2\xa0" },
};

START_TEST(relay_text)
{
	char out[64], pre[32];
	size_t i;

	for (i = 0; i < nitems(prefixes); i++) {
		relay_msg_prefix(prefixes[i].in, strlen(prefixes[i].in), pre);
		ck_assert_msg(strcmp(pre, prefixes[i].prefix) == 0, "%s -> %s",
		    prefixes[i].in, pre);
	}
	for (i = 0; i < nitems(copies); i++) {
		relay_text_copy(out, copies[i].outsz, copies[i].in,
		    copies[i].len);
		ck_assert_msg(strcmp(out, copies[i].out) == 0, "case %zu: %s",
		    i, out);
	}
	ck_assert_str_eq(relay_status_name(RELAY_OK), "ok");
	ck_assert_str_eq(relay_status_name(RELAY_ECONN), "connection failed");
}
END_TEST

/* Add an unsigned event with the fields the newest-rules read; kept? */
static int
push(struct relay_events *e, int kind, int author, int64_t created_at,
    int idbyte, const char *d)
{
	const char *tag[2] = { "d", d };
	struct nostr_event ev;
	int kept;

	nostr_event_init(&ev);
	ev.kind = kind;
	ev.created_at = created_at;
	memset(ev.pubkey, author, 32);
	memset(ev.id, idbyte, 32);
	if (d != NULL)
		nostr_event_add_tag(&ev, 2, tag);
	kept = relay_events_add(e, &ev);
	nostr_event_release(&ev);
	return kept;
}

/* The id's first byte of the newest kind by author, or -1. */
static int
newest_id(struct relay_events *e, int kind, int author)
{
	struct nostr_event ev;
	unsigned char pk[32];
	int id;

	memset(pk, author, 32);
	if (relay_events_newest(e, kind, pk, &ev) == -1)
		return -1;
	id = ev.id[0];
	ck_assert_int_eq(ev.kind, kind);
	ck_assert_int_eq(ev.pubkey[0], author);
	nostr_event_release(&ev);
	return id;
}

START_TEST(relay_newest)
{
	static const int order[] = { 0x30, 0x20, 0x10, 0x60, 0x61, 0x71, 0x72,
		0x73, 0x81 };
	struct relay_events e;
	struct nostr_event ev;
	size_t i;

	relay_events_init(&e);
	ck_assert_int_eq(newest_id(&e, 10002, 1), -1);
	ck_assert_int_eq(push(&e, 10002, 1, 100, 0x50, NULL), 1); /* older */
	ck_assert_int_eq(push(&e, 10002, 1, 200, 0x40, NULL), 1); /* newer */
	ck_assert_int_eq(push(&e, 10002, 1, 200, 0x30, NULL), 1); /* tie: low id */
	ck_assert_int_eq(push(&e, 10002, 1, 200, 0x35, NULL), 0); /* tie: high id */
	ck_assert_int_eq(push(&e, 10002, 1, 150, 0x01, NULL), 0); /* older */
	push(&e, 10002, 2, 300, 0x20, NULL); /* another author */
	push(&e, 10050, 1, 400, 0x10, NULL); /* another kind */
	push(&e, 1, 1, 50, 0x60, NULL); /* regular: always kept */
	push(&e, 1, 1, 60, 0x61, NULL);
	push(&e, 30000, 1, 10, 0x70, "a"); /* addressable, by d */
	push(&e, 30000, 1, 20, 0x71, "a");
	push(&e, 30000, 1, 5, 0x72, "b");
	push(&e, 30000, 1, 5, 0x73, NULL); /* no d tag reads as "" */
	push(&e, 0, 1, 7, 0x80, NULL); /* kind 0 is replaceable */
	push(&e, 0, 1, 8, 0x81, NULL);
	ck_assert_int_eq(newest_id(&e, 10002, 1), 0x30);
	ck_assert_int_eq(newest_id(&e, 10002, 2), 0x20);
	ck_assert_int_eq(newest_id(&e, 10002, 3), -1);
	ck_assert_int_eq(newest_id(&e, 0, 1), 0x81);
	/* One per slot, in the order the slots were first filled. */
	ck_assert_uint_eq(e.n, nitems(order));
	for (i = 0; i < nitems(order); i++) {
		ck_assert_int_eq(relay_events_get(&e, i, &ev), 0);
		ck_assert_int_eq(ev.id[0], order[i]);
		ck_assert_int_eq(ev.has_sig, 0);
		nostr_event_release(&ev);
	}
	ck_assert_int_eq(relay_events_get(&e, i, &ev), -1);
	relay_events_release(&e);
	ck_assert_uint_eq(e.n, 0);
}
END_TEST

/* One event of kind by author (a byte) at t, with one "p" tag. */
static void
mk(struct nostr_event *ev, int kind, int author, int64_t t, int idbyte,
    const char *p)
{
	const char *tag[2] = { "p", p };

	nostr_event_init(ev);
	ev->kind = kind;
	ev->created_at = t;
	memset(ev->pubkey, author, 32);
	memset(ev->id, idbyte, 32);
	nostr_event_add_tag(ev, 2, tag);
}

/* NIP-01 filters: what the query asked for, and nothing else, is kept. */
START_TEST(relay_filters)
{
	static const struct {
		const char *filter;
		int match;
	} c[] = {
		{ "{}", 1 },
		{ "{\"kinds\":[10002]}", 1 },
		{ "{\"kinds\":[1,10050]}", 0 },
		{ "{\"kinds\":\"10002\"}", 0 },
		{ "{\"authors\":[\"0101010101010101010101010101010101010101010101"
		    "010101010101010101\"]}", 1 },
		{ "{\"authors\":[\"0202020202020202020202020202020202020202020202"
		    "020202020202020202\"]}", 0 },
		{ "{\"#p\":[\"alice\",\"bob\"]}", 1 },
		{ "{\"#p\":[\"carol\"]}", 0 },
		{ "{\"#e\":[\"bob\"]}", 0 },
		{ "{\"since\":100,\"until\":100}", 1 },
		{ "{\"since\":101}", 0 },
		{ "{\"until\":99}", 0 },
		{ "{\"kinds\":[10002],\"limit\":1,\"unknown\":5}", 1 },
		/* Malformed: matches nothing (relay.h). */
		{ "{\"since\":\"x\"}", 0 },
		{ "{\"until\":1.5}", 0 },
		{ "{\"since\":99999999999999999999}", 0 },
		{ "{\"kinds\":[\"1\",10002]}", 0 },
		{ "{\"authors\":[1,\"0101010101010101010101010101010101010101"
		    "010101010101010101010101\"]}", 0 },
		{ "{\"#p\":[\"bob\",1]}", 0 },
		/* Whole strings: not the part before a NUL. */
		{ "{\"#p\":[\"bob\\u0000x\"]}", 0 },
	};
	static const struct {
		const char *filter;
		int match;
	} nul[] = {
		{ "{\"#p\":[\"carol\"]}", 0 },
		{ "{\"#p\":[\"carol\\u0000x\"]}", 1 },
		{ "{\"#e\":[\"dave\"]}", 0 },
		{ "{\"#p\":[\"bob\"]}", 1 },
	};
	struct nostr_event ev;
	struct json_object *f, *tag;
	size_t i;

	mk(&ev, 10002, 1, 100, 7, "bob");
	for (i = 0; i < nitems(c); i++) {
		f = json_parse(c[i].filter, strlen(c[i].filter));
		ck_assert_ptr_nonnull(f);
		ck_assert_msg(relay_filter_match(f, &ev) == c[i].match,
		    "%s", c[i].filter);
		json_object_put(f);
	}
	ck_assert_int_eq(relay_filter_match(NULL, &ev), 0);
	nostr_event_release(&ev);
	/* A tag value (or name) with a NUL in it is not what precedes it. */
	mk(&ev, 10002, 1, 100, 7, "bob");
	tag = json_object_new_array();
	json_object_array_add(tag, json_object_new_string("p"));
	json_object_array_add(tag, json_object_new_string_len("carol\0x", 7));
	json_object_array_add(ev.tags, tag);
	tag = json_object_new_array();
	json_object_array_add(tag, json_object_new_string_len("e\0", 2));
	json_object_array_add(tag, json_object_new_string("dave"));
	json_object_array_add(ev.tags, tag);
	for (i = 0; i < nitems(nul); i++) {
		f = json_parse(nul[i].filter, strlen(nul[i].filter));
		ck_assert_ptr_nonnull(f);
		ck_assert_msg(relay_filter_match(f, &ev) == nul[i].match, "%s",
		    nul[i].filter);
		json_object_put(f);
	}
	nostr_event_release(&ev);
}
END_TEST

/* A slot holds its newest only, however many versions arrive. */
START_TEST(relay_add_keeps_newest)
{
	struct relay_events e;
	struct nostr_event ev;
	int i;

	relay_events_init(&e);
	for (i = 0; i < 1000; i++) {
		mk(&ev, 10002, 1, 100 + i % 500, i % 200 + 1, "x");
		(void)relay_events_add(&e, &ev);
		nostr_event_release(&ev);
	}
	ck_assert_uint_eq(e.n, 1);
	ck_assert_int_eq(e.v[0].created_at, 599);
	/* A note is not replaceable: kept once per id. */
	mk(&ev, 1, 1, 5, 0xaa, "x");
	ck_assert_int_eq(relay_events_add(&e, &ev), 1);
	ck_assert_int_eq(relay_events_add(&e, &ev), 0);
	nostr_event_release(&ev);
	mk(&ev, 1, 1, 5, 0xab, "x");
	ck_assert_int_eq(relay_events_add(&e, &ev), 1);
	nostr_event_release(&ev);
	ck_assert_uint_eq(e.n, 3);
	relay_events_release(&e);
}
END_TEST

/* What is kept costs its JSON text: no json-c tree outlives the add. */
START_TEST(relay_kept_compact)
{
	const char *tag[2] = { "relay", "wss://relay.example.com/" };
	struct relay_events e;
	struct nostr_event ev, back;
	size_t i, len;
	char *json;

	mk(&ev, 10050, 1, 100, 0x42, "x");
	for (i = 0; i < 2000; i++) /* some 80 kB */
		nostr_event_add_tag(&ev, 2, tag);
	json = nostr_event_json_alloc(&ev, &len);
	relay_events_init(&e);
	ck_assert_int_eq(relay_events_add(&e, &ev), 1);
	ck_assert_uint_eq(e.v[0].len, len);
	ck_assert_str_eq(e.v[0].json, json);
	ck_assert_ptr_null(e.v[0].d);
	ck_assert_int_eq(relay_events_get(&e, 0, &back), 0);
	ck_assert_uint_eq(json_object_array_length(back.tags), 2001);
	nostr_event_release(&back);
	nostr_event_release(&ev);
	free(json);
	relay_events_release(&e);
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("relay_msg");
	tc = tcase_create("relay_msg");
	tcase_add_test(tc, relay_messages);
	tcase_add_test(tc, relay_vectors);
	tcase_add_test(tc, relay_text);
	tcase_add_test(tc, relay_newest);
	tcase_add_test(tc, relay_filters);
	tcase_add_test(tc, relay_add_keeps_newest);
	tcase_add_test(tc, relay_kept_compact);
	suite_add_tcase(s, tc);
	return tl_run(s);
}

/* test_nwc.c: NIP-47 connection URIs against the vectors, and hostile ones. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "json.h"
#include "nwc.h"
#include "testlib.h"

#define PK "b889ff5b1513b641e2a139f661a661364979c5beee91842f8f0ef42ab558e9d4"
#define SK "71a8c14c1407c113601079c4302dab36460f0ccd0ad506f1f2dc73b5100e4f3c"

START_TEST(vectors)
{
	struct json_object *v = tl_vector_json("nip47-vectors.json"), *uri,
	    *list, *c, *f;
	struct arena a = { NULL };
	struct nwc_uri u;
	const char *why;
	size_t i, k, nvalid = 0, ninvalid = 0;

	ck_assert(json_object_object_get_ex(v, "uri", &uri));
	ck_assert(json_object_object_get_ex(uri, "valid", &list));
	for (i = 0; i < json_object_array_length(list); i++) {
		c = json_object_array_get_idx(list, i);
		json_object_object_get_ex(c, "uri", &f);
		ck_assert_msg(nwc_uri_parse(&a, json_object_get_string(f), &u,
		    &why) == 0, "valid %zu: %s", i, why);
		json_object_object_get_ex(c, "wallet_pubkey", &f);
		ck_assert_str_eq(u.wallet_pubkey, json_object_get_string(f));
		json_object_object_get_ex(c, "secret", &f);
		ck_assert_str_eq(u.secret, json_object_get_string(f));
		json_object_object_get_ex(c, "relays", &f);
		ck_assert_uint_eq(u.nrelay, json_object_array_length(f));
		for (k = 0; k < u.nrelay; k++)
			ck_assert_str_eq(u.relay[k], json_object_get_string(
			    json_object_array_get_idx(f, k)));
		json_object_object_get_ex(c, "lud16", &f);
		if (f == NULL)
			ck_assert_ptr_null(u.lud16);
		else
			ck_assert_str_eq(u.lud16, json_object_get_string(f));
		nvalid++;
	}
	ck_assert(json_object_object_get_ex(uri, "invalid", &list));
	for (i = 0; i < json_object_array_length(list); i++) {
		c = json_object_array_get_idx(list, i);
		json_object_object_get_ex(c, "uri", &f);
		ck_assert_msg(nwc_uri_parse(&a, json_object_get_string(f), &u,
		    &why) == -1, "invalid %zu accepted", i);
		ninvalid++;
	}
	ck_assert_uint_ge(nvalid, 4);
	ck_assert_uint_ge(ninvalid, 3);
	arena_free(&a);
	json_object_put(v);
}
END_TEST

START_TEST(hostile)
{
	static const char *const bad[] = {
		"",
		"https://" PK "?relay=wss%3A%2F%2Fr&secret=" SK,
		"nostr+walletconnect://" PK,
		"nostr+walletconnect://" PK "?relay=wss%3A%2F%2Fr",
		"nostr+walletconnect://" PK "?secret=" SK,
		"nostr+walletconnect://B889FF5B1513B641E2A139F661A661364979C5BEEE91842F8F0EF42AB558E9D4?relay=wss%3A%2F%2Fr&secret=" SK,
		"nostr+walletconnect://" PK "00?relay=wss%3A%2F%2Fr&secret=" SK,
		/* A control byte in a relay URL would forge log lines. */
		"nostr+walletconnect://" PK "?relay=wss%3A%2F%2Fr%0Aforged&secret=" SK,
		"nostr+walletconnect://" PK "?relay=wss%3A%2F%2Fr%1B%5B2J&secret=" SK,
		"nostr+walletconnect://" PK "?relay=wss%3A%2F%2Fr%7F&secret=" SK,
		"nostr+walletconnect://" PK "?relay=https%3A%2F%2Fr&secret=" SK,
		"nostr+walletconnect://" PK "?relay=wss%3A%2F%2F&secret=" SK,
		"nostr+walletconnect://" PK "?relay=wss%3A%2F%2Fr%00x&secret=" SK,
		"nostr+walletconnect://" PK "?relay=wss%3A%2F%2Fr%ZZ&secret=" SK,
		"nostr+walletconnect://" PK "?relay=wss%3A%2F%2Fr&secret=" SK "0",
		"nostr+walletconnect://" PK "?relay=wss%3A%2F%2Fr&secret=xyz",
		"nostr+walletconnect://" PK "?relay=wss%3A%2F%2Fr%ff&secret=" SK,
		"nostr+walletconnect://" PK "?relay=wss%3A%2F%2F'%3B DROP TABLE tenant%3B--&secret=" SK,
	};
	struct arena a = { NULL };
	struct nwc_uri u;
	const char *why;
	char *huge;
	size_t i;

	for (i = 0; i < nitems(bad); i++) {
		ck_assert_msg(nwc_uri_parse(&a, bad[i], &u, &why) == -1,
		    "accepted case %zu", i);
		ck_assert_ptr_nonnull(why);
		ck_assert_ptr_null(strstr(why, SK));
	}
	huge = calloc(1, NWC_URI_MAX + 200);
	snprintf(huge, NWC_URI_MAX + 200, "nostr+walletconnect://" PK
	    "?relay=wss%%3A%%2F%%2Fr&secret=" SK "&lud16=");
	memset(huge + strlen(huge), 'a', NWC_URI_MAX);
	ck_assert_int_eq(nwc_uri_parse(&a, huge, &u, &why), -1);
	free(huge);
	ck_assert_int_eq(nwc_uri_parse(&a, "nostrwalletconnect://" PK
	    "?relay=ws%3A%2F%2F127.0.0.1%3A7777&secret=" SK "&x=1", &u, &why), 0);
	ck_assert_str_eq(u.relay[0], "ws://127.0.0.1:7777");
	arena_free(&a);
}
END_TEST

/* The info event's tags choose the scheme (vectors: NIP-47, Alby). */
START_TEST(encryption_negotiation)
{
	struct json_object *v = tl_vector_json("nip47-vectors.json"), *neg,
	    *cases, *c, *tags, *choose, *supports;
	const char *got;
	size_t i, n = 0;

	ck_assert(json_object_object_get_ex(v, "encryption_negotiation", &neg));
	ck_assert(json_object_object_get_ex(neg, "cases", &cases));
	for (i = 0; i < json_object_array_length(cases); i++) {
		c = json_object_array_get_idx(cases, i);
		json_object_object_get_ex(c, "info_tags", &tags);
		json_object_object_get_ex(c, "choose", &choose);
		json_object_object_get_ex(c, "client_supports", &supports);
		/* We speak both schemes: only cases for such a client. */
		if (json_object_array_length(supports) != 2)
			continue;
		got = nwc_encryption_choose(tags);
		ck_assert_ptr_nonnull(got);
		ck_assert_msg(strcmp(got, json_object_get_string(choose)) == 0,
		    "case %zu: %s, want %s", i, got,
		    json_object_get_string(choose));
		n++;
	}
	ck_assert_uint_ge(n, 5);
	json_object_put(v);
}
END_TEST

START_TEST(unknown_schemes)
{
	struct json_object *tags;
	const char *t = "[[\"encryption\",\"nip99 nip44_v3\"]]";

	tags = json_parse(t, strlen(t));
	ck_assert_ptr_null(nwc_encryption_choose(tags));
	json_object_put(tags);
}
END_TEST

/* Replies: no "error" key at all is success (rust-nostr's vector). */
START_TEST(replies)
{
	struct json_object *v = tl_vector_json("nip47-vectors.json"), *bodies,
	    *first, *body, *r;
	struct nwc_error e;
	const char *text;
	size_t len;

	ck_assert(json_object_object_get_ex(v, "response_bodies", &bodies));
	first = json_object_array_get_idx(bodies, 0);
	ck_assert(json_object_object_get_ex(first, "json", &body));
	text = json_text(body, &len);
	ck_assert_int_eq(nwc_reply_parse(text, len, "list_transactions", &r,
	    &e), 0);
	ck_assert(json_object_is_type(r, json_type_object));
	json_object_put(r);
	/* The wrong method's answer is not ours. */
	ck_assert_int_eq(nwc_reply_parse(text, len, "pay_invoice", &r, &e),
	    -1);
	ck_assert_int_eq(e.kind, NWC_E_REPLY);
	json_object_put(v);
}
END_TEST

START_TEST(reply_errors)
{
	static const struct {
		const char *json;
		enum nwc_fail kind;
		const char *code;
	} c[] = {
		{ "{\"result_type\":\"pay_invoice\",\"error\":{\"code\":"
		    "\"INSUFFICIENT_BALANCE\",\"message\":\"low\"}}",
		    NWC_E_WALLET, "INSUFFICIENT_BALANCE" },
		{ "{\"error\":{\"code\":\"lower\",\"message\":\"x\"}}",
		    NWC_E_WALLET, "OTHER" },
		{ "{\"error\":\"boom\"}", NWC_E_WALLET, "OTHER" },
		{ "{\"error\":null,\"result\":5}", NWC_E_REPLY, "" },
		{ "{\"result_type\":\"pay_invoice\"}", NWC_E_REPLY, "" },
		{ "[1]", NWC_E_REPLY, "" },
		{ "{\"result\":{}", NWC_E_REPLY, "" },
	};
	struct json_object *r;
	struct nwc_error e;
	size_t i;

	for (i = 0; i < nitems(c); i++) {
		ck_assert_msg(nwc_reply_parse(c[i].json, strlen(c[i].json),
		    "pay_invoice", &r, &e) == -1, "%zu accepted", i);
		ck_assert_int_eq(e.kind, c[i].kind);
		ck_assert_str_eq(e.code, c[i].code);
		ck_assert(e.sentence[0] != '\0');
	}
	ck_assert_int_eq(nwc_reply_parse("{\"error\":null,\"result\":{}}",
	    26, "pay_invoice", &r, &e), 0);
	json_object_put(r);
}
END_TEST

/* Every NIP-47 code in the vectors has its own sentence. */
START_TEST(code_sentences)
{
	struct json_object *v = tl_vector_json("nip47-vectors.json"), *codes,
	    *general;
	const char *code;
	size_t i;

	ck_assert(json_object_object_get_ex(v, "error_codes", &codes));
	ck_assert(json_object_object_get_ex(codes, "general", &general));
	for (i = 0; i < json_object_array_length(general); i++) {
		code = json_object_get_string(json_object_array_get_idx(general,
		    i));
		if (strcmp(code, "OTHER") != 0)
			ck_assert_msg(strcmp(nwc_code_sentence(code),
			    nwc_code_sentence("OTHER")) != 0, "%s", code);
	}
	ck_assert_str_ne(nwc_code_sentence("PAYMENT_FAILED"),
	    nwc_code_sentence("OTHER"));
	ck_assert_str_ne(nwc_code_sentence("NOT_FOUND"),
	    nwc_code_sentence("OTHER"));
	json_object_put(v);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("nwc");
	TCase *tc = tcase_create("nwc");

	/* Before forking: an absent vector file SKIPs the whole program. */
	(void)tl_vector_path("nip47-vectors.json");
	tcase_add_test(tc, vectors);
	tcase_add_test(tc, hostile);
	tcase_add_test(tc, encryption_negotiation);
	tcase_add_test(tc, unknown_schemes);
	tcase_add_test(tc, replies);
	tcase_add_test(tc, reply_errors);
	tcase_add_test(tc, code_sentences);
	suite_add_tcase(s, tc);
	return tl_run(s);
}

/* test_nwc.c: NIP-47 connection URIs against the vectors, and hostile ones. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
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

int
main(void)
{
	Suite *s = suite_create("nwc");
	TCase *tc = tcase_create("nwc");
	SRunner *sr;
	int failed;

	/* Before forking: an absent vector file SKIPs the whole program. */
	(void)tl_vector_path("nip47-vectors.json");
	tcase_add_test(tc, vectors);
	tcase_add_test(tc, hostile);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

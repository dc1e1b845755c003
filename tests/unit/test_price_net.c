/*
 * test_price_net.c: the BTC price (spec/api.md §8) fetched from
 * BTC_PRICE_URL (tests/fakes/price.mjs plays Coinbase's spot price),
 * cached in the database for BTC_PRICE_TTL so every process shares one
 * price, refreshed after it, and BTC_PRICE_USD_OVERRIDE over all of it.
 * Without node the test is skipped, or fails when CI is set.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "core.h"
#include "db.h"
#include "fake.h"
#include "httpc.h"
#include "json.h"
#include "price.h"
#include "testlib.h"

static struct fake fk;
static char *dir;

static void
setup(void)
{
	const char *env[] = { NULL };

	if (system("node --version >/dev/null 2>&1") != 0) {
		if (getenv("CI") != NULL && *getenv("CI") != '\0') {
			fprintf(stderr, "FAIL: node is missing\n");
			exit(1);
		}
		printf("SKIP: node is missing; the price tests did NOT run\n");
		exit(77);
	}
	httpc_global_init();
	fake_init(&fk);
	fake_start(&fk, "price.mjs", env);
	dir = tl_tmpdir();
}

static void
teardown(void)
{
	fake_stop(&fk);
	tl_rmdir(dir);
	free(dir);
	httpc_global_cleanup();
}

static long
requests(void)
{
	struct json_object *o;
	int64_t n = -1;

	ck_assert_int_eq(fake_call(&fk, "GET", "/__log", NULL, &o), 200);
	(void)json_get_int(o, "requests", 0, INT32_MAX, &n);
	json_object_put(o);
	return (long)n;
}

/* A configuration pointing at the fake, and a fresh database. */
static struct db *
fixture(struct config *c, const char *name, const char *override)
{
	char path[4096], errbuf[1024];
	struct db *db;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.db", dir, name);
	setenv("DATABASE_URL", path, 1);
	snprintf(path, sizeof(path), "%s/v2/prices/BTC-USD/spot", fk.url);
	setenv("BTC_PRICE_URL", path, 1);
	setenv("BTC_PRICE_TTL", "300", 1);
	setenv("BTC_PRICE_USD_OVERRIDE", override, 1);
	snprintf(path, sizeof(path), "%s/empty.env", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fclose(f);
	ck_assert_msg(cfg_load(c, path, errbuf, sizeof(errbuf)) == 0, "%s",
	    errbuf);
	ck_assert_ptr_nonnull(db = tl_db_create(c->dbpath));
	return db;
}

START_TEST(fetched_cached_refreshed)
{
	struct config c;
	struct decimal d;
	struct db *db, *other;
	char *err = NULL;
	long before;

	unsetenv("CARAVEL_TEST_NOW");
	fake_control(&fk, "{\"reset\": true, \"price\": \"97123.45\"}");
	db = fixture(&c, "cache", "");
	before = requests();
	ck_assert_msg(price_btc_usd(db, &c, &d, &err) == 0, "%s", err);
	ck_assert_uint_eq(d.units, 9712345);
	ck_assert_int_eq(d.scale, 2);
	ck_assert_int_eq(requests(), before + 1);
	/* Another process (another connection) reads the cached price. */
	ck_assert_ptr_nonnull(other = db_open(c.dbpath));
	fake_control(&fk, "{\"price\": \"50000\"}");
	ck_assert_int_eq(price_btc_usd(other, &c, &d, &err), 0);
	ck_assert_uint_eq(d.units, 9712345);
	ck_assert_int_eq(requests(), before + 1);
	/* Past the TTL: fetched again. */
	setenv("CARAVEL_TEST_NOW", "9999999999", 1);
	ck_assert_int_eq(price_btc_usd(other, &c, &d, &err), 0);
	ck_assert_uint_eq(d.units, 50000);
	ck_assert_int_eq(requests(), before + 2);
	unsetenv("CARAVEL_TEST_NOW");
	db_close(other);
	db_close(db);
	cfg_free(&c);
}
END_TEST

START_TEST(source_failures)
{
	static const char *const bodies[] = {
		"{\"data\":{\"amount\":97000}}", "{\"data\":{}}", "[]",
		"{\"data\":{\"amount\":\"-5\"}}", "not json",
		"{\"data\":{\"amount\":\"1e5\"}}",
	};
	struct json_object *o;
	struct config c;
	struct decimal d;
	struct db *db;
	char *err = NULL, json[256];
	size_t i;

	db = fixture(&c, "fail", "");
	fake_control(&fk, "{\"status\": 503}");
	ck_assert_int_eq(price_btc_usd(db, &c, &d, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "answered 503"));
	free(err);
	fake_control(&fk, "{\"status\": 200}");
	for (i = 0; i < nitems(bodies); i++) {
		o = jobj();
		jadd_str(o, "body", bodies[i]);
		snprintf(json, sizeof(json), "%s", json_text(o, NULL));
		json_object_put(o);
		fake_control(&fk, json);
		err = NULL;
		ck_assert_msg(price_btc_usd(db, &c, &d, &err) == -1, "%s",
		    bodies[i]);
		free(err);
	}
	fake_control(&fk, "{\"body\": null}");
	db_close(db);
	cfg_free(&c);
}
END_TEST

START_TEST(override_wins)
{
	struct config c;
	struct decimal d;
	struct db *db;
	char *err = NULL;
	long before = requests();

	fake_control(&fk, "{\"status\": 503}");
	db = fixture(&c, "override", "123456.7");
	ck_assert_int_eq(price_btc_usd(db, &c, &d, &err), 0);
	ck_assert_uint_eq(d.units, 1234567);
	ck_assert_int_eq(d.scale, 1);
	ck_assert_int_eq(requests(), before);
	fake_control(&fk, "{\"status\": 200}");
	db_close(db);
	cfg_free(&c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("price_net");
	TCase *tc = tcase_create("price_net");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, fetched_cached_refreshed);
	tcase_add_test(tc, source_failures);
	tcase_add_test(tc, override_wins);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

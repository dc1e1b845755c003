/* test_cfg.c: the configuration table, env file and environment. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "cfg.h"
#include "testlib.h"

/* A public test key (BIP-340 vector 1's secret); never use it for real. */
#define SK_HEX "b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef"

static char *dir;

static void
clean_env(void)
{
	size_t i;

	for (i = 0; i < CFG__MAX; i++)
		unsetenv(cfg_name((enum cfgkey)i));
}

static const char *
write_env(const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/caravel.env", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	return path;
}

static void
setup(void)
{
	clean_env();
	dir = tl_tmpdir();
}

static void
teardown(void)
{
	tl_rmdir(dir);
	free(dir);
}

START_TEST(defaults)
{
	struct config c;
	char err[1024];

	ck_assert_int_eq(cfg_load(&c, write_env(""), err, sizeof(err)), 0);
	ck_assert_str_eq(cfg_str(&c, CFG_HOST), "127.0.0.1");
	ck_assert_int_eq(cfg_int(&c, CFG_PORT), 2892);
	ck_assert_int_eq(cfg_int(&c, CFG_AUTH_MAX_AGE), 3600);
	ck_assert_int_eq(cfg_int(&c, CFG_AUTH_STRICT), 0);
	ck_assert_int_eq(cfg_int(&c, CFG_BILLING_GRACE_DAYS), 7);
	ck_assert_int_eq(cfg_int(&c, CFG_BTC_PRICE_TTL), 300);
	ck_assert_int_eq(cfg_int(&c, CFG_MAX_BODY_SIZE), 65536);
	ck_assert_str_eq(cfg_str(&c, CFG_STRIPE_API_URL),
	    "https://api.stripe.com");
	ck_assert_str_eq(c.dbpath, CFG_STATE_DIR "/caravel.db");
	ck_assert_int_eq(cfg_isset(&c, CFG_ENCRYPTION_SECRET), 0);
	cfg_free(&c);
}
END_TEST

START_TEST(file_then_environment)
{
	struct config c;
	char err[1024];
	const char *path;

	path = write_env("# comment\n\nexport HOST=api.example.com\n"
	    "PORT = 8080\nRELAY_DOMAIN=\"relays.example.com\"\n"
	    "DATABASE_URL=sqlite:///var/db/c.db\n");
	setenv("PORT", "9090", 1);
	ck_assert_int_eq(cfg_load(&c, path, err, sizeof(err)), 0);
	ck_assert_str_eq(cfg_str(&c, CFG_HOST), "api.example.com");
	ck_assert_int_eq(cfg_int(&c, CFG_PORT), 9090);
	ck_assert_str_eq(cfg_str(&c, CFG_RELAY_DOMAIN), "relays.example.com");
	ck_assert_str_eq(c.dbpath, "/var/db/c.db");
	ck_assert_str_eq(c.envfile, path);
	cfg_free(&c);
}
END_TEST

START_TEST(relay_lists_get_a_scheme)
{
	struct config c;
	char err[1024];

	setenv("ROBOT_OUTBOX_RELAYS", " relay.one.com , ws://127.0.0.1:7777,"
	    "wss://r.two/ ,, ", 1);
	ck_assert_int_eq(cfg_load(&c, write_env(""), err, sizeof(err)), 0);
	ck_assert_uint_eq(c.nlist[CFG_ROBOT_OUTBOX_RELAYS], 3);
	ck_assert_str_eq(c.list[CFG_ROBOT_OUTBOX_RELAYS][0],
	    "wss://relay.one.com");
	ck_assert_str_eq(c.list[CFG_ROBOT_OUTBOX_RELAYS][1],
	    "ws://127.0.0.1:7777");
	ck_assert_str_eq(cfg_str(&c, CFG_ROBOT_OUTBOX_RELAYS),
	    "wss://relay.one.com,ws://127.0.0.1:7777,wss://r.two/");
	cfg_free(&c);
}
END_TEST

/* Each bad value is an error that names its variable. */
START_TEST(bad_values_name_the_variable)
{
	static const struct {
		const char *name, *value;
	} bad[] = {
		{ "ENCRYPTION_SECRET", "not-a-key" },
		{ "ENCRYPTION_SECRET", SK_HEX "00" },
		{ "ROBOT_SECRET", "b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfe" },
		{ "ZOOID_API_SECRET", "nsec1qqqq" },
		{ "ADMINS", "abc" },
		{ "PORT", "0" },
		{ "PORT", "http" },
		{ "AUTH_STRICT", "maybe" },
		{ "AUTH_MAX_AGE", "-5" },
		{ "ZOOID_API_URL", "zooid.local" },
		{ "STRIPE_API_URL", "ftp://stripe" },
		{ "ROBOT_INDEXER_RELAYS", "https://relay.example.com" },
		{ "BTC_PRICE_USD_OVERRIDE", "-3" },
		{ "NWC_URL", "https://wallet" },
		{ "HOST", "" },
	};
	struct config c;
	char err[1024];
	size_t i;

	for (i = 0; i < nitems(bad); i++) {
		clean_env();
		setenv(bad[i].name, bad[i].value, 1);
		ck_assert_msg(cfg_load(&c, write_env(""), err, sizeof(err)) ==
		    -1, "accepted %s=%s", bad[i].name, bad[i].value);
		ck_assert_msg(strstr(err, bad[i].name) != NULL,
		    "error does not name %s: %s", bad[i].name, err);
		cfg_free(&c);
	}
}
END_TEST

START_TEST(file_errors_have_line_numbers)
{
	struct config c;
	char err[1024];

	ck_assert_int_eq(cfg_load(&c, write_env("HOST=a\nHOTS=b\n"), err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "caravel.env:2: unknown setting "
	    "HOTS"));
	cfg_free(&c);
	ck_assert_int_eq(cfg_load(&c, write_env("just words\n"), err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ":1: expected KEY=value"));
	cfg_free(&c);
	ck_assert_int_eq(cfg_load(&c, "/nonexistent/caravel.env", err,
	    sizeof(err)), -1);
	cfg_free(&c);
}
END_TEST

START_TEST(secrets_are_masked)
{
	struct config c;
	char err[1024], *out;
	size_t len;
	FILE *f;

	setenv("ENCRYPTION_SECRET", SK_HEX, 1);
	setenv("STRIPE_SECRET_KEY", "sk_test_hush", 1);
	setenv("ADMINS", "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6", 1);
	ck_assert_int_eq(cfg_load(&c, write_env(""), err, sizeof(err)), 0);
	ck_assert_int_eq(cfg_is_admin(&c, "3bf0c63fcb93463407af97a5e5ee64fa"
	    "883d107ef9e558472c4eb9aaaefa459d"), 1);
	ck_assert_ptr_nonnull(f = open_memstream(&out, &len));
	cfg_print(&c, f);
	fclose(f);
	ck_assert_ptr_null(strstr(out, SK_HEX));
	ck_assert_ptr_null(strstr(out, "sk_test_hush"));
	ck_assert_ptr_nonnull(strstr(out, "ENCRYPTION_SECRET=(set, hidden)"));
	ck_assert_ptr_nonnull(strstr(out, "ADMINS=3bf0c63fcb93463407af97a5"));
	free(out);
	cfg_free(&c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cfg");
	TCase *tc = tcase_create("cfg");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, file_then_environment);
	tcase_add_test(tc, relay_lists_get_a_scheme);
	tcase_add_test(tc, bad_values_name_the_variable);
	tcase_add_test(tc, file_errors_have_line_numbers);
	tcase_add_test(tc, secrets_are_masked);
	suite_add_tcase(s, tc);
	return tl_run(s);
}

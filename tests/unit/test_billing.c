/*
 * test_billing.c: pieces of the money path that need no peer: the DM
 * length rule, the invoice mirror's order of statuses, and Stripe objects
 * read field by field (hostile ones included) on a migrated database.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing.h"
#include "core.h"
#include "db.h"
#include "json.h"
#include "stripe.h"
#include "testlib.h"

#define PK "1111111111111111111111111111111111111111111111111111111111111111"

static char *dir;
static struct db *db;

static void
setup(void)
{
	char path[4096];

	dir = tl_tmpdir();
	snprintf(path, sizeof(path), "%s/billing.db", dir);
	ck_assert_ptr_nonnull(db = tl_db_create(path));
	ck_assert_int_eq(db_tenant_insert(db, PK, 1000, "cus_test"), DB_OK);
}

static void
teardown(void)
{
	db_close(db);
	tl_rmdir(dir);
	free(dir);
}

static size_t
chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* A DM is at most 240 characters, cut between characters (original). */
START_TEST(dm_length)
{
	struct billing b;
	struct arena a = { NULL };
	struct list_filter f = { .limit = 10 };
	struct dm *v;
	char text[2000];
	size_t i, n;

	memset(&b, 0, sizeof(b));
	b.db = db;
	strcpy(text, "NWC auto-payment failed: ");
	for (i = 0; i < 300; i++)
		strcat(text, "é");
	ck_assert_int_eq(billing_dm(&b, PK, text, "k1", 2000), DB_OK);
	ck_assert_int_eq(billing_dm(&b, PK, text, "k1", 2001), DB_DONE);
	ck_assert_int_eq(billing_dm(&b, PK, "short", "k2", 2002), DB_OK);
	ck_assert_int_eq(db_dm_list(db, &a, &f, &v, &n), DB_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0].text, "short");
	ck_assert_uint_eq(chars(v[1].text), BILLING_DM_MAX);
	ck_assert(is_utf8(v[1].text, strlen(v[1].text)));
	arena_free(&a);
}
END_TEST

static void
put(const char *id, const char *status, int64_t paid_at)
{
	struct invoice inv;

	memset(&inv, 0, sizeof(inv));
	inv.id = id;
	inv.tenant = PK;
	inv.status = status;
	inv.currency = "usd";
	inv.amount_due = 500;
	inv.period_start = inv.period_end = inv.due_date = -1;
	inv.paid_at = paid_at;
	inv.voided_at = -1;
	inv.created_at = 1000;
	(void)db_invoice_put(db, &inv, 3000);
}

/* draft < open < uncollectible < paid, void; paid and void are final. */
START_TEST(statuses_move_forwards)
{
	static const struct {
		const char *seq[4];
		const char *end;
	} cases[] = {
		{ { "draft", "open", "paid", "open" }, "paid" },
		{ { "open", "draft", NULL }, "open" },
		{ { "open", "uncollectible", "paid", NULL }, "paid" },
		{ { "open", "void", "paid", "open" }, "void" },
		{ { "paid", "void", "uncollectible", "draft" }, "paid" },
	};
	struct arena a = { NULL };
	struct invoice got;
	char id[32];
	size_t i, k;

	for (i = 0; i < nitems(cases); i++) {
		snprintf(id, sizeof(id), "in_case%zu", i);
		for (k = 0; k < 4 && cases[i].seq[k] != NULL; k++)
			put(id, cases[i].seq[k], strcmp(cases[i].seq[k],
			    "paid") == 0 ? 2500 : -1);
		ck_assert_int_eq(db_invoice_get(db, &a, id, &got), DB_OK);
		ck_assert_msg(strcmp(got.status, cases[i].end) == 0,
		    "case %zu: %s", i, got.status);
	}
	/* A card payment is "stripe"; once set, paid_via stays. */
	ck_assert_int_eq(db_invoice_get(db, &a, "in_case0", &got), DB_OK);
	ck_assert_str_eq(got.paid_via, "stripe");
	arena_free(&a);
}
END_TEST

static int
parse_invoice(const char *json, struct invoice *inv, const char **why)
{
	struct arena a = { NULL };
	struct json_object *o;
	const char *cus;
	int rc = -1;

	if ((o = json_parse_object(json, strlen(json))) != NULL) {
		rc = stripe_invoice_parse(&a, o, inv, &cus, why);
		json_object_put(o);
	}
	arena_free(&a);
	return rc;
}

START_TEST(hostile_invoices)
{
	static const char *const bad[] = {
		"{}",
		"{\"id\":\"in_1\",\"customer\":\"cus_1\",\"status\":\"paid\"}",
		"{\"id\":\"in_1\\n\",\"customer\":\"cus_1\",\"status\":\"open\","
		    "\"currency\":\"usd\",\"amount_due\":1,\"amount_paid\":0,"
		    "\"created\":1}",
		"{\"id\":\"in_1\",\"customer\":\"cus_1\",\"status\":\"opened\","
		    "\"currency\":\"usd\",\"amount_due\":1,\"amount_paid\":0,"
		    "\"created\":1}",
		"{\"id\":\"in_1\",\"customer\":\"cus_1\",\"status\":\"open\","
		    "\"currency\":\"US$\",\"amount_due\":1,\"amount_paid\":0,"
		    "\"created\":1}",
		"{\"id\":\"in_1\",\"customer\":\"cus_1\",\"status\":\"open\","
		    "\"currency\":\"usd\",\"amount_due\":-1,\"amount_paid\":0,"
		    "\"created\":1}",
		"{\"id\":\"in_1\",\"customer\":\"cus_1\",\"status\":\"open\","
		    "\"currency\":\"usd\",\"amount_due\":1.5,\"amount_paid\":0,"
		    "\"created\":1}",
		"{\"id\":\"in_1\",\"customer\":\"cus_1\",\"status\":\"open\","
		    "\"currency\":\"usd\",\"amount_due\":\"1\",\"amount_paid\":0,"
		    "\"created\":1}",
		"{\"id\":\"in_1\",\"customer\":\"x_1\",\"status\":\"open\","
		    "\"currency\":\"usd\",\"amount_due\":1,\"amount_paid\":0,"
		    "\"created\":1}",
		"{\"id\":\"in_1\",\"customer\":\"cus_1\",\"status\":\"open\","
		    "\"currency\":\"usd\",\"amount_due\":1,\"amount_paid\":0,"
		    "\"created\":-5}",
	};
	struct invoice inv;
	const char *why;
	size_t i;

	for (i = 0; i < nitems(bad); i++)
		ck_assert_msg(parse_invoice(bad[i], &inv, &why) == -1,
		    "accepted %zu", i);
	/* A hosted URL that is not https, or an odd reason, is dropped. */
	ck_assert_int_eq(parse_invoice("{\"id\":\"in_1\",\"customer\":\"cus_1\","
	    "\"status\":\"open\",\"currency\":\"usd\",\"amount_due\":1,"
	    "\"amount_paid\":0,\"created\":1,\"hosted_invoice_url\":"
	    "\"javascript:alert(1)\",\"billing_reason\":\"x\\ny\"}", &inv, &why),
	    0);
	ck_assert_ptr_null(inv.hosted_invoice_url);
	ck_assert_ptr_null(inv.billing_reason);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("billing");
	TCase *tc = tcase_create("billing");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, dm_length);
	tcase_add_test(tc, statuses_move_forwards);
	tcase_add_test(tc, hostile_invoices);
	suite_add_tcase(s, tc);
	return tl_run(s);
}

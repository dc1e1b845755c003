/*
 * admin.c: caravel-admin, the operator's command line. It reads the same
 * configuration and SQLite file as the API and workers, so an operator
 * never has to write SQL for the common questions.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "billing.h"
#include "cfg.h"
#include "crypt.h"
#include "db.h"
#include "httpc.h"
#include "nostr.h"
#include "metrics.h"
#include "worker.h"

struct admin {
	struct config cfg;
	struct db *db;
};

struct command {
	const char *name;
	int (*fn)(struct admin *, int, char **);
	int needs_db;
	const char *help;
};

/* A unix time as a UTC date, or date and time. */
static const char *
day(struct arena *ar, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
	return arena_strdup(ar, buf);
}

static const char *
when(struct arena *ar, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%SZ", &tm);
	return arena_strdup(ar, buf);
}

/*
 * migrate: create the database file if needed and apply migrations, after
 * an online backup of a database whose schema changes. The only command
 * that creates or changes a schema (the others refuse an older one).
 */
static int
cmd_migrate(struct admin *a, int argc, char **argv)
{
	char *backup;

	(void)argc;
	(void)argv;
	if ((a->db = db_open_migrate(a->cfg.dbpath, &backup)) == NULL)
		return 1;
	if (backup != NULL)
		printf("backed up the database to %s first\n", backup);
	printf("database %s is at schema version %d\n", a->cfg.dbpath,
	    db_schema_version(a->db));
	free(backup);
	return 0;
}

/* backup FILE: a consistent copy while the service runs. */
static int
cmd_backup(struct admin *a, int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "caravel-admin: backup needs one FILE, the copy "
		    "to make (it must not exist)\n");
		return 2;
	}
	if (db_backup(a->db, argv[1]) == -1)
		return 1;
	printf("backed up %s to %s (schema version %d)\n", a->cfg.dbpath,
	    argv[1], db_schema_version(a->db));
	return 0;
}

/* restore FILE: the database replaced by a backup, with nobody using it. */
static int
cmd_restore(struct admin *a, int argc, char **argv)
{
	int v;

	if (argc != 2) {
		fprintf(stderr, "caravel-admin: restore needs one FILE, a backup "
		    "made by caravel-admin backup or migrate\n");
		return 2;
	}
	if ((v = db_restore(a->cfg.dbpath, argv[1])) == -1)
		return 1;
	printf("restored %s from %s (schema version %d)\n", a->cfg.dbpath,
	    argv[1], v);
	if (v < db_schema_latest())
		printf("its schema is older than this release's: run "
		    "caravel-admin migrate before starting the service\n");
	return 0;
}

static const char *money(struct arena *, int64_t);

/*
 * metrics: what GET /metrics answers, for node-exporter's textfile
 * collector (a scraper cannot sign NIP-98): the API's counters from the
 * file its processes share, and the database's gauges.
 */
static int
cmd_metrics(struct admin *a, int argc, char **argv)
{
	struct metrics m;
	int rc;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "caravel-admin: metrics takes no arguments\n");
		return 2;
	}
	(void)metrics_open(&m, a->cfg.dbpath, 0, NULL, 0, NULL, 0, NULL, 0);
	rc = metrics_render(stdout, &m, a->db, clock_now());
	metrics_close(&m);
	if (rc == -1)
		fprintf(stderr, "caravel-admin: the database could not be "
		    "read\n");
	return rc == -1 ? 1 : 0;
}

/* status: the same for a person: workers, queues, money owed. */
static int
cmd_status(struct admin *a, int argc, char **argv)
{
	struct arena ar = { NULL };
	struct worker_pass *p;
	struct gauges g;
	size_t i, n;
	int64_t now = clock_now();
	int rc = 1;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "caravel-admin: status takes no arguments\n");
		return 2;
	}
	if (db_worker_pass_list(a->db, &ar, &p, &n) != DB_OK ||
	    db_gauges(a->db, &g) != DB_OK)
		goto out;
	printf("workers (last pass):\n");
	if (n == 0)
		printf("  none has run yet: are their timers enabled?\n");
	for (i = 0; i < n; i++)
		printf("  %-8s %s, %llds ago, took %.2fs: %s%s%s\n",
		    p[i].worker, p[i].outcome, (long long)(now -
		    p[i].started_at), (double)p[i].duration_ms / 1000,
		    p[i].summary, now - p[i].started_at > 300 ?
		    " (STALE: no pass for over 5 minutes)" : "",
		    strcmp(p[i].outcome, "ok") != 0 ?
		    " (see its log: journalctl -t caravel-<worker>)" : "");
	printf("tenants:  %lld, %lld past due, %lld delinquent\n",
	    (long long)g.tenants, (long long)g.past_due,
	    (long long)g.delinquent);
	printf("relays:   %lld, %lld waiting for zooid, %lld failing to sync\n",
	    (long long)g.relays, (long long)g.unsynced,
	    (long long)g.failing_sync);
	printf("DMs:      %lld queued, %lld given up\n", (long long)g.dms_queued,
	    (long long)g.dms_failed);
	printf("invoices: %lld open, %s still owed\n",
	    (long long)g.open_invoices, money(&ar, g.open_amount));
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "caravel-admin: the database could not be "
		    "read\n");
	arena_free(&ar);
	return rc;
}

/*
 * genkeys: fresh nostr secret keys for a new env file, and the public keys
 * others must know (zooid whitelists Caravel's; users see the robot's).
 */
static int
cmd_genkeys(struct admin *a, int argc, char **argv)
{
	static const struct {
		const char *name, *pub;
	} keys[] = {
		{ "ENCRYPTION_SECRET", NULL },
		{ "ZOOID_API_SECRET", "whitelist in zooid" },
		{ "ROBOT_SECRET", "the robot" },
	};
	unsigned char sk[32], pk[32];
	char skhex[65], pkhex[65];
	size_t i;

	(void)a;
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "caravel-admin: genkeys takes no arguments\n");
		return 2;
	}
	printf("# fresh secrets from caravel-admin genkeys: keep them secret, "
	    "and ENCRYPTION_SECRET with the backups\n");
	for (i = 0; i < nitems(keys); i++) {
		if (nostr_keygen(sk, pk) == -1) {
			fprintf(stderr, "caravel-admin: no randomness for a "
			    "key\n");
			return 1;
		}
		hex_encode(sk, 32, skhex);
		hex_encode(pk, 32, pkhex);
		if (keys[i].pub != NULL)
			printf("# public key (%s): %s\n", keys[i].pub, pkhex);
		printf("%s=%s\n", keys[i].name, skhex);
	}
	explicit_zero(sk, sizeof(sk));
	explicit_zero(skhex, sizeof(skhex));
	return 0;
}

/* check-config: the effective configuration, secrets masked; 1 if incomplete. */
static int
cmd_check_config(struct admin *a, int argc, char **argv)
{
	char errbuf[4096];

	(void)argc;
	(void)argv;
	cfg_print(&a->cfg, stdout);
	if (cfg_require(&a->cfg, "caravel-api", cfg_api_needs,
	    cfg_api_needs_count, errbuf, sizeof(errbuf)) == -1) {
		fprintf(stderr, "caravel-admin: incomplete configuration:\n%s",
		    errbuf);
		return 1;
	}
	return 0;
}

/* tenants: every tenant, newest first, with its relay count. */
static int
cmd_tenants(struct admin *a, int argc, char **argv)
{
	struct arena ar = { NULL };
	struct list_filter all = { .tenant = NULL };
	struct list_filter mine = { .tenant = NULL };
	struct tenant *t;
	struct relay *rl;
	size_t i, n, nr;
	int rc = 1;

	(void)argc;
	(void)argv;
	if (db_tenant_list(a->db, &ar, &all, &t, &n) != DB_OK)
		goto out;
	printf("%-64s  %-10s  %-6s  %-3s  %s\n", "PUBKEY", "CREATED", "RELAYS",
	    "NWC", "STRIPE CUSTOMER");
	for (i = 0; i < n; i++) {
		mine.tenant = t[i].pubkey;
		if (db_relay_list(a->db, &ar, &mine, &rl, &nr) != DB_OK)
			goto out;
		printf("%-64s  %-10s  %6zu  %-3s  %s\n", t[i].pubkey,
		    day(&ar, t[i].created_at), nr, t[i].nwc_is_set ? "yes" :
		    "no", t[i].stripe_customer_id != NULL ?
		    t[i].stripe_customer_id : "-");
	}
	rc = 0;
out:
	arena_free(&ar);
	return rc;
}

/* relays [TENANT]: relays (of one tenant), with status and sync state. */
static int
cmd_relays(struct admin *a, int argc, char **argv)
{
	struct arena ar = { NULL };
	struct list_filter f = { .tenant = NULL };
	struct relay *rl;
	size_t i, n;
	int rc = 1;

	if (argc > 2 || (argc == 2 && (strlen(argv[1]) != 64 ||
	    !is_lower_hex(argv[1], 64)))) {
		fprintf(stderr, "usage: caravel-admin relays [TENANT-PUBKEY]\n");
		return 2;
	}
	f.tenant = argc == 2 ? argv[1] : NULL;
	if (db_relay_list(a->db, &ar, &f, &rl, &n) != DB_OK)
		goto out;
	printf("%-32s  %-20s  %-7s  %-10s  %-6s  %s\n", "ID", "SUBDOMAIN",
	    "PLAN", "STATUS", "SYNCED", "TENANT / SYNC ERROR");
	for (i = 0; i < n; i++)
		printf("%-32s  %-20s  %-7s  %-10s  %-6s  %.16s…%s%s\n",
		    rl[i].id, rl[i].subdomain, rl[i].plan, rl[i].status,
		    rl[i].synced ? "yes" : "no", rl[i].tenant,
		    *rl[i].sync_error != '\0' ? "  " : "", rl[i].sync_error);
	rc = 0;
out:
	arena_free(&ar);
	return rc;
}

/* activity RELAY-ID [LIMIT]: a relay's activity, newest first. */
static int
cmd_activity(struct admin *a, int argc, char **argv)
{
	struct arena ar = { NULL };
	struct activity *v;
	struct relay rl;
	struct list_filter f = { .limit = 50 };
	size_t i, n;
	int rc = 1;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: caravel-admin activity RELAY-ID "
		    "[LIMIT]\n");
		return 2;
	}
	if (argc == 3 && parse_int64(argv[2], 1, 500, &f.limit) == -1) {
		fprintf(stderr, "caravel-admin: LIMIT must be a whole number "
		    "from 1 to 500, not \"%.40s\"\n", argv[2]);
		return 2;
	}
	if (db_relay_get(a->db, &ar, argv[1], &rl) == DB_NOTFOUND) {
		fprintf(stderr, "caravel-admin: no relay has the id \"%.40s\" "
		    "(caravel-admin relays lists them)\n", argv[1]);
		goto out;
	}
	f.relay = argv[1];
	if (db_activity_list(a->db, &ar, &f, &v, &n) != DB_OK)
		goto out;
	for (i = 0; i < n; i++)
		printf("%s  %-22s  %s  by %s\n", when(&ar, v[i].created_at),
		    v[i].activity_type, v[i].tenant,
		    v[i].actor != NULL ? v[i].actor : "-");
	if (n == 0)
		printf("no activity for relay %s\n", argv[1]);
	rc = 0;
out:
	arena_free(&ar);
	return rc;
}

/* dm RECIPIENT TEXT: queue a DM from the robot through the outbox. */
static int
cmd_dm(struct admin *a, int argc, char **argv)
{
	unsigned char pk[32];
	char hex[65];
	int64_t id;
	size_t len;

	if (argc != 3 || nostr_pubkey_parse(argv[1], pk) == -1 ||
	    !nostr_pubkey_ok(pk)) {
		fprintf(stderr, "usage: caravel-admin dm NPUB-OR-HEX TEXT\n");
		return 2;
	}
	len = strlen(argv[2]);
	if (len == 0 || len > 4096 || !is_utf8(argv[2], len)) {
		fprintf(stderr, "caravel-admin: the text must be 1 to 4096 "
		    "bytes of UTF-8\n");
		return 2;
	}
	hex_encode(pk, 32, hex);
	if (db_dm_queue(a->db, hex, argv[2], NULL, clock_now(), &id) != DB_OK)
		return 1;
	printf("queued DM %lld to %s\n", (long long)id, hex);
	return 0;
}

/* outbox [LIMIT]: DMs, newest first, with their last error. */
static int
cmd_outbox(struct admin *a, int argc, char **argv)
{
	struct arena ar = { NULL };
	struct dm *v;
	struct list_filter f = { .limit = 50 };
	size_t i, n;
	int rc = 1;

	if (argc > 2 || (argc == 2 && parse_int64(argv[1], 1, 10000, &f.limit) ==
	    -1)) {
		fprintf(stderr, "usage: caravel-admin outbox [LIMIT]\n");
		return 2;
	}
	if (db_dm_list(a->db, &ar, &f, &v, &n) != DB_OK)
		goto out;
	printf("%-6s  %-7s  %-20s  %-8s  %-16s  %s\n", "ID", "STATUS",
	    "CREATED", "ATTEMPTS", "RECIPIENT", "TEXT / LAST ERROR");
	for (i = 0; i < n; i++)
		printf("%-6lld  %-7s  %-20s  %8lld  %.16s  %.40s%s%s\n",
		    (long long)v[i].id, v[i].status, when(&ar, v[i].created_at),
		    (long long)v[i].attempts, v[i].recipient, v[i].text,
		    *v[i].last_error != '\0' ? "  / " : "", v[i].last_error);
	rc = 0;
out:
	arena_free(&ar);
	return rc;
}

/* A pubkey given as hex or npub, into hex; -1 (after a sentence) if not. */
static int
pubkey_arg(const char *s, char hex[65])
{
	unsigned char pk[32];

	if (nostr_pubkey_parse(s, pk) == -1) {
		fprintf(stderr, "caravel-admin: %s is not a public key (64 hex "
		    "digits or npub1...)\n", s);
		return -1;
	}
	hex_encode(pk, 32, hex);
	return 0;
}

/* Minor units as "12.34" (the currencies Caravel bills have two). */
static const char *
money(struct arena *ar, int64_t minor)
{
	return arena_printf(ar, "%s%lld.%02lld", minor < 0 ? "-" : "",
	    (long long)(minor < 0 ? -minor : minor) / 100,
	    (long long)(minor < 0 ? -minor : minor) % 100);
}

/* invoices [TENANT]: the invoice mirror, newest first, drafts too. */
static int
cmd_invoices(struct admin *a, int argc, char **argv)
{
	struct list_filter f = { .limit = 1000, .with_drafts = 1 };
	struct arena ar = { NULL };
	struct invoice *v;
	char pk[65];
	size_t i, n;
	int rc = 1;

	if (argc > 2) {
		fprintf(stderr, "usage: caravel-admin invoices [TENANT]\n");
		return 2;
	}
	if (argc == 2 && pubkey_arg(argv[1], pk) == -1)
		return 2;
	f.tenant = argc == 2 ? pk : NULL;
	if (db_invoice_list(a->db, &ar, &f, &v, &n) != DB_OK)
		goto out;
	printf("%-28s  %-13s  %14s  %-9s  %-10s  %s\n", "INVOICE", "STATUS",
	    "AMOUNT", "PAID VIA", "CREATED", "TENANT");
	for (i = 0; i < n; i++)
		printf("%-28s  %-13s  %10s %-3s  %-9s  %-10s  %s\n", v[i].id,
		    v[i].status, money(&ar, v[i].amount_due), v[i].currency,
		    v[i].paid_via != NULL ? v[i].paid_via :
		    v[i].paid_out_of_band ? "other" : "-",
		    day(&ar, v[i].created_at), v[i].tenant);
	if (n == 0)
		printf("no invoices\n");
	rc = 0;
out:
	arena_free(&ar);
	return rc;
}

static void
report(void *arg, const char *line)
{
	int *changed = arg;

	printf("%s\n", line);
	(*changed)++;
}

/*
 * reconcile TENANT: the billing pass's reconcile and invoice mirror for
 * one tenant now, saying what changed. It takes caravel-billing's lock,
 * so it never runs beside a pass.
 */
static int
cmd_reconcile(struct admin *a, int argc, char **argv)
{
	struct arena ar = { NULL };
	struct billing b;
	struct secretbox box;
	char pk[65];
	int fd, rc = 1, have_box = 0, changed = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: caravel-admin reconcile TENANT\n");
		return 2;
	}
	if (pubkey_arg(argv[1], pk) == -1)
		return 2;
	if (!cfg_isset(&a->cfg, CFG_STRIPE_SECRET_KEY)) {
		fprintf(stderr, "caravel-admin: STRIPE_SECRET_KEY is not set\n");
		return 1;
	}
	if ((fd = worker_lock_take(a->cfg.dbpath, "billing")) < 0) {
		fprintf(stderr, "caravel-admin: a billing pass is running; try "
		    "again in a moment\n");
		return 1;
	}
	if (httpc_global_init() == -1)
		goto out;
	if (cfg_isset(&a->cfg, CFG_ENCRYPTION_SECRET) &&
	    secretbox_init(&box, cfg_str(&a->cfg, CFG_ENCRYPTION_SECRET)) == 0)
		have_box = 1;
	billing_init(&b, a->db, &a->cfg, have_box ? &box : NULL);
	b.report = report;
	b.report_arg = &changed;
	switch (billing_tenant(&b, &ar, pk, -1)) {
	case 0:
		rc = 0;
		break;
	case -2:
		fprintf(stderr, "caravel-admin: an operator must act (see "
		    "above)\n");
		break;
	default:
		fprintf(stderr, "caravel-admin: Stripe did not answer; the "
		    "next billing pass retries\n");
		break;
	}
	if (rc == 0 && changed == 0)
		printf("tenant %s: nothing to change\n", pk);
	billing_release(&b);
	if (have_box)
		secretbox_release(&box);
	httpc_global_cleanup();
out:
	close(fd);
	arena_free(&ar);
	return rc;
}

/* stripe-events [LIMIT]: webhook events received, newest first. */
static int
cmd_stripe_events(struct admin *a, int argc, char **argv)
{
	struct arena ar = { NULL };
	struct stripe_event *v;
	struct list_filter f = { .limit = 50 };
	size_t i, n;
	int rc = 1;

	if (argc > 2 || (argc == 2 && parse_int64(argv[1], 1, 10000, &f.limit) ==
	    -1)) {
		fprintf(stderr, "usage: caravel-admin stripe-events [LIMIT]\n");
		return 2;
	}
	if (db_stripe_event_list(a->db, &ar, &f, &v, &n) != DB_OK)
		goto out;
	printf("%-20s  %-32s  %-34s  %-16s  %s\n", "RECEIVED", "EVENT", "TYPE",
	    "TENANT", "EFFECT");
	for (i = 0; i < n; i++)
		printf("%-20s  %-32s  %-34s  %-16.16s  %s\n",
		    when(&ar, v[i].received_at), v[i].id, v[i].type,
		    v[i].tenant != NULL ? v[i].tenant : "-", v[i].effect);
	if (n == 0)
		printf("no webhook events yet\n");
	rc = 0;
out:
	arena_free(&ar);
	return rc;
}

/* revenue [--since YYYY-MM]: collected per month and way of payment. */
static int
cmd_revenue(struct admin *a, int argc, char **argv)
{
	struct arena ar = { NULL };
	struct revenue *v;
	const char *since = "0000-00";
	size_t i, n;
	int rc = 1;

	if (argc == 3 && strcmp(argv[1], "--since") == 0)
		since = argv[2];
	else if (argc != 1) {
		fprintf(stderr, "usage: caravel-admin revenue [--since "
		    "YYYY-MM]\n");
		return 2;
	}
	if (strlen(since) < 7 || since[4] != '-' ||
	    strspn(since, "0123456789-") != strlen(since)) {
		fprintf(stderr, "caravel-admin: --since takes a month, "
		    "YYYY-MM (or a day, YYYY-MM-DD)\n");
		return 2;
	}
	if (db_revenue(a->db, &ar, arena_strndup(&ar, since, 7), &v, &n) !=
	    DB_OK)
		goto out;
	printf("%-7s  %-9s  %8s  %14s\n", "MONTH", "METHOD", "INVOICES",
	    "COLLECTED");
	for (i = 0; i < n; i++)
		printf("%-7s  %-9s  %8lld  %10s %-3s\n", v[i].month, v[i].method,
		    (long long)v[i].invoices, money(&ar, v[i].collected),
		    v[i].currency);
	if (n == 0)
		printf("nothing collected since %s\n", since);
	rc = 0;
out:
	arena_free(&ar);
	return rc;
}

/* What show prints: every column of one row, as its table names them. */
static const struct {
	const char *kind;
	const struct table *t;
	enum stmt get; /* by key */
} shown[] = {
	{ "invoice", &invoice_table, STMT_INVOICE_GET },
	{ "relay", &relay_table, STMT_RELAY_GET },
	{ "tenant", &tenant_table, STMT_TENANT_GET },
};

/* show relay|tenant|invoice KEY: one row, every column. */
static int
cmd_show(struct admin *a, int argc, char **argv)
{
	struct arena ar = { NULL };
	const char *key;
	char pk[65];
	size_t i;
	void *row;
	enum dbrc rc;

	for (i = 0; argc == 3 && i < nitems(shown); i++)
		if (strcmp(argv[1], shown[i].kind) == 0)
			break;
	if (argc != 3 || i == nitems(shown)) {
		fprintf(stderr, "usage: caravel-admin show relay|tenant|invoice "
		    "KEY\n");
		return 2;
	}
	key = argv[2];
	/* A tenant also by npub; hex as stored, a valid point or not. */
	if (shown[i].t == &tenant_table && !(strlen(key) == 64 &&
	    is_lower_hex(key, 64))) {
		if (pubkey_arg(key, pk) == -1)
			return 2;
		key = pk;
	}
	row = arena_alloc(&ar, shown[i].t->size);
	rc = db_row1(a->db, &ar, db_query(a->db, shown[i].get, DBV_T(key)),
	    shown[i].t->read, row);
	if (rc == DB_OK)
		table_print(stdout, shown[i].t, row);
	else if (rc == DB_NOTFOUND)
		fprintf(stderr, "caravel-admin: no %s has the key \"%.70s\"\n",
		    shown[i].kind, key);
	arena_free(&ar);
	return rc == DB_OK ? 0 : 1;
}

static const struct command commands[] = {
	{ "activity", cmd_activity, 1,
	    "RELAY-ID [LIMIT]: a relay's activity, newest first" },
	{ "backup", cmd_backup, 1,
	    "FILE: copy the database to FILE, consistent while it is in use" },
	{ "dm", cmd_dm, 1, "NPUB-OR-HEX TEXT: queue a DM from the robot" },
	{ "genkeys", cmd_genkeys, 0,
	    "print fresh secret keys for a new env file" },
	{ "invoices", cmd_invoices, 1,
	    "[TENANT]: the invoice mirror, newest first" },
	{ "metrics", cmd_metrics, 1,
	    "the Prometheus text of GET /metrics (for node-exporter)" },
	{ "migrate", cmd_migrate, 0,
	    "create the database or apply pending migrations (backed up first)" },
	{ "outbox", cmd_outbox, 1,
	    "[LIMIT]: queued, sent and failed DMs with their last error" },
	{ "reconcile", cmd_reconcile, 1,
	    "TENANT: reconcile one tenant's subscription with Stripe now" },
	{ "relays", cmd_relays, 1,
	    "[TENANT]: relays, their status and zooid sync state" },
	{ "restore", cmd_restore, 0,
	    "FILE: replace the stopped service's database with a backup" },
	{ "revenue", cmd_revenue, 1,
	    "[--since YYYY-MM]: collected per month and way of payment" },
	{ "status", cmd_status, 1,
	    "workers' last passes, queues and money owed, for a person" },
	{ "show", cmd_show, 1,
	    "relay|tenant|invoice KEY: every column of one row" },
	{ "stripe-events", cmd_stripe_events, 1,
	    "[LIMIT]: webhook events received and what each changed" },
	{ "tenants", cmd_tenants, 1, "tenants, newest first" },
	{ "check-config", cmd_check_config, 0,
	    "print the effective configuration (secrets masked)" },
};

/* The command called name, or NULL. */
static const struct command *
command_named(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(commands); i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

/* --help: to stdout, exit 0; a wrong command line: to stderr, exit 2. */
static void
usage(int help)
{
	FILE *f = help ? stdout : stderr;
	size_t i;

	fprintf(f, "usage: caravel-admin [--env-file FILE] COMMAND [ARG...]\n"
	    "       caravel-admin --help | --version\ncommands:\n");
	for (i = 0; i < nitems(commands); i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].help);
	exit(help ? 0 : 2);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "env-file", required_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct admin a;
	const struct command *cmd = NULL;
	const char *envfile = NULL;
	char errbuf[4096];
	int ch, rc = 1;

	log_init("caravel-admin");
	while ((ch = getopt_long(argc, argv, "+f:n", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			envfile = optarg;
			break;
		case 'n':
			cmd = command_named("check-config");
			break;
		case 'h':
			usage(1);
			break;
		case 'V':
			printf("caravel-admin %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(0);
		}
	}
	argc -= optind;
	argv += optind;
	if (cmd == NULL) {
		if (argc < 1) {
			fprintf(stderr, "caravel-admin: which command?\n");
			usage(0);
		}
		if ((cmd = command_named(argv[0])) == NULL) {
			fprintf(stderr, "caravel-admin: there is no command "
			    "\"%.40s\"\n", argv[0]);
			usage(0);
		}
	}

	memset(&a, 0, sizeof(a));
	if (cfg_load(&a.cfg, envfile, errbuf, sizeof(errbuf)) == -1) {
		fprintf(stderr, "caravel-admin: bad configuration:\n%s",
		    errbuf);
		goto out;
	}
	if (cmd->needs_db && (a.db = db_open(a.cfg.dbpath)) == NULL)
		goto out;
	rc = cmd->fn(&a, argc, argv);
out:
	db_close(a.db);
	cfg_free(&a.cfg);
	return rc;
}

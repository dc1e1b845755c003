/*
 * test_db.c: migrations, the statement table and the schema's constraints,
 * against a real SQLite file.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "db.h"
#include "json.h"
#include "testlib.h"

static char *dir;
static char path[600];

static void
setup(void)
{
	dir = tl_tmpdir();
	snprintf(path, sizeof(path), "%s/caravel.db", dir);
}

static void
teardown(void)
{
	tl_rmdir(dir);
	free(dir);
}

static int
exec_sql(struct db *db, const char *sql)
{
	return sqlite3_exec(db->h, sql, NULL, NULL, NULL);
}

static int
count_rows(struct db *db, const char *sql)
{
	sqlite3_stmt *st;
	int n = -1;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The database as caravel-admin migrate makes it. */
static struct db *
fresh(void)
{
	char *backup;
	struct db *db = db_open_migrate(path, &backup);

	ck_assert_ptr_null(backup); /* nothing to back up in a new file */
	return db;
}

START_TEST(migrates_to_latest)
{
	struct db *db;
	sqlite3_stmt *s;

	ck_assert_ptr_nonnull(db = fresh());
	ck_assert_int_ge(db_schema_latest(), 1);
	ck_assert_int_eq(db_schema_version(db), db_schema_latest());
	ck_assert_int_eq(db_health(db), 0);
	ck_assert_int_eq(sqlite3_prepare_v2(db->h, "PRAGMA journal_mode", -1,
	    &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	db_close(db);
	/* Opening again applies nothing and keeps the version. */
	ck_assert_ptr_nonnull(db = db_open(path));
	ck_assert_int_eq(db_schema_version(db), db_schema_latest());
	db_close(db);
}
END_TEST

START_TEST(every_statement_prepares)
{
	struct db *db;
	size_t i;

	ck_assert_ptr_nonnull(db = fresh());
	for (i = 0; i < STMT__MAX; i++) {
		ck_assert_msg(stmts[i] != NULL, "statement %zu has no SQL", i);
		ck_assert_msg(db_stmt(db, (enum stmt)i) != NULL,
		    "statement %zu does not prepare: %s", i, stmts[i]);
	}
	db_close(db);
}
END_TEST

/* Migration files are numbered 1, 2, 3… with no gap. */
START_TEST(migrations_are_numbered)
{
	size_t i;

	ck_assert_uint_gt(db_migrations_count, 0);
	for (i = 0; i < db_migrations_count; i++)
		ck_assert_int_eq(db_migrations[i].version, (int)i + 1);
}
END_TEST

/* Several processes opening a fresh file at once: one applies each step. */
START_TEST(concurrent_first_open)
{
	struct db *db;
	pid_t pid[6];
	int i, status;

	for (i = 0; i < 6; i++) {
		ck_assert_int_ne(pid[i] = fork(), -1);
		if (pid[i] == 0) {
			int ok;

			/* One may back up what another half migrated: harmless. */
			db = tl_db_create(path);
			ok = db != NULL && db_schema_version(db) ==
			    db_schema_latest();
			db_close(db);
			_exit(ok ? 0 : 1);
		}
	}
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "process %d failed to open", i);
	}
	ck_assert_ptr_nonnull(db = fresh());
	ck_assert_int_eq(exec_sql(db, "SELECT count(*) FROM plan"), SQLITE_OK);
	db_close(db);
}
END_TEST

START_TEST(plans_are_seeded)
{
	struct arena a = { NULL };
	struct db *db;
	struct plan *v, p;
	size_t n;

	ck_assert_ptr_nonnull(db = fresh());
	ck_assert_int_eq(db_plan_list(db, &a, &v, &n), DB_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(v[0].id, "free");
	ck_assert_int_eq(v[0].amount, 0);
	ck_assert_int_eq(v[0].members, 10);
	ck_assert_int_eq(v[0].blossom, 0);
	ck_assert_ptr_null(v[0].stripe_price_setting);
	ck_assert_str_eq(v[1].id, "basic");
	ck_assert_int_eq(v[1].amount, 500);
	ck_assert_str_eq(v[1].stripe_price_setting, "STRIPE_PRICE_BASIC");
	ck_assert_str_eq(v[2].id, "growth");
	ck_assert_int_eq(v[2].members, -1);
	ck_assert_int_eq(db_plan_get(db, &a, "growth", &p), DB_OK);
	ck_assert_int_eq(p.amount, 2500);
	ck_assert_int_eq(db_plan_get(db, &a, "gold", &p), DB_NOTFOUND);
	ck_assert_int_eq(db_plan_get(db, &a, "' OR 1=1 --", &p), DB_NOTFOUND);
	arena_free(&a);
	db_close(db);
}
END_TEST

static int
count_relay(const void *row, void *arg)
{
	const struct relay *r = row;
	int *n = arg;

	/* Newest first: relay 5, 4, 3. */
	ck_assert_int_eq(r->created_at, 5 - *n);
	return ++*n == 3;
}

/* db_relay_each hands over one row at a time, newest first, and stops. */
START_TEST(rows_one_at_a_time)
{
	struct list_filter f = { .tenant = NULL };
	struct arena scratch = { NULL };
	struct db *db;
	int n = 0;

	ck_assert_ptr_nonnull(db = fresh());
	ck_assert_int_eq(exec_sql(db, "INSERT INTO tenant (pubkey, created_at) "
	    "VALUES (printf('%064x', 10), 1);"
	    "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k "
	    "WHERE i < 5) INSERT INTO relay (id, tenant, subdomain, schema, "
	    "plan, status, secret_sealed, created_at, updated_at) SELECT "
	    "printf('%032x', i), printf('%064x', 10), 'r' || i, 'r' || i, "
	    "'free', 'active', 's', i, i FROM k"), SQLITE_OK);
	ck_assert_int_eq(db_relay_each(db, &scratch, &f, count_relay, &n),
	    DB_OK);
	ck_assert_int_eq(n, 3);
	f.after = "no-such-relay";
	ck_assert_int_eq(db_relay_each(db, &scratch, &f, count_relay, &n),
	    DB_NOTFOUND);
	arena_free(&scratch);
	db_close(db);
}
END_TEST

static void
write_tenant(struct db *db, int i)
{
	char sql[200];

	snprintf(sql, sizeof(sql), "INSERT INTO tenant (pubkey, created_at) "
	    "VALUES (printf('%%064x', %d), 1)", i);
	ck_assert_int_eq(db_begin(db), DB_OK);
	ck_assert_int_eq(exec_sql(db, sql), SQLITE_OK);
	ck_assert_int_eq(db_commit(db), DB_OK);
}

/*
 * The API's writer restarts the WAL once it holds checkpoint_frames
 * pages; a reader that stays (a backup, Litestream) makes it wait at most
 * DB_CHECKPOINT_WAIT_MS and then leave the log for another stretch.
 */
START_TEST(checkpoints_restart_the_log)
{
	struct db *db, *reader;

	ck_assert_ptr_nonnull(db = fresh());
	ck_assert_ptr_nonnull(reader = db_open(path));
	db_api_checkpoints(db);
	db->checkpoint_frames = db->checkpoint_at = 2;
	ck_assert_int_eq(exec_sql(reader, "BEGIN; SELECT count(*) FROM plan"),
	    SQLITE_OK);
	write_tenant(db, 1);
	ck_assert_int_ge(db->wal_frames, 2);
	ck_assert_int_eq(db->checkpoint_at, db->wal_frames + 2);
	ck_assert_int_eq(exec_sql(reader, "COMMIT"), SQLITE_OK);
	write_tenant(db, 2);
	write_tenant(db, 3);
	ck_assert_int_eq(db->checkpoint_at, 2);
	/* The next writer starts the log over. */
	write_tenant(db, 4);
	ck_assert_int_lt(db->wal_frames, 6);
	db_close(reader);
	db_close(db);
}
END_TEST

/* Columns of the schema that no table row names: only sealed secrets. */
static const char *const unread[] = { "relay.secret_sealed",
	"tenant.nwc_url_sealed" };

static int
unread_column(const char *table, const char *col)
{
	char name[128];
	size_t i;

	snprintf(name, sizeof(name), "%s.%s", table, col);
	for (i = 0; i < nitems(unread); i++)
		if (strcmp(name, unread[i]) == 0)
			return 1;
	return 0;
}

/*
 * Every table of the schema is a table macro (db.h), and each row of it
 * agrees with the migrated schema: the column exists,
 * TEXT or INTEGER as its type says, NOT NULL unless it may be NULL, a
 * flag's bound is its DEFAULT; and every column of the schema is a row
 * (or a sealed secret, never read with the rest).
 */
START_TEST(tables_match_the_schema)
{
	const struct table *t;
	const struct col *c;
	sqlite3_stmt *st;
	const char *name, *type, *dflt;
	struct db *db;
	size_t i, j, seen;
	int notnull, hidden;

	ck_assert_ptr_nonnull(db = fresh());
	/* Every table of the schema has its rows in C. */
	ck_assert_int_eq(sqlite3_prepare_v2(db->h, "SELECT name FROM "
	    "sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
	    -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		for (j = 0; j < db_tables_count; j++)
			if (strcmp(db_tables[j]->name, name) == 0)
				break;
		ck_assert_msg(j < db_tables_count, "table %s has no table "
		    "macro (db.h) in db_tables", name);
	}
	sqlite3_finalize(st);
	for (i = 0; i < db_tables_count; i++) {
		t = db_tables[i];
		ck_assert_int_eq(sqlite3_prepare_v2(db->h, "SELECT name, type, "
		    "\"notnull\" OR pk > 0, dflt_value, hidden "
		    "FROM pragma_table_xinfo(?1)",
		    -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
		seen = 0;
		while (sqlite3_step(st) == SQLITE_ROW) {
			name = (const char *)sqlite3_column_text(st, 0);
			type = (const char *)sqlite3_column_text(st, 1);
			notnull = sqlite3_column_int(st, 2);
			dflt = (const char *)sqlite3_column_text(st, 3);
			hidden = sqlite3_column_int(st, 4);
			if ((c = table_col(t, name)) == NULL) {
				ck_assert_msg(unread_column(t->name, name),
				    "%s.%s has no row in its table (db.h)",
				    t->name, name);
				continue;
			}
			seen++;
			ck_assert_msg(strcmp(type, c->type == COL_TEXT ||
			    c->type == COL_OTEXT ? "TEXT" : "INTEGER") == 0,
			    "%s.%s is %s", t->name, name, type);
			/*
			 * A key or a generated column (hidden 2, 3) is never
			 * NULL; an OTEXT may be NOT NULL DEFAULT '' ("" is
			 * none).
			 */
			if (c->type == COL_OTEXT && notnull)
				ck_assert_msg(dflt != NULL && strcmp(dflt,
				    "''") == 0, "%s.%s", t->name, name);
			else
				ck_assert_msg(notnull || hidden >= 2 ?
				    c->type != COL_OINT && c->type !=
				    COL_OTEXT : c->type == COL_OINT ||
				    c->type == COL_OTEXT, "%s.%s: NOT NULL and "
				    "the row's type disagree", t->name, name);
			/* A flag a tenant may leave out starts as DEFAULT. */
			if (c->type == COL_BIT && c->set == COL_EDIT)
				ck_assert_msg(dflt != NULL && atoll(dflt) ==
				    c->bound, "%s.%s: DEFAULT %s, row %lld",
				    t->name, name, dflt != NULL ? dflt : "none",
				    (long long)c->bound);
		}
		sqlite3_finalize(st);
		ck_assert_msg(seen == t->ncol, "%s: %zu of %zu rows are columns",
		    t->name, seen, t->ncol);
		for (j = 0; j < t->ncol; j++)
			ck_assert_ptr_eq(table_col(t, t->col[j].name),
			    &t->col[j]);
	}
	db_close(db);
}
END_TEST

/* The quoted words of "column IN (...)" in the table's CREATE text. */
static size_t
check_words(struct db *db, const char *table, const char *column,
    char words[16][32])
{
	sqlite3_stmt *st;
	const char *sql, *p;
	char pat[80];
	size_t n = 0, len;

	ck_assert_int_eq(sqlite3_prepare_v2(db->h, "SELECT sql FROM "
	    "sqlite_master WHERE type = 'table' AND name = ?1", -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	sql = (const char *)sqlite3_column_text(st, 0);
	snprintf(pat, sizeof(pat), "%s IN (", column);
	/* The column's own name, not the end of a longer one. */
	for (p = sql; (p = strstr(p, pat)) != NULL; p++)
		if (p == sql || (p[-1] != '_' && (p[-1] < 'a' || p[-1] > 'z')))
			break;
	ck_assert_msg(p != NULL, "%s.%s has no CHECK (... IN (...))", table,
	    column);
	for (p += strlen(pat); *p != ')'; p++) {
		if (*p != '\'')
			continue;
		len = strcspn(p + 1, "'");
		ck_assert_uint_lt(n, 16);
		ck_assert_uint_lt(len, 32);
		memcpy(words[n], p + 1, len);
		words[n++][len] = '\0';
		p += len + 1;
	}
	sqlite3_finalize(st);
	return n;
}

/* C's word lists (db_table.c) are the schema's CHECK lists, word for word. */
START_TEST(words_match_the_checks)
{
	char words[16][32];
	const struct db_words *w;
	struct db *db;
	size_t i, j, n;

	ck_assert_ptr_nonnull(db = fresh());
	for (i = 0; i < WORDS__MAX; i++) {
		w = &db_words[i];
		ck_assert_ptr_nonnull(w->table);
		n = check_words(db, w->table, w->column, words);
		ck_assert_msg(n == w->n, "%s.%s: the schema has %zu words, C %zu",
		    w->table, w->column, n, w->n);
		for (j = 0; j < n; j++)
			ck_assert_msg(db_word((enum words)i, words[j]) != NULL,
			    "%s.%s: C lacks '%s'", w->table, w->column,
			    words[j]);
	}
	ck_assert_ptr_null(db_word(WORDS_RELAY_STATUS, "paused"));
	db_close(db);
}
END_TEST

/*
 * A relay written through the table's binds reads back the same, column
 * by column, and its JSON text and json-c object say the same.
 */
START_TEST(rows_round_trip)
{
	struct arena a = { NULL };
	struct relay in, out;
	struct activity *act;
	struct list_filter af = { .relay = NULL };
	size_t nact;
	struct sbuf b = { NULL, 0, 0 };
	struct json_object *text, *obj;
	const struct col *c;
	struct db *db;
	size_t i, shown;

	ck_assert_ptr_nonnull(db = fresh());
	ck_assert_int_eq(db_tenant_insert(db, "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef", 7, NULL), DB_OK);
	memset(&in, 0, sizeof(in));
	for (i = 0; i < relay_table.ncol; i++) {
		c = &relay_table.col[i];
		if (c->type == COL_TEXT)
			col_set_text(c, &in, "");
		else if (c->type == COL_BIT)
			col_set_int(c, &in, !c->bound);
	}
	in.id = "00112233445566778899aabbccddeeff";
	in.tenant = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
	    "abcdef";
	in.schema = "round_00112233";
	in.subdomain = "round";
	in.plan = "basic";
	in.info_name = "Ро\"und";
	in.info_icon = "https://example.com/i.png";
	in.info_description = "line\none";
	in.created_at = 11;
	in.updated_at = 12;
	ck_assert_int_eq(db_relay_insert(db, &in, "sealed"), DB_OK);
	ck_assert_int_eq(db_relay_get(db, &a, in.id, &out), DB_OK);
	for (i = 0; i < relay_table.ncol; i++) {
		c = &relay_table.col[i];
		if (c->set == COL_SYS)
			continue;
		if (c->type == COL_TEXT)
			ck_assert_str_eq(col_text(c, &out), col_text(c, &in));
		else
			ck_assert_msg(col_int(c, &out) == col_int(c, &in),
			    "%s", c->name);
	}
	ck_assert_str_eq(out.status, "active");
	/* A table whose key is a rowid numbers each new row. */
	ck_assert_int_eq(db_activity_add(db, in.tenant, NULL, 20, "create_relay",
	    "relay", in.id), DB_OK);
	ck_assert_int_eq(db_activity_add(db, in.tenant, in.tenant, 21,
	    "update_relay", "relay", in.id), DB_OK);
	af.relay = in.id; /* limit 0: all of them */
	ck_assert_int_eq(db_activity_list(db, &a, &af, &act, &nact), DB_OK);
	ck_assert_uint_eq(nact, 2);
	ck_assert_int_gt(act[0].id, act[1].id);
	ck_assert_str_eq(act[0].actor, in.tenant);
	ck_assert_ptr_null(act[1].actor);
	af.limit = 1;
	ck_assert_int_eq(db_activity_list(db, &a, &af, &act, &nact), DB_OK);
	ck_assert_uint_eq(nact, 1);
	ck_assert_int_eq(act[0].created_at, 21);
	af.limit = 0;
	af.before = 21;
	ck_assert_int_eq(db_activity_list(db, &a, &af, &act, &nact), DB_OK);
	ck_assert_uint_eq(nact, 1);
	ck_assert_int_eq(act[0].created_at, 20);
	ck_assert_int_eq(out.version, 1);
	ck_assert_int_eq(out.sync_retry_at, -1);
	/* The owner's update writes EDIT columns only. */
	out.plan = "free";
	out.members_can_invite = !out.members_can_invite;
	out.subdomain = "moved";
	out.updated_at = 13;
	ck_assert_int_eq(db_relay_update(db, &out), DB_OK);
	ck_assert_int_eq(db_relay_get(db, &a, in.id, &out), DB_OK);
	ck_assert_str_eq(out.plan, "free");
	ck_assert_int_eq(out.members_can_invite, !in.members_can_invite);
	ck_assert_str_eq(out.subdomain, "round");
	ck_assert_int_eq(out.version, 2);
	ck_assert_int_eq(out.updated_at, 13);

	sbuf_add(&b, "{", 1);
	table_json(&b, &relay_table, &out);
	sbuf_add(&b, "}", 1);
	ck_assert_ptr_nonnull(text = json_parse_object(b.p, b.len));
	table_jobj(obj = jobj(), &relay_table, &out);
	ck_assert_msg(json_object_equal(text, obj), "%s", b.p);
	for (i = 0, shown = 0; i < relay_table.ncol; i++)
		shown += relay_table.col[i].shown == COL_JSON;
	ck_assert_int_eq(json_object_object_length(text), shown);
	ck_assert_int_ge(shown, 22); /* api.md §4's Relay, less host */
	ck_assert(!json_object_object_get_ex(text, "version", NULL));
	json_object_put(text);
	json_object_put(obj);
	sbuf_release(&b);
	arena_free(&a);
	db_close(db);
}
END_TEST

/* Rows an operator might type by hand in sqlite3 that must be refused. */
START_TEST(constraints_refuse_bad_rows)
{
	static const char *const bad[] = {
		"INSERT INTO tenant (pubkey, created_at) VALUES ('ABC', 1)",
		"INSERT INTO tenant (pubkey, created_at) VALUES ("
		    "'3BF0C63FCB93463407AF97A5E5EE64FA883D107EF9E558472C4EB9AAAEFA459D', 1)",
		"INSERT INTO tenant (pubkey, created_at, stripe_customer_id) "
		    "VALUES (printf('%064d', 2), 1, 'acct_1')",
		"INSERT INTO tenant (pubkey, created_at) VALUES (printf('%064d', 3), 'yesterday')",
		"INSERT INTO relay (id, tenant, subdomain, schema, plan, "
		    "secret_sealed, created_at, updated_at) VALUES (printf('%032d', 1), "
		    "printf('%064d', 7), 'ok', 'ok_00000000', 'free', 'x', 1, 1)",
		"INSERT INTO relay (id, tenant, subdomain, schema, plan, status, "
		    "secret_sealed, created_at, updated_at) VALUES (printf('%032d', 2), "
		    "printf('%064d', 1), 'two', 'two_0000', 'free', 'deleted', 'x', 1, 1)",
		"INSERT INTO relay (id, tenant, subdomain, schema, plan, "
		    "secret_sealed, created_at, updated_at) VALUES (printf('%032d', 3), "
		    "printf('%064d', 1), '-dash', 'dash', 'free', 'x', 1, 1)",
		"INSERT INTO relay (id, tenant, subdomain, schema, plan, "
		    "secret_sealed, created_at, updated_at) VALUES (printf('%032d', 4), "
		    "printf('%064d', 1), 'gold', 'gold_1', 'gold', 'x', 1, 1)",
		"INSERT INTO relay (id, tenant, subdomain, schema, plan, synced, "
		    "secret_sealed, created_at, updated_at) VALUES (printf('%032d', 5), "
		    "printf('%064d', 1), 'five', 'five_1', 'free', 2, 'x', 1, 1)",
		"INSERT INTO invoice (id, tenant, status, currency, amount_due, "
		    "created_at, updated_at) VALUES ('in_1', printf('%064d', 1), "
		    "'pending', 'usd', 1, 1, 1)",
		"INSERT INTO invoice (id, tenant, status, currency, amount_due, "
		    "created_at, updated_at) VALUES ('in_2', printf('%064d', 1), "
		    "'open', 'usd', -5, 1, 1)",
		"INSERT INTO invoice (id, tenant, status, currency, amount_due, "
		    "created_at, updated_at) VALUES ('in_3', printf('%064d', 1), "
		    "'paid', 'usd', 5, 1, 1)",
		"INSERT INTO activity (tenant, created_at, activity_type, "
		    "resource_type, resource_id) VALUES (printf('%064d', 1), 1, "
		    "'delete_everything', 'relay', 'x')",
		"INSERT INTO dm_outbox (recipient, text, status, created_at, "
		    "next_attempt_at) VALUES (printf('%064d', 1), 'hi', 'sent', 1, 1)",
		"INSERT INTO invoice_nwc_payment (invoice_id, state, created_at, "
		    "updated_at) VALUES ('in_9', 'pending', 1, 1)",
		"UPDATE plan SET amount = -1 WHERE id = 'free'",
	};
	struct db *db;
	size_t i;

	ck_assert_ptr_nonnull(db = fresh());
	ck_assert_int_eq(exec_sql(db, "INSERT INTO tenant (pubkey, created_at) "
	    "VALUES (printf('%064d', 1), 1)"), SQLITE_OK);
	ck_assert_int_eq(exec_sql(db, "INSERT INTO relay (id, tenant, "
	    "subdomain, schema, plan, secret_sealed, created_at, updated_at) "
	    "VALUES (printf('%032d', 9), printf('%064d', 1), 'good-one', "
	    "'good_one_00000000', 'basic', 'x', 1, 1)"), SQLITE_OK);
	for (i = 0; i < nitems(bad); i++)
		ck_assert_msg(exec_sql(db, bad[i]) == SQLITE_CONSTRAINT,
		    "accepted: %s", bad[i]);
	db_close(db);
}
END_TEST

/* The operator views exist and answer. */
START_TEST(views_answer)
{
	static const char *const views[] = { "relays_per_tenant",
		"relays_failing_sync", "open_invoices", "dm_pending" };
	struct db *db;
	sqlite3_stmt *s;
	char sql[128];
	size_t i;

	ck_assert_ptr_nonnull(db = fresh());
	ck_assert_int_eq(exec_sql(db, "INSERT INTO tenant (pubkey, created_at) "
	    "VALUES (printf('%064d', 1), 1); INSERT INTO relay (id, tenant, "
	    "subdomain, schema, plan, secret_sealed, created_at, updated_at, "
	    "status) VALUES (printf('%032d', 9), printf('%064d', 1), 'a', "
	    "'a_00000000', 'basic', 'x', 1, 1, 'inactive')"), SQLITE_OK);
	for (i = 0; i < nitems(views); i++) {
		snprintf(sql, sizeof(sql), "SELECT * FROM %s", views[i]);
		ck_assert_int_eq(sqlite3_prepare_v2(db->h, sql, -1, &s, NULL),
		    SQLITE_OK);
		ck_assert_int_ne(sqlite3_step(s), SQLITE_ERROR);
		sqlite3_finalize(s);
	}
	ck_assert_int_eq(sqlite3_prepare_v2(db->h, "SELECT relays, inactive "
	    "FROM relays_per_tenant", -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(s, 0), 1);
	ck_assert_int_eq(sqlite3_column_int(s, 1), 1);
	sqlite3_finalize(s);
	db_close(db);
}
END_TEST


static int64_t
ms_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * The writers' queue (db_queue_writers): a writer that cannot get its
 * turn within the busy time gets DB_BUSY and writes nothing; writers that
 * take turns all commit.
 */
START_TEST(writers_take_turns)
{
	struct db *db;
	char lock[640], c = 'x';
	int held[2], go[2], i, status;
	pid_t holder, pid[4];

	/*
	 * Only children hold databases, each closing its own before it
	 * exits: a child must not inherit an open connection (valgrind
	 * counts it lost, SQLite forbids using it).
	 */
	ck_assert_ptr_nonnull(db = fresh());
	ck_assert_int_eq(exec_sql(db, "CREATE TABLE t (x INTEGER)"), SQLITE_OK);
	db_close(db);
	ck_assert_int_eq(pipe(held), 0);
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_ne(holder = fork(), -1);
	if (holder == 0) {
		struct db *d = db_open(path);
		int ok;

		db_queue_writers(d);
		ok = db_begin(d) == DB_OK && exec_sql(d,
		    "INSERT INTO t VALUES (1)") == SQLITE_OK;
		ok = ok && write(held[1], &c, 1) == 1 && read(go[0], &c, 1) == 1 &&
		    db_commit(d) == DB_OK;
		db_close(d);
		_exit(ok ? 0 : 1);
	}
	ck_assert_int_eq(read(held[0], &c, 1), 1);
	snprintf(lock, sizeof(lock), "%s.writers.lock", path);
	ck_assert_int_eq(access(lock, F_OK), 0);
	ck_assert_int_ne(pid[0] = fork(), -1);
	if (pid[0] == 0) {
		struct db *d = db_open(path);
		int64_t t0 = ms_now(), took;
		int ok;

		db_set_busy(d, 200);
		db_queue_writers(d);
		ok = db_begin(d) == DB_BUSY;
		took = ms_now() - t0;
		db_close(d);
		_exit(ok && took >= 150 && took < 5000 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid[0], &status, 0), pid[0]);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "a writer without its turn did not give up after its busy time");
	ck_assert_int_eq(write(go[1], &c, 1), 1);
	ck_assert_int_eq(waitpid(holder, &status, 0), holder);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the writer holding the turn failed");

	for (i = 0; i < 4; i++) {
		ck_assert_int_ne(pid[i] = fork(), -1);
		if (pid[i] == 0) {
			struct db *d = db_open(path);
			int j, ok = d != NULL;

			db_set_busy(d, 5000);
			db_queue_writers(d);
			for (j = 0; ok && j < 50; j++)
				ok = db_begin(d) == DB_OK && exec_sql(d,
				    "INSERT INTO t VALUES (2)") == SQLITE_OK &&
				    db_commit(d) == DB_OK;
			db_close(d);
			_exit(ok ? 0 : 1);
		}
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "writer %d failed", i);
	}
	ck_assert_ptr_nonnull(db = db_open(path));
	ck_assert_int_eq(count_rows(db, "SELECT count(*) FROM t"), 201);
	db_close(db);
	close(held[0]);
	close(held[1]);
	close(go[0]);
	close(go[1]);
}
END_TEST

/* Only caravel-admin migrate creates a file: a typo is not a new database. */
START_TEST(refuses_missing_file)
{
	ck_assert_ptr_null(db_open(path));
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

/*
 * An older schema is refused until caravel-admin migrate, which backs the
 * database up first; a newer one is used (a program of the previous
 * version under a migration that only adds).
 */
START_TEST(schema_older_refused_newer_used)
{
	struct db *db;
	sqlite3 *copy;
	sqlite3_stmt *st;
	char *backup;

	/* A database of the first release: migration 1 only. */
	ck_assert_int_eq(sqlite3_open(path, &copy), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(copy, db_migrations[0].sql, NULL, NULL,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(copy, "PRAGMA user_version = 1; "
	    "PRAGMA journal_mode = WAL", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(copy);
	ck_assert_ptr_null(db_open(path));

	ck_assert_ptr_nonnull(db = db_open_migrate(path, &backup));
	ck_assert_ptr_nonnull(backup);
	ck_assert_int_eq(db_schema_version(db), db_schema_latest());
	ck_assert_int_gt(count_rows(db, "SELECT count(*) FROM plan"), 0);
	ck_assert_int_eq(exec_sql(db, "PRAGMA user_version = 999"), SQLITE_OK);
	db_close(db);
	/* The copy is the database as it was before: schema 1, its rows. */
	ck_assert_int_eq(sqlite3_open_v2(backup, &copy, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(copy, "SELECT (SELECT user_version "
	    "FROM pragma_user_version), (SELECT count(*) FROM plan)", -1, &st,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), 1);
	ck_assert_int_gt(sqlite3_column_int(st, 1), 0);
	sqlite3_finalize(st);
	sqlite3_close(copy);
	/* A backup never overwrites. */
	ck_assert_ptr_nonnull(db = db_open(path));
	ck_assert_int_eq(db_backup(db, backup), -1);
	ck_assert_int_eq(db_health(db), 0);
	db_close(db);
	free(backup);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("db");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, migrates_to_latest);
	tcase_add_test(tc, every_statement_prepares);
	tcase_add_test(tc, migrations_are_numbered);
	tcase_add_test(tc, concurrent_first_open);
	tcase_add_test(tc, plans_are_seeded);
	tcase_add_test(tc, rows_one_at_a_time);
	tcase_add_test(tc, checkpoints_restart_the_log);
	tcase_add_test(tc, tables_match_the_schema);
	tcase_add_test(tc, words_match_the_checks);
	tcase_add_test(tc, rows_round_trip);
	tcase_add_test(tc, constraints_refuse_bad_rows);
	tcase_add_test(tc, views_answer);
	tcase_add_test(tc, writers_take_turns);
	tcase_add_test(tc, refuses_missing_file);
	tcase_add_test(tc, schema_older_refused_newer_used);
	suite_add_tcase(s, tc);
	return tl_run(s);
}

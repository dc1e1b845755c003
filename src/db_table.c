/*
 * db_table.c: what follows from a table's rows (db_table.h): decoding,
 * binds, JSON text, the admin printout; and the word lists the schema's
 * CHECKs also spell.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "db.h"
#include "json.h"

/*
 * DEFINE_TABLE(t, "name", struct S, X) makes t_table (db.h) from the rows
 * X lists: the SQL table "name", its descriptors and its db_row_fn. The
 * rows see the struct through TABLE_DESC_t, defined before it.
 */
#define DEFINE_TABLE(t, name, S, X) \
	static const struct col t##_cols[] = { \
		X(TABLE_DESC_##t, TABLE_DESC_##t) \
	}; \
	static void \
	t##_read(struct arena *a, sqlite3_stmt *s, void *row) \
	{ \
		table_read(a, s, 0, &t##_table, row); \
	} \
	const struct table t##_table = { name, t##_cols, nitems(t##_cols), \
		sizeof(S), t##_read }

#define TABLE_DESC_relay(...) COL_DESC(struct relay, __VA_ARGS__)
DEFINE_TABLE(relay, "relay", struct relay, RELAY_TABLE);
#define TABLE_DESC_tenant(...) COL_DESC(struct tenant, __VA_ARGS__)
DEFINE_TABLE(tenant, "tenant", struct tenant, TENANT_TABLE);
#define TABLE_DESC_invoice(...) COL_DESC(struct invoice, __VA_ARGS__)
DEFINE_TABLE(invoice, "invoice", struct invoice, INVOICE_TABLE);
#define TABLE_DESC_invoice_item(...) \
	COL_DESC(struct invoice_line, __VA_ARGS__)
DEFINE_TABLE(invoice_item, "invoice_item", struct invoice_line,
    INVOICE_ITEM_TABLE);
#define TABLE_DESC_nwc_guard(...) COL_DESC(struct nwc_guard, __VA_ARGS__)
DEFINE_TABLE(nwc_guard, "invoice_nwc_payment", struct nwc_guard,
    NWC_GUARD_TABLE);
#define TABLE_DESC_bolt11(...) COL_DESC(struct bolt11_row, __VA_ARGS__)
DEFINE_TABLE(bolt11, "bolt11", struct bolt11_row, BOLT11_TABLE);
#define TABLE_DESC_plan(...) COL_DESC(struct plan, __VA_ARGS__)
DEFINE_TABLE(plan, "plan", struct plan, PLAN_TABLE);
#define TABLE_DESC_dm(...) COL_DESC(struct dm, __VA_ARGS__)
DEFINE_TABLE(dm, "dm_outbox", struct dm, DM_TABLE);
#define TABLE_DESC_activity(...) COL_DESC(struct activity, __VA_ARGS__)
DEFINE_TABLE(activity, "activity", struct activity, ACTIVITY_TABLE);
#define TABLE_DESC_worker_pass(...) COL_DESC(struct worker_pass, __VA_ARGS__)
DEFINE_TABLE(worker_pass, "worker_pass", struct worker_pass,
    WORKER_PASS_TABLE);
#define TABLE_DESC_subcreate(...) COL_DESC(struct subcreate, __VA_ARGS__)
DEFINE_TABLE(subcreate, "subscription_create", struct subcreate,
    SUBCREATE_TABLE);
#define TABLE_DESC_stripe_event(...) \
	COL_DESC(struct stripe_event, __VA_ARGS__)
DEFINE_TABLE(stripe_event, "stripe_event", struct stripe_event,
    STRIPE_EVENT_TABLE);
#define TABLE_DESC_dm_delivery(...) \
	COL_DESC(struct dm_delivery, __VA_ARGS__)
DEFINE_TABLE(dm_delivery, "dm_delivery", struct dm_delivery,
    DM_DELIVERY_TABLE);
#define TABLE_DESC_dm_relays(...) COL_DESC(struct dm_relays, __VA_ARGS__)
DEFINE_TABLE(dm_relays, "dm_recipient_relays", struct dm_relays,
    DM_RELAYS_TABLE);
#define TABLE_DESC_robot_pub(...) COL_DESC(struct robot_pub, __VA_ARGS__)
DEFINE_TABLE(robot_pub, "robot_publication", struct robot_pub,
    ROBOT_PUB_TABLE);
#define TABLE_DESC_btc_price(...) COL_DESC(struct btc_price, __VA_ARGS__)
DEFINE_TABLE(btc_price, "btc_price", struct btc_price, BTC_PRICE_TABLE);

/* Every table of the schema (test_db checks that none is missing). */
const struct table *const db_tables[] = { &relay_table, &tenant_table,
	&plan_table, &invoice_table, &invoice_item_table, &nwc_guard_table,
	&bolt11_table, &subcreate_table, &stripe_event_table, &dm_table,
	&dm_delivery_table, &dm_relays_table, &robot_pub_table,
	&activity_table, &worker_pass_table, &btc_price_table };
const size_t db_tables_count = nitems(db_tables);

#define MEMBER(c, row, T) ((T *)(void *)((char *)(row) + (c)->off))
#define CMEMBER(c, row, T) \
	((T const *)(const void *)((const char *)(row) + (c)->off))

const char *
col_text(const struct col *c, const void *row)
{
	return *CMEMBER(c, row, const char *);
}

int64_t
col_int(const struct col *c, const void *row)
{
	if (c->type == COL_BIT || c->type == COL_BOOL)
		return *CMEMBER(c, row, int);
	return *CMEMBER(c, row, int64_t);
}

void
col_set_text(const struct col *c, void *row, const char *v)
{
	*MEMBER(c, row, const char *) = v;
}

void
col_set_int(const struct col *c, void *row, int64_t v)
{
	if (c->type == COL_BIT || c->type == COL_BOOL)
		*MEMBER(c, row, int) = v != 0;
	else
		*MEMBER(c, row, int64_t) = v;
}

void
table_read(struct arena *a, sqlite3_stmt *s, int off, const struct table *t,
    void *row)
{
	const struct col *c;
	const char *v;
	size_t i;
	int k;

	for (i = 0; i < t->ncol; i++) {
		c = &t->col[i];
		k = off + (int)i;
		switch (c->type) {
		case COL_TEXT:
		case COL_OTEXT:
			v = (const char *)sqlite3_column_text(s, k);
			if (v != NULL && a != NULL)
				v = arena_strndup(a, v,
				    (size_t)sqlite3_column_bytes(s, k));
			if (c->type == COL_TEXT)
				col_set_text(c, row, v != NULL ? v : "");
			else
				col_set_text(c, row, v != NULL && *v != '\0' ?
				    v : NULL);
			break;
		case COL_OINT:
			col_set_int(c, row, db_col_opt(s, k));
			break;
		case COL_INT:
		case COL_BIT:
		case COL_BOOL:
			col_set_int(c, row, sqlite3_column_int64(s, k));
			break;
		}
	}
}

int
table_bind(sqlite3_stmt *s, const struct table *t, const void *row)
{
	const struct col *c;
	size_t i;
	int k;

	for (i = 0; i < t->ncol; i++) {
		c = &t->col[i];
		if ((k = sqlite3_bind_parameter_index(s, c->param)) == 0)
			continue;
		switch (c->type) {
		case COL_TEXT:
		case COL_OTEXT:
			if (db_bind_text(s, k, col_text(c, row)) == -1)
				return -1;
			break;
		case COL_OINT:
			if (col_int(c, row) < 0 ? sqlite3_bind_null(s, k) !=
			    SQLITE_OK : db_bind_int(s, k, col_int(c, row)) == -1)
				return -1;
			break;
		case COL_INT:
		case COL_BIT:
		case COL_BOOL:
			if (db_bind_int(s, k, col_int(c, row)) == -1)
				return -1;
			break;
		}
	}
	return 0;
}

const struct col *
table_col(const struct table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->ncol; i++)
		if (strcmp(t->col[i].name, name) == 0)
			return &t->col[i];
	return NULL;
}

static void
json_text_or_null(struct sbuf *b, const char *v)
{
	if (v == NULL)
		sbuf_lit(b, "null");
	else
		sbuf_json_str(b, v, strlen(v));
}

void
table_json(struct sbuf *b, const struct table *t, const void *row)
{
	const struct col *c;
	size_t i, skip = 1; /* the first member has no comma */
	int64_t v;

	for (i = 0; i < t->ncol; i++) {
		c = &t->col[i];
		if (c->shown != COL_JSON)
			continue;
		sbuf_add(b, c->json_key + skip, c->json_key_len - skip);
		skip = 0;
		switch (c->type) {
		case COL_TEXT:
		case COL_OTEXT:
			json_text_or_null(b, col_text(c, row));
			break;
		case COL_OINT:
		case COL_INT:
			if ((v = col_int(c, row)) < 0 && c->type == COL_OINT)
				sbuf_lit(b, "null");
			else
				sbuf_int(b, v);
			break;
		case COL_BIT:
			sbuf_add(b, col_int(c, row) ? "1" : "0", 1);
			break;
		case COL_BOOL:
			if (col_int(c, row))
				sbuf_lit(b, "true");
			else
				sbuf_lit(b, "false");
			break;
		}
	}
}

void
table_jobj(struct json_object *o, const struct table *t, const void *row)
{
	const struct col *c;
	const char *v;
	size_t i;

	for (i = 0; i < t->ncol; i++) {
		c = &t->col[i];
		if (c->shown != COL_JSON)
			continue;
		switch (c->type) {
		case COL_TEXT:
		case COL_OTEXT:
			if ((v = col_text(c, row)) != NULL)
				jadd_str(o, c->name, v);
			else
				jadd_null(o, c->name);
			break;
		case COL_OINT:
		case COL_INT:
		case COL_BIT:
			if (c->type == COL_OINT && col_int(c, row) < 0)
				jadd_null(o, c->name);
			else
				jadd_int(o, c->name, col_int(c, row));
			break;
		case COL_BOOL:
			jadd_bool(o, c->name, (int)col_int(c, row));
			break;
		}
	}
}

/* Columns named *_at, due_date and period_* hold unix times. */
static int
is_time(const char *name)
{
	size_t n = strlen(name);

	return (n > 3 && strcmp(name + n - 3, "_at") == 0) ||
	    strcmp(name, "due_date") == 0 || strncmp(name, "period_", 7) == 0;
}

void
table_print(FILE *f, const struct table *t, const void *row)
{
	const struct col *c;
	const char *v;
	char day[32];
	size_t i;
	int64_t x = 0;
	time_t tt;
	struct tm tm;

	for (i = 0; i < t->ncol; i++) {
		c = &t->col[i];
		fprintf(f, "%-26s", c->name);
		switch (c->type) {
		case COL_TEXT:
		case COL_OTEXT:
			if ((v = col_text(c, row)) == NULL || *v == '\0')
				fputs(v == NULL ? "-" : "\"\"", f);
			/* A tenant's or a relay's text: no terminal controls. */
			for (; v != NULL && *v != '\0'; v++)
				fputc((unsigned char)*v < 0x20 || *v == 0x7f ?
				    '?' : *v, f);
			fputc('\n', f);
			continue;
		case COL_OINT:
		case COL_INT:
			if ((x = col_int(c, row)) < 0 && c->type == COL_OINT) {
				fprintf(f, "-\n");
				continue;
			}
			break;
		case COL_BIT:
		case COL_BOOL:
			fprintf(f, "%s\n", col_int(c, row) ? "yes" : "no");
			continue;
		}
		fprintf(f, "%lld", (long long)x);
		/* A time: unix seconds, also as a date an operator can read. */
		tt = (time_t)x;
		if (is_time(c->name) && gmtime_r(&tt, &tm) != NULL &&
		    strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S UTC", &tm) > 0)
			fprintf(f, "  (%s)", day);
		fputc('\n', f);
	}
}

/* The words of the schema's CHECK ... IN (...) lists (db_table.h). */
static const char *const relay_statuses[] = { "active", "inactive",
	"delinquent" };
static const char *const invoice_statuses[] = { "draft", "open", "paid",
	"void", "uncollectible" };
static const char *const subscription_statuses[] = { "incomplete",
	"incomplete_expired", "trialing", "active", "past_due", "canceled",
	"unpaid", "paused" };
static const char *const paid_vias[] = { "stripe", "nwc", "lightning" };
static const char *const guard_states[] = { "pending", "paid", "failed" };
static const char *const dm_statuses[] = { "queued", "sent", "failed" };
static const char *const activity_types[] = { "create_tenant",
	"update_tenant", "create_relay", "update_relay", "activate_relay",
	"deactivate_relay", "mark_relay_delinquent", "fail_relay_sync",
	"complete_relay_sync" };
static const char *const resource_types[] = { "tenant", "relay", "invoice" };
static const char *const workers[] = { "infra", "robot", "billing" };
static const char *const outcomes[] = { "ok", "failed" };

#define WORDS(t, c, w) { t, c, w, nitems(w) }
const struct db_words db_words[WORDS__MAX] = {
	[WORDS_RELAY_STATUS] = WORDS("relay", "status", relay_statuses),
	[WORDS_INVOICE_STATUS] = WORDS("invoice", "status", invoice_statuses),
	[WORDS_SUBSCRIPTION_STATUS] = WORDS("tenant", "subscription_status",
	    subscription_statuses),
	[WORDS_PAID_VIA] = WORDS("invoice", "paid_via", paid_vias),
	[WORDS_GUARD_STATE] = WORDS("invoice_nwc_payment", "state",
	    guard_states),
	[WORDS_DM_STATUS] = WORDS("dm_outbox", "status", dm_statuses),
	[WORDS_ACTIVITY_TYPE] = WORDS("activity", "activity_type",
	    activity_types),
	[WORDS_RESOURCE_TYPE] = WORDS("activity", "resource_type",
	    resource_types),
	[WORDS_WORKER] = WORDS("worker_pass", "worker", workers),
	[WORDS_OUTCOME] = WORDS("worker_pass", "outcome", outcomes),
};
const char *
db_word(enum words w, const char *s)
{
	const struct db_words *l = &db_words[w];
	size_t i;

	for (i = 0; s != NULL && i < l->n; i++)
		if (strcmp(s, l->word[i]) == 0)
			return l->word[i];
	return NULL;
}

/*
 * db_invoice.c: the local mirror of Stripe's invoices, the bolt11s the
 * platform wallet issued for them (manual Lightning), and the guard row
 * that makes an NWC auto-payment happen at most once (workers.md §2.3).
 */
#include "config.h"

#include <string.h>

#include "db.h"

static void
autopay_row(struct arena *a, sqlite3_stmt *s, void *row)
{
	struct autopay *p = row;

	int off = (int)invoice_table.ncol;

	table_read(a, s, 0, &invoice_table, &p->inv);
	table_read(a, s, off, &nwc_guard_table, &p->g);
	/* The open invoices of the third part have no guard (all NULL). */
	if (sqlite3_column_type(s, off) == SQLITE_NULL)
		p->g.invoice_id = p->g.state = NULL;
}

enum dbrc
db_invoice_get(struct db *db, struct arena *a, const char *id,
    struct invoice *i)
{
	return db_row1(db, a, db_query(db, STMT_INVOICE_GET, DBV_T(id)),
	    invoice_table.read, i);
}

enum dbrc
db_invoice_list(struct db *db, struct arena *a, const struct list_filter *f,
    struct invoice **out, size_t *n)
{
	return db_rows(db, a, db_query(db, f->tenant != NULL ?
	    STMT_INVOICE_LIST_TENANT : STMT_INVOICE_LIST_ALL, DBV_T(f->tenant),
	    DBV_I(f->with_drafts != 0), DBV_I(f->limit > 0 ? f->limit :
	    INT64_MAX)), sizeof(**out), invoice_table.read, out, n);
}

/* Inside the caller's transaction, like every invoice write. */
enum dbrc
db_invoice_put(struct db *db, const struct invoice *i, int64_t now)
{
	struct invoice_line l;
	struct invoice row = *i;
	enum dbrc rc;
	size_t k;

	row.updated_at = now;
	rc = db_write_row_v(db, STMT_INVOICE_PUT, &invoice_table, &row, NULL,
	    0);
	if (rc != DB_OK || !i->lines_known)
		return rc;
	rc = db_write(db, STMT_INVOICE_LINES_CLEAR, DBV_T(i->id));
	for (k = 0; k < i->nlines && (rc == DB_OK || rc == DB_DONE); k++) {
		l = i->lines[k];
		l.invoice_id = i->id;
		l.position = (int64_t)k;
		rc = db_write_row_v(db, STMT_INVOICE_LINE_PUT, &invoice_item_table,
		    &l, NULL, 0);
	}
	return rc == DB_DONE ? DB_OK : rc;
}

static void
line_row(struct arena *a, sqlite3_stmt *s, void *row)
{
	struct invoice_line *l = row;
	int off = (int)invoice_item_table.ncol;

	table_read(a, s, 0, &invoice_item_table, l);
	l->tenant = db_col_text(a, s, off);
	l->voided_at = db_col_opt(s, off + 1);
}

enum dbrc
db_invoice_lines(struct db *db, struct arena *a, const char *id,
    struct invoice_line **out, size_t *n)
{
	return db_rows(db, a, db_query(db, STMT_INVOICE_LINES, DBV_T(id)),
	    sizeof(**out), line_row, out, n);
}

static void
count_row(struct arena *a, sqlite3_stmt *s, void *row)
{
	(void)a;
	*(int64_t *)row = sqlite3_column_int64(s, 0);
}

enum dbrc
db_invoice_open_count(struct db *db, const char *tenant, int64_t *n)
{
	*n = 0;
	return db_row1(db, NULL, db_query(db, STMT_INVOICE_OPEN_COUNT,
	    DBV_T(tenant)), count_row, n);
}

enum dbrc
db_invoice_due_dm(struct db *db, struct arena *a, int64_t recent_since,
    struct invoice **out, size_t *n)
{
	return db_rows(db, a, db_query(db, STMT_INVOICE_DUE_DM,
	    DBV_I(recent_since)), sizeof(**out), invoice_table.read, out, n);
}

enum dbrc
db_invoice_set_due_sent(struct db *db, const char *id, int64_t now)
{
	return db_write(db, STMT_INVOICE_SET_DUE_SENT, DBV_T(id), DBV_I(now));
}

enum dbrc
db_autopay_list(struct db *db, struct arena *a, int64_t now,
    struct autopay **out, size_t *n)
{
	return db_rows(db, a, db_query(db, STMT_INVOICE_AUTOPAY, DBV_I(now)),
	    sizeof(**out), autopay_row, out, n);
}

enum dbrc
db_guard_get(struct db *db, struct arena *a, const char *invoice_id,
    struct nwc_guard *g)
{
	return db_row1(db, a, db_query(db, STMT_GUARD_GET, DBV_T(invoice_id)),
	    nwc_guard_table.read, g);
}

enum dbrc
db_guard_claim(struct db *db, const char *invoice_id, int64_t now)
{
	return db_write(db, STMT_GUARD_CLAIM, DBV_T(invoice_id), DBV_I(now));
}

enum dbrc
db_guard_set_bolt11(struct db *db, const char *invoice_id, int64_t msats,
    const char *bolt11, const char *payment_hash, int64_t expires_at,
    int64_t now)
{
	return db_write(db, STMT_GUARD_SET_BOLT11, DBV_T(invoice_id),
	    DBV_I(msats), DBV_T(bolt11), DBV_T(payment_hash), DBV_I(expires_at),
	    DBV_I(now));
}

enum dbrc
db_guard_paid(struct db *db, const char *invoice_id, int64_t now)
{
	return db_write(db, STMT_GUARD_PAID, DBV_T(invoice_id), DBV_I(now));
}

enum dbrc
db_guard_retry_at(struct db *db, const char *invoice_id, int64_t retry_at)
{
	return db_write(db, STMT_GUARD_RETRY_AT, DBV_T(invoice_id),
	    DBV_OI(retry_at));
}

enum dbrc
db_guard_settle_late(struct db *db, const char *invoice_id, int64_t now)
{
	return db_write(db, STMT_GUARD_SETTLE_LATE, DBV_T(invoice_id),
	    DBV_I(now));
}

enum dbrc
db_guard_note(struct db *db, const char *invoice_id, const char *error)
{
	return db_write(db, STMT_GUARD_NOTE, DBV_T(invoice_id), DBV_T(error));
}

enum dbrc
db_guard_retry_tenant(struct db *db, const char *tenant, int64_t now)
{
	return db_write(db, STMT_GUARD_RETRY_TENANT, DBV_T(tenant), DBV_I(now));
}

enum dbrc
db_guard_failed(struct db *db, const char *invoice_id, const char *error,
    int64_t retry_at, int64_t now)
{
	return db_write(db, STMT_GUARD_FAILED, DBV_T(invoice_id), DBV_T(error),
	    DBV_I(retry_at), DBV_I(now));
}

static void
bolt11_row(struct arena *a, sqlite3_stmt *s, void *row)
{
	struct bolt11_row *b = row;
	int off = (int)bolt11_table.ncol;

	table_read(a, s, 0, &bolt11_table, b);
	b->tenant = db_col_textn(a, s, off);
	b->invoice_status = db_col_textn(a, s, off + 1);
}

enum dbrc
db_bolt11_newest(struct db *db, struct arena *a, const char *invoice_id,
    struct bolt11_row *b)
{
	return db_row1(db, a, db_query(db, STMT_BOLT11_NEWEST,
	    DBV_T(invoice_id)), bolt11_row, b);
}

enum dbrc
db_invoice_checked(struct db *db, const char *id, int64_t now)
{
	return db_write(db, STMT_INVOICE_CHECKED, DBV_T(id), DBV_I(now));
}

enum dbrc
db_bolt11_usable(struct db *db, struct arena *a, const char *invoice_id,
    int64_t now, struct bolt11_row *b)
{
	return db_row1(db, a, db_query(db, STMT_BOLT11_USABLE,
	    DBV_T(invoice_id), DBV_I(now)), bolt11_row, b);
}

enum dbrc
db_bolt11_insert(struct db *db, const struct bolt11_row *b)
{
	return db_write_row_v(db, STMT_BOLT11_INSERT, &bolt11_table, b, NULL,
	    0);
}

enum dbrc
db_bolt11_check_due(struct db *db, struct arena *a, int64_t now,
    int64_t checked_before, int64_t expired_after, struct bolt11_row **out,
    size_t *n)
{
	return db_rows(db, a, db_query(db, STMT_BOLT11_CHECK_DUE, DBV_I(now),
	    DBV_I(checked_before), DBV_I(expired_after)), sizeof(**out),
	    bolt11_row, out, n);
}

enum dbrc
db_bolt11_settled(struct db *db, const char *payment_hash, int64_t settled_at,
    int64_t now)
{
	return db_write(db, STMT_BOLT11_SETTLED, DBV_T(payment_hash),
	    DBV_I(settled_at), DBV_I(now));
}

enum dbrc
db_bolt11_checked(struct db *db, const char *payment_hash, int64_t now)
{
	return db_write(db, STMT_BOLT11_CHECKED, DBV_T(payment_hash),
	    DBV_I(now));
}

/*
 * db_rows.c: reading rows (see db.h): one, all into an arena array, or
 * each in turn without keeping them, and the lists by a list_filter.
 */
#include "config.h"

#include <string.h>

#include "db.h"

enum dbrc
db_rows(struct db *db, struct arena *a, sqlite3_stmt *s, size_t size,
    db_row_fn fn, void *outp, size_t *n)
{
	char *v = NULL;
	size_t cap = 0;
	enum dbrc rc;

	*n = 0;
	memcpy(outp, &v, sizeof(v));
	if (s == NULL)
		return DB_ERROR;
	while ((rc = db_step(db, s)) == DB_ROW) {
		v = arena_grow(a, v, *n, &cap, size);
		fn(a, s, v + *n * size);
		(*n)++;
	}
	db_reset(s);
	memcpy(outp, &v, sizeof(v));
	return rc == DB_DONE ? DB_OK : rc;
}

enum dbrc
db_each(struct db *db, struct arena *a, sqlite3_stmt *s, db_row_fn decode,
    void *row, db_each_fn fn, void *arg)
{
	enum dbrc rc;

	if (s == NULL)
		return DB_ERROR;
	while ((rc = db_step(db, s)) == DB_ROW) {
		arena_clear(a);
		decode(NULL, s, row);
		if (fn(row, arg) != 0) {
			rc = DB_DONE;
			break;
		}
	}
	db_reset(s);
	return rc == DB_DONE ? DB_OK : rc;
}

/* The bound statement listing f's rows; DB_NOTFOUND: no row is after. */
static enum dbrc
db_list_stmt(struct db *db, const struct db_lister *l,
    const struct list_filter *f, sqlite3_stmt **s)
{
	int64_t at = INT64_MAX;
	const char *after = f->after != NULL ? f->after : "";
	enum dbrc rc;

	*s = NULL;
	if (f->tenant != NULL && l->all_of == STMT__MAX)
		return DB_ERROR;
	if (f->limit == 0 && f->after == NULL)
		*s = f->tenant != NULL ? db_query(db, l->all_of,
		    DBV_T(f->tenant)) : db_stmt(db, l->all);
	else if (f->after != NULL && (rc = db_created_at(db, l->created,
	    f->after, &at)) != DB_OK)
		return rc;
	else
		*s = f->tenant != NULL ? db_query(db, l->page_of, DBV_I(at),
		    DBV_T(after), DBV_I(LIST_LIMIT(f)), DBV_T(f->tenant)) :
		    db_query(db, l->page, DBV_I(at), DBV_T(after),
		    DBV_I(LIST_LIMIT(f)));
	return *s != NULL ? DB_OK : DB_ERROR;
}

enum dbrc
db_list(struct db *db, struct arena *a, const struct db_lister *l,
    const struct list_filter *f, void *outp, size_t *n)
{
	sqlite3_stmt *s;
	enum dbrc rc;

	*n = 0;
	memset(outp, 0, sizeof(void *));
	if ((rc = db_list_stmt(db, l, f, &s)) != DB_OK)
		return rc;
	return db_rows(db, a, s, l->t->size, l->t->read, outp, n);
}

enum dbrc
db_list_each(struct db *db, struct arena *scratch, const struct db_lister *l,
    const struct list_filter *f, void *row, db_each_fn fn, void *arg)
{
	sqlite3_stmt *s;
	enum dbrc rc;

	if ((rc = db_list_stmt(db, l, f, &s)) != DB_OK)
		return rc;
	return db_each(db, scratch, s, l->t->read, row, fn, arg);
}

static void
int_row(struct arena *a, sqlite3_stmt *s, void *row)
{
	(void)a;
	*(int64_t *)row = sqlite3_column_int64(s, 0);
}

enum dbrc
db_created_at(struct db *db, enum stmt st, const char *key, int64_t *out)
{
	return db_row1(db, NULL, db_query(db, st, DBV_T(key)), int_row, out);
}

enum dbrc
db_row1(struct db *db, struct arena *a, sqlite3_stmt *s, db_row_fn fn,
    void *row)
{
	enum dbrc rc;

	if (s == NULL)
		return DB_ERROR;
	if ((rc = db_step(db, s)) == DB_ROW) {
		fn(a, s, row);
		rc = DB_OK;
	} else if (rc == DB_DONE)
		rc = DB_NOTFOUND;
	db_reset(s);
	return rc;
}

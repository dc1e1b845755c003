/* db_plan.c: the plan table (seeded by 0001_init.sql, operator data). */
#include "config.h"

#include <string.h>

#include "db.h"

static void
plan_row(struct arena *a, sqlite3_stmt *s, struct plan *p)
{
	p->id = db_col_text(a, s, 0);
	p->name = db_col_text(a, s, 1);
	p->amount = sqlite3_column_int64(s, 2);
	p->members = sqlite3_column_type(s, 3) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(s, 3);
	p->blossom = sqlite3_column_int(s, 4);
	p->livekit = sqlite3_column_int(s, 5);
	p->stripe_price_setting = sqlite3_column_type(s, 6) == SQLITE_NULL ?
	    NULL : db_col_text(a, s, 6);
	p->hidden = sqlite3_column_int(s, 7);
}

enum dbrc
db_plan_list(struct db *db, struct arena *a, struct plan **out, size_t *n)
{
	sqlite3_stmt *s;
	struct plan *v = NULL;
	size_t cap = 0;
	enum dbrc rc;

	*n = 0;
	if ((s = db_stmt(db, STMT_PLAN_LIST)) == NULL)
		return DB_ERROR;
	while ((rc = db_step(db, s)) == DB_ROW) {
		v = arena_grow(a, v, *n, &cap, sizeof(*v));
		plan_row(a, s, &v[(*n)++]);
	}
	db_reset(s);
	*out = v;
	return rc == DB_DONE ? DB_OK : rc;
}

enum dbrc
db_plan_get(struct db *db, struct arena *a, const char *id, struct plan *p)
{
	sqlite3_stmt *s;
	enum dbrc rc;

	if ((s = db_stmt(db, STMT_PLAN_GET)) == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, id) == -1)
		return db_fail(db, s, __func__);
	if ((rc = db_step(db, s)) == DB_ROW) {
		plan_row(a, s, p);
		rc = DB_OK;
	} else if (rc == DB_DONE)
		rc = DB_NOTFOUND;
	db_reset(s);
	return rc;
}

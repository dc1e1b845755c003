/* db_activity.c: the activity log, written with every change it records. */
#include "config.h"

#include <string.h>

#include "db.h"

enum dbrc
db_activity_add(struct db *db, const char *tenant, const char *actor,
    int64_t now, const char *type, const char *resource_type,
    const char *resource_id)
{
	sqlite3_stmt *s;
	enum dbrc rc;

	if ((s = db_stmt(db, STMT_ACTIVITY_INSERT)) == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, tenant) == -1 || db_bind_int(s, 2, now) == -1 ||
	    db_bind_text(s, 3, type) == -1 ||
	    db_bind_text(s, 4, resource_type) == -1 ||
	    db_bind_text(s, 5, resource_id) == -1 ||
	    db_bind_text(s, 6, actor) == -1)
		return db_fail(db, s, __func__);
	if ((rc = db_step(db, s)) == DB_DONE)
		rc = DB_OK;
	db_reset(s);
	return rc;
}

enum dbrc
db_activity_list(struct db *db, struct arena *a, const char *resource_type,
    const char *resource_id, int64_t before, int64_t limit,
    struct activity **out, size_t *n)
{
	sqlite3_stmt *s;
	struct activity *v;
	enum dbrc rc;

	*n = 0;
	*out = v = arena_alloc(a, (size_t)limit * sizeof(*v));
	if ((s = db_stmt(db, STMT_ACTIVITY_LIST_RESOURCE)) == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, resource_type) == -1 ||
	    db_bind_text(s, 2, resource_id) == -1 ||
	    db_bind_int(s, 3, before) == -1 || db_bind_int(s, 4, limit) == -1)
		return db_fail(db, s, __func__);
	while ((rc = db_step(db, s)) == DB_ROW && *n < (size_t)limit) {
		v[*n].id = sqlite3_column_int64(s, 0);
		v[*n].tenant = db_col_text(a, s, 1);
		v[*n].created_at = sqlite3_column_int64(s, 2);
		v[*n].activity_type = db_col_text(a, s, 3);
		v[*n].resource_type = db_col_text(a, s, 4);
		v[*n].resource_id = db_col_text(a, s, 5);
		v[*n].actor = db_col_textn(a, s, 6);
		(*n)++;
	}
	db_reset(s);
	return rc == DB_DONE || rc == DB_ROW ? DB_OK : rc;
}

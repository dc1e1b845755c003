/* db_activity.c: the activity log, written with every change it records. */
#include "config.h"

#include <string.h>

#include "db.h"

enum dbrc
db_activity_add(struct db *db, const char *tenant, const char *actor,
    int64_t now, const char *type, const char *resource_type,
    const char *resource_id)
{
	struct activity row = { .tenant = tenant, .created_at = now,
		.activity_type = type, .resource_type = resource_type,
		.resource_id = resource_id, .actor = actor };
	enum dbrc rc;

	rc = db_write_row_v(db, STMT_ACTIVITY_INSERT, &activity_table, &row,
	    NULL, 0);
	return rc == DB_DONE ? DB_OK : rc;
}

enum dbrc
db_activity_list(struct db *db, struct arena *a, const struct list_filter *f,
    struct activity **out, size_t *n)
{
	return db_rows(db, a, db_query(db, STMT_ACTIVITY_LIST_RESOURCE,
	    DBV_T("relay"), DBV_T(f->relay), DBV_I(f->before),
	    DBV_I(LIST_LIMIT(f))), sizeof(**out), activity_table.read, out, n);
}

/* db_plan.c: the plan table (seeded by 0001_init.sql, operator data). */
#include "config.h"

#include <string.h>

#include "db.h"

enum dbrc
db_plan_list(struct db *db, struct arena *a, struct plan **out, size_t *n)
{
	return db_rows(db, a, db_stmt(db, STMT_PLAN_LIST), sizeof(**out),
	    plan_table.read, out, n);
}

enum dbrc
db_plan_get(struct db *db, struct arena *a, const char *id, struct plan *p)
{
	return db_row1(db, a, db_query(db, STMT_PLAN_GET, DBV_T(id)),
	    plan_table.read, p);
}

/* db_ops.c: what operators watch: workers' last passes and the queues. */
#include "config.h"

#include "db.h"

enum dbrc
db_worker_pass_put(struct db *db, const struct worker_pass *p)
{
	return db_write_row_v(db, STMT_WORKER_PASS_PUT, &worker_pass_table, p,
	    NULL, 0);
}

enum dbrc
db_worker_pass_list(struct db *db, struct arena *a, struct worker_pass **out,
    size_t *n)
{
	return db_rows(db, a, db_stmt(db, STMT_WORKER_PASS_LIST), sizeof(**out),
	    worker_pass_table.read, out, n);
}

enum dbrc
db_gauges(struct db *db, struct gauges *g)
{
	sqlite3_stmt *s;
	int64_t *v[] = { &g->tenants, &g->past_due, &g->delinquent,
		&g->relays, &g->unsynced, &g->failing_sync, &g->dms_queued,
		&g->dms_failed, &g->open_invoices, &g->open_amount };
	enum dbrc rc;
	size_t i;

	if ((s = db_stmt(db, STMT_GAUGES)) == NULL)
		return DB_ERROR;
	if ((rc = db_step(db, s)) == DB_ROW) {
		for (i = 0; i < nitems(v); i++)
			*v[i] = sqlite3_column_int64(s, (int)i);
		rc = DB_OK;
	}
	db_reset(s);
	return rc == DB_OK ? DB_OK : DB_ERROR;
}

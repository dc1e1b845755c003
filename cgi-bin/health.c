/* health.c: GET /health, for load balancers and the run script. */
#include "config.h"

#include "http.h"
#include "json.h"

/*
 * GET /health (public)
 * 200 {"status": "ok"} when the database answers and its schema is the
 * one this program was built for; 503 unavailable otherwise.
 */
enum status
health_get(struct req *r, struct resp *w)
{
	struct db *db;

	if ((db = app_db(r->app)) == NULL || db_health(db) == -1)
		return resp_fail(w, ST_UNAVAILABLE,
		    "the database is not reachable or not migrated");
	w->data = jobj();
	jadd_str(w->data, "status", "ok");
	return ST_OK;
}

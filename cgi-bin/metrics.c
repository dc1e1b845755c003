/* metrics.c: GET /metrics, for Prometheus (admins only, like every route
 * that shows more than one tenant's data). */
#include "config.h"

#include <stdlib.h>

#include "http.h"

/*
 * GET /metrics (admin)
 * 200 text/plain; version=0.0.4: the Prometheus text exposition
 * (metrics_render), the same text caravel-admin metrics prints.
 */
enum status
metrics_get(struct req *r, struct resp *w)
{
	struct db *db;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if ((db = app_db(r->app)) == NULL)
		return ST_UNAVAILABLE;
	if ((f = open_memstream(&text, &len)) == NULL)
		return ST_INTERNAL;
	rc = metrics_render(f, &r->app->metrics, db, clock_now());
	if (fclose(f) != 0 || rc == -1) {
		free(text);
		return ST_UNAVAILABLE;
	}
	w->text = arena_strdup(&r->arena, text);
	w->text_len = len;
	w->content_type = "text/plain; version=0.0.4; charset=utf-8";
	free(text);
	return ST_OK;
}

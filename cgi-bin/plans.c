/* plans.c: GET /plans and GET /plans/:id (public, api.md §4 "Plan"). */
#include "config.h"

#include <stdlib.h>

#include "http.h"
#include "json.h"

static struct json_object *
plan_json(const struct config *cfg, const struct plan *p)
{
	struct json_object *o = jobj();
	const char *price = NULL;

	if (p->stripe_price_setting != NULL)
		price = cfg_str_by_name(cfg, p->stripe_price_setting);
	jadd_str(o, "id", p->id);
	jadd_str(o, "name", p->name);
	jadd_int(o, "amount", p->amount);
	if (p->members < 0)
		jadd_null(o, "members");
	else
		jadd_int(o, "members", p->members);
	jadd_bool(o, "blossom", p->blossom);
	jadd_bool(o, "livekit", p->livekit);
	jadd_bool(o, "hidden", p->hidden);
	if (price != NULL && *price != '\0')
		jadd_str(o, "stripe_price_id", price);
	else
		jadd_null(o, "stripe_price_id");
	return o;
}

/*
 * The plan list of this process, as JSON text, kept until another
 * connection commits (the operator edits plans with sqlite3): most
 * requests then cost one PRAGMA and no JSON work.
 */
static char *plans_text;
static size_t plans_len;
static int64_t plans_version = -1;

/* GET /plans: every plan, in display order. 200, or 503 if busy. */
enum status
plans_list(struct req *r, struct resp *w)
{
	struct json_object *list;
	struct plan *v;
	struct db *db;
	const char *text;
	size_t i, n;
	int64_t version;
	enum dbrc rc;

	if ((db = app_db(r->app)) == NULL)
		return ST_UNAVAILABLE;
	if ((version = db_data_version(db)) < 0 || plans_text == NULL ||
	    version != plans_version) {
		if ((rc = db_plan_list(db, &r->arena, &v, &n)) != DB_OK)
			return st_from_db(rc);
		list = jarr();
		for (i = 0; i < n; i++)
			jpush(list, plan_json(&r->app->cfg, &v[i]));
		text = json_text(list, &plans_len);
		free(plans_text);
		plans_text = xstrdup(text);
		plans_version = version;
		json_object_put(list);
	}
	w->data_text = plans_text;
	w->data_len = plans_len;
	return ST_OK;
}

/* GET /plans/:id: 200 Plan, or 404 not-found. */
enum status
plans_get(struct req *r, struct resp *w)
{
	struct plan p;
	struct db *db;
	enum dbrc rc;

	if ((db = app_db(r->app)) == NULL)
		return ST_UNAVAILABLE;
	if ((rc = db_plan_get(db, &r->arena, r->param[0], &p)) != DB_OK)
		return rc == DB_NOTFOUND ? resp_fail(w, ST_NOT_FOUND,
		    "no plan has this id") : st_from_db(rc);
	w->data = plan_json(&r->app->cfg, &p);
	return ST_OK;
}

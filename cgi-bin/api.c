/*
 * api.c: the route table, the API's table of contents (spec/api.md §5):
 * each row names a method, a path pattern, its handler and who may call
 * it; api_dispatch() applies CORS, the row's rule, then the handler.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "http.h"

/*
 * Who may call a route; checked before the handler runs. RULE_UNSET is
 * zero so a row that forgets its rule makes --list-routes fail, and
 * tests/js/api.test.mjs ("every route of --list-routes has a rule and a
 * row in the matrix") with it.
 */
enum rule {
	RULE_UNSET,
	RULE_PUBLIC, /* anyone */
	RULE_SIGNER, /* any valid NIP-98 signer */
	RULE_ADMIN, /* a signer listed in ADMINS */
	RULE_TENANT, /* ":pubkey" is the signer, or an admin */
	RULE_RELAY, /* the relay ":id" belongs to the signer, or an admin */
	RULE_INVOICE /* the invoice ":id" is the signer's, or an admin */
};

struct route {
	enum hmethod method;
	const char *pattern; /* ":name" matches one path segment */
	enum status (*fn)(struct req *, struct resp *);
	enum rule rule;
};

/* Sorted by path. */
static const struct route routes[] = {
	{ HM_GET, "/health", health_get, RULE_PUBLIC },
	{ HM_GET, "/identity", identity_get, RULE_SIGNER },
	{ HM_GET, "/invoices/:id", invoices_get, RULE_INVOICE },
	{ HM_GET, "/invoices/:id/bolt11", invoices_bolt11, RULE_INVOICE },
	{ HM_POST, "/invoices/:id/bolt11", invoices_bolt11, RULE_INVOICE },
	{ HM_POST, "/invoices/:id/checkout", invoices_checkout, RULE_INVOICE },
	{ HM_GET, "/invoices/:id/items", invoices_items, RULE_INVOICE },
	{ HM_POST, "/invoices/:id/reconcile", invoices_reconcile,
	    RULE_INVOICE },
	{ HM_GET, "/metrics", metrics_get, RULE_ADMIN },
	{ HM_GET, "/plans", plans_list, RULE_PUBLIC },
	{ HM_GET, "/plans/:id", plans_get, RULE_PUBLIC },
	{ HM_GET, "/relays", relays_list, RULE_ADMIN },
	{ HM_POST, "/relays", relays_create, RULE_SIGNER },
	{ HM_GET, "/relays/:id", relays_get, RULE_RELAY },
	{ HM_PUT, "/relays/:id", relays_update, RULE_RELAY },
	{ HM_GET, "/relays/:id/activity", relays_activity, RULE_RELAY },
	{ HM_POST, "/relays/:id/deactivate", relays_deactivate, RULE_RELAY },
	{ HM_GET, "/relays/:id/members", relays_members, RULE_RELAY },
	{ HM_POST, "/relays/:id/reactivate", relays_reactivate, RULE_RELAY },
	{ HM_POST, "/stripe/webhook", webhook_stripe, RULE_PUBLIC },
	{ HM_GET, "/tenants", tenants_list, RULE_ADMIN },
	{ HM_POST, "/tenants", tenants_create, RULE_SIGNER },
	{ HM_GET, "/tenants/:pubkey", tenants_get, RULE_TENANT },
	{ HM_PUT, "/tenants/:pubkey", tenants_update, RULE_TENANT },
	{ HM_GET, "/tenants/:pubkey/invoices", invoices_list, RULE_TENANT },
	{ HM_GET, "/tenants/:pubkey/invoices/draft", invoices_draft,
	    RULE_TENANT },
	{ HM_POST, "/tenants/:pubkey/reconcile", tenants_reconcile,
	    RULE_TENANT },
	{ HM_GET, "/tenants/:pubkey/relays", tenants_relays, RULE_TENANT },
	{ HM_GET, "/tenants/:pubkey/stripe/session", tenants_stripe_session,
	    RULE_TENANT },
};

static const char *const rule_names[] = {
	[RULE_UNSET] = "unset", [RULE_PUBLIC] = "public",
	[RULE_SIGNER] = "signer", [RULE_ADMIN] = "admin",
	[RULE_TENANT] = "tenant", [RULE_RELAY] = "relay",
	[RULE_INVOICE] = "invoice",
};

static const char *const method_names[HM__MAX] = {
	[HM_GET] = "GET", [HM_POST] = "POST", [HM_PUT] = "PUT",
	[HM_OPTIONS] = "OPTIONS", [HM_OTHER] = "?",
};

/*
 * Does path match pattern? Captured ":name" segments go to r->param in
 * order. Segments are compared whole; an empty segment never matches.
 */
static int
route_match(const char *pattern, const char *path, struct req *r)
{
	const char *p = pattern, *s = path, *pe, *se;
	size_t n = 0;

	while (*p == '/' && *s == '/') {
		p++;
		s++;
		pe = p + strcspn(p, "/");
		se = s + strcspn(s, "/");
		if (se == s)
			return 0;
		if (*p == ':') {
			if (n == REQ_MAX_PARAMS)
				return 0;
			if (r != NULL)
				r->param[n] = arena_strndup(&r->arena, s,
				    (size_t)(se - s));
			n++;
		} else if (pe - p != se - s || strncmp(p, s, (size_t)(pe - p)))
			return 0;
		p = pe;
		s = se;
	}
	if (*p != '\0' || *s != '\0')
		return 0;
	if (r != NULL)
		r->nparam = n;
	return 1;
}

/*
 * The row for r, or NULL with *st set to ST_NOT_FOUND, or ST_METHOD and
 * w->allow listing the methods the path does accept.
 */
static const struct route *
route_find(struct req *r, struct resp *w, enum status *st)
{
	const char *allow = NULL;
	size_t i;

	for (i = 0; i < nitems(routes); i++) {
		if (!route_match(routes[i].pattern, r->path, NULL))
			continue;
		if (routes[i].method == r->method) {
			route_match(routes[i].pattern, r->path, r);
			r->route = i;
			return &routes[i];
		}
		allow = allow == NULL ? method_names[routes[i].method] :
		    arena_printf(&r->arena, "%s, %s", allow,
		    method_names[routes[i].method]);
	}
	if (allow != NULL) {
		w->allow = arena_printf(&r->arena, "%s, OPTIONS", allow);
		*st = ST_METHOD;
	} else
		*st = ST_NOT_FOUND;
	return NULL;
}

/*
 * CORS (api.md §2): with ALLOW_ORIGINS empty every origin is allowed;
 * otherwise the Origin must be listed. Returns 0 when allowed.
 */
static int
cors_check(struct req *r, struct resp *w)
{
	const struct config *c = &r->app->cfg;
	size_t i;

	if (r->origin == NULL)
		return 0;
	if (c->nlist[CFG_ALLOW_ORIGINS] == 0) {
		w->cors_origin = r->origin;
		return 0;
	}
	for (i = 0; i < c->nlist[CFG_ALLOW_ORIGINS]; i++)
		if (strcmp(c->list[CFG_ALLOW_ORIGINS][i], r->origin) == 0) {
			w->cors_origin = r->origin;
			return 0;
		}
	return -1;
}

/*
 * Enforce the route's rule before its handler runs: 401 without a valid
 * signer, 403 for a signer who is neither the owner nor an admin, 404 for
 * a relay that does not exist.
 */
static enum status
route_check(const struct route *rt, struct req *r, struct resp *w)
{
	struct invoice inv;
	char owner[65];
	struct db *db;
	enum status st;
	enum dbrc rc;

	if (rt->rule == RULE_PUBLIC)
		return ST_OK;
	if ((st = auth_check(r, w)) != ST_OK)
		return st;
	switch (rt->rule) {
	case RULE_SIGNER:
		return ST_OK;
	case RULE_ADMIN:
		return r->is_admin ? ST_OK : resp_fail(w, ST_FORBIDDEN,
		    "only an admin may do this");
	case RULE_TENANT:
		return r->is_admin || strcmp(r->param[0], r->signer) == 0 ?
		    ST_OK : resp_fail(w, ST_FORBIDDEN,
		    "you are neither this tenant nor an admin");
	case RULE_RELAY:
		if ((db = app_db(r->app)) == NULL)
			return ST_UNAVAILABLE;
		if ((rc = db_relay_owner(db, r->param[0], owner)) != DB_OK)
			return rc == DB_NOTFOUND ? resp_fail(w, ST_NOT_FOUND,
			    "no relay has this id") : st_from_db(rc);
		return r->is_admin || strcmp(owner, r->signer) == 0 ? ST_OK :
		    resp_fail(w, ST_FORBIDDEN,
		    "this relay belongs to another tenant");
	case RULE_INVOICE:
		if ((db = app_db(r->app)) == NULL)
			return ST_UNAVAILABLE;
		if ((rc = db_invoice_get(db, &r->arena, r->param[0], &inv)) !=
		    DB_OK)
			return rc == DB_NOTFOUND ? resp_fail(w, ST_NOT_FOUND,
			    "no invoice has this id") : st_from_db(rc);
		return r->is_admin || strcmp(inv.tenant, r->signer) == 0 ?
		    ST_OK : resp_fail(w, ST_FORBIDDEN,
		    "this invoice belongs to another tenant");
	default:
		log_warnx("route %s has no rule", rt->pattern);
		return ST_INTERNAL;
	}
}

/*
 * Print "METHOD PATTERN RULE" per route (caravel-api --list-routes), for
 * tests that must cover every route. Returns -1 if a route has no rule.
 */
int
api_list_routes(FILE *f)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < nitems(routes); i++) {
		fprintf(f, "%s %s %s\n", method_names[routes[i].method],
		    routes[i].pattern, rule_names[routes[i].rule]);
		if (routes[i].rule == RULE_UNSET)
			rc = -1;
	}
	return rc;
}

size_t
api_nroutes(void)
{
	return nitems(routes);
}

const char *
api_route_label(size_t i, char *buf, size_t size)
{
	snprintf(buf, size, "%s %s", method_names[routes[i].method],
	    routes[i].pattern);
	return buf;
}

void
api_dispatch(struct req *r, struct resp *w, enum status *st)
{
	const struct route *rt;

	if (cors_check(r, w) == -1) {
		*st = resp_fail(w, ST_FORBIDDEN,
		    "requests from this origin are not allowed");
		return;
	}
	if (r->method == HM_OPTIONS) {
		*st = ST_NO_CONTENT;
		return;
	}
	if (r->body_too_large) {
		*st = ST_TOO_LARGE;
		return;
	}
	if ((rt = route_find(r, w, st)) == NULL)
		return;
	if ((*st = route_check(rt, r, w)) != ST_OK)
		return;
	*st = rt->fn(r, w);
}

/*
 * relays.c: /relays and /relays/:id (spec/api.md §5). Every change and
 * its activity row commit in one transaction that also marks the relay
 * unsynced (caravel-infra pushes it to zooid) and the tenant for billing
 * reconciliation (caravel-billing), so nothing depends on this process
 * staying alive after the response.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "json.h"
#include "crypt.h"
#include "nostr.h"
#include "zooid.h"

#define ACTIVITY_DEFAULT 100
#define ACTIVITY_MAX 500

static const char *const reserved_subdomains[] = { "api", "admin", "www",
	"mail" };

static enum status member_limit_check(struct req *, struct resp *,
    struct db *, const struct relay *);

/*
 * One Relay object (api.md §4) appended to b as JSON text: its JSON
 * columns (db.h), and what is made from them.
 */
static void
relay_text(struct sbuf *b, const struct config *c, const struct relay *rl)
{
	const char *domain = cfg_str(c, CFG_RELAY_DOMAIN);

	sbuf_add(b, "{", 1);
	table_json(b, &relay_table, rl);
	/* Flotilla's names for the same facts (research/flotilla-client.md). */
	sbuf_lit(b, ",\"tenant_pubkey\":\"");
	sbuf_str(b, rl->tenant);
	sbuf_lit(b, "\",\"plan_id\":\"");
	sbuf_str(b, rl->plan);
	sbuf_lit(b, "\",\"host\":\"");
	sbuf_str(b, rl->subdomain);
	if (*domain != '\0') {
		sbuf_add(b, ".", 1);
		sbuf_str(b, domain);
	}
	sbuf_lit(b, "\",\"zooid_domain\":");
	sbuf_json_str(b, domain, strlen(domain));
	/* Until zooid serves a relay under a second host (README). */
	sbuf_lit(b, ",\"custom_domain\":\"\",\"custom_domain_verified\":0}");
}

/* Answer one Relay, written as text (json-c's tree costs more). */
enum status
relays_answer(struct req *r, struct resp *w, const struct relay *rl)
{
	struct sbuf b = { NULL, 0, 0 };

	relay_text(&b, &r->app->cfg, rl);
	w->data_text = arena_strndup(&r->arena, b.p, b.len);
	w->data_len = b.len;
	sbuf_release(&b);
	return ST_OK;
}

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Each rule of api.md §5 "Relay validation" has its own sentence. */
static enum status
subdomain_check(struct req *r, struct resp *w, struct db *db, const char *s)
{
	const struct config *c = &r->app->cfg;
	size_t i, len = strlen(s);

	if (len == 0)
		return resp_field(w, ST_INVALID_SUBDOMAIN, "subdomain",
		    "subdomain is required");
	if (len > 63)
		return resp_field(w, ST_INVALID_SUBDOMAIN, "subdomain",
		    "subdomain must be 63 characters or fewer");
	if (strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != len)
		return resp_field(w, ST_INVALID_SUBDOMAIN, "subdomain",
		    "subdomain may only contain lowercase letters, numbers, "
		    "and hyphens");
	if (s[0] == '-' || s[len - 1] == '-')
		return resp_field(w, ST_INVALID_SUBDOMAIN, "subdomain",
		    "subdomain cannot start or end with a hyphen");
	for (i = 0; i < nitems(reserved_subdomains); i++)
		if (strcmp(s, reserved_subdomains[i]) == 0)
			goto reserved;
	for (i = 0; i < c->nlist[CFG_RESERVED_SUBDOMAINS]; i++)
		if (strcmp(s, c->list[CFG_RESERVED_SUBDOMAINS][i]) == 0)
			goto reserved;
	switch (db_relay_subdomain_taken(db, s)) {
	case 0:
		return ST_OK;
	case 1:
		return resp_field(w, ST_SUBDOMAIN_EXISTS, "subdomain",
		    "subdomain is already taken");
	default:
		return ST_INTERNAL;
	}
reserved:
	return resp_field(w, ST_INVALID_SUBDOMAIN, "subdomain",
	    "subdomain is reserved");
}

/* A text field of at most max characters; absent leaves *out alone. */
static enum status
text_field(struct req *r, struct resp *w, const char *key, size_t max,
    const char **out)
{
	const char *s;

	switch (json_get_str(r->json, key, 4 * max, &s, NULL)) {
	case JGET_ABSENT:
		return ST_OK;
	case JGET_BAD:
		if (json_get_str(r->json, key, SIZE_MAX, &s, NULL) == JGET_OK)
			break;
		return resp_field(w, ST_BAD_REQUEST, key, arena_printf(
		    &r->arena, "%s must be a string of valid UTF-8", key));
	case JGET_OK:
		if (utf8_chars(s) > max)
			break;
		*out = arena_strdup(&r->arena, s);
		return ST_OK;
	}
	return resp_field(w, ST_INVALID_FIELD, key, arena_printf(&r->arena,
	    "%s must be %zu characters or fewer", key, max));
}

/* A flag's value, checked for type (400) and value (422). */
static enum status
flag_field(struct req *r, struct resp *w, const char *key, int *out)
{
	int64_t n;

	switch (json_get_flag(r->json, key, out)) {
	case JGET_OK:
	case JGET_ABSENT:
		return ST_OK;
	case JGET_BAD:
		break;
	}
	if (json_get_int(r->json, key, INT64_MIN + 1, INT64_MAX - 1, &n) ==
	    JGET_OK)
		return resp_field(w, ST_INVALID_FIELD, key,
		    arena_printf(&r->arena, "%s must be 0 or 1", key));
	return resp_field(w, ST_BAD_REQUEST, key, arena_printf(&r->arena,
	    "%s must be 0, 1, true or false", key));
}

/*
 * Read the fields a tenant edits (the EDIT columns of RELAY_TABLE that
 * are flags or bounded texts) into rl, each checked for type (400) and
 * value (422). The plan has checks of its own (plan_check).
 */
static enum status
relay_fields(struct req *r, struct resp *w, struct relay *rl)
{
	const struct col *c;
	const char *v;
	enum status st = ST_OK;
	size_t i;
	int f;

	for (i = 0; i < relay_table.ncol && st == ST_OK; i++) {
		c = &relay_table.col[i];
		if (c->set != COL_EDIT)
			continue;
		if (c->type == COL_BIT) {
			f = (int)col_int(c, rl);
			if ((st = flag_field(r, w, c->name, &f)) == ST_OK)
				col_set_int(c, rl, f);
		} else if (c->type == COL_TEXT && c->bound > 0) {
			v = col_text(c, rl);
			if ((st = text_field(r, w, c->name, (size_t)c->bound,
			    &v)) == ST_OK)
				col_set_text(c, rl, v);
		}
	}
	if (st == ST_OK && *rl->info_icon != '\0' &&
	    strncmp(rl->info_icon, "https://", 8) != 0 &&
	    strncmp(rl->info_icon, "http://", 7) != 0)
		return resp_field(w, ST_INVALID_FIELD, "info_icon",
		    "info_icon must be empty or an http(s) URL");
	return st;
}

/* A new relay: empty texts, and each flag as a new row's DEFAULT. */
static void
relay_defaults(struct relay *rl)
{
	const struct col *c;
	size_t i;

	memset(rl, 0, sizeof(*rl));
	for (i = 0; i < relay_table.ncol; i++) {
		c = &relay_table.col[i];
		if (c->type == COL_TEXT)
			col_set_text(c, rl, "");
		else if (c->type == COL_BIT)
			col_set_int(c, rl, c->bound);
	}
}

/*
 * Plan must exist and allow the features the relay turns on; one being
 * chosen (chosen 1: a new relay, a plan change) must still be offered.
 */
static enum status
plan_check(struct req *r, struct resp *w, struct db *db, struct relay *rl,
    int chosen)
{
	struct plan p;
	enum dbrc rc;

	if ((rc = db_plan_get(db, &r->arena, rl->plan, &p)) == DB_NOTFOUND)
		return resp_field(w, ST_INVALID_PLAN, "plan",
		    arena_printf(&r->arena, "there is no plan called %s",
		    rl->plan));
	if (rc != DB_OK)
		return st_from_db(rc);
	if (chosen && p.hidden)
		return resp_field(w, ST_INVALID_PLAN, "plan",
		    arena_printf(&r->arena, "the %s plan is no longer offered; "
		    "choose another", p.name));
	if (rl->blossom_enabled && !p.blossom)
		return resp_field(w, ST_PLAN_FEATURE, "blossom_enabled",
		    arena_printf(&r->arena, "the %s plan does not include "
		    "Blossom media storage", p.name));
	if (rl->livekit_enabled && !p.livekit)
		return resp_field(w, ST_PLAN_FEATURE, "livekit_enabled",
		    arena_printf(&r->arena, "the %s plan does not include "
		    "LiveKit audio and video", p.name));
	return ST_OK;
}

/*
 * Only payment ends delinquency (workers.md §2.6): while the tenant's
 * paid relays are suspended for an unpaid invoice, no route may put a
 * relay on a paid plan into service, whatever path a tenant takes
 * (create, switch a free relay to a paid plan, deactivate a suspended
 * relay and turn it on again). 409 conflict.
 */
static enum status
delinquency_gate(struct req *r, struct resp *w, struct db *db,
    const char *tenant, const char *plan)
{
	struct tenant t;
	struct plan p;
	enum dbrc rc;

	if ((rc = db_plan_get(db, &r->arena, plan, &p)) != DB_OK)
		return st_from_db(rc);
	if (p.stripe_price_setting == NULL)
		return ST_OK;
	if ((rc = db_tenant_get(db, &r->arena, tenant, &t)) != DB_OK)
		return st_from_db(rc);
	if (t.delinquent_at < 0)
		return ST_OK;
	return resp_fail(w, ST_CONFLICT, "your paid relays are suspended for "
	    "an unpaid invoice: pay it, and they come back on their own");
}

/* A string field that must be there: 400 for a wrong type. */
static enum status
required_str(struct req *r, struct resp *w, const char *key, size_t max,
    const char **out)
{
	switch (json_get_str(r->json, key, max, out, NULL)) {
	case JGET_OK:
		return ST_OK;
	case JGET_ABSENT:
		*out = "";
		return ST_OK;
	default:
		return resp_field(w, ST_BAD_REQUEST, key, arena_printf(
		    &r->arena, "%s must be a string", key));
	}
}

/*
 * A field that has two names (ours and Flotilla's, e.g. plan and plan_id):
 * either may be sent; both, only if they agree. *out is "" when neither.
 */
static enum status
aliased_str(struct req *r, struct resp *w, const char *ours,
    const char *theirs, size_t max, const char **out)
{
	const char *a, *b;
	enum status st;

	if ((st = required_str(r, w, ours, max, &a)) != ST_OK ||
	    (st = required_str(r, w, theirs, max, &b)) != ST_OK)
		return st;
	if (*a != '\0' && *b != '\0' && strcmp(a, b) != 0)
		return resp_field(w, ST_INVALID_FIELD, theirs, arena_printf(
		    &r->arena, "%s and %s name the same thing and differ here; "
		    "send one of them", ours, theirs));
	*out = *a != '\0' ? a : b;
	return ST_OK;
}

/* Flotilla sends the relay domain it expects; it must be this server's. */
static enum status
zooid_domain_check(struct req *r, struct resp *w)
{
	const char *d, *ours = cfg_str(&r->app->cfg, CFG_RELAY_DOMAIN);
	enum status st;

	if ((st = required_str(r, w, "zooid_domain", 253, &d)) != ST_OK)
		return st;
	if (*d != '\0' && strcmp(d, ours) != 0)
		return resp_field(w, ST_INVALID_FIELD, "zooid_domain",
		    arena_printf(&r->arena, "zooid_domain must be this "
		    "server's relay domain%s%s", *ours != '\0' ? ", " : "",
		    ours));
	return ST_OK;
}

/*
 * Flotilla's custom domains wait until zooid can serve a relay under a
 * second host: "" (none) is the only value a relay can have.
 */
static enum status
custom_domain_check(struct req *r, struct resp *w)
{
	const char *d;
	enum status st;

	if (json_has_null(r->json, "custom_domain"))
		return ST_OK;
	if ((st = required_str(r, w, "custom_domain", 4096, &d)) != ST_OK)
		return st;
	if (*d != '\0')
		return resp_field(w, ST_INVALID_FIELD, "custom_domain",
		    "custom domains are not available yet; the relay is "
		    "reached at its subdomain");
	return ST_OK;
}

/* schema: subdomain with "-" → "_", "_", 8 id characters (api.md §5). */
static char *
relay_schema(struct arena *a, const char *subdomain, const char *id)
{
	char *s, *p;

	s = arena_printf(a, "%s%s_%.8s", subdomain[0] >= '0' &&
	    subdomain[0] <= '9' ? "r_" : "", subdomain, id);
	for (p = s; *p != '\0'; p++)
		if (*p == '-')
			*p = '_';
	return s;
}

/*
 * The change's transaction: fn's write, the activity row, and the billing
 * mark, or nothing.
 */
static enum status
relay_commit(struct req *r, struct db *db, enum dbrc write,
    const struct relay *rl, const char *activity, int64_t now)
{
	enum dbrc rc = write;

	if (rc == DB_OK)
		rc = db_activity_add(db, rl->tenant, r->signer, now, activity,
		    "relay", rl->id);
	if (rc == DB_OK)
		rc = db_tenant_mark_billing(db, rl->tenant, now);
	if (rc == DB_OK)
		rc = db_commit(db);
	else
		db_rollback(db);
	return st_from_db(rc);
}

/*
 * POST /relays {subdomain, plan, [tenant], [info_*], [flags]}
 * 201 Relay; 400 bad types; 403 tenant of another signer; 409
 * tenant-required; 422 invalid-subdomain, subdomain-exists, invalid-plan,
 * plan-feature-not-allowed, invalid-field; 503 not-configured.
 */
enum status
relays_create(struct req *r, struct resp *w)
{
	struct relay rl;
	struct tenant t;
	const struct secretbox *box;
	unsigned char sk[32], pk[32], rid[16];
	char *sealed = NULL, skhex[65], idhex[33];
	const char *subdomain, *plan, *tenant;
	struct db *db;
	enum status st;
	enum dbrc rc;
	int64_t now = clock_now();

	if ((st = req_body_object(r, w)) != ST_OK)
		return st;
	relay_defaults(&rl);
	if ((st = required_str(r, w, "subdomain", 256, &subdomain)) != ST_OK ||
	    (st = aliased_str(r, w, "plan", "plan_id", 64, &plan)) != ST_OK ||
	    (st = aliased_str(r, w, "tenant", "tenant_pubkey", 64, &tenant)) !=
	    ST_OK || (st = zooid_domain_check(r, w)) != ST_OK ||
	    (st = custom_domain_check(r, w)) != ST_OK ||
	    (st = relay_fields(r, w, &rl)) != ST_OK)
		return st;
	if (*tenant == '\0')
		tenant = r->signer;
	else if (strcmp(tenant, r->signer) != 0 && !r->is_admin)
		return resp_fail(w, ST_FORBIDDEN,
		    "only an admin may create a relay for another tenant");
	if (*plan == '\0')
		return resp_field(w, ST_INVALID_PLAN, "plan", "plan is required");
	if ((db = app_db(r->app)) == NULL)
		return ST_UNAVAILABLE;
	rl.plan = arena_strdup(&r->arena, plan);
	rl.subdomain = arena_strdup(&r->arena, subdomain);
	rl.tenant = arena_strdup(&r->arena, tenant);
	if ((st = subdomain_check(r, w, db, subdomain)) != ST_OK ||
	    (st = plan_check(r, w, db, &rl, 1)) != ST_OK)
		return st;
	if ((rc = db_tenant_get(db, &r->arena, tenant, &t)) == DB_NOTFOUND)
		return resp_fail(w, ST_TENANT_REQUIRED, "the tenant does not "
		    "exist yet: call POST /tenants first");
	if (rc != DB_OK)
		return st_from_db(rc);
	if ((st = delinquency_gate(r, w, db, tenant, rl.plan)) != ST_OK)
		return st;
	if (!cfg_isset(&r->app->cfg, CFG_ENCRYPTION_SECRET))
		return resp_fail(w, ST_NOT_CONFIGURED,
		    "ENCRYPTION_SECRET is not set, so relay keys cannot be "
		    "stored");

	if (nostr_keygen(sk, pk) == -1 || nostr_random(rid, sizeof(rid)) == -1)
		return ST_INTERNAL;
	hex_encode(sk, 32, skhex);
	explicit_zero(sk, sizeof(sk));
	hex_encode(rid, sizeof(rid), idhex);
	if ((box = app_secretbox(r->app)) != NULL)
		sealed = secretbox_seal_alloc(box, skhex);
	explicit_zero(skhex, sizeof(skhex));
	if (sealed == NULL)
		return ST_INTERNAL;
	rl.id = arena_strdup(&r->arena, idhex);
	rl.schema = relay_schema(&r->arena, rl.subdomain, rl.id);
	rl.status = "active";
	rl.created_at = rl.updated_at = now;

	if ((rc = db_begin(db)) != DB_OK) {
		free(sealed);
		return st_from_db(rc);
	}
	rc = db_relay_insert(db, &rl, sealed);
	free(sealed);
	if (rc == DB_CONSTRAINT) {
		db_rollback(db);
		return resp_field(w, ST_SUBDOMAIN_EXISTS, "subdomain",
		    "subdomain is already taken");
	}
	if ((st = relay_commit(r, db, rc, &rl, "create_relay", now)) != ST_OK)
		return st;
	w->code = 201;
	return relays_answer(r, w, &rl);
}

struct relay_out {
	struct list_out *o;
	const struct config *cfg;
};

static int
relay_elem(const void *row, void *arg)
{
	struct relay_out *ro = arg;

	relay_text(list_elem(ro->o), ro->cfg, row);
	return 0;
}

/* The relays of w->list_arg (a list_filter), each as it is read. */
static enum status
relays_each(struct req *r, struct resp *w, struct list_out *o)
{
	struct relay_out ro = { o, &r->app->cfg };

	return list_done(w, db_relay_each(app_db(r->app), list_scratch(o),
	    w->list_arg, relay_elem, &ro), "after names no relay");
}

enum status
relays_answer_list(struct req *r, struct resp *w, const char *tenant,
    const struct list_filter *page)
{
	struct list_filter *f;

	if (app_db(r->app) == NULL)
		return ST_UNAVAILABLE;
	f = arena_alloc(&r->arena, sizeof(*f));
	*f = *page;
	f->tenant = tenant;
	w->list = relays_each;
	w->list_arg = f;
	return ST_OK;
}

/* GET /relays[?tenant=<pubkey>] (admin): list of Relay, newest first. */
enum status
relays_list(struct req *r, struct resp *w)
{
	struct list_filter f = { .tenant = NULL };
	const char *tenant;
	enum status st;

	tenant = req_query(r, "tenant");
	if (tenant != NULL && (strlen(tenant) != 64 ||
	    !is_lower_hex(tenant, 64)))
		return resp_field(w, ST_BAD_REQUEST, "tenant",
		    "tenant must be a public key of 64 lower-case hex digits");
	if ((st = req_page(r, w, 32, &f)) != ST_OK)
		return st;
	return relays_answer_list(r, w, tenant, &f);
}

/* Load the relay named by :id (its existence was checked by RULE_RELAY). */
static enum status
relay_load(struct req *r, struct resp *w, struct db **db, struct relay *rl)
{
	enum dbrc rc;

	if ((*db = app_db(r->app)) == NULL)
		return ST_UNAVAILABLE;
	if ((rc = db_relay_get(*db, &r->arena, r->param[0], rl)) != DB_OK)
		return rc == DB_NOTFOUND ? resp_fail(w, ST_NOT_FOUND,
		    "no relay has this id") : st_from_db(rc);
	return ST_OK;
}

/* GET /relays/:id (tenant): Relay. */
enum status
relays_get(struct req *r, struct resp *w)
{
	struct relay rl;
	struct db *db;
	enum status st;

	if ((st = relay_load(r, w, &db, &rl)) != ST_OK)
		return st;
	return relays_answer(r, w, &rl);
}

/*
 * PUT /relays/:id (tenant): partial update of plan, info and flags;
 * subdomain is immutable (422). 200 Relay, unsynced.
 */
enum status
relays_update(struct req *r, struct resp *w)
{
	struct relay rl;
	struct db *db;
	const char *s;
	enum status st;
	int64_t now = clock_now();

	if ((st = req_body_object(r, w)) != ST_OK ||
	    (st = relay_load(r, w, &db, &rl)) != ST_OK)
		return st;
	if ((st = required_str(r, w, "subdomain", 256, &s)) != ST_OK)
		return st;
	if (*s != '\0' && strcmp(s, rl.subdomain) != 0)
		return resp_field(w, ST_INVALID_SUBDOMAIN, "subdomain",
		    "subdomain cannot be changed");
	if ((st = aliased_str(r, w, "tenant", "tenant_pubkey", 64, &s)) !=
	    ST_OK)
		return st;
	if (*s != '\0' && strcmp(s, rl.tenant) != 0)
		return resp_field(w, ST_INVALID_FIELD, "tenant",
		    "a relay cannot move to another tenant");
	if ((st = aliased_str(r, w, "plan", "plan_id", 64, &s)) != ST_OK ||
	    (st = zooid_domain_check(r, w)) != ST_OK ||
	    (st = custom_domain_check(r, w)) != ST_OK ||
	    (st = relay_fields(r, w, &rl)) != ST_OK)
		return st;
	if (*s != '\0' && strcmp(s, rl.plan) != 0) {
		rl.plan = arena_strdup(&r->arena, s);
		if ((st = plan_check(r, w, db, &rl, 1)) != ST_OK ||
		    (strcmp(rl.status, "active") == 0 && (st =
		    delinquency_gate(r, w, db, rl.tenant, rl.plan)) != ST_OK) ||
		    (st = member_limit_check(r, w, db, &rl)) != ST_OK)
			return st;
	} else if ((st = plan_check(r, w, db, &rl, 0)) != ST_OK)
		return st;
	if (db_begin(db) != DB_OK)
		return ST_UNAVAILABLE;
	rl.updated_at = now;
	if ((st = relay_commit(r, db, db_relay_update(db, &rl), &rl,
	    "update_relay", now)) != ST_OK)
		return st;
	rl.synced = 0;
	return relays_answer(r, w, &rl);
}

/* Move the relay to status "to" with its activity, unless it is there. */
static enum status
relay_move(struct req *r, struct resp *w, const char *to,
    const char *activity)
{
	struct relay rl;
	struct db *db;
	enum status st;
	int64_t now = clock_now();

	if ((st = relay_load(r, w, &db, &rl)) != ST_OK)
		return st;
	if (strcmp(rl.status, "delinquent") == 0 && strcmp(to, "active") == 0)
		return resp_fail(w, ST_CONFLICT, "this relay is delinquent: it "
		    "becomes active again when its invoices are paid");
	if (strcmp(to, "active") == 0 && strcmp(rl.status, "active") != 0 &&
	    (st = delinquency_gate(r, w, db, rl.tenant, rl.plan)) != ST_OK)
		return st;
	if (strcmp(rl.status, to) != 0) {
		if (db_begin(db) != DB_OK)
			return ST_UNAVAILABLE;
		if ((st = relay_commit(r, db, db_relay_set_status(db, rl.id, to,
		    now), &rl, activity, now)) != ST_OK)
			return st;
		rl.status = to;
		rl.synced = 0;
	}
	return relays_answer(r, w, &rl);
}

/*
 * The relay's members from zooid into *out (NULL for a relay zooid has
 * never accepted: it has none), or an error status: 502 zooid-error, 503
 * not-configured.
 */
static enum status
relay_members(struct req *r, struct resp *w, const struct relay *rl,
    char ***out, size_t *n)
{
	struct zooid z;
	char *err = NULL;
	enum zooid_rc rc;

	*out = NULL;
	*n = 0;
	if (!rl->zooid_created)
		return ST_OK;
	if (zooid_init(&z, &r->app->cfg) == -1)
		return resp_fail(w, ST_NOT_CONFIGURED,
		    "ZOOID_API_URL and ZOOID_API_SECRET are not set");
	rc = zooid_members(&z, rl->id, out, n, &err);
	zooid_release(&z);
	if (rc == ZOOID_OK) {
		free(err);
		return ST_OK;
	}
	log_warnx("relay %s: zooid members: %s", rl->id,
	    err != NULL ? err : "failed");
	free(err);
	return resp_fail(w, ST_ZOOID_ERROR,
	    "the relay server did not answer with the member list");
}

/*
 * GET /relays/:id/members (tenant): {"members": [hex…]} from zooid; []
 * without asking zooid for a relay it has never accepted.
 */
enum status
relays_members(struct req *r, struct resp *w)
{
	struct relay rl;
	struct json_object *list;
	struct db *db;
	char **m;
	size_t i, n;
	enum status st;

	if ((st = relay_load(r, w, &db, &rl)) != ST_OK ||
	    (st = relay_members(r, w, &rl, &m, &n)) != ST_OK)
		return st;
	list = jarr();
	for (i = 0; i < n; i++)
		jpush(list, jstr(m[i]));
	zooid_members_free(m, n);
	w->data = jobj();
	jadd(w->data, "members", list);
	return ST_OK;
}

/*
 * A plan change must leave room for the relay's members (api.md §5):
 * 422 member-limit-exceeded naming both numbers.
 */
static enum status
member_limit_check(struct req *r, struct resp *w, struct db *db,
    const struct relay *rl)
{
	struct plan p;
	char **m;
	size_t n;
	enum status st;
	enum dbrc rc;

	if ((rc = db_plan_get(db, &r->arena, rl->plan, &p)) != DB_OK)
		return st_from_db(rc);
	if (p.members < 0 || !rl->zooid_created)
		return ST_OK;
	if ((st = relay_members(r, w, rl, &m, &n)) != ST_OK)
		return st;
	zooid_members_free(m, n);
	if ((int64_t)n > p.members)
		return resp_field(w, ST_MEMBER_LIMIT, "plan", arena_printf(
		    &r->arena, "the relay has %zu members but the %s plan "
		    "allows %lld", n, p.name, (long long)p.members));
	return ST_OK;
}

/* POST /relays/:id/deactivate (tenant): → inactive; idempotent. */
enum status
relays_deactivate(struct req *r, struct resp *w)
{
	return relay_move(r, w, "inactive", "deactivate_relay");
}

/* POST /relays/:id/reactivate (tenant): inactive → active; 409 delinquent. */
enum status
relays_reactivate(struct req *r, struct resp *w)
{
	return relay_move(r, w, "active", "activate_relay");
}

/*
 * GET /relays/:id/activity[?limit=N][&before=T] (tenant):
 * {"activity": [...]}, newest first; limit 1..500, default 100.
 */
enum status
relays_activity(struct req *r, struct resp *w)
{
	struct activity *v;
	struct json_object *list, *o;
	struct db *db;
	const char *q;
	struct list_filter f = { .relay = r->param[0],
		.limit = ACTIVITY_DEFAULT };
	size_t i, n;
	enum dbrc rc;

	if ((q = req_query(r, "limit")) != NULL &&
	    parse_int64(q, 1, ACTIVITY_MAX, &f.limit) == -1)
		return resp_field(w, ST_BAD_REQUEST, "limit",
		    "limit must be a whole number from 1 to 500");
	if ((q = req_query(r, "before")) != NULL &&
	    parse_int64(q, 1, INT64_MAX / 2, &f.before) == -1)
		return resp_field(w, ST_BAD_REQUEST, "before",
		    "before must be a unix time in seconds");
	if ((db = app_db(r->app)) == NULL)
		return ST_UNAVAILABLE;
	if ((rc = db_activity_list(db, &r->arena, &f, &v, &n)) != DB_OK)
		return st_from_db(rc);
	list = jarr();
	for (i = 0; i < n; i++) {
		table_jobj(o = jobj(), &activity_table, &v[i]);
		jpush(list, o);
	}
	w->data = jobj();
	jadd(w->data, "activity", list);
	return ST_OK;
}

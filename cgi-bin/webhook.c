/*
 * webhook.c: POST /stripe/webhook (spec/workers.md §3). Stripe signs the
 * raw body; nothing is parsed before the signature and its time are
 * checked. The event id and its effect commit in one transaction, so a
 * repeated delivery is answered 200 and changes nothing, and a failure
 * leaves no trace for Stripe's retry to trip over.
 */
#include "config.h"

#include <string.h>

#include "billing.h"
#include "http.h"
#include "json.h"
#include "stripe.h"

static enum status
received(struct resp *w, int duplicate)
{
	w->data = jobj();
	jadd_bool(w->data, "received", 1);
	if (duplicate)
		jadd_bool(w->data, "duplicate", 1);
	return ST_OK;
}

/*
 * POST /stripe/webhook (public; Stripe-Signature): 200 {"received":
 * true[, "duplicate": true]}; 400 bad or stale signature, or an event we
 * cannot read (nothing written); 503 not-configured, or the database busy
 * (Stripe retries).
 */
enum status
webhook_stripe(struct req *r, struct resp *w)
{
	const struct config *c = &r->app->cfg;
	struct billing_event ev;
	struct json_object *root = NULL;
	struct db *db;
	const char *why;
	enum status st = ST_OK;
	enum dbrc rc;
	int64_t now = clock_now();

	if (!cfg_isset(c, CFG_STRIPE_WEBHOOK_SECRET))
		return resp_fail(w, ST_NOT_CONFIGURED,
		    "STRIPE_WEBHOOK_SECRET is not set");
	if (stripe_sig_verify(r->stripe_signature, r->body, r->body_len,
	    cfg_str(c, CFG_STRIPE_WEBHOOK_SECRET), now, STRIPE_SIG_TOLERANCE,
	    &why) == -1)
		return resp_fail(w, ST_BAD_REQUEST, why);
	if (billing_event_parse(&r->arena, r->body, r->body_len, &ev, &root,
	    &why) == -1)
		return resp_fail(w, ST_BAD_REQUEST, why);
	if ((db = app_db(r->app)) == NULL) {
		st = ST_UNAVAILABLE;
		goto out;
	}
	if ((rc = db_begin(db)) != DB_OK) {
		st = st_from_db(rc);
		goto out;
	}
	/* The id goes in last: a repeat fails its key and undoes it all. */
	if ((rc = billing_event_apply(db, &r->arena, &ev, now)) == DB_OK &&
	    (rc = db_stripe_event_insert(db, ev.id, ev.type, ev.created, now,
	    ev.tenant, ev.object_id, ev.effect)) == DB_CONSTRAINT) {
		db_rollback(db);
		st = received(w, 1);
		goto out;
	}
	if (rc == DB_OK)
		rc = db_commit(db);
	else
		db_rollback(db);
	if (rc != DB_OK) {
		log_warnx("stripe event %s (%s): not applied", ev.id, ev.type);
		st = rc == DB_BUSY || rc == DB_DISK ? st_from_db(rc) :
		    ST_INTERNAL;
		goto out;
	}
	log_info("stripe event %s %s: %s", ev.id, ev.type, ev.effect);
	st = received(w, 0);
out:
	json_object_put(root);
	return st;
}

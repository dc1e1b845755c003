/*
 * billing_run.c: billing work a request does now instead of waiting for
 * the next pass (the reconcile routes and the invoice preview). Such a
 * request waits on Stripe or a wallet, so it runs in a wallet slot, as
 * the bolt11 route does: at most one fewer than the FastCGI children at
 * once, the others answered 503 at once, so the API never stalls. Work
 * that a pass also does (a tenant's subscription) holds the pass's lock
 * too, waiting a few seconds for a running pass to finish.
 */
#include "config.h"

#include <unistd.h>

#include "http.h"
#include "worker.h"

#define BILLING_LOCK_WAIT_MS 5000

enum status
billing_run_begin(struct req *r, struct billing_run *x, int lock)
{
	const struct config *c = &r->app->cfg;
	char *base;

	x->lock = -1;
	base = arena_printf(&r->arena, "%s.wallet", c->dbpath);
	if ((x->slot = slot_take(base, r->app->children > 1 ?
	    r->app->children - 1 : 1)) == -1)
		return ST_BILLING_BUSY;
	if (lock && (x->lock = worker_lock_wait(c->dbpath, "billing",
	    BILLING_LOCK_WAIT_MS)) < 0) {
		slot_give(x->slot);
		return ST_BILLING_BUSY;
	}
	billing_init(&x->b, app_db(r->app), c, r->app->box);
	return ST_OK;
}

void
billing_run_end(struct billing_run *x)
{
	billing_release(&x->b);
	if (x->lock >= 0)
		close(x->lock);
	slot_give(x->slot);
}

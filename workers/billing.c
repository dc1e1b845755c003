/*
 * billing.c: caravel-billing, invoicing and collection (spec/workers.md
 * §2). One pass does the six duties in order (src/billing.h): reconcile
 * the subscriptions of tenants a relay change marked (all with --all, and
 * each subscription daily), heal their invoice mirror, auto-pay open
 * invoices over NWC, settle manual bolt11s, queue "payment is due" DMs,
 * and suspend or restore relays for unpaid or paid invoices.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing.h"
#include "core.h"
#include "crypt.h"
#include "httpc.h"
#include "nostr.h"
#include "worker.h"
#include "ws.h"

#define RECONCILE_BATCH 1000 /* tenants reconciled per pass */
#define DUNNING_HEAL_EVERY 3600 /* a tenant in dunning is re-read hourly */

/* What caravel-billing cannot work without (-n checks it too). */
static const struct cfg_need billing_needs[] = {
	{ CFG_ENCRYPTION_SECRET, "it to read the tenants' wallet URLs" },
};

static const struct worker_def billing_def = {
	"billing", billing_needs, nitems(billing_needs), WORKER_ALL, "TENANT",
};

int
main(int argc, char *argv[])
{
	struct worker w;
	struct billing b;
	struct secretbox box;
	struct arena a = { NULL };
	struct billing_due *due;
	struct tenant t;
	unsigned char pk[32];
	char only[65], counts[400];
	size_t i, n;
	int64_t now;
	int rc = 0, r, have_box = 0;

	worker_start(&w, &billing_def, argc, argv);
	now = clock_now();
	if (!cfg_isset(&w.cfg, CFG_STRIPE_SECRET_KEY)) {
		/* Off is fine until there is someone to bill. */
		if (db_billing_due(w.db, &a, 0, 0, 1, 1, &due, &n) != DB_OK ||
		    n > 0) {
			log_warnx("STRIPE_SECRET_KEY is not set, but there are "
			    "tenants to bill");
			rc = 1;
		} else if (w.verbose) /* idle: silent unless -v */
			log_info("STRIPE_SECRET_KEY is not set: billing is off");
		rc = worker_summary(&w, rc, 0, "billing is off");
		arena_free(&a);
		worker_finish(&w);
		return rc;
	}
	if (httpc_global_init() == -1) {
		log_warnx("cannot initialise libcurl");
		worker_finish(&w);
		return 1;
	}
	if (cfg_isset(&w.cfg, CFG_ENCRYPTION_SECRET) &&
	    secretbox_init(&box, cfg_str(&w.cfg, CFG_ENCRYPTION_SECRET)) == 0)
		have_box = 1;
	billing_init(&b, w.db, &w.cfg, have_box ? &box : NULL);
	b.dry_run = w.dry_run;
	if (w.once_for != NULL) {
		if (nostr_pubkey_parse(w.once_for, pk) == -1) {
			log_warnx("--once-for %s: not a public key (hex or "
			    "npub)", w.once_for);
			rc = 1;
			goto out;
		}
		hex_encode(pk, 32, only);
		b.only = only;
		if (db_tenant_get(w.db, &a, only, &t) == DB_NOTFOUND) {
			log_warnx("--once-for %s: no tenant has this public key",
			    w.once_for);
			rc = 1;
			goto out;
		}
	}

	/* 1-2. Subscriptions, then the invoices they made. */
	if (b.only != NULL) {
		due = arena_alloc(&a, sizeof(*due));
		due->pubkey = b.only;
		due->marked_at = -1;
		n = 1;
	} else if (db_billing_due(w.db, &a, now - BILLING_DAILY,
	    now - DUNNING_HEAL_EVERY, w.all, RECONCILE_BATCH, &due, &n) !=
	    DB_OK) {
		rc = 1;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((r = billing_tenant(&b, &a, due[i].pubkey,
		    due[i].marked_at)) == -2)
			b.n.operator++;
		else if (r == -1)
			b.n.errors++;
	}
	/* 3-6. */
	billing_autopay(&b, &a);
	billing_manual(&b, &a);
	billing_due_dms(&b, &a);
	billing_dunning(&b, &a);
	if (b.n.operator > 0)
		rc = 1;
out:
	snprintf(counts, sizeof(counts), "%d tenants reconciled (%d created, "
	    "%d updated, %d canceled), %d invoices mirrored, %d paid by NWC, "
	    "%d NWC failed, %d paid by hand, %d DMs, %d relays suspended, %d "
	    "restored, %d deferred, %d need an operator", b.n.reconciled,
	    b.n.created, b.n.updated, b.n.canceled, b.n.healed, b.n.paid,
	    b.n.failed, b.n.settled, b.n.dms, b.n.suspended, b.n.restored,
	    b.n.errors, b.n.operator);
	rc = worker_summary(&w, rc, b.n.reconciled + b.n.created +
	    b.n.updated + b.n.canceled + b.n.healed + b.n.paid + b.n.failed +
	    b.n.settled + b.n.dms + b.n.suspended + b.n.restored + b.n.errors +
	    b.n.operator, counts);
	billing_release(&b);
	if (have_box)
		secretbox_release(&box);
	ws_global_cleanup();
	httpc_global_cleanup();
	arena_free(&a);
	worker_finish(&w);
	return rc;
}

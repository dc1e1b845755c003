/*
 * billing.h: the money path (spec/workers.md §2-§3), as steps that
 * caravel-billing runs in order each pass and that caravel-admin (and the
 * webhook, for events) call for one tenant:
 *
 *   billing_reconcile   one Stripe subscription per tenant, one item per
 *                       paid plan, quantity = its active relays there
 *   billing_heal        the invoice mirror from Stripe's list
 *   billing_autopay     open invoices paid from the tenant's NWC wallet,
 *                       behind a guard row written before any wallet call
 *   billing_manual      manual bolt11s looked up on the platform wallet
 *   billing_due_dms     "payment is due" once per invoice without a wallet
 *   billing_dunning     delinquency after the grace period, recovery on
 *                       payment, a DM for each
 *
 * Nothing here holds a transaction across a call to Stripe or a wallet;
 * every write to either is idempotent (a deterministic key) or guarded
 * (a row written first), so a crash at any point is finished by the
 * next pass without paying or subscribing twice.
 */
#ifndef CARAVEL_BILLING_H
#define CARAVEL_BILLING_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cfg.h"
#include "db.h"
#include "nwc.h"
#include "stripe.h"

struct secretbox;

#define BILLING_DM_MAX 240 /* characters of a billing DM (original) */
#define BILLING_NWC_RETRY 86400 /* a failed auto-payment is tried daily */
#define BILLING_DAILY 86400 /* every subscription is checked daily */
#define BILLING_AUTOPAY_EXPIRY 600 /* seconds an auto-pay bolt11 lives */
#define BILLING_MANUAL_EXPIRY 3600 /* seconds a manual bolt11 lives */
#define BILLING_LOOKUP_EVERY 30 /* seconds between lookups of a bolt11 */
#define BILLING_SUBCREATE_REPLAY 82800 /* 23 h: Stripe keeps keys 24 h */
#define BILLING_INVOICES_HEALED 10 /* newest invoices listed per tenant */
#define BILLING_SUSPENDED_BILLED (30 * 86400) /* see desired_load() */
#define BILLING_DUE_DM_EVERY (3 * 86400) /* "payment is due" at most */

/* What a pass (or one tenant's reconcile) did, for the summary line. */
struct billing_counts {
	int reconciled, created, updated, canceled, healed, paid, failed;
	int settled, dms, suspended, restored, errors, operator;
};

struct billing {
	struct db *db;
	const struct config *cfg;
	struct stripe stripe;
	const struct secretbox *box; /* opens tenants' wallet URLs */
	struct nwc_opts wallet_opts; /* tenants' wallets: public only */
	struct nwc_opts platform_opts; /* NWC_URL: the operator's */
	int dry_run;
	const char *only; /* one tenant's work (--once-for), or NULL */
	struct billing_counts n;
	/* Every line logged is also given here (caravel-admin reconcile). */
	void (*report)(void *, const char *);
	void *report_arg;
	struct nwc *platform; /* NWC_URL, opened on first use */
	int platform_failed; /* NWC_URL unusable: asked once per pass */
};

void billing_init(struct billing *, struct db *, const struct config *,
    const struct secretbox *);
void billing_release(struct billing *);
/* One line to the log (and to report), naming the tenant or invoice. */
void billing_note(struct billing *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
void billing_warn(struct billing *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
/* The platform wallet for this pass, or NULL (logged once). */
struct nwc *billing_platform(struct billing *);
/*
 * Queue a DM to pubkey inside the caller's transaction (at most
 * BILLING_DM_MAX characters, cut at a character boundary); once per
 * dedupe key. DB_OK or DB_DONE (queued before).
 */
enum dbrc billing_dm(struct billing *, const char *pubkey, const char *text,
    const char *dedupe_key, int64_t now);

/*
 * Bring the tenant's subscription to its relays (research/stripe.md
 * §2.1): 0 done or nothing to do; -1 deferred (Stripe failed; the next
 * pass retries); -2 an operator must act (a price is not configured, or
 * Stripe refused the request). Logs one line per change.
 */
int billing_reconcile(struct billing *, struct arena *, const char *pubkey);
/*
 * One tenant brought up to date as a pass does it: the subscription, then
 * the invoices and the card on file; the billing mark it saw (marked_at,
 * -1 for none) is cleared when all of it worked. 0, -1 or -2 as
 * billing_reconcile (a failed invoice listing is -1).
 */
int billing_tenant(struct billing *, struct arena *, const char *pubkey,
    int64_t marked_at);
/*
 * The tenant's stripe_error after a failed card payment of inv: what
 * failed and what they can do.
 */
const char *billing_card_failed(struct arena *, const struct invoice *);
/*
 * Upsert the tenant's newest invoices from Stripe and refresh its card on
 * file; 0 or -1.
 */
int billing_heal(struct billing *, struct arena *, const char *pubkey);
void billing_autopay(struct billing *, struct arena *);
/*
 * One invoice checked now, as the pass would: the newest bolt11 with the
 * platform wallet (settled: Stripe is told), then the invoice with Stripe
 * (a card payment shows). 0, -1 (asked again later), -2 (an operator
 * must act).
 */
int billing_invoice_now(struct billing *, struct arena *, const char *id);
void billing_manual(struct billing *, struct arena *);
void billing_due_dms(struct billing *, struct arena *);
void billing_dunning(struct billing *, struct arena *);

/*
 * Mark the Stripe invoice paid out of band after a Lightning payment and
 * mirror the answer; 0, -1 (the caller retries soon), or -2 (Stripe
 * refuses, e.g. the invoice was voided: an operator must settle it).
 */
int billing_mark_paid(struct billing *, struct arena *, const char *invoice);

/* A Stripe webhook event (workers.md §3). */
struct billing_event {
	const char *id; /* evt_... */
	const char *type;
	int64_t created;
	struct json_object *object; /* data.object, borrowed from the root */
	const char *object_id; /* what it was about, once applied */
	const char *tenant; /* whose, once applied; NULL: nobody's */
	const char *effect; /* what applying it changed, for operators */
};
/*
 * Parse an event body (already verified): 0 with ev and *root (caller
 * puts it), or -1 with *why a static sentence.
 */
int billing_event_parse(struct arena *, const char *body, size_t len,
    struct billing_event *, struct json_object **root, const char **why);
/* Apply it inside the caller's transaction; ev->effect says what it did. */
enum dbrc billing_event_apply(struct db *, struct arena *,
    struct billing_event *, int64_t now);

#endif

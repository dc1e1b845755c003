/*
 * billing_dunning.c: what tenants are told and what happens when they do
 * not pay (spec/workers.md §2.5-§2.6): the "payment is due" DM once per
 * invoice, delinquency after BILLING_GRACE_DAYS, and recovery once the
 * invoices are paid. Each state change and its DM and activity rows
 * commit together, so caravel-robot sends exactly what happened.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing.h"

/* The DM texts of the original service (research/caravel-original §5). */
#define DM_PAYMENT_DUE "Payment is due for your relay subscription. Please " \
	"visit the application to complete a manual Lightning payment."
#define DM_SUSPENDED "Your relay subscription is unpaid, so your paid " \
	"relays are suspended. Pay the open invoice in the application and " \
	"they come back on their own."
#define DM_RESTORED "Payment received: your relays are active again. " \
	"Thank you!"

enum dbrc
billing_dm(struct billing *b, const char *pk, const char *text,
    const char *key, int64_t now)
{
	char *cut;
	size_t i, chars = 0;
	enum dbrc rc;

	/* At most BILLING_DM_MAX characters, never half of one. */
	for (i = 0; text[i] != '\0'; i++)
		if (((unsigned char)text[i] & 0xc0) != 0x80 &&
		    chars++ == BILLING_DM_MAX)
			break;
	cut = xmalloc(i + 1);
	memcpy(cut, text, i);
	cut[i] = '\0';
	rc = db_dm_queue(b->db, pk, cut, key, now, NULL);
	free(cut);
	return rc;
}

void
billing_due_dms(struct billing *b, struct arena *a)
{
	struct invoice *v;
	char key[128];
	size_t i, n;
	int64_t now = clock_now();
	enum dbrc rc;

	if (db_invoice_due_dm(b->db, a, now - BILLING_DUE_DM_EVERY, &v, &n) !=
	    DB_OK)
		return;
	for (i = 0; i < n; i++) {
		if (b->only != NULL && strcmp(b->only, v[i].tenant) != 0)
			continue;
		if (b->dry_run) {
			billing_note(b, "invoice %s: would tell tenant %s that "
			    "payment is due", v[i].id, v[i].tenant);
			continue;
		}
		snprintf(key, sizeof(key), "payment-due:%s", v[i].id);
		if (db_begin(b->db) != DB_OK)
			continue;
		rc = billing_dm(b, v[i].tenant, DM_PAYMENT_DUE, key, now);
		if (rc == DB_OK || rc == DB_DONE)
			rc = db_invoice_set_due_sent(b->db, v[i].id, now);
		if (rc == DB_OK)
			rc = db_commit(b->db);
		else
			db_rollback(b->db);
		if (rc == DB_OK) {
			billing_note(b, "invoice %s: payment due DM queued for "
			    "%s", v[i].id, v[i].tenant);
			b->n.dms++;
		}
	}
}

/*
 * Move the tenant's relays with status from to status to, each with its
 * activity row and unsynced for caravel-infra; then the tenant's
 * delinquent_at, a billing mark and the DM, in one transaction.
 */
static int
move_relays(struct billing *b, struct arena *a, const char *pk,
    const char *from, const char *to, const char *activity, int paid_only,
    int64_t delinquent_at, const char *dm, const char *key, size_t *moved)
{
	const char **ids;
	size_t i, n;
	int64_t now = clock_now();
	enum dbrc rc;

	*moved = 0;
	if (db_begin(b->db) != DB_OK)
		return -1;
	rc = db_relay_ids(b->db, a, pk, from, paid_only, &ids, &n);
	for (i = 0; i < n && rc == DB_OK; i++) {
		rc = db_relay_set_status(b->db, ids[i], to, now);
		if (rc == DB_OK)
			rc = db_activity_add(b->db, pk, "caravel-billing", now,
			    activity, "relay", ids[i]);
	}
	if (rc == DB_OK)
		rc = db_tenant_set_delinquent(b->db, pk, delinquent_at);
	if (rc == DB_OK)
		rc = db_tenant_mark_billing(b->db, pk, now);
	if (rc == DB_OK)
		rc = billing_dm(b, pk, dm, key, now);
	if (rc == DB_OK || rc == DB_DONE)
		rc = db_commit(b->db);
	else
		db_rollback(b->db);
	*moved = n;
	return rc == DB_OK ? 0 : -1;
}

void
billing_dunning(struct billing *b, struct arena *a)
{
	struct dunning *v;
	char key[160];
	size_t i, n, moved;
	int64_t grace, now = clock_now();

	grace = cfg_int(b->cfg, CFG_BILLING_GRACE_DAYS) * 86400;
	if (db_dunning_list(b->db, a, &v, &n) != DB_OK)
		return;
	for (i = 0; i < n; i++) {
		if (b->only != NULL && strcmp(b->only, v[i].pubkey) != 0)
			continue;
		if (v[i].delinquent_at < 0 && v[i].past_due_at >= 0 &&
		    now - v[i].past_due_at >= grace) {
			if (b->dry_run) {
				billing_note(b, "tenant %s: would suspend its "
				    "paid relays (past due since %lld)",
				    v[i].pubkey, (long long)v[i].past_due_at);
				continue;
			}
			snprintf(key, sizeof(key), "suspended:%s:%lld",
			    v[i].pubkey, (long long)now);
			if (move_relays(b, a, v[i].pubkey, "active",
			    "delinquent", "mark_relay_delinquent", 1, now,
			    DM_SUSPENDED, key, &moved) == 0) {
				billing_note(b, "tenant %s: %zu paid relays "
				    "suspended for an unpaid invoice (past due "
				    "since %lld)", v[i].pubkey, moved,
				    (long long)v[i].past_due_at);
				b->n.suspended += (int)moved;
			}
		} else if (v[i].delinquent_at >= 0 && v[i].past_due_at < 0 &&
		    v[i].open_invoices == 0) {
			/* Paid: only a payment clears past_due_at. */
			if (b->dry_run) {
				billing_note(b, "tenant %s: would restore its "
				    "suspended relays", v[i].pubkey);
				continue;
			}
			snprintf(key, sizeof(key), "restored:%s:%lld",
			    v[i].pubkey, (long long)v[i].delinquent_at);
			if (move_relays(b, a, v[i].pubkey, "delinquent",
			    "active", "activate_relay", 0, -1, DM_RESTORED, key,
			    &moved) == 0) {
				billing_note(b, "tenant %s: paid; %zu relays "
				    "active again", v[i].pubkey, moved);
				b->n.restored += (int)moved;
			}
		}
	}
}

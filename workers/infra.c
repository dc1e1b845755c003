/*
 * infra.c: caravel-infra, the cron job that provisions relays on zooid
 * (spec/workers.md §1). One pass: read the relays due for a sync, push
 * each one's full config with no transaction open, record each outcome
 * in its own short transaction. Safe to run twice at once (flock), by
 * hand, or after a crash at any point: zooid's answers are mapped so a
 * repeated create or update converges.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "crypt.h"
#include "httpc.h"
#include "worker.h"
#include "zooid.h"

#define SYNC_MAX_FAILURES 6 /* then wait for a change or --retry-failed */
#define SYNC_BACKOFF_BASE 30 /* seconds, doubled per failure */
#define SYNC_BACKOFF_CAP 900
#define SYNC_BATCH 100000

struct infra {
	struct worker w;
	struct zooid zooid;
	struct secretbox box;
	int synced, failed, skipped, must_look;
};

/*
 * Push one relay: POST with its secret the first time, PATCH (with the
 * same secret, which never changes) afterwards. A POST that finds the
 * relay already there (an earlier pass created it and crashed) becomes a
 * PATCH; a PATCH that finds it gone becomes a POST.
 */
static enum zooid_rc
push(struct infra *in, const struct relay_sync *rs, const char *secret,
    int *created, char **err)
{
	struct json_object *body;
	enum zooid_rc rc;
	long status;
	int create = !rs->r.zooid_created, tries;

	body = zooid_relay_body(&in->w.cfg, &rs->r, secret);
	for (tries = 0; tries < 2; tries++) {
		free(*err);
		*err = NULL;
		if (create) {
			rc = zooid_relay_create(&in->zooid, rs->r.id, body,
			    &status, err);
			worker_point("infra-after-create");
			if (rc != ZOOID_EXISTS)
				break;
		} else {
			rc = zooid_relay_patch(&in->zooid, rs->r.id, body,
			    &status, err);
			if (rc != ZOOID_NOT_FOUND)
				break;
		}
		create = !create;
	}
	json_object_put(body);
	*created = rc == ZOOID_OK;
	return rc;
}

/* Record the outcome with its activity row, in one transaction. */
static void
record(struct infra *in, const struct relay_sync *rs, enum zooid_rc rc,
    const char *err)
{
	struct db *db = in->w.db;
	int64_t now = clock_now(), retry;
	enum dbrc d;
	int ok = rc == ZOOID_OK;

	if (db_begin(db) != DB_OK) {
		log_warnx("relay %s: cannot record the sync outcome", rs->r.id);
		return;
	}
	if (ok) {
		d = db_relay_sync_ok(db, rs->r.id, rs->r.version);
		if (d == DB_OK)
			d = db_activity_add(db, rs->r.tenant, "caravel-infra",
			    now, "complete_relay_sync", "relay", rs->r.id);
	} else {
		retry = rs->r.sync_failures + 1 >= SYNC_MAX_FAILURES ? 0 :
		    now + worker_backoff(SYNC_BACKOFF_BASE, SYNC_BACKOFF_CAP,
		    rs->r.sync_failures + 1);
		d = db_relay_sync_fail(db, rs->r.id, err, retry);
		if (d == DB_OK)
			d = db_activity_add(db, rs->r.tenant, "caravel-infra",
			    now, "fail_relay_sync", "relay", rs->r.id);
	}
	if (d == DB_OK && db_commit(db) == DB_OK)
		return;
	db_rollback(db);
	log_warnx("relay %s: cannot record the sync outcome", rs->r.id);
}

static void
sync_one(struct infra *in, const struct relay_sync *rs)
{
	char *secret, *err = NULL;
	enum zooid_rc rc;
	int created = 0;

	if (in->w.dry_run) {
		log_info("relay %s (%s): would %s on zooid", rs->r.id,
		    rs->r.subdomain, rs->r.zooid_created ? "update" : "create");
		in->skipped++;
		return;
	}
	if ((secret = secretbox_open_alloc(&in->box, rs->secret_sealed)) ==
	    NULL) {
		log_warnx("relay %s: its secret key does not decrypt with "
		    "ENCRYPTION_SECRET", rs->r.id);
		record(in, rs, ZOOID_REJECTED, "the relay key cannot be "
		    "decrypted (ENCRYPTION_SECRET changed?)");
		in->failed++;
		in->must_look = 1;
		return;
	}
	rc = push(in, rs, secret, &created, &err);
	explicit_zero(secret, strlen(secret));
	free(secret);
	worker_point("infra-before-record");
	if (rc == ZOOID_OK) {
		record(in, rs, rc, NULL);
		log_info("relay %s (%s): synced", rs->r.id, rs->r.subdomain);
		in->synced++;
	} else {
		record(in, rs, rc, err != NULL ? err : "zooid failed");
		log_warnx("relay %s (%s): %s", rs->r.id, rs->r.subdomain,
		    err != NULL ? err : "zooid failed");
		in->failed++;
		if (rc == ZOOID_AUTH || rc == ZOOID_REJECTED ||
		    rc == ZOOID_CONFLICT)
			in->must_look = 1;
	}
	free(err);
}

/* What caravel-infra cannot work without (-n checks it too). */
static const struct cfg_need infra_needs[] = {
	{ CFG_ZOOID_API_URL, "zooid's API, where relays are created" },
	{ CFG_ZOOID_API_SECRET, "the key that signs its calls to zooid" },
	{ CFG_ENCRYPTION_SECRET, "it to read the relay keys it sends to zooid" },
};

static const struct worker_def infra_def = {
	"infra", infra_needs, nitems(infra_needs), WORKER_RETRY_FAILED, "RELAY-ID",
};

int
main(int argc, char *argv[])
{
	struct infra in;
	struct arena a = { NULL };
	struct relay_sync *v;
	char counts[128];
	size_t i, n;
	int rc = 0;

	memset(&in, 0, sizeof(in));
	worker_start(&in.w, &infra_def, argc, argv);
	if (in.w.once_for != NULL) {
		struct relay rl;
		enum dbrc rc1;

		if ((rc1 = db_relay_get(in.w.db, &a, in.w.once_for, &rl)) !=
		    DB_OK) {
			if (rc1 == DB_NOTFOUND)
				log_warnx("--once-for %s: no relay has this id",
				    in.w.once_for);
			rc = 1;
			goto out;
		}
	}
	if (db_relay_sync_due(in.w.db, &a, clock_now(), SYNC_MAX_FAILURES,
	    in.w.retry_failed, in.w.once_for, SYNC_BATCH, &v, &n) != DB_OK) {
		rc = 1;
		goto out;
	}
	if (n > 0 && !in.w.dry_run) {
		if (httpc_global_init() == -1 ||
		    zooid_init(&in.zooid, &in.w.cfg) == -1) {
			log_warnx("ZOOID_API_URL and ZOOID_API_SECRET must be "
			    "set to sync %zu relay(s)", n);
			rc = 1;
			goto out;
		}
		if (secretbox_init(&in.box, cfg_str(&in.w.cfg,
		    CFG_ENCRYPTION_SECRET)) == -1) {
			log_warnx("ENCRYPTION_SECRET must be set to read relay "
			    "keys");
			rc = 1;
			goto out;
		}
	}
	for (i = 0; i < n; i++)
		sync_one(&in, &v[i]);
	rc = in.must_look ? 1 : 0;
out:
	snprintf(counts, sizeof(counts), "%d synced, %d failed, %d skipped",
	    in.synced, in.failed, in.skipped);
	rc = worker_summary(&in.w, rc, in.synced + in.failed + in.skipped,
	    counts);
	zooid_release(&in.zooid);
	secretbox_release(&in.box);
	httpc_global_cleanup();
	arena_free(&a);
	worker_finish(&in.w);
	return rc;
}

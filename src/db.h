/*
 * db.h: the one SQLite file every Caravel process shares (WAL, busy
 * timeout, foreign keys), its migrations and its statement table. All SQL
 * the programs run is a row of stmts[] in db_sql.c.
 */
#ifndef CARAVEL_DB_H
#define CARAVEL_DB_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "core.h"

#define DB_BUSY_TIMEOUT_MS 5000
#define DB_MIGRATE_TIMEOUT_MS 60000

enum dbrc {
	DB_OK,
	DB_ROW,
	DB_DONE,
	DB_NOTFOUND,
	DB_CONSTRAINT,
	DB_BUSY,
	DB_ERROR
};

enum stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_USER_VERSION,
	STMT_DATA_VERSION,
	STMT_CHECKPOINT,
	STMT_API_AUTOCHECKPOINT,
	STMT_PLAN_LIST,
	STMT_PLAN_GET,
	STMT_TENANT_GET,
	STMT_TENANT_LIST,
	STMT_TENANT_INSERT,
	STMT_TENANT_SET_NWC,
	STMT_TENANT_MARK_BILLING,
	STMT_RELAY_GET,
	STMT_RELAY_LIST,
	STMT_RELAY_LIST_TENANT,
	STMT_RELAY_INSERT,
	STMT_RELAY_UPDATE,
	STMT_RELAY_SET_STATUS,
	STMT_RELAY_SUBDOMAIN_TAKEN,
	STMT_RELAY_OWNER,
	STMT_RELAY_SYNC_DUE,
	STMT_RELAY_SYNC_OK,
	STMT_RELAY_SYNC_FAIL,
	STMT_RELAY_SET_CREATED,
	STMT_DM_QUEUE,
	STMT_DM_DUE,
	STMT_DM_SET_WRAPS,
	STMT_DM_SENT,
	STMT_DM_RETRY,
	STMT_DM_FAILED,
	STMT_DM_LIST,
	STMT_DM_DELIVERY_PUT,
	STMT_DM_RELAYS_GET,
	STMT_DM_RELAYS_PUT,
	STMT_ROBOT_PUB_GET,
	STMT_ROBOT_PUB_PUT,
	STMT_ACTIVITY_INSERT,
	STMT_ACTIVITY_LIST_RESOURCE,
	STMT__MAX
};

extern const char *const stmts[STMT__MAX];

struct db {
	sqlite3 *h;
	sqlite3_stmt *stmt[STMT__MAX]; /* prepared lazily, persistent */
	char *path;
	int busy_ms; /* how long a statement waits for a lock */
};

/* db_migrations.c (generated from db/migrations by scripts/embed-sql.sh) */
struct db_migration {
	int version; /* the file's number */
	const char *name;
	const char *sql;
};
extern const struct db_migration db_migrations[];
extern const size_t db_migrations_count;

/* db.c */
/*
 * Open (creating it if needed) the database at path, set WAL, a busy
 * timeout and foreign keys, and apply pending migrations (safe when
 * several processes start at once). Returns NULL after logging.
 */
struct db *db_open(const char *path);
void db_close(struct db *);
/* Wait up to ms for another connection's lock, retrying every 1-5 ms. */
void db_set_busy(struct db *, int ms);
sqlite3_stmt *db_stmt(struct db *, enum stmt);
enum dbrc db_step(struct db *, sqlite3_stmt *);
enum dbrc db_exec(struct db *, enum stmt); /* step once, then reset */
void db_reset(sqlite3_stmt *);
enum dbrc db_fail(struct db *, sqlite3_stmt *, const char *func);
/* BEGIN IMMEDIATE: writers take the lock up front. */
enum dbrc db_begin(struct db *);
enum dbrc db_commit(struct db *);
void db_rollback(struct db *);
/* Bind helpers (1-based index); 0 or -1. */
int db_bind_text(sqlite3_stmt *, int, const char *);
int db_bind_int(sqlite3_stmt *, int, int64_t);
/* Column text copied into the arena ("" for NULL). */
char *db_col_text(struct arena *, sqlite3_stmt *, int);

/* db_migrate.c */
int db_migrate(struct db *);
int db_schema_version(struct db *);
int db_schema_latest(void);
int db_health(struct db *); /* 0: reachable and schema current */
/*
 * SQLite's data_version: it changes when another connection commits, so
 * a process may keep what it read until then. -1 on error.
 */
int64_t db_data_version(struct db *);
/*
 * Checkpoints belong to the workers, which run every minute: the API only
 * checkpoints past a large WAL, so requests rarely pay for one.
 */
void db_api_checkpoints(struct db *);
void db_checkpoint(struct db *);

/* db_plan.c */
struct plan {
	char *id;
	char *name;
	int64_t amount; /* USD cents a month */
	int64_t members; /* member limit; -1 = unlimited */
	int blossom, livekit;
	char *stripe_price_setting; /* config key of the price, or NULL */
};
/* All plans in display order; *n gets the count. */
enum dbrc db_plan_list(struct db *, struct arena *, struct plan **, size_t *n);
enum dbrc db_plan_get(struct db *, struct arena *, const char *id,
    struct plan *);

/* db_tenant.c */
struct tenant {
	const char *pubkey; /* 64 hex */
	int64_t created_at;
	const char *stripe_customer_id; /* NULL when none */
	const char *stripe_subscription_id; /* NULL when none */
	int64_t past_due_at; /* -1 when not past due */
	int nwc_is_set;
	const char *nwc_error;
};
enum dbrc db_tenant_get(struct db *, struct arena *, const char *pubkey,
    struct tenant *);
enum dbrc db_tenant_list(struct db *, struct arena *, struct tenant **,
    size_t *n);
/* DB_OK if inserted, DB_DONE if the tenant already existed. */
enum dbrc db_tenant_insert(struct db *, const char *pubkey, int64_t now,
    const char *stripe_customer_id);
/* sealed NULL clears the wallet URL; nwc_error is cleared either way. */
enum dbrc db_tenant_set_nwc(struct db *, const char *pubkey,
    const char *sealed);
/* Mark the tenant for the billing worker's reconciliation. */
enum dbrc db_tenant_mark_billing(struct db *, const char *pubkey,
    int64_t now);

/* db_relay.c */
enum relay_flag {
	RF_POLICY_PUBLIC_JOIN,
	RF_POLICY_STRIP_SIGNATURES,
	RF_GROUPS_ENABLED,
	RF_MANAGEMENT_ENABLED,
	RF_BLOSSOM_ENABLED,
	RF_LIVEKIT_ENABLED,
	RF_PUSH_ENABLED,
	RF__MAX
};
/* Column and JSON name of each flag. */
extern const char *const relay_flag_names[RF__MAX];

struct relay {
	const char *id; /* 32 hex, also the relay's id on zooid */
	const char *tenant;
	const char *schema;
	const char *subdomain;
	const char *plan;
	const char *status; /* active, inactive, delinquent */
	int synced;
	const char *sync_error;
	const char *info_name;
	const char *info_icon;
	const char *info_description;
	int flag[RF__MAX];
	int64_t created_at;
	int64_t version; /* bumped by every change zooid must see */
	int zooid_created; /* zooid has accepted this relay once */
};

/* A relay due for a zooid sync, with what the worker needs. */
struct relay_sync {
	struct relay r;
	const char *secret_sealed;
	int64_t failures; /* consecutive failed syncs */
};
enum dbrc db_relay_get(struct db *, struct arena *, const char *id,
    struct relay *);
/* All relays, or those of tenant when it is not NULL; newest first. */
enum dbrc db_relay_list(struct db *, struct arena *, const char *tenant,
    struct relay **, size_t *n);
enum dbrc db_relay_insert(struct db *, const struct relay *,
    const char *secret_sealed, int64_t now);
/* Write plan, info and flags; marks the relay unsynced. */
enum dbrc db_relay_update(struct db *, const struct relay *, int64_t now);
enum dbrc db_relay_set_status(struct db *, const char *id,
    const char *status, int64_t now);
/* 1 if taken, 0 if free, -1 on error. */
int db_relay_subdomain_taken(struct db *, const char *subdomain);
/*
 * Relays to sync: unsynced, retry time come, fewer than max_failures
 * failures unless retry_failed; only relay "only" when it is not NULL.
 */
enum dbrc db_relay_sync_due(struct db *, struct arena *, int64_t now,
    int64_t max_failures, int retry_failed, const char *only, int64_t limit,
    struct relay_sync **, size_t *n);
/* Synced at version: synced = 1 only if nothing changed since. */
enum dbrc db_relay_sync_ok(struct db *, const char *id, int64_t version);
enum dbrc db_relay_sync_fail(struct db *, const char *id, const char *error,
    int64_t retry_at);
enum dbrc db_relay_set_created(struct db *, const char *id);
/* The owning tenant of relay id into out[65]; DB_NOTFOUND if none. */
enum dbrc db_relay_owner(struct db *, const char *id, char out[65]);

/* db_outbox.c: the robot's NIP-17 DMs (workers.md §4) */
struct dm {
	int64_t id;
	const char *recipient; /* hex */
	const char *text;
	const char *status; /* queued, sent, failed */
	int64_t created_at;
	int64_t attempts;
	const char *last_error;
	const char *wrap_json; /* NULL until built */
	const char *self_wrap_json;
	int64_t sent_at; /* 0 when not sent */
};
/* DB_OK, or DB_DONE when dedupe_key (may be NULL) was queued before. */
enum dbrc db_dm_queue(struct db *, const char *recipient, const char *text,
    const char *dedupe_key, int64_t now, int64_t *id);
enum dbrc db_dm_due(struct db *, struct arena *, int64_t now, int64_t limit,
    struct dm **, size_t *n);
/* Store the wraps built for a DM, unless some were stored before. */
enum dbrc db_dm_set_wraps(struct db *, int64_t id, const char *wrap,
    const char *self_wrap);
enum dbrc db_dm_sent(struct db *, int64_t id, int64_t now);
enum dbrc db_dm_retry(struct db *, int64_t id, const char *error,
    int64_t next_attempt_at);
enum dbrc db_dm_failed(struct db *, int64_t id, const char *error,
    int64_t now);
/* Newest first; all statuses. */
enum dbrc db_dm_list(struct db *, struct arena *, int64_t limit, struct dm **,
    size_t *n);
enum dbrc db_dm_delivery(struct db *, int64_t id, const char *relay_url,
    int ok, const char *message, int64_t now);
/* Cached relay lists of a recipient (JSON arrays); DB_NOTFOUND if none. */
enum dbrc db_dm_relays_get(struct db *, struct arena *, const char *pubkey,
    const char **outbox, const char **inbox, int64_t *fetched_at);
enum dbrc db_dm_relays_put(struct db *, const char *pubkey,
    const char *outbox, const char *inbox, int64_t now);
/* The robot's last publication of kind; DB_NOTFOUND if never. */
enum dbrc db_robot_pub_get(struct db *, struct arena *, int kind,
    const char **content_hash, int64_t *published_at);
enum dbrc db_robot_pub_put(struct db *, int kind, const char *content_hash,
    const char *event_id, int64_t now);

/* db_activity.c */
struct activity {
	int64_t id;
	const char *tenant;
	int64_t created_at;
	const char *activity_type;
	const char *resource_type;
	const char *resource_id;
};
enum dbrc db_activity_add(struct db *, const char *tenant, int64_t now,
    const char *type, const char *resource_type, const char *resource_id);
/* Newest first, at most limit, older than before (0: no bound). */
enum dbrc db_activity_list(struct db *, struct arena *,
    const char *resource_type, const char *resource_id, int64_t before,
    int64_t limit, struct activity **, size_t *n);

#endif

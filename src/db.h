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
#include "db_table.h"

#define DB_BUSY_TIMEOUT_MS 5000
#define DB_MIGRATE_TIMEOUT_MS 60000

enum dbrc {
	DB_OK,
	DB_ROW,
	DB_DONE,
	DB_NOTFOUND,
	DB_CONSTRAINT,
	DB_BUSY,
	DB_DISK, /* the disk refused a write: full or failing (SQLITE_FULL, _IOERR) */
	DB_ERROR
};

enum stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_USER_VERSION,
	STMT_DATA_VERSION,
	STMT_CHECKPOINT,
	STMT_CHECKPOINT_RESTART,
	STMT_API_CACHE_SIZE,
	STMT_PLAN_LIST,
	STMT_PLAN_GET,
	STMT_TENANT_GET,
	STMT_TENANT_LIST,
	STMT_TENANT_PAGE,
	STMT_TENANT_CREATED,
	STMT_TENANT_INSERT,
	STMT_TENANT_SET_NWC,
	STMT_TENANT_MARK_BILLING,
	STMT_RELAY_GET,
	STMT_RELAY_LIST,
	STMT_RELAY_LIST_TENANT,
	STMT_RELAY_PAGE,
	STMT_RELAY_PAGE_TENANT,
	STMT_RELAY_CREATED,
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
	STMT_WORKER_PASS_PUT,
	STMT_WORKER_PASS_LIST,
	STMT_GAUGES,
	STMT_ACTIVITY_LIST_RESOURCE,
	/* billing: tenants (db_billing.c) */
	STMT_TENANT_BY_CUSTOMER,
	STMT_TENANT_BILLING_DUE,
	STMT_TENANT_BILLING_DONE,
	STMT_TENANT_SET_SUBSCRIPTION,
	STMT_TENANT_FORGET_SUBSCRIPTION,
	STMT_TENANT_SET_SUB_STATUS,
	STMT_TENANT_BUMP_WRITE_SEQ,
	STMT_TENANT_SET_PAST_DUE,
	STMT_TENANT_CLEAR_PAST_DUE,
	STMT_TENANT_SET_NWC_ERROR,
	STMT_TENANT_SET_PAYMENT_METHOD,
	STMT_TENANT_SET_STRIPE_ERROR,
	STMT_TENANT_SET_DELINQUENT,
	STMT_TENANT_DUNNING,
	STMT_TENANT_NWC_SEALED,
	STMT_RELAY_BILLABLE,
	STMT_RELAY_IDS_BY_STATUS,
	STMT_SUBCREATE_GET,
	STMT_SUBCREATE_PUT,
	STMT_SUBCREATE_FAILED,
	STMT_SUBCREATE_DELETE,
	STMT_STRIPE_EVENT_INSERT,
	STMT_STRIPE_EVENT_LIST,
	STMT_PRICE_GET,
	STMT_PRICE_PUT,
	STMT_REVENUE,
	/* billing: invoices, bolt11s, the NWC guard (db_invoice.c) */
	STMT_INVOICE_GET,
	STMT_INVOICE_LIST_TENANT,
	STMT_INVOICE_LIST_ALL,
	STMT_INVOICE_PUT,
	STMT_INVOICE_CHECKED,
	STMT_BOLT11_NEWEST,
	STMT_INVOICE_LINES_CLEAR,
	STMT_INVOICE_LINE_PUT,
	STMT_INVOICE_LINES,
	STMT_INVOICE_OPEN_COUNT,
	STMT_INVOICE_DUE_DM,
	STMT_INVOICE_SET_DUE_SENT,
	STMT_INVOICE_AUTOPAY,
	STMT_BOLT11_USABLE,
	STMT_BOLT11_INSERT,
	STMT_BOLT11_CHECK_DUE,
	STMT_BOLT11_SETTLED,
	STMT_BOLT11_CHECKED,
	STMT_GUARD_GET,
	STMT_GUARD_CLAIM,
	STMT_GUARD_SET_BOLT11,
	STMT_GUARD_PAID,
	STMT_GUARD_RETRY_AT,
	STMT_GUARD_RETRY_TENANT,
	STMT_GUARD_NOTE,
	STMT_GUARD_SETTLE_LATE,
	STMT_GUARD_FAILED,
	STMT__MAX
};

extern const char *const stmts[STMT__MAX];

struct db {
	sqlite3 *h;
	sqlite3_stmt *stmt[STMT__MAX]; /* prepared lazily, persistent */
	char *path;
	int busy_ms; /* how long a statement waits for a lock */
	int64_t busy_since_us; /* when the current wait began */
	int queue_fd; /* the writers' queue (db_queue_writers), or -1 */
	int queue_held;
	int wal_frames; /* after the last commit (db_api_checkpoints) */
	int checkpoint_frames; /* 0: SQLite's autocheckpoint */
	int checkpoint_at; /* WAL pages that call for the next one */
	unsigned long disk_errors; /* writes the disk refused (DB_DISK) */
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
 * Open the existing database at path with WAL, a busy timeout and
 * foreign keys. A missing file, or a schema older than this program's,
 * is refused with a sentence that says what to do (NULL, logged); a
 * newer schema is used, since migrations only add.
 */
struct db *db_open(const char *path);
/*
 * caravel-admin migrate only: open or create the database and apply the
 * pending migrations (safe when several processes start at once), after
 * an online backup of a database that has a schema to change: *backup is
 * then its path (free it), else NULL.
 */
struct db *db_open_migrate(const char *path, char **backup);
/*
 * Copy the database to dest (which must not exist) with SQLite's online
 * backup: consistent as of one commit while others write. 0 or -1, logged.
 */
int db_backup(struct db *, const char *dest);
/*
 * Replace the database at path (created if missing) with the backup src,
 * after checking src (a Caravel schema, quick_check ok), and only if no
 * other process has path open. Its schema version, or -1 (logged).
 */
int db_restore(const char *path, const char *src);
void db_close(struct db *);
/* Wait up to ms for another connection's lock (see db_busy in db.c). */
void db_set_busy(struct db *, int ms);
/*
 * From now on db_begin() first takes a turn on "<path>.writers.lock"
 * (flock), waiting at most the busy time: processes that all do this
 * hand the write lock on in order instead of polling SQLite's lock (the
 * API's children, which write in short bursts). Uses SIGALRM while it
 * waits. Without the file (no permission) nothing changes.
 */
void db_queue_writers(struct db *);
/*
 * Tests only: with CARAVEL_TEST_DISK_FULL set, writes fail with
 * SQLITE_FULL while the file it names exists (db_fault.c). db_open()
 * calls it; without the variable it does nothing.
 */
void db_fault_install(void);
/* A write that worked: it changed rows (DB_OK) or had none to change. */
#define db_wrote(rc) ((rc) == DB_OK || (rc) == DB_DONE)
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

/*
 * A statement's parameters as a typed list, so a call names each value
 * once: db_write(db, STMT_X, DBV_T(id), DBV_I(now)). DBV_T(NULL) and
 * DBV_OI(negative) bind SQL NULL.
 */
struct dbv {
	enum { DBV_NULL, DBV_TEXT, DBV_INT } type;
	const char *s;
	int64_t i;
	const char *param; /* ":name" (DBV_AS), or NULL: the next ?N */
};
#define DBV_T(x) ((struct dbv){ DBV_TEXT, (x), 0, NULL })
#define DBV_I(x) ((struct dbv){ DBV_INT, NULL, (int64_t)(x), NULL })
#define DBV_OI(x) ((int64_t)(x) < 0 ? \
    (struct dbv){ DBV_NULL, NULL, 0, NULL } : \
    (struct dbv){ DBV_INT, NULL, (int64_t)(x), NULL })
/* The value v bound to the statement's parameter p (":name"). */
#define DBV_AS(p, v) ((struct dbv){ (v).type, (v).s, (v).i, (p) })
#define DBV_LIST(...) (const struct dbv[]){ __VA_ARGS__ }, \
    sizeof((const struct dbv[]){ __VA_ARGS__ }) / sizeof(struct dbv)
/* Bind and step a write: DB_OK if it changed a row, DB_DONE if none. */
enum dbrc db_write_v(struct db *, enum stmt, const struct dbv *, size_t);
#define db_write(db, st, ...) db_write_v((db), (st), DBV_LIST(__VA_ARGS__))
/* The same for an UPDATE of one row by its key: DB_NOTFOUND if none. */
enum dbrc db_update_v(struct db *, enum stmt, const struct dbv *, size_t);
#define db_update(db, st, ...) db_update_v((db), (st), DBV_LIST(__VA_ARGS__))
/*
 * Bind each :name parameter of st that names a column of t from row, and
 * the named values v (DBV_AS), then step the write: as db_write.
 */
enum dbrc db_write_row_v(struct db *, enum stmt, const struct table *,
    const void *row, const struct dbv *, size_t);
#define db_write_row(db, st, t, row, ...) \
	db_write_row_v((db), (st), (t), (row), DBV_LIST(__VA_ARGS__))
/* Bind a query; the caller steps it and calls db_reset(). NULL: failed. */
sqlite3_stmt *db_query_v(struct db *, enum stmt, const struct dbv *, size_t);
#define db_query(db, st, ...) db_query_v((db), (st), DBV_LIST(__VA_ARGS__))
/*
 * db_rows.c. Read rows: fn fills one row struct of size bytes from the
 * statement.
 * db_rows collects every row into an arena array stored at outp (the
 * address of a T *) and *n; db_row1 reads one: DB_NOTFOUND if none. A
 * NULL statement (a failed db_query) gives DB_ERROR.
 */
typedef void (*db_row_fn)(struct arena *, sqlite3_stmt *, void *row);
enum dbrc db_rows(struct db *, struct arena *, sqlite3_stmt *, size_t size,
    db_row_fn, void *outp, size_t *n);
/* The one integer st (one key parameter) selects; DB_NOTFOUND if none. */
enum dbrc db_created_at(struct db *, enum stmt, const char *key,
    int64_t *out);
/*
 * db_each decodes each row of s into *row and hands it to fn, so a list
 * of any length costs the memory of one row; fn returns non-zero to stop
 * (DB_OK). The row's strings are SQLite's own, not copied (decode gets a
 * NULL arena): they last until fn returns. a, cleared before every row,
 * is fn's scratch.
 */
typedef int (*db_each_fn)(const void *row, void *arg);
enum dbrc db_each(struct db *, struct arena *, sqlite3_stmt *, db_row_fn,
    void *row, db_each_fn, void *arg);
enum dbrc db_row1(struct db *, struct arena *, sqlite3_stmt *, db_row_fn,
    void *row);
/* Column as int64, or -1 for NULL. */
int64_t db_col_opt(sqlite3_stmt *, int);
/* Column text copied into the arena, or NULL for NULL. */
char *db_col_textn(struct arena *, sqlite3_stmt *, int);
/* Column text copied into the arena ("" for NULL). */
char *db_col_text(struct arena *, sqlite3_stmt *, int);

/* db_migrate.c */
int db_migrate(struct db *);
int db_schema_version(struct db *);
int db_schema_latest(void);
int db_health(struct db *); /* 0: reachable, schema this one or newer */
/*
 * SQLite's data_version: it changes when another connection commits, so
 * a process may keep what it read until then. -1 on error.
 */
int64_t db_data_version(struct db *);
/*
 * The API checkpoints itself once DB_API_CHECKPOINT_FRAMES pages (4 MiB)
 * are in the WAL: the writer whose commit crossed it copies them back
 * while it still holds the writers' queue, with a RESTART checkpoint
 * (it waits for readers, which take milliseconds), so the next writer
 * starts the log over. PASSIVE checkpoints alone never catch up under a
 * steady stream of writes: the log grew past 500 MB in a benchmark, and
 * every commit above the old 10,000-page mark paid for a checkpoint of
 * its own (two fsyncs and some fifty page copies per request).
 */
#define DB_API_CHECKPOINT_FRAMES 1000
/* How long it waits for readers (a worker's long read must not hold the
 * queue): past it, the copy stops and the next commit tries again. */
#define DB_CHECKPOINT_WAIT_MS 20
void db_api_checkpoints(struct db *);
void db_checkpoint(struct db *);
/* The API's RESTART checkpoint; a reader that stays past the wait (a
 * backup, Litestream) puts the next try another checkpoint_frames off. */
void db_checkpoint_restart(struct db *);

/* db_plan.c */
#define PLAN_TABLE(K, C) \
	K(id,                       TEXT,  JSON,   SYS,  0) \
	C(name,                     TEXT,  JSON,   SYS,  0) \
	C(amount,                   INT,   JSON,   SYS,  0) \
	C(members,                  OINT,  JSON,   SYS,  0) \
	C(blossom,                  BOOL,  JSON,   SYS,  0) \
	C(livekit,                  BOOL,  JSON,   SYS,  0) \
	C(stripe_price_setting,     OTEXT, HIDDEN, SYS,  0) \
	C(position,                 INT,   HIDDEN, SYS,  0) \
	C(hidden,                   BIT,   HIDDEN, SYS,  0)
/*
 * amount: USD cents a month; members: the member limit, -1 unlimited;
 * stripe_price_setting: the config key of the price, or NULL; hidden: no
 * longer offered, kept only by the relays already on it. Operators' data.
 */
struct plan {
	TABLE_MEMBERS(PLAN_TABLE)
};
extern const struct table plan_table;
/* All plans in display order; *n gets the count. */
enum dbrc db_plan_list(struct db *, struct arena *, struct plan **, size_t *n);
enum dbrc db_plan_get(struct db *, struct arena *, const char *id,
    struct plan *);

/* db_tenant.c: the tenant table (0001, 0002, 0004, 0005); see db_table.h */
#define TENANT_TABLE(K, C) \
	K(pubkey,                   TEXT,  JSON,   NEW,  0) \
	C(created_at,               INT,   JSON,   NEW,  0) \
	C(stripe_customer_id,       OTEXT, JSON,   NEW,  0) \
	C(stripe_subscription_id,   OTEXT, JSON,   SYS,  0) \
	C(past_due_at,              OINT,  JSON,   SYS,  0) \
	C(nwc_is_set,               BOOL,  JSON,   SYS,  0) \
	C(nwc_error,                TEXT,  JSON,   SYS,  0) \
	C(stripe_payment_method_id, OTEXT, JSON,   SYS,  0) \
	C(stripe_error,             TEXT,  JSON,   SYS,  0) \
	C(churned_at,               OINT,  JSON,   SYS,  0) \
	C(subscription_status,      OTEXT, HIDDEN, SYS,  0) \
	C(delinquent_at,            OINT,  HIDDEN, SYS,  0) \
	C(subscription_generation,  INT,   HIDDEN, SYS,  0) \
	C(stripe_write_seq,         INT,   HIDDEN, SYS,  0) \
	C(billing_marked_at,        OINT,  HIDDEN, SYS,  0) \
	C(billing_reconciled_at,    OINT,  HIDDEN, SYS,  0)
/*
 * past_due_at: since when an invoice is unpaid past its due date;
 * delinquent_at: since when the paid relays are suspended for it;
 * subscription_generation is bumped when a subscription is forgotten,
 * stripe_write_seq after each subscription update; billing_marked_at: a
 * change waits for the billing pass; churned_at: the last paid relay went.
 * Flotilla reads stripe_payment_method_id, stripe_error and churned_at
 * (research/flotilla-client.md §4).
 */
struct tenant {
	TABLE_MEMBERS(TENANT_TABLE)
};
extern const struct table tenant_table;
enum dbrc db_tenant_get(struct db *, struct arena *, const char *pubkey,
    struct tenant *);
/*
 * Which rows of a list, newest first: every one (limit 0 and no after), or
 * a page of at most limit rows after the row whose key is after (NULL:
 * the first page). An after that names no row is DB_NOTFOUND. A list
 * reads the members that apply to it and ignores the others.
 */
struct list_filter {
	const char *tenant; /* relays, invoices: only this tenant's; NULL: all */
	const char *after; /* relay id or tenant pubkey; NULL: from the top */
	int64_t limit; /* 0: no limit */
	int with_drafts; /* invoices: Stripe's drafts too */
	const char *relay; /* activity: only this relay's */
	int64_t before; /* activity: only older than this unix time; 0: all */
};
/* f's limit as SQL's LIMIT (-1: none). */
#define LIST_LIMIT(f) ((f)->limit > 0 ? (f)->limit : -1)
/*
 * How a table lists its rows newest first, by list_filter: the whole list
 * (?1: the tenant, for all_of), a page after a row (?1 its created_at, ?2
 * its key, ?3 the limit, ?4 the tenant, for page_of) and the created_at
 * of a key. all_of and page_of are STMT__MAX for a table without tenants.
 */
struct db_lister {
	const struct table *t;
	enum stmt all, all_of, page, page_of, created;
};
/* f's rows into an arena array at outp (a T *) and *n. */
enum dbrc db_list(struct db *, struct arena *, const struct db_lister *,
    const struct list_filter *, void *outp, size_t *n);
/* f's rows one at a time into *row (db_each). */
enum dbrc db_list_each(struct db *, struct arena *scratch,
    const struct db_lister *, const struct list_filter *, void *row,
    db_each_fn, void *arg);
enum dbrc db_tenant_list(struct db *, struct arena *,
    const struct list_filter *, struct tenant **, size_t *n);
/* The same rows one at a time (db_each): for lists of any length. */
enum dbrc db_tenant_each(struct db *, struct arena *scratch,
    const struct list_filter *, db_each_fn, void *arg);
/* DB_OK if inserted, DB_DONE if the tenant already existed. */
enum dbrc db_tenant_insert(struct db *, const char *pubkey, int64_t now,
    const char *stripe_customer_id);
/* sealed NULL clears the wallet URL; nwc_error is cleared either way. */
enum dbrc db_tenant_set_nwc(struct db *, const char *pubkey,
    const char *sealed);
/*
 * Mark the tenant for the billing worker's reconciliation. A mark is
 * always later than the one before, so the worker clears only the mark
 * it saw (db_billing_done) and never one made during its pass.
 */
enum dbrc db_tenant_mark_billing(struct db *, const char *pubkey,
    int64_t now);

/* db_relay.c: the relay table (0001, 0004); see db_table.h */
#define RELAY_TABLE(K, C) \
	K(id,                       TEXT,  JSON,   NEW,  0) \
	C(tenant,                   TEXT,  JSON,   NEW,  0) \
	C(schema,                   TEXT,  JSON,   NEW,  0) \
	C(subdomain,                TEXT,  JSON,   NEW,  0) \
	C(plan,                     TEXT,  JSON,   EDIT, 0) \
	C(status,                   TEXT,  JSON,   SYS,  0) \
	C(synced,                   BIT,   JSON,   SYS,  0) \
	C(sync_error,               TEXT,  JSON,   SYS,  0) \
	C(info_name,                TEXT,  JSON,   EDIT, 100) \
	C(info_icon,                TEXT,  JSON,   EDIT, 2048) \
	C(info_description,         TEXT,  JSON,   EDIT, 1000) \
	C(policy_public_join,       BIT,   JSON,   EDIT, 0) \
	C(policy_strip_signatures,  BIT,   JSON,   EDIT, 0) \
	C(groups_enabled,           BIT,   JSON,   EDIT, 0) \
	C(management_enabled,       BIT,   JSON,   EDIT, 0) \
	C(blossom_enabled,          BIT,   JSON,   EDIT, 0) \
	C(livekit_enabled,          BIT,   JSON,   EDIT, 0) \
	C(push_enabled,             BIT,   JSON,   EDIT, 0) \
	C(policy_public_read,       BIT,   JSON,   EDIT, 0) \
	C(policy_public_write,      BIT,   JSON,   EDIT, 0) \
	C(members_can_invite,       BIT,   JSON,   EDIT, 1) \
	C(created_at,               INT,   JSON,   NEW,  0) \
	C(updated_at,               INT,   HIDDEN, EDIT, 0) \
	C(version,                  INT,   HIDDEN, SYS,  0) \
	C(zooid_created,            BIT,   HIDDEN, SYS,  0) \
	C(sync_failures,            INT,   HIDDEN, SYS,  0) \
	C(sync_retry_at,            OINT,  HIDDEN, SYS,  0)
/*
 * id: 32 hex, also the relay's id on zooid; status: relay_statuses;
 * version is bumped by every change zooid must see; zooid_created: zooid
 * has accepted the relay once; sync_failures in a row, the next try at
 * sync_retry_at. The sealed key is never read with the row.
 */
struct relay {
	TABLE_MEMBERS(RELAY_TABLE)
};
extern const struct table relay_table;

/* A relay due for a zooid sync, with what the worker needs. */
struct relay_sync {
	struct relay r;
	const char *secret_sealed;
};
enum dbrc db_relay_get(struct db *, struct arena *, const char *id,
    struct relay *);
enum dbrc db_relay_list(struct db *, struct arena *,
    const struct list_filter *, struct relay **, size_t *n);
enum dbrc db_relay_each(struct db *, struct arena *scratch,
    const struct list_filter *, db_each_fn, void *arg);
/* Insert the NEW and EDIT columns (created_at, updated_at set). */
enum dbrc db_relay_insert(struct db *, const struct relay *,
    const char *secret_sealed);
/* Write the EDIT columns (updated_at set); marks the relay unsynced. */
enum dbrc db_relay_update(struct db *, const struct relay *);
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
#define DM_TABLE(K, C) \
	K(id,                       INT,   HIDDEN, SYS,  0) \
	C(recipient,                TEXT,  HIDDEN, NEW,  0) \
	C(text,                     TEXT,  HIDDEN, NEW,  0) \
	C(dedupe_key,               OTEXT, HIDDEN, NEW,  0) \
	C(status,                   TEXT,  HIDDEN, SYS,  0) \
	C(created_at,               INT,   HIDDEN, NEW,  0) \
	C(attempts,                 INT,   HIDDEN, SYS,  0) \
	C(next_attempt_at,          INT,   HIDDEN, NEW,  0) \
	C(last_error,               TEXT,  HIDDEN, SYS,  0) \
	C(wrap_json,                OTEXT, HIDDEN, SYS,  0) \
	C(self_wrap_json,           OTEXT, HIDDEN, SYS,  0) \
	C(sent_at,                  OINT,  HIDDEN, SYS,  0) \
	C(failed_at,                OINT,  HIDDEN, SYS,  0)
/*
 * The table dm_outbox. recipient: hex; status: dm_statuses; the wraps
 * are NULL until built (then sent as they are, on every try).
 */
struct dm {
	TABLE_MEMBERS(DM_TABLE)
};
extern const struct table dm_table;
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
/* Newest first, all statuses: f->limit applies. */
enum dbrc db_dm_list(struct db *, struct arena *, const struct list_filter *,
    struct dm **, size_t *n);
/* What each relay answered to a DM's wraps. */
#define DM_DELIVERY_TABLE(K, C) \
	K(dm_id,                    INT,   HIDDEN, NEW,  0) \
	C(relay_url,                TEXT,  HIDDEN, NEW,  0) \
	C(ok,                       BIT,   HIDDEN, NEW,  0) \
	C(message,                  TEXT,  HIDDEN, NEW,  0) \
	C(updated_at,               INT,   HIDDEN, NEW,  0)
struct dm_delivery {
	TABLE_MEMBERS(DM_DELIVERY_TABLE)
};
extern const struct table dm_delivery_table;
enum dbrc db_dm_delivery(struct db *, int64_t id, const char *relay_url,
    int ok, const char *message, int64_t now);
/* A recipient's relay lists (NIP-65, NIP-17 kind 10050) as JSON arrays. */
#define DM_RELAYS_TABLE(K, C) \
	K(pubkey,                   TEXT,  HIDDEN, NEW,  0) \
	C(outbox_relays,            TEXT,  HIDDEN, NEW,  0) \
	C(inbox_relays,             TEXT,  HIDDEN, NEW,  0) \
	C(fetched_at,               INT,   HIDDEN, NEW,  0)
struct dm_relays {
	TABLE_MEMBERS(DM_RELAYS_TABLE)
};
extern const struct table dm_relays_table;
/* Cached relay lists of a recipient (JSON arrays); DB_NOTFOUND if none. */
enum dbrc db_dm_relays_get(struct db *, struct arena *, const char *pubkey,
    const char **outbox, const char **inbox, int64_t *fetched_at);
enum dbrc db_dm_relays_put(struct db *, const char *pubkey,
    const char *outbox, const char *inbox, int64_t now);
/* The robot's own replaceable events, by kind, as last published. */
#define ROBOT_PUB_TABLE(K, C) \
	K(kind,                     INT,   HIDDEN, NEW,  0) \
	C(content_hash,             TEXT,  HIDDEN, NEW,  0) \
	C(event_id,                 TEXT,  HIDDEN, NEW,  0) \
	C(published_at,             INT,   HIDDEN, NEW,  0)
struct robot_pub {
	TABLE_MEMBERS(ROBOT_PUB_TABLE)
};
extern const struct table robot_pub_table;
/* The robot's last publication of kind; DB_NOTFOUND if never. */
enum dbrc db_robot_pub_get(struct db *, struct arena *, int kind,
    const char **content_hash, int64_t *published_at);
enum dbrc db_robot_pub_put(struct db *, int kind, const char *content_hash,
    const char *event_id, int64_t now);

/* db_activity.c */
#define ACTIVITY_TABLE(K, C) \
	K(id,                       INT,   JSON,   SYS,  0) \
	C(tenant,                   TEXT,  JSON,   NEW,  0) \
	C(created_at,               INT,   JSON,   NEW,  0) \
	C(activity_type,            TEXT,  JSON,   NEW,  0) \
	C(resource_type,            TEXT,  JSON,   NEW,  0) \
	C(resource_id,              TEXT,  JSON,   NEW,  0) \
	C(actor,                    OTEXT, HIDDEN, NEW,  0)
/* actor: who acted (NULL: not recorded); the types are activity_types. */
struct activity {
	TABLE_MEMBERS(ACTIVITY_TABLE)
};
extern const struct table activity_table;
/* db_ops.c: what operators watch. */
#define WORKER_PASS_TABLE(K, C) \
	K(worker,                   TEXT,  HIDDEN, NEW,  0) \
	C(started_at,               INT,   HIDDEN, NEW,  0) \
	C(duration_ms,              INT,   HIDDEN, NEW,  0) \
	C(outcome,                  TEXT,  HIDDEN, NEW,  0) \
	C(summary,                  TEXT,  HIDDEN, NEW,  0)
/* Each worker's last pass; worker and outcome as their word lists. */
struct worker_pass {
	TABLE_MEMBERS(WORKER_PASS_TABLE)
};
extern const struct table worker_pass_table;
struct gauges {
	int64_t tenants, past_due, delinquent;
	int64_t relays, unsynced, failing_sync;
	int64_t dms_queued, dms_failed;
	int64_t open_invoices, open_amount; /* cents, all currencies */
};
enum dbrc db_worker_pass_put(struct db *, const struct worker_pass *);
enum dbrc db_worker_pass_list(struct db *, struct arena *,
    struct worker_pass **, size_t *);
enum dbrc db_gauges(struct db *, struct gauges *);

/*
 * actor: the public key that signed the request (the tenant, or an admin
 * acting for them), or the worker that acted ("caravel-infra").
 */
enum dbrc db_activity_add(struct db *, const char *tenant, const char *actor,
    int64_t now, const char *type, const char *resource_type,
    const char *resource_id);
/* A relay's (f->relay), newest first: f->before and f->limit apply. */
enum dbrc db_activity_list(struct db *, struct arena *,
    const struct list_filter *, struct activity **, size_t *n);

/* db_billing.c: tenants' billing state, webhook events, the BTC price */
enum dbrc db_tenant_by_customer(struct db *, struct arena *,
    const char *customer_id, struct tenant *);
/*
 * Tenants the billing pass reconciles: marked ones, those with a
 * subscription not reconciled since daily_before, those in dunning not
 * reconciled since dunning_before, or all when all.
 */
struct billing_due {
	const char *pubkey;
	int64_t marked_at; /* -1: not marked */
};
enum dbrc db_billing_due(struct db *, struct arena *, int64_t daily_before,
    int64_t dunning_before, int all, int64_t limit, struct billing_due **,
    size_t *n);
/* Reconciled at now; clears the mark only if it is still marked_at. */
enum dbrc db_billing_done(struct db *, const char *pubkey, int64_t marked_at,
    int64_t now);
enum dbrc db_tenant_set_subscription(struct db *, const char *pubkey,
    const char *subscription_id, const char *status);
/* Forget subscription_id (only if it is still the tenant's). */
enum dbrc db_tenant_forget_subscription(struct db *, const char *pubkey,
    const char *subscription_id, const char *status);
enum dbrc db_tenant_set_sub_status(struct db *, const char *pubkey,
    const char *subscription_id, const char *status);
enum dbrc db_tenant_bump_write_seq(struct db *, const char *pubkey);
/* past_due_at = at unless already set; DB_DONE if it was. */
enum dbrc db_tenant_set_past_due(struct db *, const char *pubkey, int64_t at);
enum dbrc db_tenant_clear_past_due(struct db *, const char *pubkey);
/*
 * The customer's default payment method as Stripe reports it ("" for
 * none); a new one clears stripe_error (the tenant acted on it). DB_OK if
 * it changed, DB_DONE if not (or no tenant has the customer).
 */
enum dbrc db_tenant_set_payment_method(struct db *, const char *customer,
    const char *pm);
/* "" clears it; DB_DONE if it already said that. */
enum dbrc db_tenant_set_stripe_error(struct db *, const char *pubkey,
    const char *error);
enum dbrc db_tenant_set_nwc_error(struct db *, const char *pubkey,
    const char *error);
/* at < 0 clears it. */
enum dbrc db_tenant_set_delinquent(struct db *, const char *pubkey,
    int64_t at);
/* The sealed NWC URL, or NULL (DB_OK either way). */
enum dbrc db_tenant_nwc_sealed(struct db *, struct arena *,
    const char *pubkey, const char **sealed);

/* Tenants in dunning: past due, or delinquent. */
struct dunning {
	const char *pubkey;
	int64_t past_due_at; /* -1: none */
	int64_t delinquent_at; /* -1: none */
	int64_t open_invoices;
};
enum dbrc db_dunning_list(struct db *, struct arena *, struct dunning **,
    size_t *n);

/*
 * Relays per Stripe price setting: what the subscription bills. Active
 * ones, and delinquent ones too when with_suspended.
 */
struct billable {
	const char *plan;
	const char *price_setting; /* config key of the plan's price */
	int64_t count;
};
enum dbrc db_relay_billable(struct db *, struct arena *, const char *tenant,
    int with_suspended, struct billable **, size_t *n);
/* Ids of tenant's relays with status; only paid plans' when paid_only. */
enum dbrc db_relay_ids(struct db *, struct arena *, const char *tenant,
    const char *status, int paid_only, const char ***ids, size_t *n);

/* A subscription create whose answer is not recorded (stripe.md §1.3). */
#define SUBCREATE_TABLE(K, C) \
	K(tenant,                   TEXT,  HIDDEN, NEW,  0) \
	C(idempotency_key,          TEXT,  HIDDEN, NEW,  0) \
	C(form,                     TEXT,  HIDDEN, NEW,  0) \
	C(started_at,               INT,   HIDDEN, NEW,  0) \
	C(attempts,                 INT,   HIDDEN, SYS,  0) \
	C(last_error,               TEXT,  HIDDEN, SYS,  0)
/* The table subscription_create: the exact request, to send again. */
struct subcreate {
	TABLE_MEMBERS(SUBCREATE_TABLE)
};
extern const struct table subcreate_table;
enum dbrc db_subcreate_get(struct db *, struct arena *, const char *tenant,
    struct subcreate *);
enum dbrc db_subcreate_put(struct db *, const char *tenant, const char *key,
    const char *form, int64_t now);
enum dbrc db_subcreate_failed(struct db *, const char *tenant,
    const char *error);
enum dbrc db_subcreate_delete(struct db *, const char *tenant);

/* Stripe webhook events (workers.md §3). */
#define STRIPE_EVENT_TABLE(K, C) \
	K(id,                       TEXT,  HIDDEN, NEW,  0) \
	C(type,                     TEXT,  HIDDEN, NEW,  0) \
	C(created,                  OINT,  HIDDEN, NEW,  0) \
	C(received_at,              INT,   HIDDEN, NEW,  0) \
	C(tenant,                   OTEXT, HIDDEN, NEW,  0) \
	C(object_id,                OTEXT, HIDDEN, NEW,  0) \
	C(effect,                   TEXT,  HIDDEN, NEW,  0)
/* A webhook event applied: tenant NULL when none was found. */
struct stripe_event {
	TABLE_MEMBERS(STRIPE_EVENT_TABLE)
};
extern const struct table stripe_event_table;
/*
 * Record an applied event with what it changed: DB_OK, or DB_CONSTRAINT
 * if the id was recorded before (the caller rolls its effect back).
 */
enum dbrc db_stripe_event_insert(struct db *, const char *id,
    const char *type, int64_t created, int64_t now, const char *tenant,
    const char *object_id, const char *effect);
/* In order of arrival, newest first: f->limit applies. */
enum dbrc db_stripe_event_list(struct db *, struct arena *,
    const struct list_filter *, struct stripe_event **, size_t *n);

/* The BTC price shared by the processes (research: fiat to msats). */
#define BTC_PRICE_TABLE(K, C) \
	K(currency,                 TEXT,  HIDDEN, NEW,  0) \
	C(price,                    TEXT,  HIDDEN, NEW,  0) \
	C(fetched_at,               INT,   HIDDEN, NEW,  0)
struct btc_price {
	TABLE_MEMBERS(BTC_PRICE_TABLE)
};
extern const struct table btc_price_table;
/* The cached BTC price in USD, as decimal text; DB_NOTFOUND if none. */
enum dbrc db_price_get(struct db *, struct arena *, const char **price,
    int64_t *fetched_at);
enum dbrc db_price_put(struct db *, const char *price, int64_t now);

struct revenue {
	const char *month; /* YYYY-MM */
	const char *method; /* card, nwc, lightning, other */
	const char *currency;
	int64_t invoices, collected;
};
enum dbrc db_revenue(struct db *, struct arena *, const char *since_month,
    struct revenue **, size_t *n);

/* db_invoice.c: the invoice mirror, bolt11s and the NWC guard */
/* One line of an invoice as Stripe lists it (GET /invoices/:id/items). */
#define INVOICE_ITEM_TABLE(K, C) \
	K(id,                       TEXT,  JSON,   NEW,  0) \
	C(invoice_id,               TEXT,  JSON,   NEW,  0) \
	C(position,                 INT,   HIDDEN, NEW,  0) \
	C(stripe_price_id,          OTEXT, JSON,   NEW,  0) \
	C(quantity,                 OINT,  JSON,   NEW,  0) \
	C(amount,                   INT,   JSON,   NEW,  0) \
	C(description,              TEXT,  JSON,   NEW,  0) \
	C(period_start,             OINT,  JSON,   NEW,  0) \
	C(period_end,               OINT,  JSON,   NEW,  0)
/*
 * id: il_..., or what Stripe gave; position: Stripe's order; amount in
 * cents, negative for a credit; description cleaned of control characters.
 */
struct invoice_line {
	TABLE_MEMBERS(INVOICE_ITEM_TABLE)
	/* From the invoice, when read back: */
	const char *tenant;
	int64_t voided_at; /* -1: none */
};
extern const struct table invoice_item_table;

/* The invoice mirror (0001, 0002, 0004); see db_table.h. */
#define INVOICE_TABLE(K, C) \
	K(id,                       TEXT,  JSON,   NEW,  0) \
	C(tenant,                   TEXT,  JSON,   NEW,  0) \
	C(status,                   TEXT,  JSON,   NEW,  0) \
	C(currency,                 TEXT,  JSON,   NEW,  0) \
	C(amount_due,               INT,   JSON,   NEW,  0) \
	C(amount_paid,              INT,   JSON,   NEW,  0) \
	C(period_start,             OINT,  JSON,   NEW,  0) \
	C(period_end,               OINT,  JSON,   NEW,  0) \
	C(created_at,               INT,   JSON,   NEW,  0) \
	C(due_date,                 OINT,  JSON,   NEW,  0) \
	C(paid_at,                  OINT,  JSON,   NEW,  0) \
	C(paid_via,                 OTEXT, JSON,   SYS,  0) \
	C(hosted_invoice_url,       OTEXT, JSON,   NEW,  0) \
	C(voided_at,                OINT,  JSON,   NEW,  0) \
	C(subscription_id,          OTEXT, HIDDEN, NEW,  0) \
	C(paid_out_of_band,         BIT,   HIDDEN, NEW,  0) \
	C(attempt_count,            INT,   HIDDEN, NEW,  0) \
	C(billing_reason,           OTEXT, HIDDEN, NEW,  0) \
	C(checked_at,               OINT,  HIDDEN, SYS,  0) \
	C(payment_due_sent_at,      OINT,  HIDDEN, SYS,  0) \
	C(updated_at,               INT,   HIDDEN, NEW,  0)
/*
 * id: Stripe's in_...; status: invoice_statuses; paid_via: stripe, nwc,
 * lightning or NULL; checked_at: POST /invoices/:id/reconcile asked.
 */
struct invoice {
	TABLE_MEMBERS(INVOICE_TABLE)
	/* The lines Stripe sent with it; the mirror's stay when not known. */
	const struct invoice_line *lines;
	size_t nlines;
	int lines_known;
};
extern const struct table invoice_table;
enum dbrc db_invoice_get(struct db *, struct arena *, const char *id,
    struct invoice *);
/* f's invoices (f->tenant's, drafts if asked), newest first; no after. */
enum dbrc db_invoice_list(struct db *, struct arena *,
    const struct list_filter *, struct invoice **, size_t *n);
/*
 * Upsert from what Stripe says. The status never moves backwards (draft
 * < open < uncollectible < paid, void; paid and void are final), so a
 * late event cannot reopen a paid invoice: DB_DONE when ignored. paid_via
 * is derived: stripe unless paid out of band, then nwc or lightning from
 * our own records, else NULL.
 */
enum dbrc db_invoice_put(struct db *, const struct invoice *, int64_t now);
enum dbrc db_invoice_checked(struct db *, const char *id, int64_t now);
/* The invoice's mirrored lines in Stripe's order. */
enum dbrc db_invoice_lines(struct db *, struct arena *, const char *id,
    struct invoice_line **, size_t *n);
/* Open invoices of the tenant. */
enum dbrc db_invoice_open_count(struct db *, const char *tenant, int64_t *n);
/*
 * Open invoices of tenants without a wallet whose "payment due" DM is not
 * sent, unless the tenant had one since recent_since.
 */
enum dbrc db_invoice_due_dm(struct db *, struct arena *, int64_t recent_since,
    struct invoice **, size_t *n);
enum dbrc db_invoice_set_due_sent(struct db *, const char *id, int64_t now);

/* An NWC auto-payment guard row (workers.md §2.3). */
#define NWC_GUARD_TABLE(K, C) \
	K(invoice_id,               TEXT,  HIDDEN, NEW,  0) \
	C(state,                    TEXT,  HIDDEN, NEW,  0) \
	C(msats,                    OINT,  HIDDEN, SYS,  0) \
	C(bolt11,                   OTEXT, HIDDEN, SYS,  0) \
	C(payment_hash,             OTEXT, HIDDEN, SYS,  0) \
	C(expires_at,               OINT,  HIDDEN, SYS,  0) \
	C(attempts,                 INT,   HIDDEN, NEW,  0) \
	C(retry_at,                 OINT,  HIDDEN, SYS,  0) \
	C(error,                    TEXT,  HIDDEN, SYS,  0) \
	C(created_at,               INT,   HIDDEN, NEW,  0) \
	C(updated_at,               INT,   HIDDEN, NEW,  0)
/*
 * The table invoice_nwc_payment. state: guard_states; msats -1 and
 * bolt11 NULL until make_invoice is recorded.
 */
struct nwc_guard {
	TABLE_MEMBERS(NWC_GUARD_TABLE)
};
extern const struct table nwc_guard_table;
/* Work of the auto-pay duty: an open invoice of a tenant with a wallet. */
struct autopay {
	struct invoice inv;
	struct nwc_guard g; /* g.state NULL: no guard yet */
};
/* Guards to finish, and open invoices to try (retry_at passed). */
enum dbrc db_autopay_list(struct db *, struct arena *, int64_t now,
    struct autopay **, size_t *n);
enum dbrc db_guard_get(struct db *, struct arena *, const char *invoice_id,
    struct nwc_guard *);
/*
 * Insert the guard before any wallet call, or restart a failed one whose
 * retry time has come: DB_OK if this pass owns the payment now, DB_DONE
 * if not (a guard is in the way, or the tenant holds an unexpired manual
 * bolt11 for it).
 */
enum dbrc db_guard_claim(struct db *, const char *invoice_id, int64_t now);
enum dbrc db_guard_set_bolt11(struct db *, const char *invoice_id,
    int64_t msats, const char *bolt11, const char *payment_hash,
    int64_t expires_at, int64_t now);
/* Paid by the wallet; Stripe is to be told now (retry_at = now). */
enum dbrc db_guard_paid(struct db *, const char *invoice_id, int64_t now);
/* When to look at a paid or failed guard again; -1: never (done). */
enum dbrc db_guard_retry_at(struct db *, const char *invoice_id,
    int64_t retry_at);
/* A failed guard whose bolt11 settled after all: paid, Stripe told now. */
enum dbrc db_guard_settle_late(struct db *, const char *invoice_id,
    int64_t now);
/* Why a pending guard waits (what the wallet said), for a later DM. */
enum dbrc db_guard_note(struct db *, const char *invoice_id,
    const char *error);
/* A new wallet URL: the tenant's failed auto-payments are tried now. */
enum dbrc db_guard_retry_tenant(struct db *, const char *tenant, int64_t now);
enum dbrc db_guard_failed(struct db *, const char *invoice_id,
    const char *error, int64_t retry_at, int64_t now);

#define BOLT11_TABLE(K, C) \
	K(payment_hash,             TEXT,  JSON,   NEW,  0) \
	C(invoice_id,               TEXT,  JSON,   NEW,  0) \
	C(bolt11,                   TEXT,  JSON,   NEW,  0) \
	C(msats,                    INT,   JSON,   NEW,  0) \
	C(created_at,               INT,   JSON,   NEW,  0) \
	C(expires_at,               INT,   JSON,   NEW,  0) \
	C(settled_at,               OINT,  JSON,   SYS,  0) \
	C(checked_at,               OINT,  HIDDEN, SYS,  0)
/* A bolt11 the platform wallet issued for an invoice (manual Lightning). */
struct bolt11_row {
	TABLE_MEMBERS(BOLT11_TABLE)
	const char *tenant; /* the invoice's (db_bolt11_check_due) */
	const char *invoice_status;
};
extern const struct table bolt11_table;
/* The invoice's newest bolt11 with tenant and invoice_status. */
enum dbrc db_bolt11_newest(struct db *, struct arena *, const char *invoice_id,
    struct bolt11_row *);
/* The newest bolt11 of the invoice still payable after now. */
enum dbrc db_bolt11_usable(struct db *, struct arena *, const char *invoice_id,
    int64_t now, struct bolt11_row *);
/*
 * Store a bolt11 unless an NWC auto-payment owns the invoice (pending or
 * paid guard): DB_OK stored, DB_DONE refused.
 */
enum dbrc db_bolt11_insert(struct db *, const struct bolt11_row *);
/*
 * Bolt11s to look up: unsettled, unexpired (or expired since the last
 * check), not checked since checked_before; and settled ones whose
 * invoice is still open (Stripe not told yet).
 */
enum dbrc db_bolt11_check_due(struct db *, struct arena *, int64_t now,
    int64_t checked_before, int64_t expired_after, struct bolt11_row **,
    size_t *n);
enum dbrc db_bolt11_settled(struct db *, const char *payment_hash,
    int64_t settled_at, int64_t now);
enum dbrc db_bolt11_checked(struct db *, const char *payment_hash,
    int64_t now);

#endif

/*
 * db_sql.c: every SQL statement Caravel runs, constant and parameterised
 * (?N). tests/unit/test_db.c prepares each one against the migrated schema.
 */
#include "config.h"

#include "db.h"

const char *const stmts[STMT__MAX] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_USER_VERSION] = "PRAGMA user_version",
	[STMT_DATA_VERSION] = "PRAGMA data_version",
	[STMT_CHECKPOINT] = "PRAGMA wal_checkpoint(PASSIVE)",
	/* 10,000 pages: about 40 MB of WAL, a safety net without cron. */
	[STMT_API_AUTOCHECKPOINT] = "PRAGMA wal_autocheckpoint = 10000",
	[STMT_PLAN_LIST] =
	    "SELECT id, name, amount, members, blossom, livekit, "
	    "stripe_price_setting FROM plan ORDER BY position, id",
	[STMT_PLAN_GET] =
	    "SELECT id, name, amount, members, blossom, livekit, "
	    "stripe_price_setting FROM plan WHERE id = ?1",

#define TENANT_COLUMNS "pubkey, created_at, stripe_customer_id, " \
	"stripe_subscription_id, past_due_at, nwc_url_sealed IS NOT NULL, " \
	"nwc_error"
	[STMT_TENANT_GET] =
	    "SELECT " TENANT_COLUMNS " FROM tenant WHERE pubkey = ?1",
	[STMT_TENANT_LIST] =
	    "SELECT " TENANT_COLUMNS " FROM tenant "
	    "ORDER BY created_at DESC, pubkey",
	[STMT_TENANT_INSERT] =
	    "INSERT INTO tenant (pubkey, created_at, stripe_customer_id) "
	    "VALUES (?1, ?2, ?3) ON CONFLICT (pubkey) DO NOTHING",
	[STMT_TENANT_SET_NWC] =
	    "UPDATE tenant SET nwc_url_sealed = ?2, nwc_error = '' "
	    "WHERE pubkey = ?1",
	[STMT_TENANT_MARK_BILLING] =
	    "UPDATE tenant SET billing_marked_at = ?2 WHERE pubkey = ?1",

#define RELAY_COLUMNS "id, tenant, schema, subdomain, plan, status, " \
	"synced, sync_error, info_name, info_icon, info_description, " \
	"policy_public_join, policy_strip_signatures, groups_enabled, " \
	"management_enabled, blossom_enabled, livekit_enabled, push_enabled, " \
	"created_at, version, zooid_created"
	[STMT_RELAY_GET] =
	    "SELECT " RELAY_COLUMNS " FROM relay WHERE id = ?1",
	[STMT_RELAY_LIST] =
	    "SELECT " RELAY_COLUMNS " FROM relay ORDER BY created_at DESC, id",
	/* Walks the relay_tenant index: no scan, no sort. */
	[STMT_RELAY_LIST_TENANT] =
	    "SELECT " RELAY_COLUMNS " FROM relay WHERE tenant = ?1 "
	    "ORDER BY created_at DESC, id",
	[STMT_RELAY_INSERT] =
	    "INSERT INTO relay (id, tenant, subdomain, schema, plan, "
	    "secret_sealed, info_name, info_icon, info_description, "
	    "policy_public_join, policy_strip_signatures, groups_enabled, "
	    "management_enabled, blossom_enabled, livekit_enabled, "
	    "push_enabled, created_at, updated_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15, ?16, ?17, ?17)",
	/* A change resets the retry budget (workers.md §1). */
	[STMT_RELAY_UPDATE] =
	    "UPDATE relay SET plan = ?2, info_name = ?3, info_icon = ?4, "
	    "info_description = ?5, policy_public_join = ?6, "
	    "policy_strip_signatures = ?7, groups_enabled = ?8, "
	    "management_enabled = ?9, blossom_enabled = ?10, "
	    "livekit_enabled = ?11, push_enabled = ?12, updated_at = ?13, "
	    "synced = 0, version = version + 1, sync_failures = 0, "
	    "sync_retry_at = NULL WHERE id = ?1",
	[STMT_RELAY_SET_STATUS] =
	    "UPDATE relay SET status = ?2, updated_at = ?3, synced = 0, "
	    "version = version + 1, sync_failures = 0, sync_retry_at = NULL "
	    "WHERE id = ?1",
	[STMT_RELAY_SUBDOMAIN_TAKEN] =
	    "SELECT 1 FROM relay WHERE subdomain = ?1",
	[STMT_RELAY_OWNER] =
	    "SELECT tenant FROM relay WHERE id = ?1",

	/* The partial index relay_unsynced keeps this cheap at any size. */
	[STMT_RELAY_SYNC_DUE] =
	    "SELECT " RELAY_COLUMNS ", secret_sealed, sync_failures "
	    "FROM relay WHERE synced = 0 "
	    "AND (sync_retry_at IS NULL OR sync_retry_at <= ?1) "
	    "AND (sync_failures < ?2 OR ?3) AND (?4 IS NULL OR id = ?4) "
	    "ORDER BY updated_at, id LIMIT ?5",
	[STMT_RELAY_SYNC_OK] =
	    "UPDATE relay SET synced = (version = ?2), zooid_created = 1, "
	    "sync_error = '', sync_failures = 0, sync_retry_at = NULL "
	    "WHERE id = ?1",
	[STMT_RELAY_SYNC_FAIL] =
	    "UPDATE relay SET sync_error = ?2, "
	    "sync_failures = sync_failures + 1, sync_retry_at = ?3 "
	    "WHERE id = ?1",
	[STMT_RELAY_SET_CREATED] =
	    "UPDATE relay SET zooid_created = 1 WHERE id = ?1",
	[STMT_DM_QUEUE] =
	    "INSERT INTO dm_outbox (recipient, text, dedupe_key, created_at, "
	    "next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?4) "
	    "ON CONFLICT (dedupe_key) DO NOTHING",
	[STMT_DM_DUE] =
	    "SELECT id, recipient, text, status, created_at, attempts, "
	    "last_error, wrap_json, self_wrap_json, sent_at FROM dm_outbox "
	    "WHERE status = 'queued' AND next_attempt_at <= ?1 "
	    "ORDER BY created_at, id LIMIT ?2",
	[STMT_DM_SET_WRAPS] =
	    "UPDATE dm_outbox SET wrap_json = ?2, self_wrap_json = ?3 "
	    "WHERE id = ?1 AND wrap_json IS NULL",
	[STMT_DM_SENT] =
	    "UPDATE dm_outbox SET status = 'sent', sent_at = ?2, "
	    "attempts = attempts + 1, last_error = '' "
	    "WHERE id = ?1 AND status = 'queued'",
	[STMT_DM_RETRY] =
	    "UPDATE dm_outbox SET attempts = attempts + 1, last_error = ?2, "
	    "next_attempt_at = ?3 WHERE id = ?1 AND status = 'queued'",
	[STMT_DM_FAILED] =
	    "UPDATE dm_outbox SET status = 'failed', failed_at = ?3, "
	    "attempts = attempts + 1, last_error = ?2 "
	    "WHERE id = ?1 AND status = 'queued'",
	[STMT_DM_LIST] =
	    "SELECT id, recipient, text, status, created_at, attempts, "
	    "last_error, wrap_json, self_wrap_json, sent_at FROM dm_outbox "
	    "ORDER BY id DESC LIMIT ?1",
	[STMT_DM_DELIVERY_PUT] =
	    "INSERT INTO dm_delivery (dm_id, relay_url, ok, message, "
	    "updated_at) VALUES (?1, ?2, ?3, ?4, ?5) "
	    "ON CONFLICT (dm_id, relay_url) DO UPDATE SET ok = excluded.ok, "
	    "message = excluded.message, updated_at = excluded.updated_at",
	[STMT_DM_RELAYS_GET] =
	    "SELECT outbox_relays, inbox_relays, fetched_at "
	    "FROM dm_recipient_relays WHERE pubkey = ?1",
	[STMT_DM_RELAYS_PUT] =
	    "INSERT INTO dm_recipient_relays (pubkey, outbox_relays, "
	    "inbox_relays, fetched_at) VALUES (?1, ?2, ?3, ?4) "
	    "ON CONFLICT (pubkey) DO UPDATE SET "
	    "outbox_relays = excluded.outbox_relays, "
	    "inbox_relays = excluded.inbox_relays, "
	    "fetched_at = excluded.fetched_at",
	[STMT_ROBOT_PUB_GET] =
	    "SELECT content_hash, published_at FROM robot_publication "
	    "WHERE kind = ?1",
	[STMT_ROBOT_PUB_PUT] =
	    "INSERT INTO robot_publication (kind, content_hash, event_id, "
	    "published_at) VALUES (?1, ?2, ?3, ?4) "
	    "ON CONFLICT (kind) DO UPDATE SET "
	    "content_hash = excluded.content_hash, "
	    "event_id = excluded.event_id, "
	    "published_at = excluded.published_at",
	[STMT_ACTIVITY_INSERT] =
	    "INSERT INTO activity (tenant, created_at, activity_type, "
	    "resource_type, resource_id) VALUES (?1, ?2, ?3, ?4, ?5)",
	[STMT_ACTIVITY_LIST_RESOURCE] =
	    "SELECT id, tenant, created_at, activity_type, resource_type, "
	    "resource_id FROM activity "
	    "WHERE resource_type = ?1 AND resource_id = ?2 "
	    "AND (?3 = 0 OR created_at < ?3) "
	    "ORDER BY created_at DESC, id DESC LIMIT ?4",
};

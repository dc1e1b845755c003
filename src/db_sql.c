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
	"created_at, version"
	[STMT_RELAY_GET] =
	    "SELECT " RELAY_COLUMNS " FROM relay WHERE id = ?1",
	[STMT_RELAY_LIST] =
	    "SELECT " RELAY_COLUMNS " FROM relay "
	    "WHERE ?1 IS NULL OR tenant = ?1 ORDER BY created_at DESC, id",
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

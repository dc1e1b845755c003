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
};

/*
 * db_outbox.c: the robot's DM outbox, per-relay delivery results, the
 * recipient relay cache and the robot's own publications (workers.md §4).
 */
#include "config.h"

#include <string.h>

#include "db.h"

enum dbrc
db_dm_queue(struct db *db, const char *recipient, const char *text,
    const char *dedupe_key, int64_t now, int64_t *id)
{
	struct dm row = { .recipient = recipient, .text = text,
		.dedupe_key = dedupe_key, .created_at = now,
		.next_attempt_at = now };
	enum dbrc rc;

	rc = db_write_row_v(db, STMT_DM_QUEUE, &dm_table, &row, NULL, 0);
	if (rc == DB_OK && id != NULL)
		*id = sqlite3_last_insert_rowid(db->h);
	return rc;
}

enum dbrc
db_dm_due(struct db *db, struct arena *a, int64_t now, int64_t limit,
    struct dm **out, size_t *n)
{
	return db_rows(db, a, db_query(db, STMT_DM_DUE, DBV_I(now),
	    DBV_I(limit)), sizeof(**out), dm_table.read, out, n);
}

enum dbrc
db_dm_list(struct db *db, struct arena *a, const struct list_filter *f,
    struct dm **out, size_t *n)
{
	return db_rows(db, a, db_query(db, STMT_DM_LIST, DBV_I(LIST_LIMIT(f))),
	    sizeof(**out), dm_table.read, out, n);
}

enum dbrc
db_dm_set_wraps(struct db *db, int64_t id, const char *wrap,
    const char *self_wrap)
{
	return db_update(db, STMT_DM_SET_WRAPS, DBV_I(id), DBV_T(wrap),
	    DBV_T(self_wrap));
}

enum dbrc
db_dm_sent(struct db *db, int64_t id, int64_t now)
{
	return db_update(db, STMT_DM_SENT, DBV_I(id), DBV_I(now));
}

enum dbrc
db_dm_retry(struct db *db, int64_t id, const char *error, int64_t next)
{
	return db_update(db, STMT_DM_RETRY, DBV_I(id), DBV_T(error),
	    DBV_I(next));
}

enum dbrc
db_dm_failed(struct db *db, int64_t id, const char *error, int64_t now)
{
	return db_update(db, STMT_DM_FAILED, DBV_I(id), DBV_T(error),
	    DBV_I(now));
}

enum dbrc
db_dm_delivery(struct db *db, int64_t id, const char *relay_url, int ok,
    const char *message, int64_t now)
{
	struct dm_delivery row = { .dm_id = id, .relay_url = relay_url,
		.ok = ok != 0, .message = message, .updated_at = now };

	return db_write_row_v(db, STMT_DM_DELIVERY_PUT, &dm_delivery_table,
	    &row, NULL, 0);
}

enum dbrc
db_dm_relays_get(struct db *db, struct arena *a, const char *pubkey,
    const char **outbox, const char **inbox, int64_t *fetched_at)
{
	struct dm_relays row;
	enum dbrc rc;

	if ((rc = db_row1(db, a, db_query(db, STMT_DM_RELAYS_GET,
	    DBV_T(pubkey)), dm_relays_table.read, &row)) == DB_OK) {
		*outbox = row.outbox_relays;
		*inbox = row.inbox_relays;
		*fetched_at = row.fetched_at;
	}
	return rc;
}

enum dbrc
db_dm_relays_put(struct db *db, const char *pubkey, const char *outbox,
    const char *inbox, int64_t now)
{
	struct dm_relays row = { .pubkey = pubkey, .outbox_relays = outbox,
		.inbox_relays = inbox, .fetched_at = now };

	return db_write_row_v(db, STMT_DM_RELAYS_PUT, &dm_relays_table, &row,
	    NULL, 0);
}

enum dbrc
db_robot_pub_get(struct db *db, struct arena *a, int kind,
    const char **content_hash, int64_t *published_at)
{
	struct robot_pub row;
	enum dbrc rc;

	if ((rc = db_row1(db, a, db_query(db, STMT_ROBOT_PUB_GET, DBV_I(kind)),
	    robot_pub_table.read, &row)) == DB_OK) {
		*content_hash = row.content_hash;
		*published_at = row.published_at;
	}
	return rc;
}

enum dbrc
db_robot_pub_put(struct db *db, int kind, const char *content_hash,
    const char *event_id, int64_t now)
{
	struct robot_pub row = { .kind = kind, .content_hash = content_hash,
		.event_id = event_id, .published_at = now };

	return db_write_row_v(db, STMT_ROBOT_PUB_PUT, &robot_pub_table, &row,
	    NULL, 0);
}

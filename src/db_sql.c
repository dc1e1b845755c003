/*
 * db_sql.c: every SQL statement Caravel runs, constant and parameterised
 * (?N; :name where a table's columns are bound by name, db_table.h).
 * tests/unit/test_db.c prepares each one against the migrated schema.
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
	[STMT_CHECKPOINT_RESTART] = "PRAGMA wal_checkpoint(RESTART)",
	/*
	 * An API child's page cache: 1 MiB, not SQLite's 2 MiB. The cache is
	 * heap memory, so it is most of what a child keeps after serving
	 * (bench/README.md: 3.4 MB of RssAnon with 2 MiB); what the API reads
	 * again and again (plans, a tenant's relays) fits in far less, and a
	 * page that falls out comes back from the kernel's cache.
	 */
	[STMT_API_CACHE_SIZE] = "PRAGMA cache_size = -1024",
	[STMT_PLAN_LIST] =
	    "SELECT " TABLE_COLUMNS(PLAN_TABLE) " FROM plan "
	    "ORDER BY position, id",
	[STMT_PLAN_GET] =
	    "SELECT " TABLE_COLUMNS(PLAN_TABLE) " FROM plan WHERE id = ?1",

#define TENANT_COLUMNS TABLE_COLUMNS(TENANT_TABLE)
	[STMT_TENANT_GET] =
	    "SELECT " TENANT_COLUMNS " FROM tenant WHERE pubkey = ?1",
	[STMT_TENANT_LIST] =
	    "SELECT " TENANT_COLUMNS " FROM tenant "
	    "ORDER BY created_at DESC, pubkey",
	/*
	 * A page after the row (?1 its created_at, ?2 its key) in the list's
	 * order; "created_at <= ?1" is the seek into tenant_created.
	 */
	[STMT_TENANT_PAGE] =
	    "SELECT " TENANT_COLUMNS " FROM tenant WHERE created_at <= ?1 "
	    "AND (created_at < ?1 OR pubkey > ?2) "
	    "ORDER BY created_at DESC, pubkey LIMIT ?3",
	[STMT_TENANT_CREATED] =
	    "SELECT created_at FROM tenant WHERE pubkey = ?1",
	[STMT_TENANT_INSERT] =
	    "INSERT INTO tenant " TABLE_INSERT(TENANT_TABLE) " "
	    "ON CONFLICT (pubkey) DO NOTHING",
	[STMT_TENANT_SET_NWC] =
	    "UPDATE tenant SET nwc_url_sealed = ?2, nwc_error = '' "
	    "WHERE pubkey = ?1",
	/* Strictly later than the last mark: see db_tenant_mark_billing(). */
	[STMT_TENANT_MARK_BILLING] =
	    "UPDATE tenant SET billing_marked_at = "
	    "max(?2, coalesce(billing_marked_at, 0) + 1) WHERE pubkey = ?1",

#define RELAY_COLUMNS TABLE_COLUMNS(RELAY_TABLE)
	[STMT_RELAY_GET] =
	    "SELECT " RELAY_COLUMNS " FROM relay WHERE id = ?1",
	[STMT_RELAY_LIST] =
	    "SELECT " RELAY_COLUMNS " FROM relay ORDER BY created_at DESC, id",
	/* Walks the relay_tenant index: no scan, no sort. */
	[STMT_RELAY_LIST_TENANT] =
	    "SELECT " RELAY_COLUMNS " FROM relay WHERE tenant = ?1 "
	    "ORDER BY created_at DESC, id",
	/* As STMT_TENANT_PAGE, in relay_created or relay_tenant. */
	[STMT_RELAY_PAGE] =
	    "SELECT " RELAY_COLUMNS " FROM relay WHERE created_at <= ?1 "
	    "AND (created_at < ?1 OR id > ?2) "
	    "ORDER BY created_at DESC, id LIMIT ?3",
	[STMT_RELAY_PAGE_TENANT] =
	    "SELECT " RELAY_COLUMNS " FROM relay WHERE tenant = ?4 "
	    "AND created_at <= ?1 AND (created_at < ?1 OR id > ?2) "
	    "ORDER BY created_at DESC, id LIMIT ?3",
	[STMT_RELAY_CREATED] =
	    "SELECT created_at FROM relay WHERE id = ?1",
	[STMT_RELAY_INSERT] =
	    "INSERT INTO relay (" TABLE_INSERT_COLS(RELAY_TABLE) ", "
	    "secret_sealed) VALUES (" TABLE_INSERT_VALUES(RELAY_TABLE) ", "
	    ":secret_sealed)",
	/* A change resets the retry budget (workers.md §1). */
	[STMT_RELAY_UPDATE] =
	    "UPDATE relay SET synced = 0, version = version + 1, "
	    "sync_failures = 0, sync_retry_at = NULL"
	    TABLE_UPDATE(RELAY_TABLE) " WHERE id = :id",
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
	    "SELECT " RELAY_COLUMNS ", secret_sealed "
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
	    "INSERT INTO dm_outbox " TABLE_INSERT(DM_TABLE) " "
	    "ON CONFLICT (dedupe_key) DO NOTHING",
	[STMT_DM_DUE] =
	    "SELECT " TABLE_COLUMNS(DM_TABLE) " FROM dm_outbox "
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
	    "SELECT " TABLE_COLUMNS(DM_TABLE) " FROM dm_outbox "
	    "ORDER BY id DESC LIMIT ?1",
	[STMT_DM_DELIVERY_PUT] =
	    "INSERT INTO dm_delivery " TABLE_INSERT(DM_DELIVERY_TABLE) " "
	    "ON CONFLICT (dm_id, relay_url) DO UPDATE SET "
	    TABLE_UPSERT(DM_DELIVERY_TABLE),
	[STMT_DM_RELAYS_GET] =
	    "SELECT " TABLE_COLUMNS(DM_RELAYS_TABLE) " "
	    "FROM dm_recipient_relays WHERE pubkey = ?1",
	[STMT_DM_RELAYS_PUT] =
	    "INSERT INTO dm_recipient_relays " TABLE_INSERT(DM_RELAYS_TABLE) " "
	    "ON CONFLICT (pubkey) DO UPDATE SET " TABLE_UPSERT(DM_RELAYS_TABLE),
	[STMT_ROBOT_PUB_GET] =
	    "SELECT " TABLE_COLUMNS(ROBOT_PUB_TABLE) " FROM robot_publication "
	    "WHERE kind = ?1",
	[STMT_ROBOT_PUB_PUT] =
	    "INSERT INTO robot_publication " TABLE_INSERT(ROBOT_PUB_TABLE) " "
	    "ON CONFLICT (kind) DO UPDATE SET " TABLE_UPSERT(ROBOT_PUB_TABLE),
	[STMT_WORKER_PASS_PUT] =
	    "INSERT INTO worker_pass " TABLE_INSERT(WORKER_PASS_TABLE) " "
	    "ON CONFLICT (worker) DO UPDATE SET "
	    TABLE_UPSERT(WORKER_PASS_TABLE),
	[STMT_WORKER_PASS_LIST] =
	    "SELECT " TABLE_COLUMNS(WORKER_PASS_TABLE) " FROM worker_pass "
	    "ORDER BY worker",
	/* One row: what operators watch (caravel-admin status, /metrics). */
	[STMT_GAUGES] =
	    "SELECT (SELECT count(*) FROM tenant), "
	    "(SELECT count(*) FROM tenant WHERE past_due_at IS NOT NULL), "
	    "(SELECT count(*) FROM tenant WHERE delinquent_at IS NOT NULL), "
	    "(SELECT count(*) FROM relay), "
	    "(SELECT count(*) FROM relay WHERE synced = 0), "
	    "(SELECT count(*) FROM relay WHERE sync_error <> ''), "
	    "(SELECT count(*) FROM dm_outbox WHERE status = 'queued'), "
	    "(SELECT count(*) FROM dm_outbox WHERE status = 'failed'), "
	    "(SELECT count(*) FROM invoice WHERE status = 'open'), "
	    "(SELECT coalesce(sum(amount_due - amount_paid), 0) FROM invoice "
	    "WHERE status = 'open')",
	[STMT_ACTIVITY_INSERT] =
	    "INSERT INTO activity (" TABLE_INSERT_COLS(ACTIVITY_TABLE) ") "
	    "VALUES (" TABLE_INSERT_VALUES(ACTIVITY_TABLE) ")",
	[STMT_ACTIVITY_LIST_RESOURCE] =
	    "SELECT " TABLE_COLUMNS(ACTIVITY_TABLE) " FROM activity "
	    "WHERE resource_type = ?1 AND resource_id = ?2 "
	    "AND (?3 = 0 OR created_at < ?3) "
	    "ORDER BY created_at DESC, id DESC LIMIT ?4",

	/* --- billing: tenants, events, price (db_billing.c) --- */
	[STMT_TENANT_BY_CUSTOMER] =
	    "SELECT " TENANT_COLUMNS " FROM tenant "
	    "WHERE stripe_customer_id = ?1",
	/*
	 * Each branch walks a partial index, so an idle pass reads nothing;
	 * UNION ALL and GROUP BY outside keep the planner from sorting all
	 * tenants to merge the branches.
	 */
	[STMT_TENANT_BILLING_DUE] =
	    "SELECT pubkey, max(billing_marked_at) FROM ("
	    "SELECT pubkey, billing_marked_at FROM tenant "
	    "WHERE billing_marked_at IS NOT NULL "
	    "UNION ALL SELECT pubkey, billing_marked_at FROM tenant "
	    "WHERE stripe_subscription_id IS NOT NULL "
	    "AND billing_reconciled_at IS NULL "
	    "UNION ALL SELECT pubkey, billing_marked_at FROM tenant "
	    "WHERE stripe_subscription_id IS NOT NULL "
	    "AND billing_reconciled_at <= ?1 "
	    "UNION ALL SELECT pubkey, billing_marked_at FROM tenant "
	    "WHERE (past_due_at IS NOT NULL OR delinquent_at IS NOT NULL) "
	    "AND (billing_reconciled_at IS NULL "
	    "OR billing_reconciled_at <= ?2) "
	    "UNION ALL SELECT pubkey, billing_marked_at FROM tenant WHERE ?3) "
	    "GROUP BY pubkey ORDER BY pubkey LIMIT ?4",
	[STMT_TENANT_BILLING_DONE] =
	    "UPDATE tenant SET billing_reconciled_at = ?3, "
	    "billing_marked_at = CASE WHEN billing_marked_at IS ?2 THEN NULL "
	    "ELSE billing_marked_at END WHERE pubkey = ?1",
	[STMT_TENANT_SET_SUBSCRIPTION] =
	    "UPDATE tenant SET stripe_subscription_id = ?2, "
	    "subscription_status = ?3 WHERE pubkey = ?1",
	[STMT_TENANT_FORGET_SUBSCRIPTION] =
	    "UPDATE tenant SET stripe_subscription_id = NULL, "
	    "subscription_status = ?3, "
	    "subscription_generation = subscription_generation + 1 "
	    "WHERE pubkey = ?1 AND stripe_subscription_id IS ?2",
	[STMT_TENANT_SET_SUB_STATUS] =
	    "UPDATE tenant SET subscription_status = ?3 "
	    "WHERE pubkey = ?1 AND stripe_subscription_id = ?2",
	[STMT_TENANT_BUMP_WRITE_SEQ] =
	    "UPDATE tenant SET stripe_write_seq = stripe_write_seq + 1 "
	    "WHERE pubkey = ?1",
	[STMT_TENANT_SET_PAST_DUE] =
	    "UPDATE tenant SET past_due_at = ?2 "
	    "WHERE pubkey = ?1 AND past_due_at IS NULL",
	[STMT_TENANT_CLEAR_PAST_DUE] =
	    "UPDATE tenant SET past_due_at = NULL "
	    "WHERE pubkey = ?1 AND past_due_at IS NOT NULL",
	[STMT_TENANT_SET_PAYMENT_METHOD] =
	    "UPDATE tenant SET stripe_payment_method_id = ?2, stripe_error = "
	    "CASE WHEN ?2 = '' THEN stripe_error ELSE '' END "
	    "WHERE stripe_customer_id = ?1 AND stripe_payment_method_id <> ?2",
	[STMT_TENANT_SET_STRIPE_ERROR] =
	    "UPDATE tenant SET stripe_error = ?2 "
	    "WHERE pubkey = ?1 AND stripe_error <> ?2",
	[STMT_TENANT_SET_NWC_ERROR] =
	    "UPDATE tenant SET nwc_error = ?2 WHERE pubkey = ?1",
	[STMT_TENANT_SET_DELINQUENT] =
	    "UPDATE tenant SET delinquent_at = ?2 WHERE pubkey = ?1",
	[STMT_TENANT_DUNNING] =
	    "SELECT t.pubkey, t.past_due_at, t.delinquent_at, "
	    "(SELECT count(*) FROM invoice i WHERE i.tenant = t.pubkey "
	    "AND i.status = 'open') FROM tenant t "
	    "WHERE t.past_due_at IS NOT NULL OR t.delinquent_at IS NOT NULL "
	    "ORDER BY +t.pubkey",
	[STMT_TENANT_NWC_SEALED] =
	    "SELECT nwc_url_sealed FROM tenant WHERE pubkey = ?1",
	[STMT_RELAY_BILLABLE] =
	    "SELECT r.plan, p.stripe_price_setting, count(*) FROM relay r "
	    "JOIN plan p ON p.id = r.plan WHERE r.tenant = ?1 "
	    "AND (r.status = 'active' OR (?2 AND r.status = 'delinquent')) "
	    "AND p.stripe_price_setting IS NOT NULL "
	    "GROUP BY r.plan, p.stripe_price_setting ORDER BY r.plan",
	[STMT_RELAY_IDS_BY_STATUS] =
	    "SELECT r.id FROM relay r JOIN plan p ON p.id = r.plan "
	    "WHERE r.tenant = ?1 AND r.status = ?2 "
	    "AND (?3 = 0 OR p.stripe_price_setting IS NOT NULL) ORDER BY r.id",
	[STMT_SUBCREATE_GET] =
	    "SELECT " TABLE_COLUMNS(SUBCREATE_TABLE) " "
	    "FROM subscription_create WHERE tenant = ?1",
	[STMT_SUBCREATE_PUT] =
	    "INSERT INTO subscription_create " TABLE_INSERT(SUBCREATE_TABLE),
	[STMT_SUBCREATE_FAILED] =
	    "UPDATE subscription_create SET attempts = attempts + 1, "
	    "last_error = ?2 WHERE tenant = ?1",
	[STMT_SUBCREATE_DELETE] =
	    "DELETE FROM subscription_create WHERE tenant = ?1",
	/* A repeated id fails the primary key: the caller rolls back. */
	[STMT_STRIPE_EVENT_INSERT] =
	    "INSERT INTO stripe_event " TABLE_INSERT(STRIPE_EVENT_TABLE),
	[STMT_STRIPE_EVENT_LIST] =
	    "SELECT " TABLE_COLUMNS(STRIPE_EVENT_TABLE) " FROM stripe_event "
	    "ORDER BY rowid DESC LIMIT ?1", /* arrival */
	[STMT_PRICE_GET] =
	    "SELECT " TABLE_COLUMNS(BTC_PRICE_TABLE) " FROM btc_price "
	    "WHERE currency = 'usd'",
	[STMT_PRICE_PUT] =
	    "INSERT INTO btc_price " TABLE_INSERT(BTC_PRICE_TABLE) " "
	    "ON CONFLICT (currency) DO UPDATE SET "
	    TABLE_UPSERT(BTC_PRICE_TABLE),
	[STMT_REVENUE] =
	    "SELECT month, method, currency, invoices, collected "
	    "FROM revenue_by_month WHERE month >= ?1",

	/* --- billing: invoices, bolt11s, the NWC guard (db_invoice.c) --- */
#define INVOICE_COLUMNS TABLE_COLUMNS_AS(INVOICE_TABLE, i)
	[STMT_INVOICE_GET] =
	    "SELECT " INVOICE_COLUMNS " FROM invoice i WHERE i.id = ?1",
	[STMT_INVOICE_LIST_TENANT] =
	    "SELECT " INVOICE_COLUMNS " FROM invoice i WHERE i.tenant = ?1 "
	    "AND (?2 OR i.status <> 'draft') "
	    "ORDER BY i.created_at DESC, i.id LIMIT ?3",
	[STMT_INVOICE_LIST_ALL] =
	    "SELECT " INVOICE_COLUMNS " FROM invoice i "
	    "WHERE (?2 OR i.status <> 'draft') "
	    "ORDER BY i.created_at DESC, i.id LIMIT ?3",
	/*
	 * Statuses only move forwards (workers.md §3); paid_via is ours to
	 * know for payments made outside Stripe, and once set stays.
	 */
#define INVOICE_RANK(x) "CASE " x " WHEN 'draft' THEN 0 WHEN 'open' " \
	"THEN 1 WHEN 'uncollectible' THEN 2 ELSE 3 END"
#define INVOICE_PAID_VIA "CASE WHEN :status <> 'paid' THEN NULL " \
	"WHEN :paid_out_of_band = 0 THEN 'stripe' " \
	"WHEN EXISTS (SELECT 1 FROM invoice_nwc_payment g " \
	"WHERE g.invoice_id = :id AND g.state = 'paid') THEN 'nwc' " \
	"WHEN EXISTS (SELECT 1 FROM bolt11 b WHERE b.invoice_id = :id " \
	"AND b.settled_at IS NOT NULL) THEN 'lightning' END"
	[STMT_INVOICE_CHECKED] =
	    "UPDATE invoice SET checked_at = ?2 WHERE id = ?1",
	[STMT_INVOICE_LINES_CLEAR] =
	    "DELETE FROM invoice_item WHERE invoice_id = ?1",
	/* A line id twice in one list (Stripe would not) is kept once. */
	[STMT_INVOICE_LINE_PUT] =
	    "INSERT INTO invoice_item " TABLE_INSERT(INVOICE_ITEM_TABLE) " "
	    "ON CONFLICT (id) DO NOTHING",
	[STMT_INVOICE_LINES] =
	    "SELECT " TABLE_COLUMNS_AS(INVOICE_ITEM_TABLE, l) ", "
	    "i.tenant, i.voided_at FROM invoice_item l "
	    "JOIN invoice i ON i.id = l.invoice_id "
	    "WHERE l.invoice_id = ?1 ORDER BY l.position",
	[STMT_INVOICE_PUT] =
	    "INSERT INTO invoice (" TABLE_INSERT_COLS(INVOICE_TABLE) ", "
	    "paid_via) VALUES (" TABLE_INSERT_VALUES(INVOICE_TABLE) ", "
	    INVOICE_PAID_VIA ") "
	    "ON CONFLICT (id) DO UPDATE SET status = excluded.status, "
	    "currency = excluded.currency, amount_due = excluded.amount_due, "
	    "amount_paid = excluded.amount_paid, "
	    "period_start = excluded.period_start, "
	    "period_end = excluded.period_end, due_date = excluded.due_date, "
	    "paid_at = coalesce(excluded.paid_at, invoice.paid_at), "
	    "voided_at = coalesce(excluded.voided_at, invoice.voided_at), "
	    "hosted_invoice_url = coalesce(excluded.hosted_invoice_url, "
	    "invoice.hosted_invoice_url), "
	    "subscription_id = coalesce(excluded.subscription_id, "
	    "invoice.subscription_id), "
	    "paid_out_of_band = excluded.paid_out_of_band, "
	    "attempt_count = max(excluded.attempt_count, invoice.attempt_count), "
	    "billing_reason = coalesce(excluded.billing_reason, "
	    "invoice.billing_reason), "
	    "paid_via = coalesce(invoice.paid_via, excluded.paid_via), "
	    "updated_at = excluded.updated_at "
	    "WHERE excluded.tenant = invoice.tenant AND "
	    "(" INVOICE_RANK("excluded.status") " > "
	    INVOICE_RANK("invoice.status") " OR excluded.status = "
	    "invoice.status) AND "
	    /* A repeat of what the mirror holds writes nothing (no page). */
	    "(excluded.status, excluded.currency, excluded.amount_due, "
	    "excluded.amount_paid, excluded.period_start, excluded.period_end, "
	    "excluded.due_date, coalesce(excluded.paid_at, invoice.paid_at), "
	    "coalesce(excluded.voided_at, invoice.voided_at), "
	    "coalesce(excluded.hosted_invoice_url, invoice.hosted_invoice_url), "
	    "coalesce(excluded.subscription_id, invoice.subscription_id), "
	    "excluded.paid_out_of_band, "
	    "max(excluded.attempt_count, invoice.attempt_count), "
	    "coalesce(excluded.billing_reason, invoice.billing_reason), "
	    "coalesce(invoice.paid_via, excluded.paid_via)) IS NOT "
	    "(invoice.status, invoice.currency, invoice.amount_due, "
	    "invoice.amount_paid, invoice.period_start, invoice.period_end, "
	    "invoice.due_date, invoice.paid_at, invoice.voided_at, "
	    "invoice.hosted_invoice_url, invoice.subscription_id, "
	    "invoice.paid_out_of_band, invoice.attempt_count, "
	    "invoice.billing_reason, invoice.paid_via)",
	[STMT_INVOICE_OPEN_COUNT] =
	    "SELECT count(*) FROM invoice WHERE tenant = ?1 AND status = 'open'",
	[STMT_INVOICE_DUE_DM] =
	    "SELECT " INVOICE_COLUMNS " FROM invoice i "
	    "JOIN tenant t ON t.pubkey = i.tenant WHERE i.status = 'open' "
	    "AND i.payment_due_sent_at IS NULL AND t.nwc_url_sealed IS NULL "
	    "AND NOT EXISTS (SELECT 1 FROM dm_outbox d "
	    "WHERE d.recipient = i.tenant AND d.created_at > ?1 "
	    "AND d.dedupe_key GLOB 'payment-due:*') "
	    "ORDER BY i.created_at, i.id",
	[STMT_INVOICE_SET_DUE_SENT] =
	    "UPDATE invoice SET payment_due_sent_at = ?2 "
	    "WHERE id = ?1 AND payment_due_sent_at IS NULL",
#define GUARD_COLUMNS TABLE_COLUMNS_AS(NWC_GUARD_TABLE, g)
	/*
	 * Guards left pending or due again (a failed payment after a day, a
	 * paid one Stripe has not heard of), then open invoices of tenants
	 * with a wallet and no guard yet. Each part walks a partial index.
	 */
	[STMT_INVOICE_AUTOPAY] =
	    "SELECT " INVOICE_COLUMNS ", " GUARD_COLUMNS " FROM "
	    "invoice_nwc_payment g JOIN invoice i ON i.id = g.invoice_id "
	    "WHERE g.state = 'pending' "
	    "UNION ALL SELECT " INVOICE_COLUMNS ", " GUARD_COLUMNS " FROM "
	    "invoice_nwc_payment g JOIN invoice i ON i.id = g.invoice_id "
	    "WHERE g.retry_at <= ?1 AND g.state <> 'pending' "
	    "UNION ALL SELECT " INVOICE_COLUMNS ", " GUARD_COLUMNS " FROM "
	    "invoice i JOIN tenant t ON t.pubkey = i.tenant "
	    "LEFT JOIN invoice_nwc_payment g ON g.invoice_id = i.id "
	    "WHERE i.status = 'open' AND t.nwc_url_sealed IS NOT NULL "
	    "AND g.invoice_id IS NULL",
	[STMT_GUARD_GET] =
	    "SELECT " GUARD_COLUMNS " FROM invoice_nwc_payment g "
	    "WHERE g.invoice_id = ?1",
	[STMT_GUARD_CLAIM] =
	    "INSERT INTO invoice_nwc_payment (invoice_id, state, attempts, "
	    "created_at, updated_at) SELECT ?1, 'pending', 1, ?2, ?2 "
	    "WHERE NOT EXISTS (SELECT 1 FROM bolt11 WHERE invoice_id = ?1 "
	    "AND settled_at IS NULL AND expires_at > ?2) "
	    "ON CONFLICT (invoice_id) DO UPDATE SET state = 'pending', "
	    "attempts = invoice_nwc_payment.attempts + 1, msats = NULL, "
	    "bolt11 = NULL, payment_hash = NULL, expires_at = NULL, "
	    "retry_at = NULL, error = '', updated_at = ?2 "
	    "WHERE invoice_nwc_payment.state = 'failed' "
	    "AND invoice_nwc_payment.retry_at <= ?2",
	[STMT_GUARD_SET_BOLT11] =
	    "UPDATE invoice_nwc_payment SET msats = ?2, bolt11 = ?3, "
	    "payment_hash = ?4, expires_at = ?5, updated_at = ?6 "
	    "WHERE invoice_id = ?1 AND state = 'pending'",
	/* retry_at: when to tell Stripe (again); NULL once Stripe knows. */
	[STMT_GUARD_PAID] =
	    "UPDATE invoice_nwc_payment SET state = 'paid', error = '', "
	    "retry_at = ?2, updated_at = ?2 "
	    "WHERE invoice_id = ?1 AND state = 'pending'",
	[STMT_GUARD_RETRY_AT] =
	    "UPDATE invoice_nwc_payment SET retry_at = ?2 "
	    "WHERE invoice_id = ?1 AND state <> 'pending'",
	[STMT_GUARD_RETRY_TENANT] =
	    "UPDATE invoice_nwc_payment SET retry_at = ?2 "
	    "WHERE state = 'failed' AND invoice_id IN "
	    "(SELECT id FROM invoice WHERE tenant = ?1 AND status = 'open')",
	[STMT_GUARD_SETTLE_LATE] =
	    "UPDATE invoice_nwc_payment SET state = 'paid', error = '', "
	    "retry_at = ?2, updated_at = ?2 "
	    "WHERE invoice_id = ?1 AND state = 'failed'",
	[STMT_GUARD_NOTE] =
	    "UPDATE invoice_nwc_payment SET error = ?2 "
	    "WHERE invoice_id = ?1 AND state = 'pending'",
	[STMT_GUARD_FAILED] =
	    "UPDATE invoice_nwc_payment SET state = 'failed', error = ?2, "
	    "retry_at = ?3, updated_at = ?4 "
	    "WHERE invoice_id = ?1 AND state = 'pending'",
#define BOLT11_COLUMNS TABLE_COLUMNS_AS(BOLT11_TABLE, b)
	[STMT_BOLT11_NEWEST] =
	    "SELECT " BOLT11_COLUMNS ", i.tenant, i.status FROM bolt11 b "
	    "JOIN invoice i ON i.id = b.invoice_id WHERE b.invoice_id = ?1 "
	    "ORDER BY b.created_at DESC LIMIT 1",
	[STMT_BOLT11_USABLE] =
	    "SELECT " BOLT11_COLUMNS ", NULL, NULL FROM bolt11 b "
	    "WHERE b.invoice_id = ?1 AND b.settled_at IS NULL "
	    "AND b.expires_at > ?2 ORDER BY b.created_at DESC LIMIT 1",
	[STMT_BOLT11_INSERT] =
	    "INSERT INTO bolt11 (" TABLE_INSERT_COLS(BOLT11_TABLE) ") "
	    "SELECT " TABLE_INSERT_VALUES(BOLT11_TABLE) " "
	    "WHERE NOT EXISTS (SELECT 1 FROM invoice_nwc_payment "
	    "WHERE invoice_id = :invoice_id AND state IN ('pending', 'paid'))",
	/*
	 * Unsettled bolt11s not checked since ?2, whatever their invoice
	 * became (money may come for an invoice voided meanwhile), and once
	 * more after they expired (a payment may have landed at the last
	 * moment); then settled ones whose invoice Stripe still has open.
	 */
	[STMT_BOLT11_CHECK_DUE] =
	    "SELECT " BOLT11_COLUMNS ", i.tenant, i.status FROM bolt11 b "
	    "JOIN invoice i ON i.id = b.invoice_id "
	    "WHERE b.settled_at IS NULL AND b.expires_at > ?3 "
	    "AND (b.checked_at IS NULL OR b.checked_at <= ?2) "
	    "AND (b.expires_at > ?1 OR b.checked_at IS NULL "
	    "OR b.checked_at < b.expires_at) "
	    "UNION ALL SELECT " BOLT11_COLUMNS ", i.tenant, i.status "
	    "FROM invoice i JOIN bolt11 b ON b.invoice_id = i.id "
	    "WHERE i.status = 'open' AND b.settled_at IS NOT NULL",
	[STMT_BOLT11_SETTLED] =
	    "UPDATE bolt11 SET settled_at = ?2, checked_at = ?3 "
	    "WHERE payment_hash = ?1 AND settled_at IS NULL",
	[STMT_BOLT11_CHECKED] =
	    "UPDATE bolt11 SET checked_at = ?2 WHERE payment_hash = ?1",
};

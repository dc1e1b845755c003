-- 0001_init.sql: the whole Caravel schema (spec/api.md §4, spec/workers.md).
-- Forward only: never edit a released migration, add 0002_*.sql instead.
-- STRICT tables and CHECK constraints make a bad row impossible to write,
-- even by hand from the sqlite3 shell. Times are unix seconds.

-- Plans are data an operator may change. stripe_price_setting names the
-- configuration key that holds the plan's Stripe price id, if it has one.
CREATE TABLE plan (
	id TEXT PRIMARY KEY
	    CHECK (length(id) BETWEEN 1 AND 32 AND id NOT GLOB '*[^a-z0-9_-]*'),
	name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	amount INTEGER NOT NULL CHECK (amount >= 0),   -- USD cents a month
	members INTEGER CHECK (members IS NULL OR members > 0), -- NULL: unlimited
	blossom INTEGER NOT NULL CHECK (blossom IN (0, 1)),
	livekit INTEGER NOT NULL CHECK (livekit IN (0, 1)),
	stripe_price_setting TEXT
	    CHECK (stripe_price_setting IS NULL OR
	        stripe_price_setting GLOB 'STRIPE_PRICE_[A-Z]*'),
	position INTEGER NOT NULL DEFAULT 0           -- order in GET /plans
) STRICT;

INSERT INTO plan (id, name, amount, members, blossom, livekit,
    stripe_price_setting, position) VALUES
	('free', 'Free', 0, 10, 0, 0, NULL, 1),
	('basic', 'Basic', 500, 100, 1, 1, 'STRIPE_PRICE_BASIC', 2),
	('growth', 'Growth', 2500, NULL, 1, 1, 'STRIPE_PRICE_GROWTH', 3);

CREATE TABLE tenant (
	pubkey TEXT PRIMARY KEY
	    CHECK (length(pubkey) = 64 AND pubkey NOT GLOB '*[^0-9a-f]*'),
	created_at INTEGER NOT NULL CHECK (created_at >= 0),
	stripe_customer_id TEXT UNIQUE
	    CHECK (stripe_customer_id IS NULL OR stripe_customer_id GLOB 'cus_*'),
	stripe_subscription_id TEXT UNIQUE
	    CHECK (stripe_subscription_id IS NULL OR
	        stripe_subscription_id GLOB 'sub_*'),
	subscription_status TEXT CHECK (subscription_status IS NULL OR
	    subscription_status IN ('incomplete', 'incomplete_expired',
	    'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused')),
	past_due_at INTEGER,
	nwc_url_sealed TEXT,        -- NIP-44 ciphertext (api.md §7), never plain
	nwc_error TEXT NOT NULL DEFAULT '',
	billing_marked_at INTEGER,  -- set when a change needs reconciliation
	billing_reconciled_at INTEGER
) STRICT;

CREATE TABLE relay (
	id TEXT PRIMARY KEY
	    CHECK (length(id) = 32 AND id NOT GLOB '*[^0-9a-f]*'),
	tenant TEXT NOT NULL REFERENCES tenant (pubkey),
	subdomain TEXT NOT NULL UNIQUE
	    CHECK (length(subdomain) BETWEEN 1 AND 63 AND
	        subdomain NOT GLOB '*[^a-z0-9-]*' AND
	        subdomain NOT GLOB '-*' AND subdomain NOT GLOB '*-'),
	schema TEXT NOT NULL UNIQUE
	    CHECK (schema GLOB '[a-z_]*' AND schema NOT GLOB '*[^a-z0-9_]*'),
	plan TEXT NOT NULL REFERENCES plan (id),
	status TEXT NOT NULL DEFAULT 'active'
	    CHECK (status IN ('active', 'inactive', 'delinquent')),
	secret_sealed TEXT NOT NULL,  -- the relay's nostr key, NIP-44 sealed
	info_name TEXT NOT NULL DEFAULT '' CHECK (length(info_name) <= 100),
	info_icon TEXT NOT NULL DEFAULT '' CHECK (length(info_icon) <= 2048),
	info_description TEXT NOT NULL DEFAULT ''
	    CHECK (length(info_description) <= 1000),
	policy_public_join INTEGER NOT NULL DEFAULT 0
	    CHECK (policy_public_join IN (0, 1)),
	policy_strip_signatures INTEGER NOT NULL DEFAULT 0
	    CHECK (policy_strip_signatures IN (0, 1)),
	groups_enabled INTEGER NOT NULL DEFAULT 0
	    CHECK (groups_enabled IN (0, 1)),
	management_enabled INTEGER NOT NULL DEFAULT 0
	    CHECK (management_enabled IN (0, 1)),
	blossom_enabled INTEGER NOT NULL DEFAULT 0
	    CHECK (blossom_enabled IN (0, 1)),
	livekit_enabled INTEGER NOT NULL DEFAULT 0
	    CHECK (livekit_enabled IN (0, 1)),
	push_enabled INTEGER NOT NULL DEFAULT 0 CHECK (push_enabled IN (0, 1)),
	created_at INTEGER NOT NULL CHECK (created_at >= 0),
	updated_at INTEGER NOT NULL CHECK (updated_at >= 0),
	-- zooid sync state (workers.md §1): version counts changes, so a change
	-- made while a sync was in flight keeps the relay unsynced.
	version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
	synced INTEGER NOT NULL DEFAULT 0 CHECK (synced IN (0, 1)),
	zooid_created INTEGER NOT NULL DEFAULT 0 CHECK (zooid_created IN (0, 1)),
	sync_error TEXT NOT NULL DEFAULT '',
	sync_failures INTEGER NOT NULL DEFAULT 0 CHECK (sync_failures >= 0),
	sync_retry_at INTEGER,      -- next attempt after a failure
	CHECK (synced = 0 OR sync_error = '')
) STRICT;
CREATE INDEX relay_tenant ON relay (tenant, created_at DESC, id);
CREATE INDEX relay_unsynced ON relay (sync_retry_at) WHERE synced = 0;

CREATE TABLE activity (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	tenant TEXT NOT NULL REFERENCES tenant (pubkey),
	created_at INTEGER NOT NULL CHECK (created_at >= 0),
	activity_type TEXT NOT NULL CHECK (activity_type IN ('create_tenant',
	    'update_tenant', 'create_relay', 'update_relay', 'activate_relay',
	    'deactivate_relay', 'mark_relay_delinquent', 'fail_relay_sync',
	    'complete_relay_sync')),
	resource_type TEXT NOT NULL
	    CHECK (resource_type IN ('tenant', 'relay', 'invoice')),
	resource_id TEXT NOT NULL
) STRICT;
CREATE INDEX activity_resource ON activity (resource_type, resource_id,
    created_at DESC, id DESC);
CREATE INDEX activity_tenant ON activity (tenant, created_at DESC);

-- A local mirror of Stripe invoices (Stripe is the system of record).
CREATE TABLE invoice (
	id TEXT PRIMARY KEY CHECK (id GLOB 'in_*'),
	tenant TEXT NOT NULL REFERENCES tenant (pubkey),
	status TEXT NOT NULL
	    CHECK (status IN ('draft', 'open', 'paid', 'void', 'uncollectible')),
	currency TEXT NOT NULL
	    CHECK (length(currency) = 3 AND currency NOT GLOB '*[^a-z]*'),
	amount_due INTEGER NOT NULL CHECK (amount_due >= 0),
	amount_paid INTEGER NOT NULL DEFAULT 0 CHECK (amount_paid >= 0),
	period_start INTEGER,
	period_end INTEGER,
	created_at INTEGER NOT NULL CHECK (created_at >= 0),
	due_date INTEGER,
	paid_at INTEGER,
	paid_via TEXT
	    CHECK (paid_via IS NULL OR paid_via IN ('stripe', 'nwc', 'lightning')),
	hosted_invoice_url TEXT,
	payment_due_sent_at INTEGER,   -- the "payment is due" DM went out
	updated_at INTEGER NOT NULL CHECK (updated_at >= 0),
	CHECK (status <> 'paid' OR paid_at IS NOT NULL)
) STRICT;
CREATE INDEX invoice_tenant ON invoice (tenant, created_at DESC);
CREATE INDEX invoice_open ON invoice (tenant) WHERE status = 'open';

-- Lightning invoices issued by GET /invoices/:id/bolt11.
CREATE TABLE bolt11 (
	payment_hash TEXT PRIMARY KEY
	    CHECK (length(payment_hash) = 64 AND
	        payment_hash NOT GLOB '*[^0-9a-f]*'),
	invoice_id TEXT NOT NULL REFERENCES invoice (id),
	bolt11 TEXT NOT NULL CHECK (bolt11 GLOB 'ln*'),
	msats INTEGER NOT NULL CHECK (msats > 0),
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL CHECK (expires_at > created_at),
	settled_at INTEGER
) STRICT;
CREATE INDEX bolt11_invoice ON bolt11 (invoice_id, created_at DESC);
CREATE INDEX bolt11_unsettled ON bolt11 (expires_at) WHERE settled_at IS NULL;

-- The guard that makes an NWC auto-payment happen at most once
-- (workers.md §2.3): inserted before any wallet call.
CREATE TABLE invoice_nwc_payment (
	invoice_id TEXT PRIMARY KEY REFERENCES invoice (id),
	state TEXT NOT NULL CHECK (state IN ('pending', 'paid', 'failed')),
	msats INTEGER CHECK (msats IS NULL OR msats > 0),
	bolt11 TEXT,
	payment_hash TEXT CHECK (payment_hash IS NULL OR
	    (length(payment_hash) = 64 AND payment_hash NOT GLOB '*[^0-9a-f]*')),
	error TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

-- Stripe webhook events already applied (a repeated id has no effect).
CREATE TABLE stripe_event (
	id TEXT PRIMARY KEY CHECK (id GLOB 'evt_*'),
	type TEXT NOT NULL,
	received_at INTEGER NOT NULL
) STRICT;

-- NIP-17 DMs from the robot, written in the same transaction as the
-- change that caused them. The gift wraps are built once and stored before
-- publishing, so a retry after a crash republishes the same event ids.
CREATE TABLE dm_outbox (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	recipient TEXT NOT NULL
	    CHECK (length(recipient) = 64 AND recipient NOT GLOB '*[^0-9a-f]*'),
	text TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 4096),
	dedupe_key TEXT UNIQUE,     -- e.g. 'payment-due:in_123': queue once
	status TEXT NOT NULL DEFAULT 'queued'
	    CHECK (status IN ('queued', 'sent', 'failed')),
	created_at INTEGER NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_attempt_at INTEGER NOT NULL,
	last_error TEXT NOT NULL DEFAULT '',
	wrap_json TEXT,             -- kind 1059 to the recipient
	self_wrap_json TEXT,        -- kind 1059 copy to the robot
	sent_at INTEGER,
	failed_at INTEGER,
	CHECK (status <> 'sent' OR sent_at IS NOT NULL),
	CHECK (status <> 'failed' OR failed_at IS NOT NULL)
) STRICT;
CREATE INDEX dm_outbox_due ON dm_outbox (next_attempt_at)
    WHERE status = 'queued';

-- Per relay outcome of each DM publication.
CREATE TABLE dm_delivery (
	dm_id INTEGER NOT NULL REFERENCES dm_outbox (id),
	relay_url TEXT NOT NULL CHECK (relay_url GLOB 'ws*://*'),
	ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
	message TEXT NOT NULL DEFAULT '',
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (dm_id, relay_url)
) STRICT;

-- Recipient relay discovery cache (kind 10002 / 10050), JSON arrays.
CREATE TABLE dm_recipient_relays (
	pubkey TEXT PRIMARY KEY
	    CHECK (length(pubkey) = 64 AND pubkey NOT GLOB '*[^0-9a-f]*'),
	outbox_relays TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(outbox_relays)),
	inbox_relays TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(inbox_relays)),
	fetched_at INTEGER NOT NULL
) STRICT;

-- What the robot last published of its own replaceable events.
CREATE TABLE robot_publication (
	kind INTEGER PRIMARY KEY CHECK (kind IN (0, 10002, 10050)),
	content_hash TEXT NOT NULL
	    CHECK (length(content_hash) = 64 AND
	        content_hash NOT GLOB '*[^0-9a-f]*'),
	event_id TEXT NOT NULL,
	published_at INTEGER NOT NULL
) STRICT;

-- Views that answer an operator's first questions from the sqlite3 shell.

-- How many relays each tenant has, by status.
CREATE VIEW relays_per_tenant AS
SELECT t.pubkey AS tenant,
    count(r.id) AS relays,
    count(r.id) FILTER (WHERE r.status = 'active') AS active,
    count(r.id) FILTER (WHERE r.status = 'inactive') AS inactive,
    count(r.id) FILTER (WHERE r.status = 'delinquent') AS delinquent,
    count(r.id) FILTER (WHERE r.synced = 0) AS unsynced
FROM tenant t LEFT JOIN relay r ON r.tenant = t.pubkey
GROUP BY t.pubkey;

-- Relays whose last zooid sync failed, worst first.
CREATE VIEW relays_failing_sync AS
SELECT id, tenant, subdomain, status, sync_failures, sync_error,
    datetime(sync_retry_at, 'unixepoch') AS next_retry,
    datetime(updated_at, 'unixepoch') AS changed
FROM relay WHERE sync_error <> ''
ORDER BY sync_failures DESC, updated_at;

-- Invoices waiting for payment, oldest first.
CREATE VIEW open_invoices AS
SELECT i.id, i.tenant, i.amount_due - i.amount_paid AS amount_left,
    i.currency, datetime(i.created_at, 'unixepoch') AS created,
    datetime(i.due_date, 'unixepoch') AS due,
    t.nwc_url_sealed IS NOT NULL AS nwc_is_set, t.nwc_error,
    p.state AS nwc_payment
FROM invoice i JOIN tenant t ON t.pubkey = i.tenant
LEFT JOIN invoice_nwc_payment p ON p.invoice_id = i.id
WHERE i.status = 'open'
ORDER BY i.created_at;

-- DMs not yet delivered, and the failed ones.
CREATE VIEW dm_pending AS
SELECT id, recipient, status, attempts, last_error,
    datetime(created_at, 'unixepoch') AS created,
    datetime(next_attempt_at, 'unixepoch') AS next_attempt
FROM dm_outbox WHERE status <> 'sent'
ORDER BY created_at;

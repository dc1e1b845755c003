-- 0002_billing.sql: what caravel-billing and the Stripe webhook keep
-- (spec/workers.md §2-§3, api.md §4, §5, §8). Additive only: programs
-- built before it keep working on a database that has it.

-- Tenant billing state. delinquent_at: since when the tenant's paid relays
-- are suspended for an unpaid invoice (only a payment clears it).
-- subscription_generation: bumped whenever a subscription is forgotten, so
-- the next create gets a fresh idempotency key. stripe_write_seq: bumped
-- after every answered subscription update, keying the next one.
ALTER TABLE tenant ADD COLUMN delinquent_at INTEGER;
ALTER TABLE tenant ADD COLUMN subscription_generation INTEGER NOT NULL
    DEFAULT 0 CHECK (subscription_generation >= 0);
ALTER TABLE tenant ADD COLUMN stripe_write_seq INTEGER NOT NULL DEFAULT 0
    CHECK (stripe_write_seq >= 0);
CREATE INDEX tenant_billing_marked ON tenant (billing_marked_at)
    WHERE billing_marked_at IS NOT NULL;
CREATE INDEX tenant_billing_daily ON tenant (billing_reconciled_at)
    WHERE stripe_subscription_id IS NOT NULL;
CREATE INDEX tenant_billing_dunning ON tenant (past_due_at)
    WHERE past_due_at IS NOT NULL OR delinquent_at IS NOT NULL;

-- A subscription create sent to Stripe whose answer is not recorded yet
-- (research/stripe.md §1.3). The next pass sends exactly the same form
-- under the same key, which Stripe answers with the same subscription,
-- instead of creating a second one.
CREATE TABLE subscription_create (
	tenant TEXT PRIMARY KEY REFERENCES tenant (pubkey),
	idempotency_key TEXT NOT NULL CHECK (length(idempotency_key)
	    BETWEEN 1 AND 255),
	form TEXT NOT NULL,
	started_at INTEGER NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 1 CHECK (attempts >= 1),
	last_error TEXT NOT NULL DEFAULT ''
) STRICT;

-- The invoice mirror learns where an invoice came from and how it ended.
-- paid_out_of_band: Stripe says it was paid outside Stripe; paid_via then
-- names our way (nwc, lightning) or stays NULL (marked in the Dashboard).
ALTER TABLE invoice ADD COLUMN subscription_id TEXT;
ALTER TABLE invoice ADD COLUMN voided_at INTEGER;
ALTER TABLE invoice ADD COLUMN paid_out_of_band INTEGER NOT NULL DEFAULT 0
    CHECK (paid_out_of_band IN (0, 1));
ALTER TABLE invoice ADD COLUMN attempt_count INTEGER NOT NULL DEFAULT 0
    CHECK (attempt_count >= 0);
ALTER TABLE invoice ADD COLUMN billing_reason TEXT;

-- Manual bolt11s: when the platform wallet was last asked about one.
ALTER TABLE bolt11 ADD COLUMN checked_at INTEGER;

-- The NWC guard (workers.md §2.3) keeps the bolt11's expiry, so a pending
-- row left by a crash can be judged, and counts failed attempts, which
-- are retried after a day. retry_at: when to look at a failed or paid
-- guard again (a paid one until Stripe has been told); NULL: done.
ALTER TABLE invoice_nwc_payment ADD COLUMN expires_at INTEGER;
ALTER TABLE invoice_nwc_payment ADD COLUMN attempts INTEGER NOT NULL
    DEFAULT 0 CHECK (attempts >= 0);
ALTER TABLE invoice_nwc_payment ADD COLUMN retry_at INTEGER;
CREATE INDEX invoice_nwc_payment_pending ON invoice_nwc_payment (invoice_id)
    WHERE state = 'pending';
CREATE INDEX invoice_nwc_payment_retry ON invoice_nwc_payment (retry_at)
    WHERE retry_at IS NOT NULL;

-- What each webhook event was and what applying it changed.
ALTER TABLE stripe_event ADD COLUMN created INTEGER;
ALTER TABLE stripe_event ADD COLUMN tenant TEXT;
ALTER TABLE stripe_event ADD COLUMN object_id TEXT;
ALTER TABLE stripe_event ADD COLUMN effect TEXT NOT NULL DEFAULT '';
CREATE INDEX stripe_event_received ON stripe_event (received_at DESC);

-- The BTC price (api.md §8) shared by every process, as the decimal text
-- the source gave, so no binary floating point ever touches an amount.
CREATE TABLE btc_price (
	currency TEXT PRIMARY KEY CHECK (currency = 'usd'),
	price TEXT NOT NULL CHECK (length(price) BETWEEN 1 AND 32 AND
	    price GLOB '[0-9]*' AND price NOT GLOB '*[^0-9.]*'),
	fetched_at INTEGER NOT NULL
) STRICT;

-- Money collected per month and way of payment (amounts in minor units
-- of the currency; a paid invoice was paid in full).
CREATE VIEW revenue_by_month AS
SELECT strftime('%Y-%m', paid_at, 'unixepoch') AS month,
    CASE paid_via WHEN 'stripe' THEN 'card' WHEN 'nwc' THEN 'nwc'
        WHEN 'lightning' THEN 'lightning' ELSE 'other' END AS method,
    currency, count(*) AS invoices, sum(amount_due) AS collected
FROM invoice WHERE status = 'paid'
GROUP BY month, method, currency
ORDER BY month DESC, method;

-- Each tenant's billing at a glance: subscription, debt and dunning.
CREATE VIEW billing_status AS
SELECT t.pubkey AS tenant, t.stripe_customer_id AS customer,
    t.stripe_subscription_id AS subscription, t.subscription_status,
    (SELECT count(*) FROM invoice i WHERE i.tenant = t.pubkey
        AND i.status = 'open') AS open_invoices,
    (SELECT coalesce(sum(i.amount_due - i.amount_paid), 0) FROM invoice i
        WHERE i.tenant = t.pubkey AND i.status = 'open') AS owed,
    datetime(t.past_due_at, 'unixepoch') AS past_due_since,
    datetime(t.delinquent_at, 'unixepoch') AS delinquent_since,
    t.nwc_url_sealed IS NOT NULL AS nwc_is_set, t.nwc_error,
    datetime(t.billing_marked_at, 'unixepoch') AS marked,
    datetime(t.billing_reconciled_at, 'unixepoch') AS reconciled
FROM tenant t
ORDER BY t.delinquent_at IS NULL, t.past_due_at IS NULL, t.created_at;

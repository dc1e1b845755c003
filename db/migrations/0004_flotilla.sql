-- 0004_flotilla.sql: what the shipped client, Flotilla's hosting pages,
-- reads and sets (issue "Serve the shipped client";
-- research/flotilla-client.md). Additive only, like every migration.

-- Relay flags Flotilla edits. zooid reads them as policy.public_read,
-- policy.public_write (zooid of July 2026 on; older ones ignore them) and
-- roles.member.can_invite. New relays let members invite, as Flotilla's
-- form starts; the relays that exist keep what zooid does for them today.
ALTER TABLE relay ADD COLUMN policy_public_read INTEGER NOT NULL DEFAULT 0
    CHECK (policy_public_read IN (0, 1));
ALTER TABLE relay ADD COLUMN policy_public_write INTEGER NOT NULL DEFAULT 0
    CHECK (policy_public_write IN (0, 1));
ALTER TABLE relay ADD COLUMN members_can_invite INTEGER NOT NULL DEFAULT 1
    CHECK (members_can_invite IN (0, 1));
UPDATE relay SET members_can_invite = 0;

-- The card Stripe charges: the customer's
-- invoice_settings.default_payment_method ('' for none), kept current by
-- the customer.updated webhook and by every reconciliation.
ALTER TABLE tenant ADD COLUMN stripe_payment_method_id TEXT NOT NULL
    DEFAULT '' CHECK (stripe_payment_method_id = '' OR
        (length(stripe_payment_method_id) <= 255 AND
        stripe_payment_method_id GLOB '[a-z]*_*'));
-- The last Stripe failure the tenant can act on (a declined card), as a
-- sentence for them; '' once a payment succeeds.
ALTER TABLE tenant ADD COLUMN stripe_error TEXT NOT NULL DEFAULT ''
    CHECK (length(stripe_error) <= 500);
-- When the tenant's last paid relay (active, on a plan that costs money)
-- went away; NULL while one is active or if there never was one. The
-- triggers below keep it, whoever changes a relay.
ALTER TABLE tenant ADD COLUMN churned_at INTEGER
    CHECK (churned_at IS NULL OR churned_at >= 0);
UPDATE tenant SET churned_at = (
	SELECT max(r.updated_at) FROM relay r JOIN plan p ON p.id = r.plan
	WHERE r.tenant = tenant.pubkey AND p.amount > 0)
WHERE NOT EXISTS (
	SELECT 1 FROM relay r JOIN plan p ON p.id = r.plan
	WHERE r.tenant = tenant.pubkey AND p.amount > 0 AND
	    r.status = 'active');

CREATE TRIGGER relay_churn_insert AFTER INSERT ON relay
WHEN NEW.status = 'active' AND
    (SELECT amount FROM plan WHERE id = NEW.plan) > 0
BEGIN
	UPDATE tenant SET churned_at = NULL
	WHERE pubkey = NEW.tenant AND churned_at IS NOT NULL;
END;

CREATE TRIGGER relay_churn_update AFTER UPDATE OF status, plan ON relay
BEGIN
	UPDATE tenant SET churned_at = CASE
	    WHEN EXISTS (SELECT 1 FROM relay r JOIN plan p ON p.id = r.plan
	        WHERE r.tenant = NEW.tenant AND r.status = 'active' AND
	        p.amount > 0) THEN NULL
	    WHEN churned_at IS NULL AND OLD.status = 'active' AND
	        (SELECT amount FROM plan WHERE id = OLD.plan) > 0
	        THEN NEW.updated_at
	    ELSE churned_at END
	WHERE pubkey = NEW.tenant;
END;

CREATE TRIGGER relay_churn_delete AFTER DELETE ON relay
WHEN OLD.status = 'active' AND
    (SELECT amount FROM plan WHERE id = OLD.plan) > 0
BEGIN
	UPDATE tenant SET churned_at = CAST(strftime('%s', 'now') AS INTEGER)
	WHERE pubkey = OLD.tenant AND churned_at IS NULL AND NOT EXISTS (
	    SELECT 1 FROM relay r JOIN plan p ON p.id = r.plan
	    WHERE r.tenant = OLD.tenant AND r.status = 'active' AND
	    p.amount > 0);
END;

-- An invoice's lines as Stripe lists them (the first page, which Stripe
-- sends with the invoice), mirrored with it (GET /invoices/:id/items).
-- Stripe bills one line per price with a quantity of relays, so a line
-- names a price (the plan is the one whose setting holds it), never one
-- relay; amount is in the invoice's currency's cents, negative for a
-- credit.
CREATE TABLE invoice_item (
	id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 255),
	invoice_id TEXT NOT NULL REFERENCES invoice (id),
	position INTEGER NOT NULL CHECK (position >= 0),
	stripe_price_id TEXT CHECK (stripe_price_id IS NULL OR
	    length(stripe_price_id) BETWEEN 1 AND 255),
	quantity INTEGER CHECK (quantity IS NULL OR quantity >= 0),
	amount INTEGER NOT NULL,
	description TEXT NOT NULL DEFAULT ''
	    CHECK (length(description) <= 500),
	period_start INTEGER,
	period_end INTEGER
) STRICT;
CREATE INDEX invoice_item_invoice ON invoice_item (invoice_id, position);

-- The admin lists page through relays and tenants newest first
-- (?limit=N&after=ID): each page is one seek in these, the last as cheap
-- as the first.
CREATE INDEX relay_created ON relay (created_at DESC, id);
CREATE INDEX tenant_created ON tenant (created_at DESC, pubkey);

-- When POST /invoices/:id/reconcile last asked Stripe and the wallet:
-- Flotilla polls it every few seconds while a payment dialog is open.
ALTER TABLE invoice ADD COLUMN checked_at INTEGER;

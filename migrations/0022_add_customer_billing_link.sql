-- A customer's link to the organization's payment gateway (spec section 11, "Linking customers
-- to the gateway"), shown as the customer's read-only `billing`. It lives on the customer row so
-- every read of a customer (one, a page, a write's RETURNING) carries it without a join.
-- `gateway_customers` (0014) stays the map per gateway configuration; these columns are the
-- current link and the state of the background sync that keeps the gateway customer's name,
-- email, phone, language and address equal to Roster's.
--
-- `billing_sync_generation` moves on every change that needs a sync (in that change's own
-- batch, so a crash cannot lose it); a sync records its result only if the generation is still
-- the one it read, so a change made while it ran stays pending. `billing_sync_due_at` is when
-- the next attempt is due (NULL: nothing to do), `billing_sync_attempts` how many failed since
-- the last success (the retry schedule of event deliveries).
ALTER TABLE customers ADD COLUMN billing_gateway TEXT CHECK (billing_gateway IN ('stripe', 'test'));
ALTER TABLE customers ADD COLUMN billing_gateway_id TEXT;
ALTER TABLE customers ADD COLUMN billing_customer_reference TEXT;
ALTER TABLE customers ADD COLUMN billing_sync_status TEXT CHECK (billing_sync_status IN ('synced', 'pending', 'failed'));
ALTER TABLE customers ADD COLUMN billing_synced_at TEXT;
ALTER TABLE customers ADD COLUMN billing_sync_generation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN billing_sync_due_at TEXT;
ALTER TABLE customers ADD COLUMN billing_sync_attempts INTEGER NOT NULL DEFAULT 0;

-- The every-minute Cron's work list: linked customers whose sync is due.
CREATE INDEX customers_billing_sync_due ON customers (billing_sync_due_at) WHERE billing_sync_due_at IS NOT NULL;

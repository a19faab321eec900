-- Subscriptions (Stigg's subscriptionParams). Provisioning creates them; the full
-- subscriptions resource reads and cancels them. Archiving a customer cancels its active
-- ones (status 'canceled', cancel_reason 'customer_archived') and keeps them.
CREATE TABLE subscriptions (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations (id),
  customer_id TEXT NOT NULL,
  plan_id TEXT NOT NULL,
  resource_id TEXT,
  billing_period TEXT CHECK (billing_period IN ('monthly', 'annually')),
  addons TEXT NOT NULL DEFAULT '[]',
  billable_features TEXT NOT NULL DEFAULT '[]',
  promotion_code TEXT,
  billing_country_code TEXT,
  metadata TEXT NOT NULL DEFAULT '{}',
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'canceled')),
  cancel_reason TEXT,
  canceled_at TEXT,
  created_at TEXT NOT NULL,
  FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id)
) STRICT;

-- Rows are never deleted, so rowid is the insertion order lists use.
CREATE INDEX subscriptions_by_customer ON subscriptions (org_id, customer_id);

-- At most one active subscription per customer, plan and resource (a null resource_id is
-- one resource): concurrent provisions of the same subscription cannot both create one.
CREATE UNIQUE INDEX subscriptions_one_active ON subscriptions (org_id, customer_id, plan_id, ifnull(resource_id, ''))
  WHERE status = 'active';

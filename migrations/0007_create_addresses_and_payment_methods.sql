-- Addresses and payment methods of a customer (spec section 4). Both are deleted, not kept,
-- when their customer is archived (in the archive's batch), so unarchiving cannot bring
-- them back. Rows reference their customer by (org_id, customer_id), like subscriptions.
--
-- Lists are in insertion order by rowid: SQLite gives a new row a rowid above every
-- existing one, so deleting rows never reorders the rest. The (org_id, customer_id)
-- indexes carry the rowid, so a customer's list is read in order from the index.

CREATE TABLE addresses (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations (id),
  customer_id TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('billing', 'shipping')),
  line1 TEXT NOT NULL,
  line2 TEXT,
  city TEXT,
  state TEXT,
  postal_code TEXT,
  country TEXT NOT NULL,
  is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id)
) STRICT;

CREATE INDEX addresses_by_customer ON addresses (org_id, customer_id);

-- At most one default address per customer and type: a write that sets a new default
-- clears the old one in the same batch, and this index refuses anything else.
CREATE UNIQUE INDEX addresses_one_default ON addresses (org_id, customer_id, type) WHERE is_default = 1;

-- References to an instrument a payment gateway stores; never a card number (the API
-- refuses bodies that contain one).
CREATE TABLE payment_methods (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations (id),
  customer_id TEXT NOT NULL,
  gateway TEXT,
  gateway_reference TEXT NOT NULL,
  brand TEXT,
  last4 TEXT CHECK (last4 GLOB '[0-9][0-9][0-9][0-9]'),
  exp_month INTEGER CHECK (exp_month BETWEEN 1 AND 12),
  exp_year INTEGER,
  is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
  created_at TEXT NOT NULL,
  FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id)
) STRICT;

-- Also answers customers.has_payment_method's EXISTS after each insert and delete.
CREATE INDEX payment_methods_by_customer ON payment_methods (org_id, customer_id);

-- At most one default payment method per customer.
CREATE UNIQUE INDEX payment_methods_one_default ON payment_methods (org_id, customer_id) WHERE is_default = 1;

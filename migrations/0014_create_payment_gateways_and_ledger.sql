-- Money (spec section 11): an organization's payment gateway, the gateway customers Roster
-- creates for its customers, charges, and per-currency balances with their transactions.
-- Charges, balances and balance transactions are financial records: archiving a customer
-- keeps them (docs/money.md).

-- One gateway per organization. A Stripe secret key is stored encrypted (AES-256-GCM under
-- the deployment secret GATEWAY_ENCRYPTION_KEY; `secret_key_key_id` names which key, so a
-- rotation can tell old rows from new), with a random 96-bit IV per encryption and the
-- organization's id as additional data (a ciphertext copied to another row does not decrypt).
-- `secret_key_masked` is what reads show (`sk_test_…4242`). `id` names this configuration:
-- a new type or another key gives a new id, so gateway customers and charges made through
-- the previous one are never sent to the new one.
CREATE TABLE payment_gateways (
  org_id TEXT PRIMARY KEY REFERENCES organizations (id),
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL CHECK (type IN ('stripe', 'test')),
  secret_key_ciphertext TEXT,
  secret_key_iv TEXT,
  secret_key_key_id TEXT,
  secret_key_masked TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  CHECK ((type = 'test') = (secret_key_ciphertext IS NULL)),
  CHECK ((secret_key_ciphertext IS NULL) = (secret_key_iv IS NULL)),
  CHECK ((secret_key_ciphertext IS NULL) = (secret_key_key_id IS NULL)),
  CHECK ((secret_key_ciphertext IS NULL) = (secret_key_masked IS NULL))
) STRICT;

-- The key rotation's re-encryption walks the rows still under another key.
CREATE INDEX payment_gateways_by_key_id ON payment_gateways (secret_key_key_id)
  WHERE secret_key_key_id IS NOT NULL;

-- A customer's customer at the gateway (`cus_…` at Stripe, `gcus_…` at the test gateway),
-- created the first time a money operation needs it, per gateway configuration.
CREATE TABLE gateway_customers (
  org_id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  gateway_id TEXT NOT NULL,
  reference TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (org_id, customer_id, gateway_id),
  FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id)
) STRICT;

-- Charges (`ch_…`). A charge row is inserted `pending` BEFORE the gateway is asked, with the
-- gateway idempotency key derived from its id, so a charge is made at most once whatever
-- crashes: whoever finds it pending (the request, its retry, the resolver) sends the same
-- key again and the gateway answers the original result. The gateway references are copied
-- here so the resolver can re-send after the payment method or the gateway config changed.
-- `resolution` is the token of the write that recorded the outcome: the balance transaction
-- and events of that write are guarded by it, so an outcome is recorded once.
-- `request_key_hash` is SHA-256 of (organization, the request's Idempotency-Key): a retry of
-- a request whose Worker died finds its charge instead of starting another.
CREATE TABLE charges (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  org_id TEXT NOT NULL REFERENCES organizations (id),
  customer_id TEXT NOT NULL,
  payment_method_id TEXT NOT NULL,
  amount INTEGER NOT NULL CHECK (amount BETWEEN 1 AND 99999999),
  currency TEXT NOT NULL CHECK (length(currency) = 3 AND currency = lower(currency)),
  description TEXT,
  status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  failure_code TEXT,
  decline_code TEXT,
  failure_message TEXT,
  gateway TEXT NOT NULL CHECK (gateway IN ('stripe', 'test')),
  gateway_id TEXT NOT NULL,
  gateway_customer_reference TEXT NOT NULL,
  gateway_payment_method_reference TEXT NOT NULL,
  gateway_reference TEXT,
  idempotency_key TEXT NOT NULL,
  request_key_hash TEXT,
  resolution TEXT,
  -- pending only: how often the gateway was asked, and when the resolver asks next
  attempts INTEGER NOT NULL DEFAULT 0,
  next_check_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  CHECK ((status = 'pending') = (resolution IS NULL)),
  FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id)
) STRICT;

CREATE INDEX charges_by_customer ON charges (org_id, customer_id, seq);
CREATE UNIQUE INDEX charges_by_request_key ON charges (org_id, request_key_hash) WHERE request_key_hash IS NOT NULL;
-- The resolver's work list.
CREATE INDEX charges_pending ON charges (next_check_at) WHERE status = 'pending';

-- One row per customer and currency ever held. `amount` never goes below zero: every change
-- is guarded in SQL (and this CHECK refuses anything that slipped past).
CREATE TABLE customer_balances (
  org_id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  currency TEXT NOT NULL CHECK (length(currency) = 3 AND currency = lower(currency)),
  amount INTEGER NOT NULL CHECK (amount >= 0),
  updated_at TEXT NOT NULL,
  PRIMARY KEY (org_id, customer_id, currency),
  FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id)
) STRICT;

-- Balance transactions (`cbt_…`): one per balance change, inserted in the same batch as the
-- change with the balance it left (`ending_balance`), so a balance always equals the sum of
-- its transactions. `charge_id` is unique: a charge credits a balance at most once.
CREATE TABLE balance_transactions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  org_id TEXT NOT NULL REFERENCES organizations (id),
  customer_id TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('credit_from_payment_method', 'adjustment')),
  amount INTEGER NOT NULL CHECK (amount != 0 AND amount BETWEEN -99999999 AND 99999999),
  currency TEXT NOT NULL,
  ending_balance INTEGER NOT NULL CHECK (ending_balance >= 0),
  charge_id TEXT UNIQUE,
  description TEXT,
  created_at TEXT NOT NULL,
  CHECK ((type = 'credit_from_payment_method') = (charge_id IS NOT NULL)),
  FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id)
) STRICT;

CREATE INDEX balance_transactions_by_customer ON balance_transactions (org_id, customer_id, seq);
CREATE INDEX balance_transactions_by_currency ON balance_transactions (org_id, customer_id, currency, seq);

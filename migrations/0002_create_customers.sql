-- Customers. `seq` is the internal monotonic insertion sequence (AUTOINCREMENT never reuses
-- a value), which orders lists and backs keyset pagination. Uniqueness among live customers
-- is decided here, by partial unique indexes, never by a prior SELECT.
CREATE TABLE customers (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id TEXT NOT NULL REFERENCES organizations (id),
  id TEXT NOT NULL,
  alternative_id TEXT,
  email TEXT,
  name TEXT,
  first_name TEXT,
  last_name TEXT,
  display_name TEXT,
  username TEXT,
  phone TEXT,
  company TEXT,
  language TEXT,
  timezone TEXT,
  mail_marketing INTEGER NOT NULL DEFAULT 0,
  tele_marketing INTEGER NOT NULL DEFAULT 0,
  coupon_id TEXT,
  metadata TEXT NOT NULL DEFAULT '{}',
  has_payment_method INTEGER NOT NULL DEFAULT 0,
  -- bumped by every change; the ETag is derived from it
  version INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  archived_at TEXT
) STRICT;

-- An id is never reusable, so this one covers archived customers too.
CREATE UNIQUE INDEX customers_org_id ON customers (org_id, id);

CREATE UNIQUE INDEX customers_live_alternative_id ON customers (org_id, alternative_id)
  WHERE archived_at IS NULL AND alternative_id IS NOT NULL;

-- Emails and usernames are ASCII, so lower() is a full case fold.
CREATE UNIQUE INDEX customers_live_email ON customers (org_id, lower(email))
  WHERE archived_at IS NULL AND email IS NOT NULL;

CREATE UNIQUE INDEX customers_live_username ON customers (org_id, lower(username))
  WHERE archived_at IS NULL AND username IS NOT NULL;

-- Lists: newest first by seq within an organization, live customers only.
CREATE INDEX customers_live_by_seq ON customers (org_id, seq) WHERE archived_at IS NULL;

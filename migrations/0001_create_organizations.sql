-- Tenants and their API keys. Keys are stored only as SHA-256 hashes of the secret.
CREATE TABLE organizations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations (id),
  name TEXT,
  -- hex SHA-256 of the secret; the secret itself is shown once and never stored
  key_hash TEXT NOT NULL UNIQUE,
  -- the first characters of the secret, so a person can tell keys apart
  prefix TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT
) STRICT;

CREATE INDEX api_keys_org ON api_keys (org_id, created_at);

-- Idempotency-Key (spec section 5). One row per organization + key is both the lock and the
-- kept response: the primary key makes `INSERT … ON CONFLICT DO NOTHING` a lock that only
-- one request can take. The key itself is not stored, only its SHA-256 (it is the caller's
-- value and could hold anything).
CREATE TABLE idempotency_keys (
  org_id TEXT NOT NULL REFERENCES organizations (id),
  key_hash TEXT NOT NULL,
  -- hex SHA-256 over method, percent-decoded path, query sorted by name, SHA-256 of the body
  fingerprint TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running', 'completed')),
  -- random per owner: completing or releasing the lock acts only with the owner's token, so a
  -- request whose dead lock was taken over cannot overwrite its successor's row
  lock_token TEXT NOT NULL,
  locked_at TEXT NOT NULL,
  -- running: locked_at + 60 s (after that the lock is dead and may be taken over);
  -- completed: completed_at + 24 h (retention). Past it the row counts as absent.
  expires_at TEXT NOT NULL,
  completed_at TEXT,
  -- the kept response (null while running)
  status INTEGER,
  -- JSON object of the kept Location / ETag / Content-Type headers
  headers TEXT,
  body TEXT,
  -- the customer whose PII the kept body shows, and the JSON path of its fields there
  -- ('$' for a customer object, '$.customer' for a provisioning result): archive redacts it
  customer_id TEXT,
  pii_path TEXT,
  redacted_at TEXT,
  PRIMARY KEY (org_id, key_hash)
) STRICT;

-- The scheduled cleanup deletes rows past expires_at in bounded batches.
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- Archive finds the kept responses about one customer.
CREATE INDEX idempotency_keys_customer ON idempotency_keys (org_id, customer_id) WHERE customer_id IS NOT NULL;

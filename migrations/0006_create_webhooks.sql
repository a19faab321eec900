-- Webhook intake (spec section 6).
--
-- webhook_endpoints: one per signed sender. The signing secret is stored as issued (it is
-- random, and verifying an HMAC needs the secret itself, not a hash of it). A rotation moves
-- the current secret to previous_secret, which keeps verifying until
-- previous_secret_expires_at; a second rotation overwrites it, so only the most recent
-- previous secret ever verifies. Deleting an endpoint deletes its row (and its secrets).
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations (id),
  source TEXT NOT NULL CHECK (source IN ('standard', 'clerk')),
  description TEXT,
  secret TEXT NOT NULL,
  previous_secret TEXT,
  previous_secret_expires_at TEXT,
  created_at TEXT NOT NULL,
  CHECK ((previous_secret IS NULL) = (previous_secret_expires_at IS NULL))
) STRICT;

CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id, created_at);

-- webhook_messages: the webhook ids (the `webhook-id` header) an endpoint has seen, for
-- deduplication. A delivery claims its id by inserting the row ('processing') before applying
-- the event, and marks it 'processed' after; a failure that the sender should retry deletes
-- the claim. A claim whose Worker died is taken over once claimed_at is old (see the
-- repository). Rows are kept at least 3 days after received_at (senders retry for about
-- that long), then the scheduled cleanup deletes them.
CREATE TABLE webhook_messages (
  endpoint_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('processing', 'processed')),
  -- random per claim, so only the delivery holding the claim can complete or release it
  claim_token TEXT NOT NULL,
  claimed_at TEXT NOT NULL,
  received_at TEXT NOT NULL,
  processed_at TEXT,
  PRIMARY KEY (endpoint_id, message_id)
) STRICT;

CREATE INDEX webhook_messages_received ON webhook_messages (received_at);

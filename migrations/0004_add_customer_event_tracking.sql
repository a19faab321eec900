-- Webhook-style provisioning needs two facts per customer:
-- last_event_at: when (at the source) the newest event applied to the customer happened, so
--   an older event delivered late does not overwrite newer data;
-- archived_alternative_id_hash: HMAC (deployment secret) of the alternative ID the customer
--   had when archived, so a late event for it is refused without keeping the ID itself.
ALTER TABLE customers ADD COLUMN last_event_at TEXT;
ALTER TABLE customers ADD COLUMN archived_alternative_id_hash TEXT;

CREATE INDEX customers_archived_alternative_id ON customers (org_id, archived_alternative_id_hash)
  WHERE archived_alternative_id_hash IS NOT NULL;

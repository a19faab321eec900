-- Events (spec section 10): the outbox. Every change to a customer or its records appends
-- one `events` row in the change's own atomic batch (guarded so it exists iff the change
-- committed), bumps the customer's `event_sequence`, and inserts one pending
-- `event_deliveries` row per enabled destination that selects the event's type.
--
-- `seq` is the insertion order (AUTOINCREMENT never reuses a value, even after the retention
-- cleanup deleted the newest rows): it orders lists and backs keyset cursors.
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  org_id TEXT NOT NULL REFERENCES organizations (id),
  type TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  -- the customer's event_sequence after this change
  sequence INTEGER NOT NULL,
  -- JSON {"object": …, "previous_attributes"?: …}; archive nulls the customer's PII in it
  data TEXT NOT NULL,
  request_id TEXT,
  created_at TEXT NOT NULL
) STRICT;

CREATE INDEX events_by_org ON events (org_id, seq);
CREATE INDEX events_by_customer ON events (org_id, customer_id, seq);
CREATE INDEX events_by_type ON events (org_id, type, seq);
-- Retention: the scheduled cleanup deletes events older than 30 days.
CREATE INDEX events_by_created ON events (created_at);

-- Per-customer change counter: every recorded event bumps it, and the event carries the value.
ALTER TABLE customers ADD COLUMN event_sequence INTEGER NOT NULL DEFAULT 0;

-- Subscribers. `event_types` is a JSON array of exact types, `prefix.*` or `*`. The secret is
-- stored as issued (signing needs it); a rotation keeps the previous one signing for 24 h.
CREATE TABLE event_destinations (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations (id),
  url TEXT NOT NULL,
  event_types TEXT NOT NULL,
  description TEXT,
  secret TEXT NOT NULL,
  previous_secret TEXT,
  previous_secret_expires_at TEXT,
  status TEXT NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
  -- 'manual' (PATCH) or 'endpoint_gone' (the receiver answered 410); null while enabled
  disabled_reason TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  CHECK ((previous_secret IS NULL) = (previous_secret_expires_at IS NULL))
) STRICT;

CREATE INDEX event_destinations_by_org ON event_destinations (org_id, created_at);

-- One row per (event, destination) send; a replay adds new rows for the same event. The
-- payload is not copied: the consumer reads the event when it sends, so archive's redaction
-- of the event also covers every delivery not yet sent. Queue messages carry only ids.
CREATE TABLE event_deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  org_id TEXT NOT NULL,
  destination_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_response_status INTEGER,
  -- why the last attempt failed: 'timeout', 'network_error', 'http_status',
  -- 'destination_disabled', 'dead_lettered'
  last_error TEXT,
  -- when the next attempt is due (pending only); the sweep re-sends pending rows past it
  next_attempt_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

CREATE INDEX event_deliveries_by_destination ON event_deliveries (org_id, destination_id, seq);
CREATE INDEX event_deliveries_by_event ON event_deliveries (event_id);
CREATE INDEX event_deliveries_due ON event_deliveries (next_attempt_at) WHERE status = 'pending';

-- Deleting an event destination no longer deletes its deliveries in the request: a destination
-- can hold hundreds of thousands of delivery rows, and one DELETE of all of them would hold D1
-- (one writer for every organization) for seconds (spec section 7: one organization cannot
-- degrade another). The DELETE records the destination here, in its own batch; the half-hourly
-- housekeeping deletes the recorded destinations' deliveries a few hundred rows per statement
-- through `event_deliveries_by_destination`, then the record. A record is what makes the purge
-- cost what it deletes: finding orphaned deliveries without it means walking every delivery
-- (or every (organization, destination) pair) on each run. `seq` orders the purge oldest first.
CREATE TABLE deleted_event_destinations (
  seq INTEGER PRIMARY KEY,
  org_id TEXT NOT NULL,
  destination_id TEXT NOT NULL,
  deleted_at TEXT NOT NULL
) STRICT;

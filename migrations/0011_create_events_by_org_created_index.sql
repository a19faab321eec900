-- Replay (POST /v1/event_destinations/{id}/replay) reads an organization's events from a time
-- on, oldest first, in pages that end at an instant. Without this index SQLite walked every
-- event of the organization and sorted the ones since `since` in a temporary B-tree on each
-- call; with it the page is a range of the index, already in (created_at, seq) order (seq is
-- the rowid every index entry ends with).
CREATE INDEX events_by_org_created ON events (org_id, created_at);

-- Per-organization limits (spec section 7: one organization cannot degrade another).

-- At most 100 live API keys per organization: the create counts them in its own INSERT … SELECT,
-- so this index keeps that count to the live keys, however many were revoked.
CREATE INDEX api_keys_live_by_org ON api_keys (org_id) WHERE revoked_at IS NULL;

-- A destination is replayed at most once a minute. A replay claims the destination by setting
-- both columns (only if the last replay is a minute old), in the same batch as its deliveries,
-- whose insert is guarded by `last_replay_id`: so two replays at once cannot both pass.
ALTER TABLE event_destinations ADD COLUMN last_replay_at TEXT;
ALTER TABLE event_destinations ADD COLUMN last_replay_id TEXT;

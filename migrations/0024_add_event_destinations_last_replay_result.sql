-- What the last replay did (spec sections 5 and 7): how many deliveries it created and where
-- the next page starts. Written in the replay's own batch, after its deliveries, so that the
-- replay's answer — which only that batch knows — can be kept with an Idempotency-Key in the
-- same batch, read back from here.
ALTER TABLE event_destinations ADD COLUMN last_replay_deliveries INTEGER;
ALTER TABLE event_destinations ADD COLUMN last_replay_next_since TEXT;

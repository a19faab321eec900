-- The sweep re-sends overdue deliveries organization by organization in turn (docs/fairness.md):
-- each round takes the oldest overdue deliveries of every organization from this index (one
-- range per organization), then serves the organizations in turn, so one organization's
-- backlog of overdue deliveries no longer goes before every other's.
CREATE INDEX event_deliveries_due_by_org ON event_deliveries (org_id, next_attempt_at) WHERE status = 'pending';

-- Served the sweep's oldest-first read across all organizations, which this replaces.
DROP INDEX event_deliveries_due;

-- Events lists and replay cost per page what the page returns, whatever the organization holds
-- (spec section 7; docs/fairness.md). Every list of GET /v1/events is newest first by
-- (created_at, seq), and every filter combination is one range of one of these indexes, read in
-- the index's own order: no sort, no walk of the organization's other events. seq (the rowid)
-- ends every index entry, so (…, created_at) indexes are in (created_at, seq) order.
--
-- The type group is the type's resource with its dot (`customer.` of `customer.updated`): the
-- `customer.*` filter, and a destination selecting `customer.*`, read the range of that group.
-- Queries name the same expression, `substr(type, 1, instr(type, '.'))`, and the index by name
-- (INDEXED BY), so the plan does not depend on statistics (`ANALYZE`) either.
--
-- (org_id, created_at) exists (0011): the unfiltered list, time ranges, and replay of `*`.
CREATE INDEX events_by_org_type_created ON events (org_id, type, created_at);
CREATE INDEX events_by_org_group_created ON events (org_id, substr(type, 1, instr(type, '.')), created_at);
CREATE INDEX events_by_org_customer_created ON events (org_id, customer_id, created_at);
CREATE INDEX events_by_org_customer_type_created ON events (org_id, customer_id, type, created_at);
CREATE INDEX events_by_org_customer_group_created
  ON events (org_id, customer_id, substr(type, 1, instr(type, '.')), created_at);

-- Ordered by seq, these served lists that are now ordered by time; nothing else reads them
-- (archive's redaction finds a customer's events through events_by_org_customer_created).
DROP INDEX events_by_org;
DROP INDEX events_by_customer;
DROP INDEX events_by_type;

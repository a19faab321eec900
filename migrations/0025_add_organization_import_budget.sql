-- Imports draw on a per-organization budget of items (spec section 7: one organization cannot
-- degrade another). A token bucket decided in D1 by one UPDATE, so concurrent imports cannot
-- overdraw it: the items left after the last claim (NULL: a full bucket), when that claim was
-- made (milliseconds since the epoch), and which import made it (the claim's own token).
ALTER TABLE organizations ADD COLUMN import_tokens REAL;
ALTER TABLE organizations ADD COLUMN import_refilled_at INTEGER;
ALTER TABLE organizations ADD COLUMN import_claim_id TEXT;

-- Answers commit with their change (spec section 5). A change made under an Idempotency-Key's
-- lock, or under a webhook delivery's claim on its `webhook-id`, carries in its own atomic batch
-- a statement that inserts a NULL into this table unless the lock (or claim) is still the
-- request's own; the NOT NULL constraint then fails the whole batch, so a request whose lock was
-- taken over (it ran past 60 s without renewing) never commits beside its successor's. The
-- table is always empty.
CREATE TABLE lock_lost (
  lock_token TEXT NOT NULL
) STRICT;

-- A webhook delivery's outcome (the 200 body it answered), recorded with the change it applied
-- (or, for an outcome that changed nothing, right after).
ALTER TABLE webhook_messages ADD COLUMN result TEXT;

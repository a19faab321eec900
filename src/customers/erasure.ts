import { ERASED_PII } from "../customer-records/customer-columns";
import { ERASED_FIELDS } from "../customer-records/erased-fields";
import { eraseCustomerStatements } from "../customer-search/search-index.repository";
import { archiveCommittedGuard, redactCustomerEventsStatement } from "../events/events.repository";
import { redactKeptResponsesStatement } from "../idempotency/idempotency.repository";
import { forgetRedactedReplays } from "../idempotency/replay-cache";
import type { Db } from "../lib/db";

/**
 * What archiving a customer erases, in one place (spec section 10). Which fields are PII is
 * declared with the records' columns (`PROFILE_SPEC` for the customer, and
 * `customer-records/erased-fields.ts` for its addresses and payment methods); this module
 * decides where they are erased:
 *
 * - the customer row's PII columns (`ERASED_PII`, written by `archiveStatement`);
 * - the addresses and payment methods themselves (deleted by the archive cascade), and their
 *   PII in the `*.deleted` events the archive records (`erasedRecord`);
 * - every kept Idempotency-Key response and every stored event about the customer, and the
 *   search index, in the archive's own batch (`erasureStatements`); a response kept after the
 *   archive is kept already redacted (`idempotencyKey(ERASED_FIELDS)` in middleware/stacks.ts);
 * - after the commit, the KV copies of the redacted responses (`forgetErasedReplays`).
 */

export { ERASED_FIELDS, ERASED_PII };

/**
 * A deleted record's object as the archive's `*.deleted` event carries it: as its GET returned
 * it, with what the archive erases null, as it is in every earlier event once they are redacted.
 */
export function erasedRecord(object: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...object };
  for (const field of ERASED_FIELDS) if (field in copy) copy[field] = null;
  return copy;
}

/**
 * The archive batch's erasure of every copy: kept responses and stored events about the
 * customer lose `ERASED_FIELDS`, and its words leave the search index. Each acts only if the
 * archive that set `archived_at` to `archivedAt` committed.
 */
export function erasureStatements(
  db: Db,
  orgId: string,
  customerId: string,
  archivedAt: string,
): D1PreparedStatement[] {
  const guard = archiveCommittedGuard(orgId, customerId, archivedAt);
  return [
    // Kept Idempotency-Key responses about the customer lose its PII in the same step.
    redactKeptResponsesStatement(db, orgId, customerId, { fields: ERASED_FIELDS, redactedAt: archivedAt, guard }),
    // So do the stored events about it (and with them every delivery not yet sent: a delivery
    // reads its event when it is sent), the erased fields of its addresses and payment methods
    // included.
    redactCustomerEventsStatement(db, orgId, customerId, ERASED_FIELDS, guard),
    // Every word and metadata value of it leaves the search structures (spec section 12).
    ...eraseCustomerStatements(db, orgId, customerId),
  ];
}

/**
 * After the commit: the KV copies of the kept responses the archive redacted in D1 (they hold
 * the erased PII). Idempotent; every repeated archive runs it again.
 */
export const forgetErasedReplays = forgetRedactedReplays;

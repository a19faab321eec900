import { type CustomerRow, profileOf } from "../customer-records/customer-columns";
import { customerNotFound } from "../customer-records/customer-records.repository";
import { indexCustomerStatements } from "../customer-search/search-index.repository";
import { hmacSha256Hex } from "../lib/crypto";
import { nowIso } from "../lib/fields";
import { followUp } from "../lib/follow-up";
import { type KeepAnswer, keepNothing } from "../lib/kept-answer";
import { logError } from "../lib/logger";
import { GO_ROUND, retryWhileChanging } from "../lib/retry";
import { forgetReleasedAlternativeId, resolveByAlternativeId } from "./alternative-id-cache";
import { archiveCascadeStatements, cascadeEvents, readArchiveCascade } from "./archive-cascade";
import { archiveEvents, committed, keptWithEvents, unarchivedEvent } from "./customer-events";
import * as repo from "./customers.repository";
import { byId, type CustomerDeps, type CustomerRef, checkIfMatch } from "./customers.service";
import { ERASED_PII, forgetErasedReplays } from "./erasure";

/**
 * Archiving and unarchiving a customer, and the clean-up an archive owes KV afterwards (see
 * `archive` in ARCHITECTURE.md, "One request, end to end").
 */

/**
 * The keyed hash under which an archived customer's alternative ID is remembered (so a late
 * webhook event for it can be refused) without keeping the ID itself. Null when the
 * deployment has no ALTERNATIVE_ID_HASH_KEY secret.
 */
export async function alternativeIdHash(deps: CustomerDeps, alternativeId: string): Promise<string | null> {
  const key = deps.settings.ALTERNATIVE_ID_HASH_KEY;
  return key ? hmacSha256Hex(key, `${deps.orgId}\n${alternativeId}`) : null;
}

/** The row an archive at `now` leaves (archiveStatement): PII erased, no payment method, the version bumped. */
const archivedRow = (row: CustomerRow, now: string, alternativeIdHash: string | null): CustomerRow => ({
  ...row,
  ...ERASED_PII,
  has_payment_method: 0,
  archived_at: now,
  updated_at: now,
  version: row.version + 1,
  archived_alternative_id_hash: alternativeIdHash ?? row.archived_alternative_id_hash,
});

/**
 * Archives a live customer (PII erased, every cascade and every event of it in one atomic
 * batch), then cleans up after it. Null when the customer, or one of its subscriptions,
 * addresses or payment methods, changed or it was archived meanwhile: re-read and retry.
 */
async function archiveLive(
  deps: CustomerDeps,
  row: CustomerRow,
  keep: KeepAnswer<CustomerRow>,
): Promise<CustomerRow | null> {
  // Read before the batch (D1 cannot read between a batch's statements): the records the
  // cascade changes, to build their events with the routes' own object builders. The batch is
  // guarded by the event sequence read with them, which every change to them moves.
  const cascade = await readArchiveCascade(deps.db, deps.orgId, row.id);
  if (!cascade) return null;
  const now = nowIso();
  const hash = row.alternative_id === null ? null : await alternativeIdHash(deps, row.alternative_id);
  if (row.alternative_id !== null && hash === null) {
    logError("ALTERNATIVE_ID_HASH_KEY is not set: late webhook events for this archived customer cannot be refused", {
      org_id: deps.orgId,
    });
  }
  const events = archiveEvents(
    deps,
    row,
    { eventSequence: cascade.eventSequence, events: cascadeEvents(cascade, now) },
    now,
  );
  const written = await repo.writeCustomer(
    deps.db,
    repo.archiveStatement(deps.db, deps.orgId, row.seq, row.version, now, hash, cascade.eventSequence),
    {
      before: [events.insert],
      after: [
        ...events.afterChange,
        ...archiveCascadeStatements(deps.db, deps.orgId, row.id, now),
        ...keptWithEvents(keep, archivedRow(row, now, hash), deps, [events]),
      ],
    },
  );
  const archived = written.row;
  if (archived) {
    committed(deps, [events], written);
    await cleanUpAfterArchive(deps, archived, row);
  }
  return archived;
}

/**
 * The follow-up work of an archive, in KV, which never changes its answer (`followUp`: tried
 * now, retried in the background). The KV copies of the kept responses the archive redacted in
 * D1 must go: they hold the erased PII. That part is idempotent and cheap (one indexed read, one
 * KV delete per kept response), so every repeated DELETE of the archived customer runs it again
 * rather than recording in D1 what is owed: a retry after a failed clean-up finishes it, with
 * no new column to keep in step. The released alternative ID's KV entry (`before`, only on the
 * archive itself) cannot be redone later: its key derives from the alternative ID, which the
 * archive erased. It holds only the customer id, every read of it is confirmed by D1 (which
 * refuses it) and it expires within ALTERNATIVE_ID_TTL_SECONDS.
 */
async function cleanUpAfterArchive(deps: CustomerDeps, archived: CustomerRow, before?: CustomerRow): Promise<void> {
  if (before) await forgetReleasedAlternativeId(deps, deps.orgId, before, archived, deps.background);
  await followUp(deps.background, () => forgetErasedReplays(deps, deps.orgId, archived.id));
}

/**
 * Archives the referenced customer, retrying concurrent changes, and returns it archived; null
 * when there is no such customer. By id an archived customer is found too and answers as its
 * first archive did (idempotent; If-Match is not checked, there is no current representation),
 * after finishing any clean-up a failed attempt left. By alternative ID only live customers
 * are found (archiving released the ID).
 */
export async function archive(
  deps: CustomerDeps,
  ref: CustomerRef,
  ifMatch: string | undefined,
  keep: KeepAnswer<CustomerRow> = keepNothing,
): Promise<CustomerRow | null> {
  return retryWhileChanging({ record: "customer", change: "archive" }, async () => {
    const row = byId(ref)
      ? await repo.findById(deps.db, deps.orgId, ref.id)
      : await resolveByAlternativeId(deps, deps.orgId, ref.alternativeId, deps.background);
    if (!row) return null;
    if (row.archived_at !== null) {
      await cleanUpAfterArchive(deps, row);
      return row;
    }
    checkIfMatch(ifMatch, row);
    const archived = await archiveLive(deps, row, keep);
    if (archived) return archived;
    return GO_ROUND;
  });
}

/** Brings an archived customer back, PII still empty; a live one is returned unchanged. */
export async function unarchive(
  deps: CustomerDeps,
  ref: { id: string },
  keep: KeepAnswer<CustomerRow> = keepNothing,
): Promise<CustomerRow> {
  return retryWhileChanging({ record: "customer", change: "unarchive" }, async () => {
    const row = await repo.findById(deps.db, deps.orgId, ref.id);
    if (!row) throw customerNotFound();
    if (row.archived_at === null) return row;
    const now = nowIso();
    const event = unarchivedEvent(deps, row, now);
    const write = repo.markUnarchivedStatement(deps.db, deps.orgId, row.seq, row.version, now);
    const unarchived: CustomerRow = {
      ...row,
      archived_at: null,
      archived_alternative_id_hash: null,
      updated_at: now,
      version: row.version + 1,
    };
    // Searchable again by its metadata (its PII, and so its words, stay erased).
    const index = indexCustomerStatements(deps.db, deps.orgId, row.id, profileOf(row), null);
    const written = await repo.writeCustomer(deps.db, write, {
      before: event.statements,
      after: [...index, ...keptWithEvents(keep, unarchived, deps, [event])],
    });
    if (written.row) {
      committed(deps, [event], written);
      return written.row;
    }
    return GO_ROUND;
  });
}

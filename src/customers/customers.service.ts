import { type CustomerProfile, type CustomerRow, profileOf } from "../customer-records/customer-columns";
import { customerNotFound } from "../customer-records/customer-records.repository";
import { checkEmailDomain, type EmailDnsVars } from "../email-dns";
import { forgetRedactedReplays } from "../idempotency/replay-cache";
import type { Background } from "../lib/background";
import { hmacSha256Hex } from "../lib/crypto";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import { ApiError } from "../lib/errors";
import { nowIso } from "../lib/fields";
import { followUp } from "../lib/follow-up";
import { fnv1a } from "../lib/hash";
import { newId } from "../lib/ids";
import { logError } from "../lib/logger";
import { MAX_WRITE_ATTEMPTS, pauseBeforeRetry } from "../lib/retry";
import { newSubscriptionFrom } from "../subscriptions/subscriptions.object";
import * as subscriptionsRepo from "../subscriptions/subscriptions.repository";
import { forgetReleasedAlternativeId, resolveByAlternativeId, type Storage } from "./alternative-id-cache";
import { archiveCascadeStatements } from "./archive-cascade";
import {
  alternativeIdNotFound,
  conflictError,
  customerArchived,
  customerIdArchived,
  identityConflict,
  preconditionFailed,
} from "./customers.errors";
import { etagOf, ifMatchSatisfied, toCustomerObject } from "./customers.object";
import { profileForCreate, profileForPatch, profileForPut, sameProfile } from "./customers.profile";
import * as repo from "./customers.repository";
import type { ListCustomersQuery, ProfileInput, UpdateInput } from "./customers.schemas";
import { type Expansion, expandCustomers, parseExpand } from "./expand";
import type { ProvisionBody } from "./provision.schemas";

/**
 * Customer behaviour, whoever asks: the `{id}` routes and their alternative-ID twins, provision,
 * and webhook intake. Handlers only translate HTTP to these calls and the results back.
 */

/** A customer as a request names it: by Roster's id or by the caller's alternative ID. */
export type CustomerRef = { id: string } | { alternativeId: string };

/** The deployment settings customer behaviour reads (the Worker's `env` has them all). */
export type CustomerSettings = EmailDnsVars & {
  /** HMAC key for remembering archived alternative IDs; unset, late webhook events are not refused. */
  ALTERNATIVE_ID_HASH_KEY?: string;
};

/** What every call needs: the request's storage and tenant, and a place for follow-up work. */
export type CustomerDeps = Storage & { orgId: string; background: Background; settings: CustomerSettings };

const byId = (ref: CustomerRef): ref is { id: string } => "id" in ref;

/** The referenced customer, live: by id 404 unknown / 410 archived, by alternative ID 404. */
export async function get(deps: CustomerDeps, ref: CustomerRef): Promise<CustomerRow> {
  if (!byId(ref)) {
    const row = await resolveByAlternativeId(deps, deps.orgId, ref.alternativeId, deps.background);
    if (!row) throw alternativeIdNotFound();
    return row;
  }
  const row = await repo.findById(deps.db, deps.orgId, ref.id);
  if (!row) throw customerNotFound();
  if (row.archived_at !== null) throw customerArchived(row);
  return row;
}

/** `get`, with the arrays `expand` names (one more D1 round trip when it names any). */
export async function getExpanded(
  deps: CustomerDeps,
  ref: CustomerRef,
  expand: string | undefined,
): Promise<{ row: CustomerRow; expansion: Expansion }> {
  const row = await get(deps, ref);
  const expansionOf = await expandCustomers(deps.db, deps.orgId, [row], parseExpand(expand));
  return { row, expansion: expansionOf(row.id) };
}

const filtersKey = (filters: repo.CustomerListFilters) =>
  fnv1a(JSON.stringify([filters.email?.toLowerCase(), filters.alternativeId, filters.createdGte, filters.createdLt]));

const toUtc = (value: string | undefined) => (value === undefined ? undefined : new Date(value).toISOString());

/** One keyset page of live customers; a cursor is valid only with the filters it was issued for. */
export async function list(deps: CustomerDeps, query: ListCustomersQuery) {
  const limit = query.limit ?? 20;
  const filters: repo.CustomerListFilters = {
    email: query.email,
    alternativeId: query.alternative_id,
    createdGte: toUtc(query.created_gte),
    createdLt: toUtc(query.created_lt),
  };
  const scope = filtersKey(filters);
  const beforeSeq = query.cursor === undefined ? null : decodeCursor(query.cursor, scope);
  const rows = await repo.listLive(deps.db, deps.orgId, filters, beforeSeq, limit + 1);
  const page = rows.slice(0, limit);
  const expansionOf = await expandCustomers(deps.db, deps.orgId, page, parseExpand(query.expand));
  const last = page.at(-1);
  const hasMore = rows.length > limit;
  return {
    object: "list" as const,
    data: page.map((row) => ({ ...toCustomerObject(row), ...expansionOf(row.id) })),
    has_more: hasMore,
    next_cursor: hasMore && last ? encodeCursor(last.seq, scope) : null,
  };
}

/** The email DNS check, for an email the body sets (a PATCH without `email` changes none). */
const checkEmail = (deps: CustomerDeps, input: { email?: string | null; skip_email_dns_validation?: boolean }) =>
  checkEmailDomain({ ...deps.settings, KV: deps.kv }, input.email, {
    skip: input.skip_email_dns_validation,
    background: deps.background,
  });

export async function create(
  deps: CustomerDeps,
  input: ProfileInput & { id?: string; skip_email_dns_validation?: boolean },
): Promise<CustomerRow> {
  await checkEmail(deps, input);
  const { id: requestedId, skip_email_dns_validation: _, ...fields } = input;
  const profile = profileForCreate(fields);
  const id = requestedId ?? newId("cus");
  try {
    return await repo.insert(deps.db, deps.orgId, id, profile, nowIso());
  } catch (error) {
    if (error instanceof repo.UniqueViolation) throw await conflictError(deps.db, deps.orgId, error, id);
    throw error;
  }
}

function checkIfMatch(ifMatch: string | undefined, row: CustomerRow): void {
  if (!ifMatchSatisfied(ifMatch, row)) throw preconditionFailed(etagOf(row));
}

/**
 * Read, check If-Match, compute the new profile, write if still at the version read. A
 * write that changes nothing is not made (the ETag stays). Concurrent changes retry.
 */
async function changeProfile(
  deps: CustomerDeps,
  ref: CustomerRef,
  ifMatch: string | undefined,
  compute: (row: CustomerRow) => CustomerProfile,
): Promise<CustomerRow> {
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    await pauseBeforeRetry(attempt);
    const row = await get(deps, ref);
    checkIfMatch(ifMatch, row);
    const profile = compute(row);
    if (sameProfile(profileOf(row), profile)) return row;
    let updated: CustomerRow | null;
    try {
      updated = await repo.updateProfile(deps.db, deps.orgId, row.seq, row.version, profile, nowIso());
    } catch (error) {
      if (error instanceof repo.UniqueViolation) throw await conflictError(deps.db, deps.orgId, error);
      throw error;
    }
    if (updated) {
      await forgetReleasedAlternativeId(deps, deps.orgId, row, updated, deps.background);
      return updated;
    }
  }
  throw new ApiError("storage_unavailable", "The customer kept changing during this update; retry.");
}

/** PATCH: only the fields sent change; metadata merges. */
export async function update(deps: CustomerDeps, ref: CustomerRef, ifMatch: string | undefined, input: UpdateInput) {
  await checkEmail(deps, input);
  return changeProfile(deps, ref, ifMatch, (row) => profileForPatch(row, input));
}

/** PUT: a full replace, except that the alternative ID changes only when sent. */
export async function replace(deps: CustomerDeps, ref: CustomerRef, ifMatch: string | undefined, input: UpdateInput) {
  await checkEmail(deps, input);
  return changeProfile(deps, ref, ifMatch, (row) => profileForPut(row, input));
}

/** Removes one metadata key; removing an absent key changes nothing. */
export function deleteMetadataKey(deps: CustomerDeps, ref: CustomerRef, ifMatch: string | undefined, key: string) {
  return changeProfile(deps, ref, ifMatch, (row) => {
    const profile = profileOf(row);
    delete profile.metadata[key];
    return profile;
  });
}

/**
 * The keyed hash under which an archived customer's alternative ID is remembered (so a late
 * webhook event for it can be refused) without keeping the ID itself. Null when the
 * deployment has no ALTERNATIVE_ID_HASH_KEY secret.
 */
async function alternativeIdHash(deps: CustomerDeps, alternativeId: string): Promise<string | null> {
  const key = deps.settings.ALTERNATIVE_ID_HASH_KEY;
  return key ? hmacSha256Hex(key, `${deps.orgId}\n${alternativeId}`) : null;
}

/**
 * Archives a live customer (PII erased and every cascade in one atomic batch), then cleans up
 * after it. Null when the customer changed or was archived meanwhile: re-read and retry.
 */
async function archiveLive(deps: CustomerDeps, row: CustomerRow): Promise<CustomerRow | null> {
  const now = nowIso();
  const hash = row.alternative_id === null ? null : await alternativeIdHash(deps, row.alternative_id);
  if (row.alternative_id !== null && hash === null) {
    logError("ALTERNATIVE_ID_HASH_KEY is not set: late webhook events for this archived customer cannot be refused", {
      org_id: deps.orgId,
    });
  }
  const cascade = archiveCascadeStatements(deps.db, deps.orgId, row.id, now);
  const archived = await repo.markArchived(deps.db, deps.orgId, row.seq, row.version, now, hash, cascade);
  if (archived) await cleanUpAfterArchive(deps, archived, row);
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
  await followUp(deps.background, () => forgetRedactedReplays(deps, deps.orgId, archived.id));
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
): Promise<CustomerRow | null> {
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    await pauseBeforeRetry(attempt);
    const row = byId(ref)
      ? await repo.findById(deps.db, deps.orgId, ref.id)
      : await resolveByAlternativeId(deps, deps.orgId, ref.alternativeId, deps.background);
    if (!row) return null;
    if (row.archived_at !== null) {
      await cleanUpAfterArchive(deps, row);
      return row;
    }
    checkIfMatch(ifMatch, row);
    const archived = await archiveLive(deps, row);
    if (archived) return archived;
  }
  throw new ApiError("storage_unavailable", "The customer kept changing during this archive; retry.");
}

/** Brings an archived customer back, PII still empty; a live one is returned unchanged. */
export async function unarchive(deps: CustomerDeps, ref: { id: string }): Promise<CustomerRow> {
  const row = await repo.findById(deps.db, deps.orgId, ref.id);
  if (!row) throw customerNotFound();
  if (row.archived_at === null) return row;
  const restored =
    (await repo.markUnarchived(deps.db, deps.orgId, row.seq, nowIso())) ??
    (await repo.findById(deps.db, deps.orgId, ref.id));
  if (!restored) throw customerNotFound();
  return restored;
}

export type ProvisionOutcome =
  | { status: "created" | "updated"; customer: CustomerRow; subscription: subscriptionsRepo.SubscriptionRow | null }
  | { status: "stale"; customer: CustomerRow }
  | { status: "archived"; customerId: string | null };

/** The live customer the body identifies, or null for "create it"; throws on a conflict. */
async function findIdentified(
  deps: CustomerDeps,
  body: ProvisionBody,
  eventAt: string | undefined,
): Promise<CustomerRow | { archived: string | null } | null> {
  const found = body.id === undefined ? null : await repo.findById(deps.db, deps.orgId, body.id);
  if (found?.archived_at) {
    if (eventAt !== undefined) return { archived: found.id };
    throw customerIdArchived(found.id);
  }
  if (body.alternative_id === undefined) return found;
  // The customer found by id already holds this alternative ID: nothing more to resolve.
  if (found && found.alternative_id === body.alternative_id) return found;

  const byAlternativeId = await resolveByAlternativeId(deps, deps.orgId, body.alternative_id, deps.background);
  if (byAlternativeId && found && byAlternativeId.seq !== found.seq) {
    throw identityConflict("id and alternative_id identify two different customers.");
  }
  if (byAlternativeId && body.id !== undefined && !found) {
    throw identityConflict(`No customer has id '${body.id}', but another customer has this alternative_id.`);
  }
  const identified = found ?? byAlternativeId;
  if (!identified && eventAt !== undefined) {
    const hash = await alternativeIdHash(deps, body.alternative_id);
    const archived = hash ? await repo.findArchivedByAlternativeIdHash(deps.db, deps.orgId, hash) : null;
    if (archived) return { archived: archived.id };
  }
  return identified;
}

// Event times are compared as instants: ISO strings only sort right within four-digit years.
const isStale = (row: CustomerRow, eventAt: string | undefined) =>
  eventAt !== undefined && row.last_event_at !== null && Date.parse(eventAt) < Date.parse(row.last_event_at);

/**
 * Get-or-create/upsert (Stigg's provisionCustomer, made idempotent): creates the customer the
 * body identifies, or applies the fields sent as a PATCH; then reuses or creates the
 * subscription. Races between identical calls end in one customer and at most one matching
 * active subscription: D1's unique indexes pick the winner, the losers retry as updates.
 *
 * `eventAt` is set for webhook events: when the event happened at its source. An event older
 * than the last one applied to the customer changes nothing (`stale`), and an event for an
 * archived customer (by id, or by the keyed hash of its alternative ID) does not bring it back.
 */
async function upsert(deps: CustomerDeps, body: ProvisionBody, eventAt: string | undefined): Promise<ProvisionOutcome> {
  const { id, subscription, skip_email_dns_validation: _, ...fields } = body;
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    await pauseBeforeRetry(attempt);
    const found = await findIdentified(deps, body, eventAt);
    if (found && "archived" in found) return { status: "archived", customerId: found.archived };

    // The customer's write (none when nothing changes) and the subscription commit together.
    const now = nowIso();
    let write: D1PreparedStatement | null = null;
    let customerId: string;
    let versionAfter: number;
    if (!found) {
      customerId = id ?? newId("cus");
      write = repo.insertStatement(deps.db, deps.orgId, customerId, profileForCreate(fields), now, eventAt ?? null);
      versionAfter = 1;
    } else {
      if (isStale(found, eventAt)) return { status: "stale", customer: found };
      customerId = found.id;
      versionAfter = found.version;
      const profile = profileForPatch(found, fields);
      const eventIsNewer =
        eventAt !== undefined &&
        (found.last_event_at === null || Date.parse(eventAt) !== Date.parse(found.last_event_at));
      if (!sameProfile(profileOf(found), profile) || eventIsNewer) {
        const { seq, version } = found;
        write = repo.updateProfileStatement(deps.db, deps.orgId, seq, version, profile, now, eventAt ?? null);
        versionAfter = version + 1;
      }
    }
    // Lands only at the version the customer write leaves: never beside a write that did not.
    const wanted = subscription ? newSubscriptionFrom(subscription) : null;
    const subscriptionWrites = wanted
      ? subscriptionsRepo.createSubscriptionStatements(deps.db, deps.orgId, customerId, wanted, now, versionAfter)
      : [];

    let customer = found;
    let ensured: subscriptionsRepo.CreateSubscriptionOutcome | null = null;
    if (write) {
      try {
        const written = await repo.writeTogether(deps.db, write, subscriptionWrites);
        customer = written.row;
        if (wanted) ensured = subscriptionsRepo.readCreated(...(written.together as [D1Result, D1Result]));
      } catch (error) {
        if (!(error instanceof repo.UniqueViolation)) throw error;
        // Another request may have created this identity first (SQLite names whichever index
        // it checked first, often email): if so, go round and update it instead.
        if (!found && (error.field === "id" || (await findIdentified(deps, body, eventAt)))) continue;
        throw await conflictError(deps.db, deps.orgId, error);
      }
      // The customer changed since it was read: nothing was written, go round.
      if (!customer) continue;
      if (found) await forgetReleasedAlternativeId(deps, deps.orgId, found, customer, deps.background);
    } else if (wanted) {
      ensured = await subscriptionsRepo.createSubscription(deps.db, deps.orgId, customerId, wanted, now, versionAfter);
    }
    // Only without a customer write: it changed or was archived since it was read.
    if (!customer || ensured?.status === "customer_gone") continue;
    return { status: found ? "updated" : "created", customer, subscription: ensured?.row ?? null };
  }
  throw new ApiError("storage_unavailable", "The customer kept changing during this provision; retry.");
}

/** Provision through the API: the email DNS check, then the upsert, which never answers stale or archived. */
export async function provision(deps: CustomerDeps, body: ProvisionBody) {
  await checkEmail(deps, body);
  const outcome = await upsert(deps, body, undefined);
  if (outcome.status === "stale" || outcome.status === "archived") {
    throw new Error(`provision without an event time answered ${outcome.status}`);
  }
  return outcome;
}

/** Provision for a webhook event that happened at `eventAt` (no DNS check: the source vouched for the email). */
export const provisionFromEvent = (deps: CustomerDeps, body: ProvisionBody, eventAt: string) =>
  upsert(deps, body, eventAt);

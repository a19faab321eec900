import { type CustomerProfile, type CustomerRow, profileOf } from "../customer-records/customer-columns";
import { customerIsLiveGuard, customerNotFound } from "../customer-records/customer-records.repository";
import { indexCustomerStatements } from "../customer-search/search-index.repository";
import { searchLive } from "../customer-search/search-query.repository";
import { checkEmailDomain, type EmailDnsVars } from "../email-dns";
import type { EventsOutbox } from "../events/outbox";
import type { Background } from "../lib/background";
import { nowIso } from "../lib/fields";
import { newId } from "../lib/ids";
import { type KeepAnswer, keepNothing } from "../lib/kept-answer";
import { filtersKey, pageBody, readPage, servedRows } from "../lib/pages";
import { GO_ROUND, retryWhileChanging } from "../lib/retry";
import type { GatewaySettings } from "../payment-gateway/payment-gateway.service";
import { forgetReleasedAlternativeId, resolveByAlternativeId, type Storage } from "./alternative-id-cache";
import {
  committed,
  createdEvent,
  customerRowAfter,
  keptWithEvents,
  withImportedFlag,
  writeProfile,
} from "./customer-events";
import { alternativeIdNotFound, conflictError, customerArchived, preconditionFailed } from "./customers.errors";
import { etagOf, ifMatchSatisfied, toCustomerObject } from "./customers.object";
import { profileForCreate, profileForPatch, profileForPut, sameProfile } from "./customers.profile";
import * as repo from "./customers.repository";
import type { ListCustomersQuery, ProfileInput, UpdateInput } from "./customers.schemas";
import { type Expansion, expandCustomers, parseExpand } from "./expand";
import {
  changesCustomer,
  type GatewayOptions,
  gatewayWrite,
  hasGatewayOptions,
  type PreparedGateway,
  prepareGateway,
  withoutGatewayOptions,
} from "./gateway-request";
import type { ImportBudgetVars } from "./import-budget";
import { metadataPairs } from "./search.service";

/**
 * Customer behaviour, whoever asks (the `{id}` routes and their alternative-ID twins, provision,
 * import and webhook intake): reading, listing, creating and changing the profile, and what
 * every customer service shares (`CustomerDeps`, `get`). Archiving is in archive.service.ts,
 * provision in provision.service.ts; both build on this module, never the other way round.
 * Handlers only translate HTTP to these calls and the results back.
 */

/** A customer as a request names it: by Roster's id or by the caller's alternative ID. */
export type CustomerRef = { id: string } | { alternativeId: string };

/** The deployment settings customer behaviour reads (the Worker's `env` has them all). */
export type CustomerSettings = EmailDnsVars &
  GatewaySettings &
  ImportBudgetVars & {
    /** HMAC key for remembering archived alternative IDs; unset, late webhook events are not refused. */
    ALTERNATIVE_ID_HASH_KEY?: string;
  };

/**
 * What every call needs: the request's storage and tenant, a place for follow-up work, and the
 * events outbox (every change records its event in its own batch).
 */
export type CustomerDeps = Storage & {
  orgId: string;
  background: Background;
  settings: CustomerSettings;
  events: EventsOutbox;
};

export const byId = (ref: CustomerRef): ref is { id: string } => "id" in ref;

/** The referenced customer, live: by id 404 unknown / 410 archived, by alternative ID 404. */
export async function get(deps: CustomerDeps, ref: CustomerRef): Promise<CustomerRow> {
  if (!byId(ref)) {
    const row = await resolveByAlternativeId(deps, deps.orgId, ref.alternativeId, deps.background);
    if (!row) throw alternativeIdNotFound();
    return row;
  }
  const row = await repo.findById(deps.db, deps.orgId, ref.id);
  if (!row) throw customerNotFound();
  if (row.archived_at !== null) throw customerArchived(row.id, row.archived_at);
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

/** A cursor's scope: the filters; metadata filters only when sent, so older cursors stay valid. */
const listScope = (filters: repo.CustomerListFilters, metadata: [string, string][]) =>
  filtersKey([
    filters.email?.toLowerCase(),
    filters.alternativeId,
    filters.createdGte,
    filters.createdLt,
    ...(metadata.length > 0 ? [metadata] : []),
  ]);

const toUtc = (value: string | undefined) => (value === undefined ? undefined : new Date(value).toISOString());

/** One keyset page of live customers; a cursor is valid only with the filters it was issued for. */
export async function list(deps: CustomerDeps, query: ListCustomersQuery) {
  const filters: repo.CustomerListFilters = {
    email: query.email,
    alternativeId: query.alternative_id,
    createdGte: toUtc(query.created_gte),
    createdLt: toUtc(query.created_lt),
  };
  const metadata = metadataPairs(query.metadata);
  const scope = listScope(filters, metadata);
  // With metadata filters, the page is read from the search index's metadata range instead.
  const { limit, rows } = await readPage(query, scope, (beforeSeq, count) =>
    metadata.length > 0
      ? searchLive(deps.db, deps.orgId, { ...filters, terms: [], metadata }, beforeSeq, count)
      : repo.listLive(deps.db, deps.orgId, filters, beforeSeq, count),
  );
  const expansionOf = await expandCustomers(deps.db, deps.orgId, servedRows(rows, limit), parseExpand(query.expand));
  return pageBody(rows, limit, scope, (row) => ({ ...toCustomerObject(row), ...expansionOf(row.id) }));
}

/** The email DNS check, for an email the body sets (a PATCH without `email` changes none). */
export const checkEmail = (deps: CustomerDeps, input: { email?: string | null; skip_email_dns_validation?: boolean }) =>
  checkEmailDomain({ ...deps.settings, KV: deps.kv }, input.email, {
    skip: input.skip_email_dns_validation,
    background: deps.background,
  });

export async function create(
  deps: CustomerDeps,
  input: ProfileInput & { id?: string; skip_email_dns_validation?: boolean } & GatewayOptions,
  keep: KeepAnswer<CustomerRow> = keepNothing,
): Promise<CustomerRow> {
  await checkEmail(deps, input);
  const [body, options] = withoutGatewayOptions(input);
  const { id: requestedId, skip_email_dns_validation: _, ...fields } = body;
  const profile = profileForCreate(fields);
  const id = requestedId ?? newId("cus");
  // A caller-chosen id already taken fails the insert below; check it first when the gateway
  // would be asked on its behalf (a gateway customer created for a customer that is not this one).
  if (requestedId !== undefined && hasGatewayOptions(options)) await requireFreshId(deps, requestedId);
  const prepared = await prepareGateway(deps, options);
  const now = nowIso();
  const gateway = await gatewayWrite(deps, prepared, id, null, profile, customerIsLiveGuard(deps.orgId, id), now);
  const event = createdEvent(deps, id, profile, now, gateway);
  const recorded = [event, ...gateway.recorded];
  const kept = keptWithEvents(keep, customerRowAfter(deps.orgId, null, id, profile, now, gateway), deps, recorded);
  try {
    const insert = repo.insertStatement(deps.db, deps.orgId, id, profile, now, null, gateway.link);
    const written = await repo.insertCustomer(deps.db, insert, {
      // Searchable at once: the index is written with the customer (spec section 12).
      after: [
        ...event.statements,
        ...gateway.guarded,
        ...gateway.after,
        ...indexCustomerStatements(deps.db, deps.orgId, id, profile, null),
        ...kept,
      ],
    });
    committed(deps, recorded, written);
    return withImportedFlag(written.row, gateway);
  } catch (error) {
    if (error instanceof repo.UniqueViolation) throw await conflictError(deps.db, deps.orgId, error, id);
    throw error;
  }
}

/** A create's chosen id must be nobody's (live or archived): the same answers the insert would give. */
async function requireFreshId(deps: CustomerDeps, id: string): Promise<void> {
  const existing = await repo.findById(deps.db, deps.orgId, id);
  if (existing) throw await conflictError(deps.db, deps.orgId, new repo.UniqueViolation("id"), id);
}

export function checkIfMatch(ifMatch: string | undefined, row: CustomerRow): void {
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
  keep: KeepAnswer<CustomerRow>,
  options: GatewayOptions = {},
): Promise<CustomerRow> {
  let prepared: PreparedGateway | null = null;
  let round = 0;
  return retryWhileChanging({ record: "customer", change: "update" }, async () => {
    const row = await get(deps, ref);
    checkIfMatch(ifMatch, row);
    // Once the customer is known live (404/410/412 first), the gateway is asked, once.
    if (round++ === 0) prepared = await prepareGateway(deps, options);
    const profile = compute(row);
    const now = nowIso();
    const guard = repo.customerAtVersionGuard(deps.orgId, row.id, row.version, false);
    const gateway = await gatewayWrite(deps, prepared, row.id, row, profile, guard, now);
    if (sameProfile(profileOf(row), profile) && !changesCustomer(gateway)) return row;
    let updated: CustomerRow | null;
    try {
      updated = await writeProfile(deps, row, profile, null, keep, gateway, now);
    } catch (error) {
      if (error instanceof repo.UniqueViolation) throw await conflictError(deps.db, deps.orgId, error);
      throw error;
    }
    if (updated) {
      await forgetReleasedAlternativeId(deps, deps.orgId, row, updated, deps.background);
      return updated;
    }
    return GO_ROUND;
  });
}

/** PATCH: only the fields sent change; metadata merges. */
export async function update(
  deps: CustomerDeps,
  ref: CustomerRef,
  ifMatch: string | undefined,
  input: UpdateInput,
  keep: KeepAnswer<CustomerRow> = keepNothing,
) {
  await checkEmail(deps, input);
  const [fields, options] = withoutGatewayOptions(input);
  return changeProfile(deps, ref, ifMatch, (row) => profileForPatch(row, fields), keep, options);
}

/** PUT: a full replace, except that the alternative ID changes only when sent. */
export async function replace(
  deps: CustomerDeps,
  ref: CustomerRef,
  ifMatch: string | undefined,
  input: UpdateInput,
  keep: KeepAnswer<CustomerRow> = keepNothing,
) {
  await checkEmail(deps, input);
  const [fields, options] = withoutGatewayOptions(input);
  return changeProfile(deps, ref, ifMatch, (row) => profileForPut(row, fields), keep, options);
}

/** Removes one metadata key; removing an absent key changes nothing. */
export function deleteMetadataKey(
  deps: CustomerDeps,
  ref: CustomerRef,
  ifMatch: string | undefined,
  key: string,
  keep: KeepAnswer<CustomerRow> = keepNothing,
) {
  return changeProfile(
    deps,
    ref,
    ifMatch,
    (row) => {
      const profile = profileOf(row);
      delete profile.metadata[key];
      return profile;
    },
    keep,
  );
}

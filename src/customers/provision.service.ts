import { type CustomerRow, profileOf } from "../customer-records/customer-columns";
import { customerIsLiveGuard } from "../customer-records/customer-records.repository";
import { indexCustomerStatements } from "../customer-search/search-index.repository";
import type { RecordedEvents } from "../events/events.repository";
import { nowIso } from "../lib/fields";
import { newId } from "../lib/ids";
import { type KeepAnswer, keepNothing } from "../lib/kept-answer";
import { GO_ROUND, retryWhileChanging } from "../lib/retry";
import { newSubscriptionFrom } from "../subscriptions/subscriptions.object";
import {
  type CreateSubscriptionOutcome,
  readCreated,
  type SubscriptionRow,
} from "../subscriptions/subscriptions.repository";
import * as subscriptions from "../subscriptions/subscriptions.service";
import { forgetReleasedAlternativeId, resolveByAlternativeId } from "./alternative-id-cache";
import { alternativeIdHash } from "./archive.service";
import {
  committed,
  createdEvent,
  customerRowAfter,
  keptWithEvents,
  updatedEvent,
  withImportedFlag,
} from "./customer-events";
import { conflictError, customerIdArchived, identityConflict } from "./customers.errors";
import { profileForCreate, profileForPatch, sameProfile } from "./customers.profile";
import * as repo from "./customers.repository";
import { type CustomerDeps, checkEmail } from "./customers.service";
import {
  changesCustomer,
  gatewayWrite,
  type PreparedGateway,
  prepareGateway,
  withoutGatewayOptions,
} from "./gateway-request";
import type { ProvisionBody } from "./provision.schemas";

/**
 * Provision, the idempotent get-or-create/upsert of a customer and its subscription: through
 * the API (`provision`) and for webhook events (`provisionFromEvent`).
 */

/** A provision that created or updated its customer (or found it as asked). */
export type Provisioned = {
  status: "created" | "updated";
  customer: CustomerRow;
  subscription: SubscriptionRow | null;
};

export type ProvisionOutcome =
  | Provisioned
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
async function upsert(
  deps: CustomerDeps,
  body: ProvisionBody,
  eventAt: string | undefined,
  keep: KeepAnswer<Provisioned>,
): Promise<ProvisionOutcome> {
  const [withoutOptions, options] = withoutGatewayOptions(body);
  const { id, subscription, skip_email_dns_validation: _, ...fields } = withoutOptions;
  let prepared: PreparedGateway | null = null;
  let round = 0;
  return retryWhileChanging({ record: "customer", change: "provision" }, async () => {
    const found = await findIdentified(deps, body, eventAt);
    if (found && "archived" in found) return { status: "archived", customerId: found.archived };
    // The identity resolved (409s first), the gateway is asked, once (customers/gateway-request.ts).
    if (round++ === 0) prepared = await prepareGateway(deps, options);

    // The customer's write (none when nothing changes) and the subscription commit together.
    const now = nowIso();
    let write: D1PreparedStatement | null = null;
    let index: D1PreparedStatement[] = [];
    let customerId: string;
    let versionAfter: number;
    // The customer row the write leaves (exactly: the write is guarded by the version read).
    let rowAfter: CustomerRow | null = found;
    // Its events: an update's before it (guarded by the version it expects), a create's after.
    const beforeWrite: RecordedEvents[] = [];
    const afterWrite: RecordedEvents[] = [];
    // The gateway options' statements: guarded ones where the write's guard holds, then the rest.
    const gatewayBefore: D1PreparedStatement[] = [];
    const gatewayAfter: D1PreparedStatement[] = [];
    // The imported payment methods' events (their statements are among the gateway statements).
    const gatewayRecorded: RecordedEvents[] = [];
    let addsPaymentMethods = false;
    if (!found) {
      customerId = id ?? newId("cus");
      const profile = profileForCreate(fields);
      const guard = customerIsLiveGuard(deps.orgId, customerId);
      const gateway = await gatewayWrite(deps, prepared, customerId, null, profile, guard, now);
      write = repo.insertStatement(deps.db, deps.orgId, customerId, profile, now, eventAt ?? null, gateway.link);
      versionAfter = 1;
      rowAfter = customerRowAfter(deps.orgId, null, customerId, profile, now, gateway);
      afterWrite.push(createdEvent(deps, customerId, profile, now, gateway));
      gatewayRecorded.push(...gateway.recorded);
      gatewayAfter.push(...gateway.guarded, ...gateway.after);
      index = indexCustomerStatements(deps.db, deps.orgId, customerId, profile, null);
    } else {
      if (isStale(found, eventAt)) return { status: "stale", customer: found };
      customerId = found.id;
      versionAfter = found.version;
      const profile = profileForPatch(found, fields);
      const eventIsNewer =
        eventAt !== undefined &&
        (found.last_event_at === null || Date.parse(eventAt) !== Date.parse(found.last_event_at));
      const guard = repo.customerAtVersionGuard(deps.orgId, customerId, found.version, false);
      const gateway = await gatewayWrite(deps, prepared, customerId, found, profile, guard, now);
      if (!sameProfile(profileOf(found), profile) || eventIsNewer || changesCustomer(gateway)) {
        const { seq, version } = found;
        write = repo.updateProfileStatement(
          deps.db,
          deps.orgId,
          seq,
          version,
          profile,
          now,
          eventAt ?? null,
          gateway.link,
        );
        versionAfter = version + 1;
        rowAfter = customerRowAfter(deps.orgId, found, customerId, profile, now, gateway);
        index = indexCustomerStatements(deps.db, deps.orgId, customerId, profile, profileOf(found));
        // A newer event that changes no field moves only last_event_at: no customer.updated.
        const event = updatedEvent(deps, found, profile, now, gateway);
        if (event) beforeWrite.push(event);
        gatewayRecorded.push(...gateway.recorded);
        addsPaymentMethods = gateway.addsPaymentMethods;
        gatewayBefore.push(...gateway.guarded);
        gatewayAfter.push(...gateway.after);
      }
    }
    // Lands only at the version the customer write leaves: never beside a write that did not.
    const wanted = subscription ? newSubscriptionFrom(subscription) : null;
    const created =
      wanted && write ? subscriptions.createStatements(deps, customerId, wanted, now, versionAfter) : null;

    const status = found ? "updated" : "created";
    // The answer as it will be if the subscription is created (not reused): kept only then.
    const keepWith = (
      subscription: SubscriptionRow | null,
      customer: CustomerRow | null,
      recorded: RecordedEvents[],
    ) => (customer && recorded.length ? keptWithEvents(keep, { status, customer, subscription }, deps, recorded) : []);
    let customer = found;
    let ensured: CreateSubscriptionOutcome | null = null;
    if (write) {
      try {
        const recorded = [...beforeWrite, ...afterWrite, ...gatewayRecorded, ...(created ? [created.event] : [])];
        // An update's events and its guarded gateway statements go before it (the imported payment
        // methods' events after their inserts); a create's after it.
        const before = [...beforeWrite.flatMap((each) => each.statements), ...gatewayBefore];
        const after = [...afterWrite.flatMap((each) => each.statements), ...gatewayAfter];
        if (created) after.push(created.statements.insert, created.statements.active, ...created.event.statements);
        after.push(...index, ...keepWith(created?.row ?? null, rowAfter, recorded));
        const written = await repo.writeCustomer(deps.db, write, { before, after });
        customer = written.row && withImportedFlag(written.row, { link: null, addsPaymentMethods });
        if (customer) committed(deps, recorded, written);
        if (created) ensured = readCreated(written, created.statements);
      } catch (error) {
        if (!(error instanceof repo.UniqueViolation)) throw error;
        // Another request may have created this identity first (SQLite names whichever index
        // it checked first, often email): if so, go round and update it instead.
        if (!found && (error.field === "id" || (await findIdentified(deps, body, eventAt)))) return GO_ROUND;
        throw await conflictError(deps.db, deps.orgId, error);
      }
      // The customer changed since it was read: nothing was written, go round.
      if (!customer) return GO_ROUND;
      if (found) await forgetReleasedAlternativeId(deps, deps.orgId, found, customer, deps.background);
    } else if (wanted) {
      const keepSubscription: KeepAnswer<SubscriptionRow> = (subscription, committed) =>
        found ? keep({ status, customer: found, subscription }, committed) : [];
      ensured = await subscriptions.create(
        deps.db,
        deps.orgId,
        customerId,
        wanted,
        deps.events,
        versionAfter,
        keepSubscription,
      );
    }
    // Only without a customer write: it changed or was archived since it was read.
    if (!customer || ensured?.status === "customer_gone") return GO_ROUND;
    return { status, customer, subscription: ensured?.row ?? null };
  });
}

/** Provision through the API: the email DNS check, then the upsert, which never answers stale or archived. */
export async function provision(deps: CustomerDeps, body: ProvisionBody, keep: KeepAnswer<Provisioned> = keepNothing) {
  await checkEmail(deps, body);
  const outcome = await upsert(deps, body, undefined, keep);
  if (outcome.status === "stale" || outcome.status === "archived") {
    throw new Error(`provision without an event time answered ${outcome.status}`);
  }
  return outcome;
}

/** Provision for a webhook event that happened at `eventAt` (no DNS check: the source vouched for the email). */
export const provisionFromEvent = (
  deps: CustomerDeps,
  body: ProvisionBody,
  eventAt: string,
  keep: KeepAnswer<Provisioned> = keepNothing,
) => upsert(deps, body, eventAt, keep);

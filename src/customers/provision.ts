import type { Background } from "../lib/background";
import { ApiError } from "../lib/errors";
import { nowIso } from "../lib/fields";
import { newId } from "../lib/ids";
import { MAX_WRITE_ATTEMPTS, pauseBeforeRetry } from "../lib/retry";
import { newSubscriptionFrom } from "../subscriptions/subscriptions.object";
import { ensureActiveSubscription, type SubscriptionRow } from "../subscriptions/subscriptions.repository";
import { forgetReleasedAlternativeId, resolveByAlternativeId } from "./alternative-id-cache";
import { alternativeIdHash } from "./archive";
import { conflictError, customerIdArchived, identityConflict } from "./customers.conflicts";
import { profileForCreate, profileForPatch, profileOf, sameProfile } from "./customers.profile";
import {
  type CustomerRow,
  findArchivedByAlternativeIdHash,
  findCustomerById,
  insertCustomer,
  UniqueViolation,
  updateCustomerProfile,
} from "./customers.repository";
import type { ProvisionBody } from "./provision.schemas";

export type ProvisionOptions = {
  background: Background;
  /**
   * Set for webhook events: when the event happened at its source. An event older than the
   * last one applied to the customer changes nothing (`stale`), and an event for an archived
   * customer (by id, or by the keyed hash of its alternative ID) does not bring it back.
   */
  eventAt?: string;
};

export type ProvisionOutcome =
  | { status: "created" | "updated"; customer: CustomerRow; subscription: SubscriptionRow | null }
  | { status: "stale"; customer: CustomerRow }
  | { status: "archived"; customerId: string | null };

/** The live customer the body identifies, or null for "create it"; throws on a conflict. */
async function findIdentified(
  env: Env,
  orgId: string,
  body: ProvisionBody,
  options: ProvisionOptions,
): Promise<CustomerRow | { archived: string | null } | null> {
  const byId = body.id === undefined ? null : await findCustomerById(env.DB, orgId, body.id);
  if (byId?.archived_at) {
    if (options.eventAt !== undefined) return { archived: byId.id };
    throw customerIdArchived(byId.id);
  }
  if (body.alternative_id === undefined) return byId;
  // The customer found by id already holds this alternative ID: nothing more to resolve.
  if (byId && byId.alternative_id === body.alternative_id) return byId;

  const byAlternativeId = await resolveByAlternativeId(env, orgId, body.alternative_id, options.background);
  if (byAlternativeId && byId && byAlternativeId.seq !== byId.seq) {
    throw identityConflict("id and alternative_id identify two different customers.");
  }
  if (byAlternativeId && body.id !== undefined && !byId) {
    throw identityConflict(`No customer has id '${body.id}', but another customer has this alternative_id.`);
  }
  const found = byId ?? byAlternativeId;
  if (!found && options.eventAt !== undefined) {
    const hash = await alternativeIdHash(env, orgId, body.alternative_id);
    const archived = hash ? await findArchivedByAlternativeIdHash(env.DB, orgId, hash) : null;
    if (archived) return { archived: archived.id };
  }
  return found;
}

// Event times are compared as instants: ISO strings only sort right within four-digit years.
const isStale = (row: CustomerRow, eventAt: string | undefined) =>
  eventAt !== undefined && row.last_event_at !== null && Date.parse(eventAt) < Date.parse(row.last_event_at);

/**
 * Get-or-create/upsert (Stigg's provisionCustomer, made idempotent): creates the customer the
 * body identifies, or applies the fields sent as a PATCH; then reuses or creates the
 * subscription. Races between identical calls end in one customer and at most one matching
 * active subscription: D1's unique indexes pick the winner, the losers retry as updates.
 */
export async function provisionCustomer(
  env: Env,
  orgId: string,
  body: ProvisionBody,
  options: ProvisionOptions,
): Promise<ProvisionOutcome> {
  const { id, subscription, skip_email_dns_validation: _, ...fields } = body;
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    await pauseBeforeRetry(attempt);
    const found = await findIdentified(env, orgId, body, options);
    if (found && "archived" in found) return { status: "archived", customerId: found.archived };

    let customer: CustomerRow | null;
    let created = false;
    if (!found) {
      const profile = profileForCreate(fields);
      try {
        customer = await insertCustomer(env.DB, orgId, id ?? newId("cus"), profile, nowIso(), options.eventAt ?? null);
        created = true;
      } catch (error) {
        if (!(error instanceof UniqueViolation)) throw error;
        // Another request may have created this identity first (SQLite names whichever index
        // it checked first, often email): if so, go round and update it instead.
        if (error.field === "id" || (await findIdentified(env, orgId, body, options))) continue;
        throw await conflictError(env.DB, orgId, error, profile);
      }
    } else {
      if (isStale(found, options.eventAt)) return { status: "stale", customer: found };
      const profile = profileForPatch(found, fields);
      const eventIsNewer =
        options.eventAt !== undefined &&
        (found.last_event_at === null || Date.parse(options.eventAt) !== Date.parse(found.last_event_at));
      if (sameProfile(profileOf(found), profile) && !eventIsNewer) {
        customer = found;
      } else {
        try {
          customer = await updateCustomerProfile(
            env.DB,
            orgId,
            found.seq,
            found.version,
            profile,
            nowIso(),
            options.eventAt ?? null,
          );
        } catch (error) {
          if (error instanceof UniqueViolation) throw await conflictError(env.DB, orgId, error, profile);
          throw error;
        }
        if (!customer) continue;
        await forgetReleasedAlternativeId(env, orgId, found, customer);
      }
    }

    const ensured = subscription
      ? await ensureActiveSubscription(env.DB, orgId, customer.id, newSubscriptionFrom(subscription), nowIso())
      : null;
    return { status: created ? "created" : "updated", customer, subscription: ensured?.row ?? null };
  }
  throw new ApiError("storage_unavailable", "The customer kept changing during this provision; retry.");
}

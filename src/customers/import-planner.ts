import { type CustomerProfile, type CustomerRow, EMPTY_PROFILE, profileOf } from "../customer-records/customer-columns";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { newSubscriptionFrom } from "../subscriptions/subscriptions.object";
import type { ImportSubscription, SubscriptionRow } from "../subscriptions/subscriptions.repository";
import { customerIdArchived, fieldTaken, identityConflict } from "./customers.errors";
import { applyProfileInput, sameProfile } from "./customers.profile";
import type { ImportInsert, ImportUpdate } from "./import.repository";
import type { ProvisionBody } from "./provision.schemas";

/** A customer as the import sees it while it walks the items in order. */
type Planned = {
  id: string;
  original: CustomerRow | null;
  archived: boolean;
  profile: CustomerProfile;
  /** Items that touched it: they succeed or fail with its write. */
  items: number[];
};
export type ItemPlan = { index: number; customerId: string; status: "created" | "updated" };
const lower = (value: string | null) => value?.toLowerCase() ?? null;

/**
 * The walk: applies each valid item to an in-memory picture of the organization's customers,
 * in order, exactly as provision would (identity rules, uniqueness among live customers,
 * PATCH semantics), so the writes can then be made in one round trip.
 */
export class ImportPlanner {
  private readonly customers = new Map<string, Planned>();
  private readonly byAlternativeId = new Map<string, string>();
  private readonly byEmail = new Map<string, string>();
  private readonly byUsername = new Map<string, string>();
  private readonly activeSubscriptions = new Set<string>();
  readonly subscriptions: (ImportSubscription & { item: number })[] = [];

  /** `freshIds`: each item's id if it creates a customer, the same whenever the import plans again. */
  constructor(
    known: CustomerRow[],
    subscriptions: SubscriptionRow[],
    private readonly freshIds: Map<number, string>,
  ) {
    for (const row of known) {
      if (this.customers.has(row.id)) continue;
      const planned = {
        id: row.id,
        original: row,
        archived: row.archived_at !== null,
        profile: profileOf(row),
        items: [],
      };
      this.customers.set(row.id, planned);
      if (!planned.archived) this.index(planned);
    }
    for (const row of subscriptions)
      this.activeSubscriptions.add(this.subscriptionKey(row.customer_id, row.plan_id, row.resource_id));
  }

  private subscriptionKey(customerId: string, planId: string, resourceId: string | null) {
    return JSON.stringify([customerId, planId, resourceId]);
  }

  private index(customer: Planned) {
    const { alternative_id, email, username } = customer.profile;
    if (alternative_id !== null) this.byAlternativeId.set(alternative_id, customer.id);
    if (email !== null) this.byEmail.set(email.toLowerCase(), customer.id);
    if (username !== null) this.byUsername.set(username.toLowerCase(), customer.id);
  }

  private unindex(customer: Planned) {
    const { alternative_id, email, username } = customer.profile;
    if (alternative_id !== null) this.byAlternativeId.delete(alternative_id);
    if (email !== null) this.byEmail.delete(email.toLowerCase());
    if (username !== null) this.byUsername.delete(username.toLowerCase());
  }

  /** The unique field `profile` would take from a customer other than `selfId`, if any. */
  private takenField(profile: CustomerProfile, selfId: string | null): "alternative_id" | "email" | "username" | null {
    const holder = (map: Map<string, string>, key: string | null) => (key === null ? undefined : map.get(key));
    const taken = (id: string | undefined) => id !== undefined && id !== selfId;
    if (taken(holder(this.byAlternativeId, profile.alternative_id))) return "alternative_id";
    if (taken(holder(this.byEmail, lower(profile.email)))) return "email";
    if (taken(holder(this.byUsername, lower(profile.username)))) return "username";
    return null;
  }

  apply(index: number, body: ProvisionBody): ItemPlan {
    const { id, subscription, skip_email_dns_validation: _, ...fields } = body;
    const byId = id === undefined ? undefined : this.customers.get(id);
    if (byId?.archived) {
      throw customerIdArchived(byId.id);
    }
    const altHolder = fields.alternative_id === undefined ? undefined : this.byAlternativeId.get(fields.alternative_id);
    const byAlternativeId = altHolder === undefined ? undefined : this.customers.get(altHolder);
    if (byAlternativeId && id !== undefined && byAlternativeId.id !== id) {
      throw identityConflict("id and alternative_id identify two different customers.");
    }
    const target = byId ?? byAlternativeId;
    const base = target?.profile ?? EMPTY_PROFILE;
    const profile = applyProfileInput(base, fields, target === undefined);
    const customerId = target?.id ?? id ?? this.freshIds.get(index) ?? newId("cus");
    const taken = this.takenField(profile, target?.id ?? null);
    if (taken) throw fieldTaken(taken);
    let customer = target;
    if (customer) {
      this.unindex(customer);
      customer.profile = profile;
    } else {
      customer = { id: customerId, original: null, archived: false, profile, items: [] };
      this.customers.set(customerId, customer);
    }
    this.index(customer);
    customer.items.push(index);

    if (subscription) {
      const wanted = newSubscriptionFrom(subscription);
      const key = this.subscriptionKey(customerId, wanted.plan_id, wanted.resource_id);
      if (!this.activeSubscriptions.has(key)) {
        this.activeSubscriptions.add(key);
        this.subscriptions.push({
          ...wanted,
          id: newId("sub"),
          customer_id: customerId,
          customer_version: 0,
          item: index,
        });
      }
    }
    return { index, customerId, status: target === undefined ? "created" : "updated" };
  }

  /**
   * The writes that take every customer to its planned state, and the version each ends at
   * (`forced`: customers written even when their profile does not change, for their gateway options).
   */
  writes(forced: Set<string>): {
    inserts: ImportInsert[];
    updates: (ImportUpdate & { original: CustomerRow })[];
    versions: Map<string, number>;
  } {
    const inserts: ImportInsert[] = [];
    const updates: (ImportUpdate & { original: CustomerRow })[] = [];
    const versions = new Map<string, number>();
    for (const customer of this.customers.values()) {
      if (customer.items.length === 0) continue;
      const { original } = customer;
      if (!original) {
        inserts.push({ id: customer.id, profile: customer.profile });
        versions.set(customer.id, 1);
      } else if (!sameProfile(profileOf(original), customer.profile) || forced.has(customer.id)) {
        const { alternative_id, email, username } = original;
        updates.push({
          id: customer.id,
          seq: original.seq,
          version: original.version,
          profile: customer.profile,
          held: { alternative_id, email, username },
          original,
        });
        versions.set(customer.id, original.version + 1);
      } else {
        versions.set(customer.id, original.version);
      }
    }
    return { inserts, updates, versions };
  }

  /** The customer as read before the import (null: created here) and the profile it is planned to end with. */
  target(customerId: string): { original: CustomerRow | null; profile: CustomerProfile } {
    const customer = this.customers.get(customerId);
    if (!customer) throw new Error(`no planned customer ${customerId}`);
    return customer;
  }
}

/** One plan of the valid items, in order: each item's plan or its refusal. */
export function planAll(
  known: CustomerRow[],
  subscriptions: SubscriptionRow[],
  freshIds: Map<number, string>,
  valid: { index: number; body: ProvisionBody }[],
) {
  const planner = new ImportPlanner(known, subscriptions, freshIds);
  const plans: ItemPlan[] = [];
  const failures = new Map<number, ApiError>();
  for (const { index, body } of valid) {
    try {
      plans.push(planner.apply(index, body));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      failures.set(index, error);
    }
  }
  return { planner, plans, failures };
}

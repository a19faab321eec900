import { type CustomerRow, profileOf } from "../customer-records/customer-columns";
import type { NewImportedEvent } from "../events/events.repository";
import { toSubscriptionObject } from "../subscriptions/subscriptions.object";
import { type ImportSubscription, newSubscriptionRow } from "../subscriptions/subscriptions.repository";
import { customerObjectAfter, type GatewayEffect, previousAttributes } from "./customer-events";
import { toCustomerObject } from "./customers.object";
import type { ImportInsert, ImportUpdate } from "./import.repository";

/**
 * The events of an import's writes, as the single routes record them: `customer.created` or
 * `customer.updated` per customer written (its items merged into one change), then
 * `subscription.created` per new subscription. Each is guarded by the version (and, for a
 * customer this batch writes, the `updated_at`) its write leaves.
 */
export function importEvents(
  orgId: string,
  inserts: ImportInsert[],
  updates: (ImportUpdate & { original: CustomerRow })[],
  subscriptions: ImportSubscription[],
  versions: Map<string, number>,
  now: string,
  /** What customers' gateway options change beside their profile (import-gateway.ts). */
  gateway: Map<string, GatewayEffect> = new Map(),
): NewImportedEvent[] {
  const events: NewImportedEvent[] = [];
  for (const { id, profile } of inserts) {
    const object = customerObjectAfter(null, id, profile, now, gateway.get(id));
    events.push({ customerId: id, customerVersion: 1, customerUpdatedAt: now, type: "customer.created", object });
  }
  for (const { id, profile, original } of updates) {
    const previous = previousAttributes(profileOf(original), profile);
    // As on the single routes: a new link changes `billing`; imported payment methods record
    // their own events, so a write for them alone has no customer.updated.
    const effect = gateway.get(id);
    if (effect?.link) previous.billing = toCustomerObject(original).billing;
    if (Object.keys(previous).length === 0) continue;
    events.push({
      customerId: id,
      customerVersion: original.version + 1,
      customerUpdatedAt: now,
      type: "customer.updated",
      object: customerObjectAfter(original, id, profile, now, effect),
      previousAttributes: previous,
    });
  }
  const written = new Set([...inserts, ...updates].map((write) => write.id));
  for (const subscription of subscriptions) {
    const { id, customer_id: customerId } = subscription;
    events.push({
      customerId,
      customerVersion: versions.get(customerId) ?? 0,
      customerUpdatedAt: written.has(customerId) ? now : undefined,
      type: "subscription.created",
      object: toSubscriptionObject(newSubscriptionRow(orgId, customerId, id, subscription, now)),
    });
  }
  return events;
}

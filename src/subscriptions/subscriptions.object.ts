import { newSubscriptionWithDefaults } from "../customer-records/subscription-columns";
import type { NewSubscription, SubscriptionRow } from "./subscriptions.repository";
import type { SubscriptionInput, SubscriptionObject } from "./subscriptions.schemas";

export function toSubscriptionObject(row: SubscriptionRow): SubscriptionObject {
  return {
    object: "subscription",
    id: row.id,
    customer_id: row.customer_id,
    plan_id: row.plan_id,
    resource_id: row.resource_id,
    billing_period: row.billing_period,
    addons: JSON.parse(row.addons),
    billable_features: JSON.parse(row.billable_features),
    promotion_code: row.promotion_code,
    billing_country_code: row.billing_country_code,
    metadata: JSON.parse(row.metadata),
    status: row.status,
    cancel_reason: row.cancel_reason,
    canceled_at: row.canceled_at,
    created_at: row.created_at,
  };
}

/**
 * What to store for a subscription request: absent and null fields take their defaults
 * (`SUBSCRIPTION_SPEC`), null metadata values dropped.
 */
export function newSubscriptionFrom(input: SubscriptionInput): NewSubscription {
  const metadata = Object.fromEntries(Object.entries(input.metadata ?? {}).filter(([, value]) => value !== null));
  return newSubscriptionWithDefaults({ ...input, metadata: metadata as NewSubscription["metadata"] });
}

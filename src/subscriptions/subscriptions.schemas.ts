import { z } from "@hono/zod-openapi";
import { nullableCountryCode } from "../lib/countries";
import { isoTimestamp, text } from "../lib/fields";
import { metadataInput } from "../lib/metadata";

const quantity = z.number().int("must be a whole number").min(0).max(1_000_000_000);

/** Stigg's subscriptionParams. */
export const SubscriptionInput = z
  .strictObject({
    plan_id: text(255).openapi({ example: "plan-pro" }),
    resource_id: text(255).nullable().optional(),
    billing_period: z.enum(["monthly", "annually"]).nullable().optional(),
    addons: z
      .array(z.strictObject({ addon_id: text(255), quantity }))
      .max(100)
      .optional(),
    billable_features: z
      .array(z.strictObject({ feature_id: text(255), quantity }))
      .max(100)
      .optional(),
    promotion_code: text(255).nullable().optional(),
    billing_country_code: nullableCountryCode.optional(),
    metadata: metadataInput.nullable().optional(),
  })
  .openapi("SubscriptionInput");

export type SubscriptionInput = z.infer<typeof SubscriptionInput>;

export const Subscription = z
  .object({
    object: z.literal("subscription"),
    id: z.string().openapi({ example: "sub_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R" }),
    customer_id: z.string(),
    plan_id: z.string(),
    resource_id: z.string().nullable(),
    billing_period: z.enum(["monthly", "annually"]).nullable(),
    addons: z.array(z.object({ addon_id: z.string(), quantity: z.number() })),
    billable_features: z.array(z.object({ feature_id: z.string(), quantity: z.number() })),
    promotion_code: z.string().nullable(),
    billing_country_code: z.string().nullable(),
    metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    status: z.enum(["active", "canceled"]),
    cancel_reason: z.string().nullable(),
    canceled_at: isoTimestamp.nullable(),
    created_at: isoTimestamp,
  })
  .openapi("Subscription");

export type SubscriptionObject = z.infer<typeof Subscription>;

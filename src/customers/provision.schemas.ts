import { z } from "@hono/zod-openapi";
import { customerId } from "../customer-records/customer-records.params";
import { Subscription, SubscriptionInput } from "../subscriptions/subscriptions.schemas";
import { alternativeId } from "./customers.fields";
import { Customer, gatewayOptions, profileFields, requestOptions } from "./customers.schemas";

/**
 * A provision body: the customer fields, at least one of `id` / `alternative_id` to identify
 * the customer, and an optional subscription.
 */
export const ProvisionBody = z
  .strictObject({
    ...profileFields,
    ...requestOptions,
    ...gatewayOptions,
    id: customerId.optional(),
    alternative_id: alternativeId.optional(),
    // A union, not .nullable(): .nullable() carries SubscriptionInput's component name along,
    // which made the component itself nullable, also as the body of POST …/subscriptions.
    subscription: z.union([SubscriptionInput, z.null()]).optional().openapi({
      description: "The subscription to reuse or create with the customer; null or absent: none.",
    }),
  })
  .superRefine((body, ctx) => {
    if (body.id === undefined && body.alternative_id === undefined) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: "send id or alternative_id (or both) to identify the customer",
      });
    }
  })
  .openapi("ProvisionCustomer", {
    anyOf: [{ required: ["id"] }, { required: ["alternative_id"] }],
  });

export type ProvisionBody = z.infer<typeof ProvisionBody>;

export const ProvisioningResult = z
  .object({
    object: z.literal("provisioning_result"),
    created: z.boolean(),
    customer: Customer,
    // A union, not .nullable(): a nullable registered schema is generated as allOf [$ref, null],
    // which no null can satisfy.
    subscription: z.union([Subscription, z.null()]).openapi({
      description: "The active subscription the request asked for; null when it sent none.",
    }),
  })
  .openapi("ProvisioningResult");

export const MAX_IMPORT_ITEMS = 1000;

/**
 * At most this many event deliveries from one import (spec §7: one request's fan-out is
 * bounded): its events × the enabled destinations that select them, counted on the
 * destinations as the import reads them. Past it the import is refused whole, before anything
 * is written, so no single request holds D1's one writer long with delivery rows.
 */
export const MAX_IMPORT_DELIVERIES = 10_000;

/**
 * Items a minute one organization's imports may add when the deployment's IMPORT_ITEMS_PER_MINUTE
 * is unset or not a positive number (spec §7; docs/tenancy.md): its budget is a bucket of
 * MAX_IMPORT_ITEMS that refills at that rate.
 */
export const DEFAULT_IMPORT_ITEMS_PER_MINUTE = 6_000;

/**
 * At most this many import items with gateway options (spec section 11). Each asks the gateway
 * (a few calls: the named customer, its cards, the billing information) and may read D1 once or
 * twice before the import's batch: 10 keeps an import within the free plan's 50 subrequests and
 * 50 D1 queries per invocation. Past it the import is refused whole, before anything is asked.
 */
export const MAX_IMPORT_GATEWAY_ITEMS = 10;

export const ImportBody = z
  .strictObject({
    // Items are validated one by one (a bad item fails alone), so the array takes anything here.
    customers: z
      .array(z.unknown().openapi({ description: "A provision body." }))
      .min(1)
      .max(MAX_IMPORT_ITEMS, `must hold at most ${MAX_IMPORT_ITEMS} customers`)
      .openapi({ items: { $ref: "#/components/schemas/ProvisionCustomer" } }),
  })
  .openapi("ImportCustomers");

const ImportItemResult = z.object({
  index: z.number().int(),
  status: z.enum(["created", "updated", "failed"]),
  id: z.string().nullable(),
  error: z
    .object({
      type: z.string(),
      title: z.string(),
      status: z.number(),
      code: z.string(),
      detail: z.string(),
      errors: z.array(z.object({ pointer: z.string(), detail: z.string() })).optional(),
    })
    .nullable(),
});

export const ImportResult = z
  .object({
    object: z.literal("import_result"),
    created: z.number().int(),
    updated: z.number().int(),
    failed: z.number().int(),
    results: z.array(ImportItemResult),
  })
  .openapi("ImportResult");

export type ImportItemResult = z.infer<typeof ImportItemResult>;

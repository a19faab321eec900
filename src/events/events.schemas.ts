import { z } from "@hono/zod-openapi";
import { isoTimestamp, timestamp } from "../lib/fields";
import { pageOf, pageQuery } from "../lib/pages";
import { EVENT_TYPE_PREFIXES, EVENT_TYPES } from "./event-types";

export const EventTypeSchema = z.enum(EVENT_TYPES).openapi("EventType");

export const Event = z
  .object({
    object: z.literal("event"),
    id: z.string().openapi({ example: "evt_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R" }),
    type: EventTypeSchema,
    created_at: isoTimestamp,
    customer_id: z.string().openapi({ description: "The customer the change is about." }),
    sequence: z.number().int().openapi({
      description:
        "The customer's change counter after this change; it only grows, so a receiver drops an event older than one it already applied.",
    }),
    data: z.object({
      object: z.record(z.string(), z.unknown()).openapi({
        description:
          "The resource as its GET returned it after the change (a customer, subscription, address or payment method; on `*.deleted`, the record as it was). Once the customer is archived its PII fields are null here and in `previous_attributes`, and so are the address fields `line1`, `line2`, `city`, `state`, `postal_code` and the payment method fields `gateway_reference`, `brand`, `last4`, `exp_month`, `exp_year` (the archive deletes those records); the `address.deleted` and `payment_method.deleted` an archive records carry them null from the start.",
      }),
      previous_attributes: z
        .record(z.string(), z.unknown())
        .optional()
        .openapi({ description: "On `*.updated` only: the old values of exactly the fields that changed." }),
    }),
    request_id: z.string().nullable().openapi({ description: "The id of the request that made the change." }),
  })
  .openapi("Event");

export const EventList = pageOf(Event, "EventList");

const TYPE_FILTERS = [...EVENT_TYPES, ...EVENT_TYPE_PREFIXES];
const TYPE_FILTER = new Set<string>(TYPE_FILTERS);

export const ListEventsQuery = z.strictObject({
  ...pageQuery,
  type: z
    .string()
    .refine((value) => TYPE_FILTER.has(value), `must be an event type or one of ${EVENT_TYPE_PREFIXES.join(", ")}`)
    .optional()
    .openapi({
      description: "An exact type (`customer.updated`) or a prefix (`customer.*`).",
      example: "customer.*",
      enum: TYPE_FILTERS,
    }),
  customer_id: z.string().min(1).max(255).optional().openapi({ description: "Only events about this customer." }),
  created_gte: timestamp.optional().openapi({ description: "Only events created at or after this time." }),
  created_lt: timestamp.optional().openapi({
    description:
      "Only events created before this time (a range that ends before it starts is empty, as for customers).",
  }),
});

export const EventIdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "evt_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R" }),
});

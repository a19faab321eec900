import { z } from "@hono/zod-openapi";
import { customerId } from "../customer-records/customer-records.params";
import { alternativeId } from "../customers/customers.fields";
import { ProvisionBody } from "../customers/provision.schemas";
import { timestamp } from "../lib/fields";
import { eventTime, invalidPayload, type WebhookAction } from "./webhook-events";

/**
 * Events of `source: "standard"` endpoints, in the Standard Webhooks payload shape
 * (`type`, `timestamp`, `data`). Other top-level members are the sender's envelope and are
 * ignored; `data` follows Roster's own body rules (unknown fields rejected).
 */

const eventTimestamp = timestamp.optional().openapi({
  description: "When the event happened at the source; orders late deliveries. Absent: the `webhook-timestamp`.",
});

export const ProvisionEvent = z
  .looseObject({ type: z.literal("customer.provision"), timestamp: eventTimestamp, data: ProvisionBody })
  .openapi("CustomerProvisionEvent", { description: "`data` is a provision body (`POST /v1/customers/provision`)." });

const ArchiveIdentity = z
  .strictObject({ id: customerId.optional(), alternative_id: alternativeId.optional() })
  .superRefine((data, ctx) => {
    if ((data.id === undefined) === (data.alternative_id === undefined)) {
      ctx.addIssue({ code: "custom", path: [], message: "send exactly one of id or alternative_id" });
    }
  });

export const ArchiveEvent = z
  .looseObject({ type: z.literal("customer.archive"), timestamp: eventTimestamp, data: ArchiveIdentity })
  .openapi("CustomerArchiveEvent", { description: "Archives the customer with this `id` or `alternative_id`." });

const Envelope = z.looseObject({ type: z.string() });

/** The action a verified standard event asks for; `sentAt` stands in for a missing `timestamp`. */
export function interpretStandardEvent(payload: unknown, sentAt: Date): WebhookAction {
  const envelope = Envelope.safeParse(payload);
  if (!envelope.success) return invalidPayload(envelope.error);

  switch (envelope.data.type) {
    case "customer.provision": {
      const event = ProvisionEvent.safeParse(payload);
      if (!event.success) return invalidPayload(event.error);
      const sourceMs = event.data.timestamp === undefined ? undefined : Date.parse(event.data.timestamp);
      return { kind: "provision", body: event.data.data, eventAt: eventTime(sourceMs, sentAt) };
    }
    case "customer.archive": {
      const event = ArchiveEvent.safeParse(payload);
      if (!event.success) return invalidPayload(event.error);
      const { id, alternative_id } = event.data.data;
      return { kind: "archive", identity: id !== undefined ? { id } : { alternative_id: alternative_id as string } };
    }
    default:
      return { kind: "ignore" };
  }
}

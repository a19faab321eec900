import { z } from "@hono/zod-openapi";
import { ProvisionBody } from "../customers/provision.schemas";
import type { FieldError } from "../lib/errors";
import { fieldErrorsFrom } from "../lib/validation-hook";
import { eventTime, invalidPayload, type WebhookAction } from "./webhook-events";

/**
 * Clerk's user events (delivered through Svix, so signed the Standard Webhooks way). Clerk's
 * payloads carry many more members than Roster uses; only these are read, the rest ignored.
 */

// Within Date's range, so every accepted value is a timestamp.
const epochMs = z.number().int().min(0).max(8.64e15).openapi({ description: "Epoch milliseconds." });

const ClerkEmailAddress = z.looseObject({ id: z.string(), email_address: z.string() });

const ClerkUser = z.looseObject({
  id: z.string().min(1),
  email_addresses: z.array(ClerkEmailAddress).optional(),
  primary_email_address_id: z.string().nullable().optional(),
  first_name: z.string().nullable().optional(),
  last_name: z.string().nullable().optional(),
  updated_at: epochMs.optional(),
});

export const ClerkUserEvent = z
  .looseObject({
    type: z.enum(["user.created", "user.updated"]),
    timestamp: epochMs.optional(),
    data: ClerkUser,
  })
  .openapi("ClerkUserEvent", {
    description:
      "Provisions the customer whose `alternative_id` is `data.id`: `email` is the address whose id is `data.primary_email_address_id`, plus `first_name`, `last_name` and `name` (both joined).",
  });

export const ClerkUserDeletedEvent = z
  .looseObject({ type: z.literal("user.deleted"), data: z.looseObject({ id: z.string().min(1) }) })
  .openapi("ClerkUserDeletedEvent", { description: "Archives the customer whose `alternative_id` is `data.id`." });

const Envelope = z.looseObject({ type: z.string() });

type ClerkUser = z.infer<typeof ClerkUser>;

// Clerk sends "" as well as null for an unset name; Roster's rule is null for "not set".
const nameOrNull = (value: string | null | undefined) => (value ? value : null);

function fullName(user: ClerkUser): string | null {
  const joined = [user.first_name, user.last_name].filter(Boolean).join(" ").trim();
  return joined === "" ? null : joined;
}

function primaryEmailIndex(user: ClerkUser): number {
  return (user.email_addresses ?? []).findIndex((address) => address.id === user.primary_email_address_id);
}

/** The provision body a Clerk user maps to. */
export function provisionBodyOfClerkUser(user: ClerkUser): Record<string, unknown> {
  const primary = user.email_addresses?.[primaryEmailIndex(user)];
  return {
    alternative_id: user.id,
    email: primary?.email_address ?? null,
    first_name: nameOrNull(user.first_name),
    last_name: nameOrNull(user.last_name),
    name: fullName(user),
  };
}

/** Points a problem with a mapped field at the Clerk member it came from. */
function clerkPointer(pointer: string, user: ClerkUser): string {
  switch (pointer) {
    case "/alternative_id":
      return "/data/id";
    case "/email":
      return `/data/email_addresses/${primaryEmailIndex(user)}/email_address`;
    case "/first_name":
      return "/data/first_name";
    case "/last_name":
      return "/data/last_name";
    default:
      // `name` is first_name and last_name joined
      return "/data";
  }
}

function mappingErrors(error: z.ZodError, user: ClerkUser): FieldError[] {
  return fieldErrorsFrom("json", error).map(({ pointer, detail }) => ({
    pointer: clerkPointer(pointer, user),
    detail: pointer === "/name" ? `name (first_name and last_name joined) ${detail}` : detail,
  }));
}

/**
 * The action a verified Clerk event asks for. A user event is ordered by `data.updated_at`,
 * else the event's own `timestamp`, else `sentAt` (the delivery's `webhook-timestamp`).
 */
export function interpretClerkEvent(payload: unknown, sentAt: Date): WebhookAction {
  const envelope = Envelope.safeParse(payload);
  if (!envelope.success) return invalidPayload(envelope.error);

  switch (envelope.data.type) {
    case "user.created":
    case "user.updated": {
      const event = ClerkUserEvent.safeParse(payload);
      if (!event.success) return invalidPayload(event.error);
      const user = event.data.data;
      const body = ProvisionBody.safeParse(provisionBodyOfClerkUser(user));
      if (!body.success) return { kind: "invalid", errors: mappingErrors(body.error, user) };
      return {
        kind: "provision",
        body: body.data,
        eventAt: eventTime(user.updated_at ?? event.data.timestamp, sentAt),
      };
    }
    case "user.deleted": {
      const event = ClerkUserDeletedEvent.safeParse(payload);
      if (!event.success) return invalidPayload(event.error);
      return { kind: "archive", identity: { alternative_id: event.data.data.id } };
    }
    default:
      return { kind: "ignore" };
  }
}

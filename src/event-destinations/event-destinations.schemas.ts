import { z } from "@hono/zod-openapi";
import { ALL_EVENT_TYPES, EVENT_TYPE_PREFIXES, EVENT_TYPE_SELECTORS, isEventTypeSelector } from "../events/event-types";
import { codePointLength, isoTimestamp, text, timestamp } from "../lib/fields";
import { deletedOf, listOf } from "../lib/lists";
import { pageOf, pageQuery } from "../lib/pages";
import { DESTINATION_URL_PATTERN } from "./destination-url-pattern";

export const MAX_URL_LENGTH = 2048;
export const MAX_EVENT_TYPES = 32;

/** Why a destination URL is refused by its shape (the loopback-http rule needs the deployment: service). */
export function urlShapeProblem(value: string): string | null {
  if (codePointLength(value) > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  // The URL parser would trim or drop these, so the URL stored and shown would not be the one used.
  if (/[\s\p{Cc}]/u.test(value)) return "must not contain spaces or control characters";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be an absolute URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must be an https:// URL";
  if (url.username !== "" || url.password !== "") return "must not contain credentials";
  return null;
}

const destinationUrl = z
  .string()
  .superRefine((value, ctx) => {
    const problem = urlShapeProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .openapi({
    maxLength: MAX_URL_LENGTH,
    pattern: DESTINATION_URL_PATTERN,
    example: "https://example.com/roster-events",
    description:
      '`https://` only, no credentials, no spaces or control characters, at most 2,048 characters. Never an IP address inside a private network, in any spelling (`127.1`, `0x7f000001`, `[::ffff:127.0.0.1]`): loopback, private (RFC 1918), carrier-grade NAT (100.64.0.0/10), link-local (169.254.0.0/16, fe80::/10), unique-local (fc00::/7), multicast, reserved or unspecified (`0.0.0.0`, `::`) addresses are refused, and checked again before every delivery attempt. Loopback (`127.0.0.0/8`, `localhost`, `[::1]`, over `http://` or `https://`) only where the deployment sets `ALLOW_HTTP_DESTINATIONS = "true"` (local development and tests).',
  });

const selector = z
  .string()
  .refine(isEventTypeSelector, `must be an event type, one of ${EVENT_TYPE_PREFIXES.join(", ")}, or *`)
  .openapi({ enum: EVENT_TYPE_SELECTORS });

const eventTypes = z
  .array(selector)
  .min(1)
  .max(MAX_EVENT_TYPES)
  .openapi({
    description:
      "Which events it receives: exact types (`customer.updated`), prefixes (`customer.*`) or `*` (every type, including types added later).",
    example: ["customer.*"],
  });

export const CreateEventDestinationBody = z
  .strictObject({
    url: destinationUrl,
    event_types: eventTypes.optional().openapi({ description: `Default \`["${ALL_EVENT_TYPES}"]\`: every type.` }),
    description: text(255).nullable().optional(),
  })
  .openapi("CreateEventDestination");

export const UpdateEventDestinationBody = z
  .strictObject({
    url: destinationUrl.optional(),
    event_types: eventTypes.optional(),
    description: text(255).nullable().optional(),
    status: z.enum(["enabled", "disabled"]).optional().openapi({
      description: "`disabled`: nothing is sent to it (pending deliveries fail) until it is enabled again.",
    }),
  })
  .openapi("UpdateEventDestination");

const DestinationStatus = z.enum(["enabled", "disabled"]);

const destinationFields = {
  object: z.literal("event_destination"),
  id: z.string().openapi({ example: "ed_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R" }),
  url: z.string(),
  event_types: z.array(z.string()),
  description: z.string().nullable(),
  status: DestinationStatus,
  disabled_reason: z.enum(["manual", "endpoint_gone"]).nullable().openapi({
    description:
      "`manual`: disabled through the API. `endpoint_gone`: the receiver answered `410 Gone`. Null while enabled.",
  }),
  previous_secret_expires_at: isoTimestamp.nullable().openapi({
    description: "Until when deliveries also carry a signature with the secret the last rotation replaced.",
  }),
  created_at: isoTimestamp,
  updated_at: isoTimestamp,
};

export const EventDestination = z
  .object({
    ...destinationFields,
    secret: z
      .string()
      .openapi({ description: "The signing secret, masked: only its last four characters.", example: "whsec_…Xk9Q" }),
  })
  .openapi("EventDestination");

export const EventDestinationWithSecret = z
  .object({
    ...destinationFields,
    // Nullable: an Idempotency-Key replay of this response does not keep the secret (idempotency/kept-response.ts).
    secret: z.string().nullable().openapi({
      description:
        "The signing secret in full (`whsec_` + base64 of 24 random bytes). Shown only here: give it to your receiver's Standard Webhooks verifier now. null in a replay (`Idempotent-Replayed: true`): the secret is not kept.",
      example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    }),
  })
  .openapi("EventDestinationWithSecret");

export const EventDestinationList = listOf(EventDestination, "EventDestinationList");

export const DeletedEventDestination = deletedOf("event_destination", "DeletedEventDestination");

export const EventDestinationIdParams = z.object({
  id: z
    .string()
    .regex(/^ed_[0-9A-Z]{26}$/, "must be an event destination id (ed_…)")
    .openapi({ param: { name: "id", in: "path" }, example: "ed_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R" }),
});

export const EventDelivery = z
  .object({
    object: z.literal("event_delivery"),
    id: z.string().openapi({ example: "evd_0A1B2C3D4E5F60718293A4B5C6" }),
    destination_id: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    status: z.enum(["pending", "succeeded", "failed"]),
    attempts: z.number().int(),
    last_response_status: z.number().int().nullable().openapi({ description: "The HTTP status of the last answer." }),
    last_error: z
      .enum(["timeout", "network_error", "http_status", "destination_disabled", "url_not_allowed", "dead_lettered"])
      .nullable()
      .openapi({
        description:
          "Why the last attempt failed: no answer within 15 s, no connection, a non-2xx status, the destination was disabled, its URL names an address Roster no longer sends to (checked before every attempt; no request was made), or delivery kept failing inside Roster.",
      }),
    next_attempt_at: isoTimestamp.nullable().openapi({ description: "When the next attempt is due (pending only)." }),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .openapi("EventDelivery");

export const EventDeliveryList = pageOf(EventDelivery, "EventDeliveryList");

export const ListDeliveriesQuery = z.strictObject(pageQuery);

export const ReplayBody = z
  .strictObject({
    // A `since` in the future replays nothing (202, 0 deliveries): refusing it would turn a
    // caller's clock running a little ahead into an error.
    since: timestamp.openapi({
      description:
        "Replay events created at or after this time. A time before the 30 days events are kept replays every kept event; one in the future replays nothing.",
    }),
  })
  .openapi("ReplayEventDestination");

export const ReplayResult = z
  .object({
    object: z.literal("event_destination_replay"),
    destination_id: z.string(),
    since: isoTimestamp,
    deliveries_created: z.number().int().min(0).max(10_000).openapi({
      description:
        "New deliveries queued: 1,000, plus the other events of the last one's instant, or fewer on the last page; never more than 10,000.",
    }),
    has_more: z.boolean(),
    next_since: isoTimestamp.nullable().openapi({
      description:
        "With `has_more`: where this call stopped. Send it as `since` (a minute later: one replay per destination per minute) to replay the rest; it is the first instant after this page, so no event comes twice.",
    }),
  })
  .openapi("EventDestinationReplay");

import type { z } from "@hono/zod-openapi";
import type { ProvisionBody } from "../customers/provision.schemas";
import type { FieldError } from "../lib/errors";
import { fieldErrorsFrom } from "../lib/validation-hook";

/** What a verified event asks Roster to do, decided from its payload alone (no storage). */
export type WebhookAction =
  | {
      kind: "provision";
      body: ProvisionBody;
      /** When the event happened at its source (ISO): orders out-of-order deliveries. */
      eventAt: string;
    }
  | { kind: "archive"; identity: { id: string } | { alternative_id: string } }
  | { kind: "ignore" }
  | { kind: "invalid"; errors: FieldError[] };

/** Field problems of a payload, as JSON Pointers into the delivered body. */
export const invalidPayload = (error: z.ZodError): WebhookAction => ({
  kind: "invalid",
  errors: fieldErrorsFrom("json", error),
});

/** How far ahead of Roster's clock an event time may be before it counts as "now". */
export const EVENT_TIME_FUTURE_TOLERANCE_MS = 5 * 60 * 1000;

/**
 * When an event happened, as an ISO instant: the source's time (epoch ms) when it has one,
 * else the delivery's `sentAt`. A time more than 5 minutes ahead (a skewed clock, or a unit
 * mix-up such as microseconds) counts as now, so it cannot make every later event look stale.
 */
export function eventTime(sourceMs: number | undefined, sentAt: Date, now = Date.now()): string {
  const ms = sourceMs === undefined || Number.isNaN(sourceMs) ? sentAt.getTime() : sourceMs;
  return new Date(ms > now + EVENT_TIME_FUTURE_TOLERANCE_MS ? now : ms).toISOString();
}

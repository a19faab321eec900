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

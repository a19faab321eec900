import { z } from "@hono/zod-openapi";
import { isoTimestamp, text } from "../lib/fields";
import { deletedOf, listOf } from "../lib/lists";
import { Problem } from "../lib/openapi";
import { ISSUED_SECRET_PATTERN, issuedSecretProblem, MAX_SECRET_BYTES, MIN_SECRET_BYTES } from "./secrets";

export const WebhookSourceSchema = z.enum(["standard", "clerk"]).openapi({
  description:
    "`standard`: Standard Webhooks events `customer.provision` and `customer.archive`. `clerk`: Clerk's `user.created`, `user.updated` and `user.deleted`.",
});

/**
 * A secret the sender issued. Some senders (Clerk, through Svix) generate the signing secret
 * themselves and cannot be given one; such a secret is brought here instead.
 */
const issuedSecret = z
  .string()
  .superRefine((value, ctx) => {
    const problem = issuedSecretProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .openapi({
    description: `Optional: use this signing secret instead of a generated one, for senders that issue their own (Clerk shows one per endpoint). \`whsec_\` + base64 of ${MIN_SECRET_BYTES}–${MAX_SECRET_BYTES} bytes.`,
    pattern: ISSUED_SECRET_PATTERN,
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  });

export const CreateWebhookEndpointBody = z
  .strictObject({
    source: WebhookSourceSchema,
    description: text(255).nullable().optional(),
    secret: issuedSecret.optional(),
  })
  .openapi("CreateWebhookEndpoint");

export const RotateWebhookEndpointSecretBody = z
  .strictObject({ secret: issuedSecret.optional() })
  .openapi("RotateWebhookEndpointSecret");

const secretField = (description: string, example: string) => z.string().openapi({ description, example });

const endpointFields = {
  object: z.literal("webhook_endpoint"),
  id: z.string().openapi({ example: "we_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R" }),
  url: z.string().openapi({
    description: "Where the sender posts events, relative to Roster's base URL.",
    example: "/v1/webhooks/we_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R",
  }),
  source: WebhookSourceSchema,
  description: z.string().nullable(),
  previous_secret_expires_at: isoTimestamp.nullable().openapi({
    description: "Until when the secret replaced by the last rotation still verifies; null when none does.",
  }),
  created_at: isoTimestamp,
};

export const WebhookEndpoint = z
  .object({
    ...endpointFields,
    secret: secretField("The signing secret, masked: only its last four characters.", "whsec_…Xk9Q"),
  })
  .openapi("WebhookEndpoint");

export const WebhookEndpointWithSecret = z
  .object({
    ...endpointFields,
    secret: secretField(
      "The signing secret in full (`whsec_` + base64 of 24 random bytes, or the one sent). Shown only here: store it in the sender now. null in a replay (`Idempotent-Replayed: true`): the secret is not kept.",
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    ).nullable(),
  })
  .openapi("WebhookEndpointWithSecret");

export const WebhookEndpointList = listOf(WebhookEndpoint, "WebhookEndpointList");

export const DeletedWebhookEndpoint = deletedOf("webhook_endpoint", "DeletedWebhookEndpoint");

export const WEBHOOK_ENDPOINT_ID = /^we_[0-9A-Z]{26}$/;

export const WebhookEndpointIdParams = z.object({
  id: z
    .string()
    .regex(WEBHOOK_ENDPOINT_ID, "must be a webhook endpoint id (we_…)")
    .openapi({ param: { name: "id", in: "path" } }),
});

// Any string: an id that is malformed is simply one that names no endpoint (404).
export const WebhookIntakeParams = z.object({
  endpoint_id: z
    .string()
    .openapi({ param: { name: "endpoint_id", in: "path" }, example: "we_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R" }),
});

const signatureHeader = (description: string) => z.string().optional().openapi({ description });

/** Optional in the schema: a missing one is a 401 `webhook_signature_invalid`, not a 400. */
export const WebhookSignatureHeaders = z.object({
  "webhook-id": signatureHeader("The message id; the same on every retry. Deduplicates deliveries."),
  "webhook-timestamp": signatureHeader("Unix seconds of this delivery attempt; must be within ±5 minutes."),
  "webhook-signature": signatureHeader(
    "Space-separated `v1,<base64 HMAC-SHA256>` entries over `{id}.{timestamp}.{raw body}`; one must match.",
  ),
  "svix-id": signatureHeader("Svix's name for `webhook-id` (used when the `webhook-` headers are absent)."),
  "svix-timestamp": signatureHeader("Svix's name for `webhook-timestamp`."),
  "svix-signature": signatureHeader("Svix's name for `webhook-signature`."),
});

export const WebhookResult = z
  .object({
    status: z.enum(["applied", "duplicate", "stale", "archived", "ignored", "failed"]).openapi({
      description:
        "`applied`: the event changed (or confirmed) the customer. `duplicate`: this webhook id was already received for this endpoint. `stale`: older than the last event applied to the customer. `archived`: the customer is archived and stays so. `ignored`: an event type Roster does not handle, or an archive event for an unknown customer. `failed`: the event is invalid (`error`); it is recorded, so do not resend it.",
    }),
    customer_id: z.string().optional().openapi({ description: "With `applied`." }),
    error: Problem.optional().openapi({ description: "With `failed`." }),
  })
  .openapi("WebhookResult");

export type WebhookResult = z.infer<typeof WebhookResult>;

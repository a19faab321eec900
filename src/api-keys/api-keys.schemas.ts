import { z } from "@hono/zod-openapi";
import { isoTimestamp, text } from "../lib/fields";
import { listOf } from "../lib/lists";

export const ApiKey = z
  .object({
    object: z.literal("api_key"),
    id: z.string().openapi({ example: "key_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R" }),
    name: z.string().nullable(),
    prefix: z
      .string()
      .openapi({ description: "The first characters of the secret, to tell keys apart.", example: "rk_Ab3d" }),
    created_at: isoTimestamp,
    revoked_at: isoTimestamp.nullable(),
  })
  .openapi("ApiKey");

export const ApiKeyWithSecret = ApiKey.extend({
  secret: z.string().nullable().openapi({
    description:
      "Shown only in this response; store it now. null in a replay (`Idempotent-Replayed: true`): the secret is not kept.",
    example: "rk_…",
  }),
}).openapi("ApiKeyWithSecret");

export const ApiKeyList = listOf(ApiKey, "ApiKeyList");

export const CreateApiKeyBody = z.strictObject({ name: text(100).nullable().optional() }).openapi("CreateApiKey");

export const RevokedApiKey = z
  .object({ object: z.literal("api_key"), id: z.string(), revoked: z.literal(true), revoked_at: isoTimestamp })
  .openapi("RevokedApiKey");

export const ApiKeyIdParams = z.object({
  id: z
    .string()
    .regex(/^key_[0-9A-Z]{26}$/, "must be an API key id (key_…)")
    .openapi({ param: { name: "id", in: "path" } }),
});

import { z } from "@hono/zod-openapi";
import { ApiKeyWithSecret } from "../api-keys/api-keys.schemas";
import { isoTimestamp, text } from "../lib/fields";

export const CreateOrganizationBody = z.strictObject({ name: text(255) }).openapi("CreateOrganization");

export const Organization = z
  .object({
    object: z.literal("organization"),
    id: z.string().openapi({ example: "org_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R" }),
    name: z.string(),
    created_at: isoTimestamp,
  })
  .openapi("Organization");

export const CreatedOrganization = z
  .object({ organization: Organization, api_key: ApiKeyWithSecret })
  .openapi("CreatedOrganization");

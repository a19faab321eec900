import { createRoute } from "@hono/zod-openapi";
import { requireAdminToken } from "../auth/auth.middleware";
import { jsonBodyOf, jsonContent, problemResponses, WITH_BODY } from "../lib/openapi";
import { jsonBody } from "../middleware/json-body";
import { CreatedOrganization, CreateOrganizationBody } from "./organizations.schemas";

export const createOrganization = createRoute({
  operationId: "createOrganization",
  method: "post",
  path: "/v1/organizations",
  tags: ["Organizations"],
  security: [{ adminToken: [] }],
  summary: "Create an organization (admin)",
  description:
    "Needs `Authorization: Bearer <ADMIN_TOKEN>` (a Worker secret; when it is not set, this route refuses everything). Answers with the organization and its first API key, whose secret is shown only here. Ignores Idempotency-Key.",
  middleware: [requireAdminToken, jsonBody()],
  request: { body: jsonBodyOf(CreateOrganizationBody) },
  responses: {
    201: jsonContent(CreatedOrganization, "The organization and its first API key"),
    ...problemResponses("unauthorized", "rate_limited", ...WITH_BODY, "internal_error", "storage_unavailable"),
  },
});

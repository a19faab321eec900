import { createRoute } from "@hono/zod-openapi";
import { AUTHENTICATED, jsonBodyOf, jsonContent, noFieldsBody, problemResponses, WITH_BODY } from "../lib/openapi";
import { deleteRoute, readRoute, writeRoute } from "../middleware/stacks";
import { ApiKeyIdParams, ApiKeyList, ApiKeyWithSecret, CreateApiKeyBody, RevokedApiKey } from "./api-keys.schemas";

const tags = ["API keys"];
const security = [{ bearerAuth: [] }];

export const listApiKeys = createRoute({
  operationId: "listApiKeys",
  method: "get",
  path: "/v1/api_keys",
  tags,
  security,
  summary: "List this organization's API keys",
  description: "Newest first, revoked ones included (with `revoked_at`). Secrets are never shown again.",
  middleware: readRoute(),
  responses: { 200: jsonContent(ApiKeyList, "The keys"), ...problemResponses(...AUTHENTICATED) },
});

export const createApiKey = createRoute({
  operationId: "createApiKey",
  method: "post",
  path: "/v1/api_keys",
  tags,
  security,
  summary: "Create an API key",
  description:
    "The secret is in this response only; Roster stores its SHA-256 hash. An organization has at most 100 live keys (revoked ones do not count): past that, `409 api_key_limit_reached`.",
  middleware: writeRoute(),
  request: { body: jsonBodyOf(CreateApiKeyBody) },
  responses: {
    201: jsonContent(ApiKeyWithSecret, "The new key"),
    ...problemResponses(...AUTHENTICATED, ...WITH_BODY, "api_key_limit_reached"),
  },
});

export const revokeApiKey = createRoute({
  operationId: "revokeApiKey",
  method: "delete",
  path: "/v1/api_keys/{id}",
  tags,
  security,
  summary: "Revoke an API key",
  description:
    "Idempotent. Takes effect within 60 s everywhere: live keys are cached for up to 15 s in each Worker isolate and 30 s in each location. The isolate that served the revocation refuses the key at once, and other isolates in its location within 15 s. A new key works at once.",
  middleware: deleteRoute(),
  request: { params: ApiKeyIdParams, body: noFieldsBody() },
  responses: {
    200: jsonContent(RevokedApiKey, "The key is revoked"),
    ...problemResponses(...AUTHENTICATED, ...WITH_BODY, "not_found"),
  },
});

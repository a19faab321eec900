import { requireApiKey } from "../auth/auth.middleware";
import { ERASED_FIELDS } from "../customer-records/erased-fields";
import { idempotencyKey } from "../idempotency/middleware";
import { DEFAULT_BODY_LIMIT, jsonBody } from "./json-body";
import { rateLimitByKeyAndOrganization } from "./rate-limit";

/**
 * The middleware each kind of tenant route runs, in order, before its validators. Routes pick
 * one of these instead of listing middleware, so every route of a kind behaves alike.
 */

/** Reads: API key, then the per-key and per-organization rate limits. */
export const readRoute = () => [requireApiKey, rateLimitByKeyAndOrganization];

/** Writes with a JSON body (POST, PATCH, PUT). Idempotency-Key last: it fingerprints the body read. */
export const writeRoute = (bodyLimit = DEFAULT_BODY_LIMIT) => [
  requireApiKey,
  rateLimitByKeyAndOrganization,
  jsonBody(bodyLimit),
  // A response about a customer archived while the request ran is kept with this erased.
  idempotencyKey(ERASED_FIELDS),
];

/**
 * DELETE: its body is optional and takes no fields (`noFieldsBody`), but one that is sent is
 * read like any other, so a field in it is refused by name instead of silently dropped.
 */
export const deleteRoute = () => writeRoute();

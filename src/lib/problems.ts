/**
 * Every problem `code` Roster can answer with, its HTTP status, its title and what it means.
 * This table is the single source for error statuses, the `/docs/problems` page and the
 * OpenAPI document's error responses.
 */
export const problems = {
  validation_failed: {
    status: 400,
    title: "Validation failed",
    meaning:
      'The body, query or path failed the schema, or the body nests arrays and objects deeper than 32 levels (pointer `""`, the body root). `errors` lists every problem, each with a JSON Pointer.',
  },
  invalid_json: { status: 400, title: "Invalid JSON", meaning: "The request body is not valid JSON." },
  idempotency_key_invalid: {
    status: 400,
    title: "Invalid Idempotency-Key",
    meaning: "The Idempotency-Key header is empty, longer than 255 characters or not printable ASCII.",
  },
  unauthorized: {
    status: 401,
    title: "Unauthorized",
    meaning: "The Authorization header is missing or malformed, or the key is unknown or revoked.",
  },
  webhook_signature_invalid: {
    status: 401,
    title: "Webhook signature invalid",
    meaning:
      "Webhook intake: the `webhook-id`, `webhook-timestamp` or `webhook-signature` header (or its `svix-` twin) is missing or malformed, or no `v1` signature matches the body under the endpoint's current secret (or its previous one, for 24 hours after a rotation). Nothing was written.",
  },
  webhook_timestamp_out_of_range: {
    status: 401,
    title: "Webhook timestamp out of range",
    meaning:
      "Webhook intake: the signature is valid but `webhook-timestamp` is more than 5 minutes from Roster's clock (a replay, or a skewed sender clock). Nothing was written.",
  },
  not_found: { status: 404, title: "Not found", meaning: "No such resource (or path) in this organization." },
  customer_not_found: {
    status: 404,
    title: "Customer not found",
    meaning: "No live customer with that id or alternative ID in this organization.",
  },
  method_not_allowed: {
    status: 405,
    title: "Method not allowed",
    meaning: "The path exists but not with this method; the Allow header lists the methods it has.",
  },
  customer_exists: {
    status: 409,
    title: "Customer already exists",
    meaning: "A create named an `id` that a live customer already has.",
  },
  customer_id_archived: {
    status: 409,
    title: "Customer id archived",
    meaning: "A create or provision named the `id` of an archived customer; ids are never reused.",
  },
  customer_identity_conflict: {
    status: 409,
    title: "Customer identity conflict",
    meaning: "Provision: `id` and `alternative_id` do not identify the same customer.",
  },
  alternative_id_taken: {
    status: 409,
    title: "Alternative ID already in use",
    meaning: "Another live customer in this organization has this alternative_id.",
  },
  email_taken: {
    status: 409,
    title: "Email already in use",
    meaning: "Another live customer in this organization has this email (compared case-insensitively).",
  },
  username_taken: {
    status: 409,
    title: "Username already in use",
    meaning: "Another live customer in this organization has this username (compared case-insensitively).",
  },
  subscription_exists: {
    status: 409,
    title: "Subscription already exists",
    meaning:
      "The customer already has an active subscription for this `plan_id` and `resource_id`; the problem's `subscription_id` names it.",
  },
  idempotency_request_in_progress: {
    status: 409,
    title: "Request in progress",
    meaning: "A request with the same Idempotency-Key is still being processed; retry later.",
  },
  api_key_limit_reached: {
    status: 409,
    title: "API key limit reached",
    meaning: "The organization already has 100 live API keys; revoke one before creating another.",
  },
  destination_limit_reached: {
    status: 409,
    title: "Destination limit reached",
    meaning: "The organization already has 16 event destinations; delete one before creating another.",
  },
  destination_disabled: {
    status: 409,
    title: "Destination disabled",
    meaning: 'A replay to a disabled event destination; enable it first (`PATCH` with `status: "enabled"`).',
  },
  webhook_in_progress: {
    status: 409,
    title: "Webhook in progress",
    meaning:
      "Webhook intake: another delivery of the same `webhook-id` is still being applied. Retry after the seconds in Retry-After; if that delivery fails, the retry applies the event.",
  },
  gateway_not_configured: {
    status: 409,
    title: "Payment gateway not configured",
    meaning:
      "A money operation (a credit from a payment method), or a customer write with `gateway_customer_reference`, `import_payment_methods` or `billing_information`, in an organization without a payment gateway; configure one with `PUT /v1/payment_gateway`. Nothing changed.",
  },
  balance_insufficient: {
    status: 409,
    title: "Balance insufficient",
    meaning: "A balance debit would take the customer's balance in that currency below zero. Nothing changed.",
  },
  payment_failed: {
    status: 402,
    title: "Payment failed",
    meaning:
      'The gateway declined the charge. The problem carries `charge_id` and `decline_code` (null when the gateway gave none), and the detail the gateway\'s message; the charge is kept with `status: "failed"` and no balance changed.',
  },
  customer_archived: {
    status: 410,
    title: "Customer archived",
    meaning: "The customer with this id was archived; the body carries `archived_at`.",
  },
  precondition_failed: {
    status: 412,
    title: "Precondition failed",
    meaning: "If-Match does not match the customer's current ETag.",
  },
  import_fan_out_too_large: {
    status: 413,
    title: "Import fan-out too large",
    meaning:
      "A bulk import would create more than 10,000 event deliveries (its events × the enabled destinations that select them); nothing was written. Send it in smaller parts.",
  },
  import_gateway_items_too_many: {
    status: 413,
    title: "Too many import items with gateway options",
    meaning:
      "A bulk import holds more than 10 items with gateway options (gateway_customer_reference, import_payment_methods, billing_information), each of which asks the payment gateway before the import's batch; nothing was written. Send them in smaller imports.",
  },
  payload_too_large: {
    status: 413,
    title: "Payload too large",
    meaning: "The body is over the limit: 64 KiB (1 MiB for bulk import, 256 KiB for webhook intake).",
  },
  unsupported_media_type: {
    status: 415,
    title: "Unsupported media type",
    meaning: "A request with a body must send Content-Type: application/json (a UTF-8 charset is allowed).",
  },
  idempotency_key_reused: {
    status: 422,
    title: "Idempotency-Key reused",
    meaning: "The Idempotency-Key was used before with a different method, path, query or body.",
  },
  gateway_rejected: {
    status: 422,
    title: "Gateway rejected the request",
    meaning:
      "The payment gateway refused what Roster forwarded (an unknown payment method or gateway customer, a refused key, a payment method of another gateway); the detail carries the gateway's own message and code. Nothing was charged or stored.",
  },
  email_domain_unresolvable: {
    status: 422,
    title: "Email domain unresolvable",
    meaning: "The DNS check of the email's domain found no MX, A or AAAA record.",
  },
  rate_limited: {
    status: 429,
    title: "Rate limited",
    meaning:
      "This API key sent too many requests (1,000 per 10 s), or its organization across all its keys and verified webhook deliveries (3,000 per 10 s), or this client address too many failed ones (unknown or malformed keys, webhook deliveries to unknown endpoints or with bad signatures), or this event destination was replayed less than a minute ago, or this organization's imports passed their budget of items (IMPORT_ITEMS_PER_MINUTE, 6,000 a minute by default, in bursts of ten seconds' worth, at least 1,000); retry after the number of seconds in Retry-After.",
  },
  internal_error: {
    status: 500,
    title: "Internal error",
    meaning: "An unexpected error. Nothing about it is echoed; the request id finds it in the logs.",
  },
  gateway_unavailable: {
    status: 502,
    title: "Gateway unavailable",
    meaning:
      "The payment gateway could not be reached (or answered 5xx) before anything was charged or stored; nothing changed. Safe to retry.",
  },
  storage_unavailable: {
    status: 503,
    title: "Storage unavailable",
    meaning: "D1 failed. No step was half-written (every write is one atomic batch); safe to retry.",
  },
  configuration_missing: {
    status: 503,
    title: "Configuration missing",
    meaning:
      "The deployment lacks a secret this route needs (the detail names it, e.g. `ALTERNATIVE_ID_HASH_KEY`). Nothing was written.",
  },
} as const satisfies Record<string, { status: number; title: string; meaning: string }>;

export type ProblemCode = keyof typeof problems;

export const problemCodes = Object.keys(problems) as ProblemCode[];

export function problemType(code: ProblemCode): string {
  return `/docs/problems#${code}`;
}

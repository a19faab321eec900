import type { Answer } from "../lib/kept-answer";
import { isMaskedSecret } from "../lib/standard-webhooks";

/** A response as an Idempotency-Key keeps it, and as a replay repeats it. */
export type KeptResponse = {
  status: number;
  /** Only the headers a replay repeats, as first sent. */
  headers: Record<string, string>;
  /** The body's exact text (every Roster body is JSON, so UTF-8). */
  body: string;
};

/**
 * The customer whose PII a kept body shows, and where its fields sit (a JSON path), so that
 * archiving the customer can redact the kept copy.
 */
export type PiiSubject = { customerId: string; piiPath: "$" | "$.customer" };

const KEPT_HEADERS = ["Location", "ETag", "Content-Type"] as const;

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * What to keep of a final response, or null when it cannot be kept as text. A top-level
 * `secret` (a new API key's or webhook endpoint's, which the contract shows once and stores
 * only as a hash) is kept as null: a replay tells the caller the object exists, not its secret.
 * A masked one (only its last four characters) is kept as it is.
 */
export async function keepableResponse(
  response: Response,
): Promise<{ kept: KeptResponse; subject: PiiSubject | null } | null> {
  let body: string;
  try {
    // ignoreBOM keeps a BOM as text, so the replayed bytes are the sent bytes.
    body = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(await response.clone().arrayBuffer());
  } catch {
    return null;
  }
  return keepText(response.status, response.headers, body);
}

/**
 * What to keep of an answer a change commits with (lib/kept-answer.ts): the same as
 * `keepableResponse` keeps of the response that `c.json` makes of it.
 */
export function keepableAnswer(answer: Answer): { kept: KeptResponse; subject: PiiSubject | null } {
  const headers = new Headers(answer.headers);
  // A problem answer names its own type; every other body is what `c.json` sends.
  if (!headers.has("Content-Type")) headers.set("Content-Type", JSON_CONTENT_TYPE);
  return keepText(answer.status, headers, JSON.stringify(answer.body));
}

/** `c.json`'s Content-Type (Hono), which a replay repeats. */
const JSON_CONTENT_TYPE = "application/json";

function keepText(status: number, sent: Headers, text: string): { kept: KeptResponse; subject: PiiSubject | null } {
  let body = text;
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = sent.get(name);
    if (value !== null) headers[name] = value;
  }
  const json = parseObject(body);
  // A masked secret (in an update's answer) is no secret: kept, so the replay matches its schema.
  const shownInFull = typeof json?.secret === "string" && !isMaskedSecret(json.secret);
  if (json && shownInFull) body = JSON.stringify({ ...json, secret: null });
  return { kept: { status, headers, body }, subject: json ? piiSubjectOf(json) : null };
}

/** A customer object, a provisioning result that holds one, or a customer's address or payment method. */
export function piiSubjectOf(json: Record<string, unknown>): PiiSubject | null {
  if (json.object === "customer" && typeof json.id === "string") return { customerId: json.id, piiPath: "$" };
  if ((json.object === "address" || json.object === "payment_method") && typeof json.customer_id === "string") {
    return { customerId: json.customer_id, piiPath: "$" };
  }
  if (json.object === "provisioning_result") {
    const customer = json.customer as Record<string, unknown> | null | undefined;
    if (typeof customer?.id === "string") return { customerId: customer.id, piiPath: "$.customer" };
  }
  return null;
}

/** The kept response again, marked as a replay. */
export function replayResponse(kept: KeptResponse): Response {
  const headers = new Headers(kept.headers);
  headers.set("Idempotent-Replayed", "true");
  const body = NULL_BODY_STATUSES.has(kept.status) ? null : kept.body;
  return new Response(body, { status: kept.status, headers });
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

import type { RouterRoute } from "hono/types";
import { COMPOSED_HANDLER } from "hono/utils/constants";
import { type ProblemCode, problems } from "../lib/problems";
import { MAX_KEY_LENGTH } from "./header";
import { isIdempotencyKeyMiddleware } from "./middleware";

type Response = { description: string; headers?: Record<string, unknown>; content?: Record<string, unknown> };
type Operation = { parameters?: unknown[]; responses?: Record<string, Response> };
type Document = { paths?: Record<string, Record<string, Operation>> };

/**
 * header.ts's rule as a pattern: 1–MAX_KEY_LENGTH printable ASCII characters, bare (not
 * starting with a quote) or as a Structured Field string, whose `\"` and `\\` escapes count as
 * one character each (so a quoted key can be 2 × MAX_KEY_LENGTH + 2 long).
 */
const KEY_PATTERN = `^(?:[\\x20\\x21\\x23-\\x7E][\\x20-\\x7E]{0,${MAX_KEY_LENGTH - 1}}|"(?:[\\x20\\x21\\x23-\\x5B\\x5D-\\x7E]|\\\\["\\\\]){1,${MAX_KEY_LENGTH}}")$`;

const KEY_HEADER = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  description: `Makes a retry safe: 1–${MAX_KEY_LENGTH} printable ASCII characters, quoted (\`"…"\`) or bare, unique per request within your organization. The first request with a key runs; its final response (any status below 500) is kept for 24 hours and returned again, with \`Idempotent-Replayed: true\`, for the same key with the same method, path, query and body. A 5xx is not kept, so a retry runs again. A \`secret\` in a kept response is replayed as null: secrets are shown once.`,
  schema: { type: "string", minLength: 1, maxLength: 2 * MAX_KEY_LENGTH + 2, pattern: KEY_PATTERN },
};

const REPLAYED_HEADER = {
  description: "`true` when this response is the kept response of an earlier request with the same Idempotency-Key.",
  schema: { type: "string", enum: ["true"] },
};

/** Answered before the Idempotency-Key is looked at (authentication, rate limit, body reading): never replayed. */
const NEVER_KEPT = new Set([401, 413, 415, 429]);

const KEY_PROBLEMS: ProblemCode[] = [
  "idempotency_key_invalid",
  "idempotency_request_in_progress",
  "idempotency_key_reused",
];

/**
 * The Idempotency-Key middleware is not part of a route's schema, so the generated document
 * cannot know it. These are the operations (`post /v1/customers/{id}`) that really run it,
 * read from the router itself, so the document cannot drift from the middleware stacks.
 */
export function idempotentOperations(app: { routes: RouterRoute[] }): Set<string> {
  const operations = new Set<string>();
  for (const route of app.routes) {
    // A sub-app with its own error handler wraps its handlers; the original is kept on the wrapper.
    const handler = (route.handler as { [COMPOSED_HANDLER]?: unknown })[COMPOSED_HANDLER] ?? route.handler;
    if (!isIdempotencyKeyMiddleware(handler)) continue;
    operations.add(`${route.method.toLowerCase()} ${route.path.replaceAll(/\/:([^/]+)/g, "/{$1}")}`);
  }
  return operations;
}

/** Adds the header, the replay marker and the three key problems to those operations. */
export function withIdempotencyKey<D extends object>(document: D, operations: Set<string>): D {
  for (const [path, item] of Object.entries((document as Document).paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      if (operations.has(`${method} ${path}`)) declareOn(operation);
    }
  }
  return document;
}

function declareOn(operation: Operation): void {
  operation.parameters = [...(operation.parameters ?? []), KEY_HEADER];
  const responses = { ...operation.responses };
  // Every answer the route itself gives can be a replay; the key's own problems never are.
  for (const [status, response] of Object.entries(responses)) {
    if (Number(status) >= 500 || NEVER_KEPT.has(Number(status))) continue;
    responses[status] = { ...response, headers: { ...response.headers, "Idempotent-Replayed": REPLAYED_HEADER } };
  }
  for (const code of KEY_PROBLEMS) {
    const status = String(problems[code].status);
    const line = `\`${code}\`: ${problems[code].meaning}`;
    const existing = responses[status];
    responses[status] = existing
      ? { ...existing, description: `${existing.description}\n\n${line}` }
      : {
          description: line,
          content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
        };
  }
  operation.responses = responses;
}

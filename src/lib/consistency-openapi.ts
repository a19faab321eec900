import { BOOKMARK_EXAMPLE, BOOKMARK_HEADER, BOOKMARK_PATTERN, CONSISTENCY_HEADER, STRONG } from "./consistency";
import { problems } from "./problems";

type Response = { description: string; headers?: Record<string, unknown>; content?: Record<string, unknown> };
type Operation = { parameters?: unknown[]; responses?: Record<string, Response> };
type Document = { paths?: Record<string, Record<string, Operation>> };

const BOOKMARK_SCHEMA = { type: "string", pattern: BOOKMARK_PATTERN.source, example: BOOKMARK_EXAMPLE };

const bookmarkParameter = (read: boolean) => ({
  name: BOOKMARK_HEADER,
  in: "header",
  required: false,
  description: read
    ? `The \`${BOOKMARK_HEADER}\` of an earlier response: this read then sees at least every write up to it, from whichever database copy serves it. Without it (or \`${CONSISTENCY_HEADER}: ${STRONG}\`) the read is served by the nearest copy, which, with read replication on, can be moments behind the primary. Malformed: \`400 validation_failed\` at \`#/header/${BOOKMARK_HEADER}\`.`
    : `Accepted, so a client can send its last bookmark on every request, and checked (malformed: \`400 validation_failed\` at \`#/header/${BOOKMARK_HEADER}\`), but it changes nothing here: a write runs on the primary, which is never behind a bookmark.`,
  schema: BOOKMARK_SCHEMA,
});

const consistencyParameter = (read: boolean) => ({
  name: CONSISTENCY_HEADER,
  in: "header",
  required: false,
  description: read
    ? `\`${STRONG}\`: this read is served by the primary (the latest committed state, from any location, at the primary's distance). Any other value: \`400 validation_failed\` at \`#/header/${CONSISTENCY_HEADER}\`.`
    : `Accepted and checked as on reads (any value but \`${STRONG}\`: \`400 validation_failed\`), but it changes nothing here: a write always runs on the primary.`,
  schema: { type: "string", enum: [STRONG] },
});

const BOOKMARK_RESPONSE_HEADER = {
  description: `The latest bookmark of this request's database session, on every response of a request that read or wrote the database (errors included). Send it back as \`${BOOKMARK_HEADER}\` to read your own writes from any location.`,
  schema: BOOKMARK_SCHEMA,
};

const VALIDATION_FAILED = `\`validation_failed\`: ${problems.validation_failed.meaning}`;

/**
 * Every `/v1` operation runs its D1 work in one session (lib/db.ts), chosen from the method and
 * the two request headers, and sends back the session's bookmark. The routes' own schemas do
 * not know this, so it is declared here, once, on every `/v1` path but those in `without`
 * (paths that never read D1, such as the document itself).
 */
export function withConsistencyHeaders<D extends object>(document: D, without: string[] = []): D {
  for (const [path, item] of Object.entries((document as Document).paths ?? {})) {
    if (!path.startsWith("/v1/") || without.includes(path)) continue;
    for (const [method, operation] of Object.entries(item)) declareOn(operation, method === "get");
  }
  return document;
}

function declareOn(operation: Operation, read: boolean): void {
  operation.parameters = [...(operation.parameters ?? []), bookmarkParameter(read), consistencyParameter(read)];
  const responses: Record<string, Response> = {};
  for (const [status, response] of Object.entries(operation.responses ?? {})) {
    responses[status] = { ...response, headers: { ...response.headers, [BOOKMARK_HEADER]: BOOKMARK_RESPONSE_HEADER } };
  }
  const badRequest = responses["400"];
  if (!badRequest) {
    responses["400"] = {
      description: VALIDATION_FAILED,
      headers: { [BOOKMARK_HEADER]: BOOKMARK_RESPONSE_HEADER },
      content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
    };
  } else if (!badRequest.description.includes("`validation_failed`")) {
    responses["400"] = { ...badRequest, description: `${badRequest.description}\n\n${VALIDATION_FAILED}` };
  }
  operation.responses = responses;
}

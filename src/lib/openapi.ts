import { z } from "@hono/zod-openapi";
import { type ProblemCode, problems } from "./problems";

export const Problem = z
  .object({
    type: z.string().openapi({ example: "/docs/problems#alternative_id_taken" }),
    title: z.string(),
    status: z.number().int(),
    code: z.string().openapi({ example: "alternative_id_taken" }),
    detail: z.string(),
    request_id: z.string(),
    errors: z.array(z.object({ pointer: z.string(), detail: z.string() })).optional(),
    archived_at: z.string().optional().openapi({ description: "Only on customer_archived." }),
    subscription_id: z.string().optional().openapi({ description: "Only on subscription_exists: the active one." }),
    charge_id: z.string().optional().openapi({ description: "Only on payment_failed: the declined charge (`ch_…`)." }),
    decline_code: z.string().nullable().optional().openapi({
      description: "Only on payment_failed: the gateway's decline code (`insufficient_funds`, …) or null.",
    }),
  })
  .openapi("Problem", { description: "RFC 9457 problem details; `code` is the stable machine-readable string." });

export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { content: { "application/json": { schema } }, description };
}

export function jsonBodyOf<T extends z.ZodType>(schema: T, description?: string) {
  return { content: { "application/json": { schema } }, required: true, description };
}

const EmptyBody = z.strictObject({}).openapi("EmptyBody");

/** The query of a route that takes no parameters: sending one is a 400 like any unknown field. */
export const NoQuery = z.strictObject({});

/**
 * The body of a route that takes no fields (DELETE, unarchive): optional, and `{}` if sent, so a
 * field sent is refused by name (section 1: no silent drops), not ignored.
 */
export const noFieldsBody = (description = "Optional; no fields (a field sent is refused, not ignored).") => ({
  ...jsonBodyOf(EmptyBody, description),
  required: false,
});

/** Errors every authenticated route can answer with. */
export const AUTHENTICATED: ProblemCode[] = ["unauthorized", "rate_limited", "internal_error", "storage_unavailable"];
/** Errors of every route that reads a JSON body. */
export const WITH_BODY: ProblemCode[] = [
  "validation_failed",
  "invalid_json",
  "payload_too_large",
  "unsupported_media_type",
];

type HeaderObject = {
  description: string;
  required: boolean;
  schema: { type: "string" | "integer"; minimum?: number };
};

/** Headers a problem is always sent with (src/auth/auth.middleware.ts, src/middleware/rate-limit.ts). */
const PROBLEM_HEADERS: Partial<Record<ProblemCode, Record<string, HeaderObject>>> = {
  unauthorized: {
    "WWW-Authenticate": {
      description: 'The scheme to authenticate with: `Bearer realm="roster"`.',
      required: true,
      schema: { type: "string" },
    },
  },
  rate_limited: {
    "Retry-After": {
      description: "Seconds to wait before retrying.",
      required: true,
      schema: { type: "integer", minimum: 1 },
    },
  },
};

/** The headers of a status shared by several codes: required only when every one sends it. */
function headersOf(group: ProblemCode[]): Record<string, HeaderObject> | undefined {
  const headers: Record<string, HeaderObject> = {};
  for (const code of group) {
    for (const [name, header] of Object.entries(PROBLEM_HEADERS[code] ?? {})) {
      const everyOne = group.every((other) => PROBLEM_HEADERS[other]?.[name]);
      headers[name] = { ...header, required: everyOne };
    }
  }
  return Object.keys(headers).length ? headers : undefined;
}

/** OpenAPI responses for these problem codes, grouped by status. */
export function problemResponses(...codes: ProblemCode[]) {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of new Set(codes)) {
    const { status } = problems[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<
    number,
    {
      description: string;
      headers?: Record<string, HeaderObject>;
      content: { "application/problem+json": { schema: typeof Problem } };
    }
  > = {};
  for (const [status, group] of byStatus) {
    const headers = headersOf(group);
    responses[status] = {
      description: group.map((code) => `\`${code}\`: ${problems[code].meaning}`).join("\n\n"),
      ...(headers ? { headers } : {}),
      content: { "application/problem+json": { schema: Problem } },
    };
  }
  return responses;
}

const REQUEST_ID_HEADER = {
  description:
    "The request's id (the caller's `X-Request-Id` when it is sane, else a generated `req_…`); also in every problem body as `request_id`.",
  required: true,
  schema: { type: "string" },
};

type DocumentResponse = { headers?: Record<string, unknown> };
type DocumentShape = {
  paths?: Record<string, Record<string, { responses?: Record<string, DocumentResponse> }>>;
  components?: { headers?: Record<string, unknown> };
};

/**
 * Every response carries X-Request-Id (the request-id middleware sets it on all of them), so
 * the document declares it once, as a component, and every response refers to it.
 */
export function withRequestIdHeader<D extends object>(document: D): D {
  const shaped = document as DocumentShape;
  shaped.components = {
    ...shaped.components,
    headers: { ...shaped.components?.headers, "X-Request-Id": REQUEST_ID_HEADER },
  };
  for (const item of Object.values(shaped.paths ?? {})) {
    for (const operation of Object.values(item)) {
      for (const response of Object.values(operation.responses ?? {})) {
        response.headers = { "X-Request-Id": { $ref: "#/components/headers/X-Request-Id" }, ...response.headers };
      }
    }
  }
  return document;
}

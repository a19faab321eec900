import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import worker from "../src/index";
import type { ProblemCode } from "../src/lib/problems";
import type { ArchivedCustomer, CreatedOrganization, CustomerList, CustomerObject, Problem } from "./response-types";

export type * from "./response-types";

import { ConformanceChecker, type OpenApiDocument } from "./openapi-conformance";

export const ADMIN_TOKEN = "test-admin-token";

export type CallOptions = {
  key?: string | null;
  body?: unknown;
  /** Sent as-is, with no Content-Type unless given in headers. */
  rawBody?: BodyInit;
  headers?: Record<string, string>;
  /** Bindings to run the Worker with instead of the test environment's. */
  env?: Env;
  /**
   * `false` skips the check against /v1/openapi.json. Paths outside /v1 and /healthz (HTML
   * pages, assets) are never checked; keep this for a request that must not be described.
   */
  checkDocument?: boolean;
};

/** A list envelope, for helpers that only need the ids. */
export type ListBody<T> = { object: "list"; data: T[]; has_more: boolean; next_cursor: string | null };

/**
 * What a request answered. `T` is the body the test expects at the status it asserts; a
 * problem (any 4xx/5xx) is read through `expectProblem`, which returns it typed.
 */
export type Called<T = unknown> = { status: number; headers: Headers; body: T; text: string };

/**
 * One request through the Worker's own fetch handler; background work (waitUntil) has
 * finished when it returns, so KV state is settled.
 *
 * `T` is trusted, not parsed: every /v1 response is checked against /v1/openapi.json below,
 * and that document is generated from the same zod schemas the response types come from.
 */
export async function call<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<Called<T>> {
  const headers = new Headers(options.headers);
  if (options.key) headers.set("Authorization", `Bearer ${options.key}`);
  let body: BodyInit | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  }
  const ctx = createExecutionContext();
  const request = new Request(`http://roster.test${path}`, { method, headers, body });
  const response = await worker.fetch(request, options.env ?? env, ctx);
  await waitOnExecutionContext(ctx);
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON (HTML pages): keep the text
  }
  if (options.checkDocument !== false && isDescribed(request)) {
    const { pathname } = new URL(request.url);
    const exchange = { method, path: pathname, status: response.status, headers: response.headers, text };
    const failures = (await documentChecker()).check(exchange);
    if (failures.length) throw new Error(`The response breaks /v1/openapi.json:\n${failures.join("\n")}`);
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

/** What /v1/openapi.json describes: the API under /v1 and the health check. */
const isDescribed = (request: Request) => {
  const { pathname } = new URL(request.url);
  return pathname === "/v1" || pathname.startsWith("/v1/") || pathname === "/healthz";
};

let checker: Promise<ConformanceChecker> | undefined;

/** The Worker's own document, fetched once per test file (each file has its own module instance). */
function documentChecker(): Promise<ConformanceChecker> {
  checker ??= (async () => {
    const response = await worker.fetch(
      new Request("http://roster.test/v1/openapi.json"),
      env,
      createExecutionContext(),
    );
    if (response.status !== 200) throw new Error(`GET /v1/openapi.json answered ${response.status}`);
    return new ConformanceChecker((await response.json()) as OpenApiDocument);
  })();
  return checker;
}

/** A fresh organization and its API key secret. */
export async function newOrganization(name = "Acme"): Promise<{ orgId: string; key: string }> {
  const response = await call<CreatedOrganization>("POST", "/v1/organizations", { key: ADMIN_TOKEN, body: { name } });
  const secret = response.status === 201 ? response.body.api_key.secret : null;
  if (secret === null) throw new Error(`could not create an organization: ${response.text}`);
  return { orgId: response.body.organization.id, key: secret };
}

/**
 * `bindings` with an import budget no test can spend (IMPORT_ITEMS_PER_MINUTE), for tests that
 * send several large imports from one organization in a row; import-budget.test.ts tests the
 * deployed budget.
 */
export const withoutImportBudget = (bindings: Env = env): Env => ({
  ...bindings,
  IMPORT_ITEMS_PER_MINUTE: "100000000",
});

/** Creates a customer and returns its body; fails the test on anything but 201. */
export async function createCustomer(key: string, body: Record<string, unknown> = {}): Promise<CustomerObject> {
  const response = await call<CustomerObject>("POST", "/v1/customers", { key, body });
  if (response.status !== 201) throw new Error(`create failed (${response.status}): ${response.text}`);
  return response.body;
}

export const customerPath = (id: string) => `/v1/customers/${encodeURIComponent(id)}`;
export const altPath = (alternativeId: string) => `/v1/customers/alternative-id/${encodeURIComponent(alternativeId)}`;

/** GET a customer by id (`query` without "?", e.g. "expand=addresses"); the status is the test's to assert. */
export const getCustomer = (key: string, id: string, query = "") =>
  call<CustomerObject>("GET", `${customerPath(id)}${query ? `?${query}` : ""}`, { key });

/** GET /v1/customers with these query parameters; the status is the test's to assert. */
export function listCustomers(key: string, params: Record<string, string | number> = {}) {
  const parts = Object.entries(params).map(([name, value]) => `${name}=${encodeURIComponent(String(value))}`);
  return call<CustomerList>("GET", `/v1/customers${parts.length ? `?${parts.join("&")}` : ""}`, { key });
}

/** The ids of a list response's `data`, in order. */
export const ids = (response: { body: { data: { id: string }[] } }): string[] =>
  response.body.data.map((item) => item.id);

/** Archives (DELETE) a customer; fails the test unless it answers the archived receipt. */
export async function archive(key: string, id: string): Promise<ArchivedCustomer> {
  const response = await call<ArchivedCustomer>("DELETE", customerPath(id), { key });
  expect(response.status, response.text).toBe(200);
  expect(response.body).toMatchObject({ object: "customer", id, archived: true });
  return response.body;
}

/**
 * Asserts the RFC 9457 shape every error shares (status, code, type, title, detail, and the
 * body's request id is the X-Request-Id header's), and — with `pointer` — that `errors` names
 * exactly that one field. Returns the problem, typed.
 */
export function expectProblem(response: Called<unknown>, status: number, code: ProblemCode, pointer?: string): Problem {
  const problem = response.body as Problem;
  expect({ status: response.status, code: problem?.code }, response.text).toEqual({ status, code });
  expect(response.headers.get("Content-Type")).toMatch(/^application\/problem\+json(;|$)/);
  const requestId = response.headers.get("X-Request-Id");
  expect(requestId).toBeTruthy();
  expect(problem).toMatchObject({ type: `/docs/problems#${code}`, status, code, request_id: requestId });
  expect(typeof problem.title).toBe("string");
  expect(problem.title.length).toBeGreaterThan(0);
  expect(typeof problem.detail).toBe("string");
  expect(problem.detail.length).toBeGreaterThan(0);
  if (pointer !== undefined) expect(problem.errors).toEqual([expect.objectContaining({ pointer })]);
  return problem;
}

/**
 * A 400 validation_failed problem whose errors point (JSON Pointer) at exactly `pointers`
 * (order and repeats free), each with a non-empty detail.
 */
export function expectValidationFailed(response: Called<unknown>, pointers: string[]): Problem {
  const problem = expectProblem(response, 400, "validation_failed");
  expect(response.headers.get("Content-Type")).toBe("application/problem+json");
  expect(Array.isArray(problem.errors), response.text).toBe(true);
  const errors = problem.errors ?? [];
  for (const error of errors) {
    expect(typeof error.detail).toBe("string");
    expect(error.detail.length).toBeGreaterThan(0);
  }
  const got = [...new Set(errors.map((error) => error.pointer))].sort();
  expect(got, response.text).toEqual([...new Set(pointers)].sort());
  return problem;
}

const QUERY_METHODS = new Set(["first", "all", "run", "raw"]);

/**
 * A D1 binding that counts round trips: every statement executed on its own and every
 * batch is one. Statements pass through to the real binding.
 */
export function countingD1(db: D1Database): { db: D1Database; roundTrips: () => number } {
  let count = 0;
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(statement, {
      get(target, name) {
        const member = Reflect.get(target, name);
        if (name === "bind") return (...args: unknown[]) => wrap(member.apply(target, args));
        if (QUERY_METHODS.has(String(name))) {
          return (...args: unknown[]) => {
            count++;
            return member.apply(target, args);
          };
        }
        return typeof member === "function" ? member.bind(target) : member;
      },
    });
  // Sessions (every request opens one) count like the binding itself.
  const counting = <T extends D1Database | D1DatabaseSession>(inner: T): T =>
    new Proxy(inner, {
      get(target, name) {
        if (name === "prepare") return (sql: string) => wrap(target.prepare(sql));
        if (name === "batch") {
          return (statements: D1PreparedStatement[]) => {
            count++;
            return target.batch(statements);
          };
        }
        if (name === "withSession" && "withSession" in target) {
          return (start?: string) => counting(target.withSession(start));
        }
        const member = Reflect.get(target, name);
        return typeof member === "function" ? member.bind(target) : member;
      },
    });
  const counted = counting(db);
  return { db: counted, roundTrips: () => count };
}

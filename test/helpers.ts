import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../src/index";
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

export type Called = { status: number; headers: Headers; body: any; text: string };

/**
 * One request through the Worker's own fetch handler; background work (waitUntil) has
 * finished when it returns, so KV state is settled.
 */
export async function call(method: string, path: string, options: CallOptions = {}): Promise<Called> {
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
  return { status: response.status, headers: response.headers, body: parsed, text };
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
  const response = await call("POST", "/v1/organizations", { key: ADMIN_TOKEN, body: { name } });
  if (response.status !== 201) throw new Error(`could not create an organization: ${response.text}`);
  return { orgId: response.body.organization.id, key: response.body.api_key.secret };
}

/** Creates a customer and returns its body; fails the test on anything but 201. */
export async function createCustomer(key: string, body: Record<string, unknown> = {}) {
  const response = await call("POST", "/v1/customers", { key, body });
  if (response.status !== 201) throw new Error(`create failed (${response.status}): ${response.text}`);
  return response.body;
}

export const altPath = (alternativeId: string) => `/v1/customers/alternative-id/${encodeURIComponent(alternativeId)}`;

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

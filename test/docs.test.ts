import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, newOrganization } from "./helpers";

type Parameter = { name: string; in: string; required?: boolean; $ref?: string };
type Operation = {
  parameters?: Parameter[];
  responses: Record<
    string,
    { $ref?: string; description?: string; content?: Record<string, { schema?: unknown }>; headers?: object }
  >;
};
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
};

const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** Spec sections 3, 7 and 8: every path and its methods, exactly. */
const SPEC_PATHS: Record<string, string[]> = {
  "/v1/customers": ["get", "post"],
  "/v1/customers/{id}": ["delete", "get", "patch", "put"],
  "/v1/customers/alternative-id/{alternative_id}": ["delete", "get", "patch", "put"],
  "/v1/customers/{id}/metadata/{key}": ["delete"],
  "/v1/customers/alternative-id/{alternative_id}/metadata/{key}": ["delete"],
  "/v1/customers/{id}/unarchive": ["post"],
  "/v1/api_keys": ["get", "post"],
  "/v1/api_keys/{id}": ["delete"],
  "/v1/organizations": ["post"],
  "/healthz": ["get"],
};

/** Success statuses the spec names. */
const SUCCESS: [string, string, string][] = [
  ["post", "/v1/customers", "201"],
  ["get", "/v1/customers", "200"],
  ["get", "/v1/customers/{id}", "200"],
  ["patch", "/v1/customers/{id}", "200"],
  ["put", "/v1/customers/{id}", "200"],
  ["delete", "/v1/customers/{id}", "200"],
  ["get", "/v1/customers/alternative-id/{alternative_id}", "200"],
  ["patch", "/v1/customers/alternative-id/{alternative_id}", "200"],
  ["put", "/v1/customers/alternative-id/{alternative_id}", "200"],
  ["delete", "/v1/customers/alternative-id/{alternative_id}", "200"],
  ["delete", "/v1/customers/{id}/metadata/{key}", "200"],
  ["delete", "/v1/customers/alternative-id/{alternative_id}/metadata/{key}", "200"],
  ["post", "/v1/customers/{id}/unarchive", "200"],
  ["get", "/v1/api_keys", "200"],
  ["delete", "/v1/api_keys/{id}", "200"],
  ["post", "/v1/organizations", "201"],
  ["get", "/healthz", "200"],
];

const ALL_OPERATIONS: [string, string][] = Object.entries(SPEC_PATHS).flatMap(([path, methods]) =>
  methods.map((method): [string, string] => [method, path]),
);

/** Spec section 2: the customer object's fields, exactly. */
const CUSTOMER_FIELDS = [
  "object",
  "id",
  "alternative_id",
  "email",
  "name",
  "first_name",
  "last_name",
  "display_name",
  "username",
  "phone",
  "company",
  "language",
  "timezone",
  "mail_marketing",
  "tele_marketing",
  "coupon_id",
  "metadata",
  "has_payment_method",
  "created_at",
  "updated_at",
];

/** Spec section 1's table: every problem code and its status. */
const PROBLEM_CODES: [string, number][] = [
  ["validation_failed", 400],
  ["invalid_json", 400],
  ["idempotency_key_invalid", 400],
  ["unauthorized", 401],
  ["not_found", 404],
  ["customer_not_found", 404],
  ["method_not_allowed", 405],
  ["customer_exists", 409],
  ["customer_id_archived", 409],
  ["customer_identity_conflict", 409],
  ["alternative_id_taken", 409],
  ["email_taken", 409],
  ["username_taken", 409],
  ["idempotency_request_in_progress", 409],
  ["customer_archived", 410],
  ["precondition_failed", 412],
  ["payload_too_large", 413],
  ["unsupported_media_type", 415],
  ["idempotency_key_reused", 422],
  ["email_domain_unresolvable", 422],
  ["rate_limited", 429],
  ["storage_unavailable", 503],
];

async function openapi(): Promise<Document> {
  const response = await call("GET", "/v1/openapi.json");
  expect(response.status, `GET /v1/openapi.json answered: ${response.text.slice(0, 300)}`).toBe(200);
  expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
  return response.body as Document;
}

/** Follows a local `$ref` (`#/components/...`). */
function resolve<T>(document: Document, value: T): T {
  const ref = (value as { $ref?: string } | undefined)?.$ref;
  if (!ref) return value;
  let target: any = document;
  for (const segment of ref.replace(/^#\//, "").split("/")) target = target?.[segment];
  return resolve(document, target as T);
}

function operation(document: Document, method: string, path: string): Operation {
  const found = document.paths?.[path]?.[method];
  expect(found, `${method.toUpperCase()} ${path} is in the document`).toBeDefined();
  return found as Operation;
}

describe("GET /v1/openapi.json", () => {
  it("is an OpenAPI 3.1.0 document", async () => {
    const document = await openapi();
    expect(document.openapi).toBe("3.1.0");
    expect(typeof document.paths).toBe("object");
  });

  it.each(Object.entries(SPEC_PATHS))("has %s with exactly the methods %j", async (path, methods) => {
    const document = await openapi();
    expect(Object.keys(document.paths)).toContain(path);
    const declared = Object.keys(document.paths[path] ?? {})
      .filter((key) => HTTP_METHODS.includes(key))
      .sort();
    expect(declared).toEqual(methods);
  });

  it.each(SUCCESS)("%s %s declares its success status %s", async (method, path, status) => {
    const document = await openapi();
    expect(Object.keys(operation(document, method, path).responses)).toContain(status);
  });

  // Every route that can set an email runs the DNS check when it is on.
  it.each([
    ["post", "/v1/customers"],
    ["patch", "/v1/customers/{id}"],
    ["put", "/v1/customers/{id}"],
    ["patch", "/v1/customers/alternative-id/{alternative_id}"],
    ["put", "/v1/customers/alternative-id/{alternative_id}"],
    ["post", "/v1/customers/provision"],
  ])("%s %s declares 422 (email_domain_unresolvable)", async (method, path) => {
    const document = await openapi();
    expect(operation(document, method, path).responses["422"]?.description).toContain("`email_domain_unresolvable`");
  });

  it.each(ALL_OPERATIONS.filter(([, path]) => path !== "/healthz"))(
    "%s %s declares 401 as application/problem+json",
    async (method, path) => {
      const document = await openapi();
      const response = resolve(document, operation(document, method, path).responses["401"]);
      expect(response, "a 401 response").toBeDefined();
      expect(Object.keys(response?.content ?? {})).toEqual(["application/problem+json"]);
    },
  );

  it("GET /healthz needs no credentials, so declares no 401", async () => {
    const document = await openapi();
    expect(Object.keys(operation(document, "get", "/healthz").responses)).not.toContain("401");
  });

  it.each(ALL_OPERATIONS)(
    "%s %s: every error response is the Problem schema as application/problem+json",
    async (method, path) => {
      const document = await openapi();
      const errors = Object.entries(operation(document, method, path).responses).filter(([status]) =>
        /^[45]/.test(status),
      );
      expect(errors.length).toBeGreaterThan(0);
      for (const [status, raw] of errors) {
        const response = resolve(document, raw);
        const content = response?.content ?? {};
        expect(Object.keys(content), `${status} media types`).toEqual(["application/problem+json"]);
        const schema = resolve(document, content["application/problem+json"]?.schema) as {
          properties?: Record<string, unknown>;
          required?: string[];
        };
        expect(schema?.required ?? [], `${status} schema`).toEqual(
          expect.arrayContaining(["type", "title", "status", "code", "detail", "request_id"]),
        );
      }
    },
  );

  it.each(ALL_OPERATIONS)("%s %s declares every path parameter of its template", async (method, path) => {
    const document = await openapi();
    const names = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]).sort();
    const pathItem = document.paths[path] as { parameters?: Parameter[] } | undefined;
    const declared = [...(pathItem?.parameters ?? []), ...(operation(document, method, path).parameters ?? [])]
      .map((parameter) => resolve(document, parameter))
      .filter((parameter) => parameter?.in === "path");
    expect(declared.map((parameter) => parameter.name).sort()).toEqual(names);
    for (const parameter of declared) expect(parameter.required).toBe(true);
  });

  it.each(
    ALL_OPERATIONS.filter(
      ([method, path]) => path.startsWith("/v1/customers/") && !path.endsWith("/unarchive") && method !== "get",
    ),
  )("%s %s accepts an If-Match header", async (method, path) => {
    const document = await openapi();
    const headers = (operation(document, method, path).parameters ?? [])
      .map((parameter) => resolve(document, parameter))
      .filter((parameter) => parameter.in === "header")
      .map((parameter) => parameter.name.toLowerCase());
    expect(headers).toContain("if-match");
  });

  it.each([
    ["get", "/v1/customers/{id}"],
    ["patch", "/v1/customers/{id}"],
    ["put", "/v1/customers/{id}"],
    ["get", "/v1/customers/alternative-id/{alternative_id}"],
    ["patch", "/v1/customers/alternative-id/{alternative_id}"],
    ["put", "/v1/customers/alternative-id/{alternative_id}"],
  ])("%s %s declares the ETag header on 200", async (method, path) => {
    const document = await openapi();
    const ok = resolve(document, operation(document, method, path).responses["200"]);
    expect(Object.keys(ok?.headers ?? {}).map((name) => name.toLowerCase())).toContain("etag");
  });

  it("POST /v1/customers declares the Location header on 201", async () => {
    const document = await openapi();
    const created = resolve(document, operation(document, "post", "/v1/customers").responses["201"]);
    expect(Object.keys(created?.headers ?? {}).map((name) => name.toLowerCase())).toContain("location");
  });

  it("the Customer schema has the spec's fields, all always present, and the optional expand arrays", async () => {
    const document = await openapi();
    const customer = document.components?.schemas?.Customer;
    expect(customer, "components.schemas.Customer").toBeDefined();
    // The spec's fields, always present, plus the arrays `expand` adds only when asked for.
    const expandable = ["addresses", "subscriptions", "payment_methods"];
    expect(Object.keys(customer?.properties ?? {}).sort()).toEqual([...CUSTOMER_FIELDS, ...expandable].sort());
    expect([...(customer?.required ?? [])].sort()).toEqual([...CUSTOMER_FIELDS].sort());
  });

  it("GET /v1/customers/{id} answers with the Customer schema", async () => {
    const document = await openapi();
    const ok = resolve(document, operation(document, "get", "/v1/customers/{id}").responses["200"]);
    const schema = ok?.content?.["application/json"]?.schema as { $ref?: string };
    expect(schema?.$ref).toBe("#/components/schemas/Customer");
  });
});

/** A static asset (public/, built by scripts/build-assets.mjs), as the asset router serves it. */
async function asset(path: string): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await env.ASSETS.fetch(`http://roster.test${path}`);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The same-origin scripts and stylesheets an HTML page loads. */
const referencedAssets = (html: string) =>
  [
    ...html.matchAll(/<script[^>]*\ssrc\s*=\s*["']?([^"' >]+)/gi),
    ...html.matchAll(/<link[^>]*rel\s*=\s*["']?stylesheet[^>]*\shref\s*=\s*["']?([^"' >]+)/gi),
  ].map((match) => match[1] as string);

/** Content-Security-Policy as directive → sources. */
function cspDirectives(header: string | null): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const directive of (header ?? "").split(";")) {
    const [name, ...sources] = directive.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

describe("GET /docs", () => {
  it("is an HTML page that loads /v1/openapi.json and nothing from a CDN", async () => {
    const response = await call("GET", "/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(response.text).toMatch(/<html/i);
    expect(response.text).toContain('data-url="/v1/openapi.json"');
    expect(response.text).not.toMatch(/<script[^>]*\ssrc\s*=\s*["']?(https?:)?\/\//i);
    expect(response.text).not.toMatch(
      /<link[^>]*rel\s*=\s*["']?(stylesheet|preload|modulepreload)[^>]*href\s*=\s*["']?(https?:)?\/\//i,
    );
    expect(response.text).not.toMatch(/@import\s+(url\()?["']?(https?:)?\/\//i);
  });

  it("loads Scalar's API reference from this host's static assets", async () => {
    const { text } = await call("GET", "/docs");
    const assets = referencedAssets(text);
    expect(assets).toEqual(["/docs/assets/api-reference.js"]);
    for (const path of assets) {
      const served = await asset(path);
      expect(served.status, `GET ${path}`).toBe(200);
      expect(served.headers.get("Content-Type"), `GET ${path}`).toMatch(/^(text|application)\/javascript/);
      // Scalar's standalone bundle, as copied by scripts/build-assets.mjs.
      expect(served.text).toContain("createApiReference");
    }
  });

  it("serves the renderer as a static asset, not from the Worker's bundle", async () => {
    expect((await asset("/docs/assets/api-reference.js")).status).toBe(200);
    expect((await call("GET", "/docs/assets/api-reference.js")).status).toBe(404);
  });

  it("configures Scalar to stay on this host (no font CDN, request proxy, telemetry or AI agent)", async () => {
    const { text } = await call("GET", "/docs");
    const attribute = text.match(/data-configuration="([^"]*)"/)?.[1];
    expect(attribute, "a data-configuration attribute").toBeDefined();
    const configuration = JSON.parse((attribute ?? "").replaceAll("&quot;", '"').replaceAll("&amp;", "&"));
    expect(configuration).toMatchObject({
      withDefaultFonts: false,
      proxyUrl: "",
      telemetry: false,
      agent: { disabled: true },
      mcp: { disabled: true },
    });
  });
});

describe("HTML pages' security headers", () => {
  it.each(["/docs", "/docs/problems"])(
    "%s allows scripts, styles, fonts and requests only from this host",
    async (path) => {
      const response = await call("GET", path);
      expect(response.status).toBe(200);
      const csp = cspDirectives(response.headers.get("Content-Security-Policy"));
      expect(csp.get("default-src")).toEqual(["'none'"]);
      expect(csp.get("script-src")).toEqual(["'self'"]);
      expect(csp.get("connect-src")).toEqual(["'self'"]);
      expect(csp.get("font-src")).toEqual(["'self'"]);
      expect(csp.get("style-src")).toEqual(["'self'", "'unsafe-inline'"]);
      expect(csp.get("img-src")).toEqual(["'self'", "data:"]);
      expect(csp.get("base-uri")).toEqual(["'none'"]);
    },
  );

  it.each(["/docs", "/docs/problems"])("%s forbids framing and MIME sniffing", async (path) => {
    const response = await call("GET", path);
    expect(cspDirectives(response.headers.get("Content-Security-Policy")).get("frame-ancestors")).toEqual(["'none'"]);
    expect(response.headers.get("X-Frame-Options")).toBe("DENY");
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
  });
});

describe("Cache-Control: no-store on every /v1 response", () => {
  it.each([
    ["GET", "/v1/openapi.json", 200],
    ["GET", "/v1/customers", 401],
    ["PUT", "/v1/customers", 405],
    ["GET", "/v1/nothing-here", 404],
    ["GET", "/v1", 404],
  ])("%s %s (%i)", async (method, path, status) => {
    const response = await call(method, path);
    expect(response.status).toBe(status);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
  });

  it("on an authenticated success and a validation failure", async () => {
    const { key } = await newOrganization();
    const created = await call("POST", "/v1/customers", { key, body: {} });
    expect(created.status).toBe(201);
    expect(created.headers.get("Cache-Control")).toBe("no-store");
    const listed = await call("GET", "/v1/customers", { key });
    expect(listed.status).toBe(200);
    expect(listed.headers.get("Cache-Control")).toBe("no-store");
    const invalid = await call("POST", "/v1/customers", { key, body: { unknown_field: 1 } });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get("Cache-Control")).toBe("no-store");
  });

  it("not on pages outside /v1, which a browser may keep", async () => {
    const docs = await call("GET", "/docs");
    expect(docs.headers.get("Cache-Control")).not.toBe("no-store");
  });
});

describe("GET /docs/problems", () => {
  it("is an HTML page", async () => {
    const response = await call("GET", "/docs/problems");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
  });

  it.each(PROBLEM_CODES)("has an entry with id=%s that shows its status %i", async (code, status) => {
    const { text } = await call("GET", "/docs/problems");
    const at = text.search(new RegExp(`\\sid\\s*=\\s*["']?${code}["'\\s>]`));
    expect(at, `an element with id="${code}"`).toBeGreaterThanOrEqual(0);
    // The entry runs to the next element with an id of another code.
    const rest = text.slice(at + code.length + 5);
    const next = rest.search(/\sid\s*=\s*["']?[a-z_]+["'\s>]/);
    const entry = next === -1 ? rest : rest.slice(0, next);
    expect(entry).toMatch(new RegExp(`\\b${status}\\b`));
  });

  it("is where a real problem's type points", async () => {
    const problem = await call("GET", "/v1/customers");
    expect(problem.body.type).toBe("/docs/problems#unauthorized");
    const [page, fragment] = problem.body.type.split("#");
    const { status, text } = await call("GET", page);
    expect(status).toBe(200);
    expect(text).toMatch(new RegExp(`\\sid\\s*=\\s*["']?${fragment}["'\\s>]`));
  });
});

import { describe, expect, it } from "vitest";
import { call } from "./helpers";

/** GET /v1/openapi.json against the spec: paths and methods, statuses, headers and the Customer schema. */

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
  // Spec section 11: the link to the organization's payment gateway.
  "billing",
  "created_at",
  "updated_at",
];

async function openapi(): Promise<Document> {
  const response = await call<Document>("GET", "/v1/openapi.json");
  expect(response.status, `GET /v1/openapi.json answered: ${response.text.slice(0, 300)}`).toBe(200);
  expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
  return response.body;
}

/** Follows a local `$ref` (`#/components/...`). */
function resolve<T>(document: Document, value: T): T {
  const ref = (value as { $ref?: string } | undefined)?.$ref;
  if (!ref) return value;
  let target: unknown = document;
  for (const segment of ref.replace(/^#\//, "").split("/")) {
    target = (target as Record<string, unknown> | undefined)?.[segment];
  }
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
    // The spec's fields, always present, plus what `expand` adds only when asked for.
    const expandable = ["addresses", "subscriptions", "payment_methods", "default_payment_method"];
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

import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { type Called, call, createCustomer, newOrganization, type Problem } from "./helpers";
import { createEndpoint, signatureHeaders } from "./webhooks-helpers";

/**
 * Property tests: no body, query, path or header shape reaches a 5xx. Fixed seeds keep runs
 * reproducible; run counts stay modest because every run is a request through the Worker.
 */
const RUNS = { seed: 20261127, numRuns: 60 };

let address = 0;
/**
 * Each call from its own address: failures must not push later runs into 429. `T`: the body the
 * test reads; most only read the status.
 */
async function fuzzCall<T = unknown>(
  method: string,
  path: string,
  options: Parameters<typeof call>[2] = {},
): Promise<Called<T>> {
  const headers = { "CF-Connecting-IP": `203.0.113.${++address % 250}:${address}`, ...options.headers };
  return call<T>(method, path, { ...options, headers });
}

function expectNo5xx(response: Called<unknown>, what: string) {
  if (response.status >= 500) throw new Error(`${what} answered ${response.status}: ${response.text.slice(0, 500)}`);
  expect(response.headers.get("Content-Type") ?? "").not.toBe("");
}

type Fixture = {
  key: string;
  customerId: string;
  standard: { id: string; secret: string };
  clerk: { id: string; secret: string };
};
let fixture: Fixture;

beforeEach(async () => {
  const { key } = await newOrganization();
  const customer = await createCustomer(key, { alternative_id: "fuzz-1", email: "fuzz@example.com" });
  fixture = {
    key,
    customerId: customer.id,
    standard: await createEndpoint(key, "standard"),
    clerk: await createEndpoint(key, "clerk"),
  };
});

const writeRoutes = (f: Fixture): [string, string][] => [
  ["POST", "/v1/customers"],
  ["PATCH", `/v1/customers/${f.customerId}`],
  ["PUT", `/v1/customers/${f.customerId}`],
  ["PATCH", "/v1/customers/alternative-id/fuzz-1"],
  ["POST", "/v1/customers/provision"],
  ["POST", "/v1/customers/import"],
  ["POST", `/v1/customers/${f.customerId}/addresses`],
  ["POST", `/v1/customers/${f.customerId}/subscriptions`],
  ["POST", `/v1/customers/${f.customerId}/payment_methods`],
  ["POST", `/v1/customers/${f.customerId}/unarchive`],
  ["POST", "/v1/api_keys"],
  ["POST", "/v1/webhook_endpoints"],
  ["POST", `/v1/webhook_endpoints/${f.standard.id}/rotate_secret`],
];

/** Arbitrary JSON, and JSON shaped like Roster's bodies (known field names, odd values). */
const FIELDS = [
  "id",
  "alternative_id",
  "email",
  "username",
  "first_name",
  "last_name",
  "name",
  "phone",
  "metadata",
  "customers",
  "items",
  "subscription",
  "plan_id",
  "resource_id",
  "country",
  "line1",
  "postal_code",
  "source",
  "secret",
  "description",
  "type",
  "data",
  "timestamp",
  "brand",
  "last4",
  "exp_month",
  "exp_year",
  "billing_details",
  "skip_email_dns_validation",
  "addons",
  "billable_features",
  "status",
  "__proto__",
  "constructor",
  "toString",
];
const oddValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom(
    -0,
    1e308,
    -1e308,
    2 ** 53 + 1,
    0.5,
    "",
    " ",
    "\u0000",
    "\ud800",
    "9999-12-31T23:59:59Z",
    "0000-01-01T00:00:00Z",
    "2026-02-31T00:00:00Z",
    "+275760-09-13T00:00:00.001Z",
    "a@b",
    "x".repeat(5000),
  ),
);
const shapedObject = fc.dictionary(fc.constantFrom(...FIELDS), oddValue, { maxKeys: 6 });
const shapedBody = fc.oneof(
  shapedObject,
  fc.record({ customers: fc.array(shapedObject, { maxLength: 4 }) }),
  fc.record({ items: fc.array(shapedObject, { maxLength: 4 }) }),
  fc.record({
    type: fc.constantFrom("customer.provision", "customer.archive", "user.created", "user.updated", "user.deleted"),
    data: shapedObject,
    timestamp: oddValue,
  }),
  fc.jsonValue({ maxDepth: 4 }),
);

describe("fuzz: no input reaches a 5xx", () => {
  it("random JSON bodies on every write route", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), shapedBody, async (pick, body) => {
        const routes = writeRoutes(fixture);
        const [method, path] = routes[pick % routes.length]!;
        expectNo5xx(
          await fuzzCall(method, path, { key: fixture.key, body }),
          `${method} ${path} ${JSON.stringify(body).slice(0, 300)}`,
        );
      }),
      RUNS,
    );
  });

  it("deep nesting of any kind, anywhere in the body, is a 400 on every write route", {
    timeout: 120_000,
  }, async () => {
    const nesting = fc.record({
      depth: fc.integer({ min: 33, max: 4_000 }), // under 64 KiB with any opener
      open: fc.constantFrom("[", '{"a":', '[{"b":', '{"metadata":['),
      prefix: fc.constantFrom("", '{"x":"[[[",', '{"customers":['),
    });
    await fc.assert(
      fc.asyncProperty(fc.nat(), nesting, async (pick, { depth, open, prefix }) => {
        const routes = writeRoutes(fixture);
        const [method, path] = routes[pick % routes.length]!;
        // Not valid JSON past the opening (closing it right costs nothing to the check): 400 either way.
        const text = `${prefix}${open.repeat(Math.ceil(depth / (open.match(/[[{]/g)?.length ?? 1)))}1`;
        const response = await fuzzCall<Problem>(method, path, {
          key: fixture.key,
          rawBody: text,
          headers: { "Content-Type": "application/json" },
        });
        expect({ status: response.status, code: response.body?.code }).toEqual({
          status: 400,
          code: "validation_failed",
        });
      }),
      RUNS,
    );
  });

  it("random text as a JSON body on every write route", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.string({ unit: "binary", maxLength: 200 }), async (pick, text) => {
        const routes = writeRoutes(fixture);
        const [method, path] = routes[pick % routes.length]!;
        const response = await fuzzCall(method, path, {
          key: fixture.key,
          rawBody: text,
          headers: { "Content-Type": "application/json" },
        });
        expectNo5xx(response, `${method} ${path} ${JSON.stringify(text)}`);
      }),
      RUNS,
    );
  });

  it("random signed events on webhook intake (standard and clerk)", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), shapedBody, async (clerk, payload) => {
        const endpoint = clerk ? fixture.clerk : fixture.standard;
        const body = JSON.stringify(payload);
        const response = await fuzzCall("POST", `/v1/webhooks/${endpoint.id}`, {
          rawBody: body,
          headers: { "Content-Type": "application/json", ...signatureHeaders(endpoint.secret, body) },
        });
        expectNo5xx(response, `intake ${body.slice(0, 300)}`);
      }),
      RUNS,
    );
  });

  it("random query parameters on lists and reads", { timeout: 120_000 }, async () => {
    const names = [
      "limit",
      "cursor",
      "email",
      "alternative_id",
      "created_gte",
      "created_lt",
      "expand",
      "expand[]",
      "x",
    ];
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom(
        "0",
        "-1",
        "101",
        "1e2",
        "NaN",
        "Infinity",
        "20.5",
        "",
        "9999-12-31T23:59:59Z",
        "2026-02-31T00:00:00Z",
        "+275760-09-13T00:00:00.001Z",
        "subscriptions",
        "eyJ4IjoxfQ",
        "WzEsIngiXQ",
        "%",
      ),
    );
    const paths = () => [
      "/v1/customers",
      `/v1/customers/${fixture.customerId}`,
      `/v1/customers/${fixture.customerId}/addresses`,
      `/v1/customers/${fixture.customerId}/subscriptions`,
      `/v1/customers/${fixture.customerId}/payment_methods`,
      "/v1/api_keys",
      "/v1/webhook_endpoints",
      "/v1/customers/alternative-id/fuzz-1",
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.array(fc.tuple(fc.constantFrom(...names), value), { maxLength: 4 }),
        async (pick, params) => {
          const list = paths();
          const query = params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
          const path = `${list[pick % list.length]}?${query}`;
          expectNo5xx(await fuzzCall("GET", path, { key: fixture.key }), `GET ${path}`);
        },
      ),
      RUNS,
    );
  });

  it("random path segments, percent-encodings included", { timeout: 120_000 }, async () => {
    const segment = fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 30 }).map(encodeURIComponent),
      fc
        .array(fc.integer({ min: 0, max: 255 }), { maxLength: 6 })
        .map((bytes) => bytes.map((b) => `%${b.toString(16).padStart(2, "0")}`).join("")),
      fc.constantFrom(
        "%",
        "%G0",
        "%E0%A4%A",
        "%00",
        "%2F",
        "%2e%2e",
        "a%20b",
        "x".repeat(2000),
        `cus_${"0".repeat(26)}`,
      ),
    );
    const templates = [
      ["GET", "/v1/customers/{}"],
      ["PATCH", "/v1/customers/{}"],
      ["DELETE", "/v1/customers/{}"],
      ["GET", "/v1/customers/alternative-id/{}"],
      ["DELETE", "/v1/customers/alternative-id/{}"],
      ["GET", "/v1/customers/{}/addresses"],
      ["DELETE", "/v1/customers/{}/addresses/{}"],
      ["DELETE", "/v1/customers/{}/metadata/{}"],
      ["DELETE", "/v1/api_keys/{}"],
      ["DELETE", "/v1/webhook_endpoints/{}"],
      ["POST", "/v1/webhooks/{}"],
      ["GET", "/v1/{}"],
      ["GET", "/{}"],
    ] as const;
    await fc.assert(
      fc.asyncProperty(fc.nat(), segment, segment, async (pick, first, second) => {
        const [method, template] = templates[pick % templates.length]!;
        const path = template.replace("{}", first).replace("{}", second);
        const body = method === "PATCH" || method === "POST" ? {} : undefined;
        expectNo5xx(await fuzzCall(method, path, { key: fixture.key, body }), `${method} ${path}`);
      }),
      RUNS,
    );
  });

  it("random values of Authorization, Idempotency-Key, If-Match, Content-Type and X-Request-Id", {
    timeout: 120_000,
  }, async () => {
    // Header values a client can send: no CR, LF or NUL; Latin-1 beyond ASCII included.
    const LINE_BREAKS = new Set([0x0a, 0x0b, 0x0c, 0x0d]);
    const headerChar = fc
      .integer({ min: 0x09, max: 0xff })
      .filter((code) => !LINE_BREAKS.has(code))
      .map((code) => String.fromCharCode(code));
    const headerValue = fc.string({ unit: headerChar, maxLength: 80 });
    const names = ["Authorization", "Idempotency-Key", "If-Match", "Content-Type", "X-Request-Id"];
    const requests = () => [
      ["POST", "/v1/customers"],
      ["PATCH", `/v1/customers/${fixture.customerId}`],
      ["PUT", `/v1/customers/${fixture.customerId}`],
      ["GET", "/v1/customers"],
      ["DELETE", `/v1/customers/${fixture.customerId}/metadata/plan`],
      ["POST", "/v1/organizations"],
      ["POST", `/v1/webhooks/${fixture.standard.id}`],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.dictionary(fc.constantFrom(...names), headerValue, { maxKeys: 5 }),
        fc.boolean(),
        async (pick, headers, withKey) => {
          const list = requests();
          const [method, path] = list[pick % list.length]!;
          const body = method === "GET" || method === "DELETE" ? undefined : { first_name: "Fuzz" };
          const response = await fuzzCall(method!, path!, {
            key: withKey && !headers.Authorization ? fixture.key : null,
            body,
            headers,
          });
          expectNo5xx(response, `${method} ${path} ${JSON.stringify(headers)}`);
        },
      ),
      RUNS,
    );
  });
});

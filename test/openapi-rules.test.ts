import { dereference, type Schema, validate } from "@cfworker/json-schema";
import { describe, expect, it } from "vitest";
import { call, newOrganization } from "./helpers";

/**
 * The document tells the whole truth (docs/openapi.md): for a sample of each rule the schemas
 * state, a value the served document allows is accepted by Roster and a value it refuses is
 * refused, read from /v1/openapi.json with a JSON Schema 2020-12 validator (as a generated
 * client or a request validator would) and compared with the live route's answer.
 */

type Parameter = { name: string; in: string; schema: Schema };
type Operation = { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema }> } };
type Document = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

const DOCUMENT_ID = "https://roster.test/v1/openapi.json";

async function servedDocument() {
  const document = (await call<Document>("GET", "/v1/openapi.json")).body;
  const lookup = dereference({ ...document, $id: DOCUMENT_ID } as Schema);
  const operation = (method: string, path: string) => {
    const found = document.paths[path]?.[method];
    if (!found) throw new Error(`the document has no ${method} ${path}`);
    return found;
  };
  const allows = (schema: Schema, value: unknown) => validate(value, schema, "2020-12", lookup).valid;
  return {
    document,
    /** Whether the operation's JSON body schema allows `body`. */
    allowsBody: (method: string, path: string, body: unknown) => {
      const schema = operation(method, path).requestBody?.content["application/json"]?.schema;
      if (!schema) throw new Error(`${method} ${path} declares no JSON body`);
      return allows(schema, body);
    },
    /** Whether the operation's parameter (`query`, `header`) allows `value`. */
    allowsParameter: (method: string, path: string, where: string, name: string, value: string) => {
      const parameter = operation(method, path).parameters?.find((p) => p.in === where && p.name === name);
      if (!parameter) throw new Error(`${method} ${path} declares no ${where} parameter ${name}`);
      return allows(parameter.schema, value);
    },
  };
}

type Verdicts = { document: boolean; roster: boolean; status: number; text: string };

/** Roster accepted the request (2xx) or refused it as invalid input (400); anything else fails the test. */
const accepted = (response: { status: number; text: string }) => {
  if (response.status >= 200 && response.status < 300) return true;
  if (response.status === 400) return false;
  throw new Error(`expected 2xx or 400, got ${response.status}: ${response.text}`);
};

/** Each sample: the document's verdict, Roster's, and both equal to what the rule says. */
function expectVerdicts(samples: [label: string, allowed: boolean, verdicts: Verdicts][]) {
  const wrong = samples
    .filter(([, allowed, v]) => v.document !== allowed || v.roster !== allowed)
    .map(([label, allowed, v]) => `${label}: rule ${allowed}, document ${v.document}, Roster ${v.roster} (${v.text})`);
  expect(wrong).toEqual([]);
}

describe("every rule the document states, Roster applies alike", () => {
  it("refuses control characters in every string, metadata keys included, naming the rule", async () => {
    const served = await servedDocument();
    const { key } = await newOrganization();
    const body = (name: string, metadataKey: string) => ({ name, metadata: { [metadataKey]: "x" } });
    const samples: [string, boolean, Record<string, unknown>][] = [
      ["plain text", true, body("Jenny Doe", "plan")],
      ["non-ASCII and emoji", true, body("José 🎉", "größe")],
      ["C0 control in a value", false, body("Jenny\u0007", "plan")],
      ["C1 control in a value", false, body("Jenny\u0085", "plan")],
      ["DEL in a value", false, body("Jenny\u007f", "plan")],
      ["control in a metadata key", false, body("Jenny", "pl\u0001an")],
      ["'[' in a metadata key", false, body("Jenny", "plan[x]")],
      ["41-character metadata key", false, body("Jenny", "k".repeat(41))],
    ];
    const results: [string, boolean, Verdicts][] = [];
    for (const [label, allowed, sent] of samples) {
      const response = await call("POST", "/v1/customers", { key, body: sent });
      const document = served.allowsBody("post", "/v1/customers", sent);
      results.push([label, allowed, { document, roster: accepted(response), ...response }]);
    }
    expectVerdicts(results);
    const refused = await call<{ errors: { pointer: string; detail: string }[] }>("POST", "/v1/customers", {
      key,
      body: body("Jenny", "pl\u0001an"),
    });
    expect(refused.body.errors).toEqual([
      { pointer: "/metadata/pl\u0001an", detail: "metadata key must not contain control characters" },
    ]);
  });

  it("states the customer field rules: email, phone, language, timezone, reserved ids", async () => {
    const served = await servedDocument();
    const { key } = await newOrganization();
    const samples: [string, boolean, Record<string, unknown>][] = [
      ["an email", true, { email: "jenny.doe@example.com" }],
      ["a quoted local part", true, { email: '"jenny doe"@example.com' }],
      ["an email without a dot in its domain", false, { email: "jenny@localhost" }],
      ["an email with a 65-character local part", false, { email: `${"a".repeat(65)}@example.com` }],
      ["an email with a non-ASCII domain", false, { email: "jenny@exämple.com" }],
      ["a phone of 5 digits", true, { phone: "+1 (2) 34-5" }],
      ["a phone of 20 digits", true, { phone: "1234567890 1234567890" }],
      ["a phone of 4 digits", false, { phone: "+1 234" }],
      ["a phone of 21 digits", false, { phone: "123456789012345678901" }],
      ["a BCP 47 tag", true, { language: "pt-BR" }],
      ["a tag with script, region and extension", true, { language: "zh-Hant-TW-u-ca-chinese" }],
      ["an underscore tag", false, { language: "en_US" }],
      ["a grandfathered tag", false, { language: "i-klingon" }],
      ["an IANA zone", true, { timezone: "America/Argentina/Buenos_Aires" }],
      ["a UTC offset", false, { timezone: "+01:00" }],
      ["a chosen id", true, { id: "user:42@acme" }],
      ["a route word as id", false, { id: "search" }],
      ["a dot segment as alternative ID", false, { alternative_id: ".." }],
    ];
    const results: [string, boolean, Verdicts][] = [];
    for (const [label, allowed, sent] of samples) {
      const response = await call("POST", "/v1/customers", { key, body: sent });
      const document = served.allowsBody("post", "/v1/customers", sent);
      results.push([label, allowed, { document, roster: accepted(response), ...response }]);
    }
    expectVerdicts(results);
  });

  it("declares POST /v1/customers' body optional, and takes a request without one", async () => {
    const served = await servedDocument();
    const { key } = await newOrganization();
    const operation = served.document.paths["/v1/customers"]?.post as { requestBody?: { required?: boolean } };
    expect(operation.requestBody?.required).toBe(false);
    expect((await call("POST", "/v1/customers", { key })).status).toBe(201);
  });

  it("requires id or alternative_id to provision, and takes a null subscription only there", async () => {
    const served = await servedDocument();
    const { key } = await newOrganization();
    const customer = (await call<{ id: string }>("POST", "/v1/customers", { key, body: {} })).body;
    const cases: [string, boolean, string, string, unknown][] = [
      ["provision by alternative ID", true, "post", "/v1/customers/provision", { alternative_id: "p-1" }],
      ["provision by id", true, "post", "/v1/customers/provision", { id: "p-2", name: "P" }],
      ["provision with neither", false, "post", "/v1/customers/provision", { name: "P" }],
      [
        "provision with a null subscription",
        true,
        "post",
        "/v1/customers/provision",
        { alternative_id: "p-3", subscription: null },
      ],
      ["a subscription", true, "post", "/v1/customers/{id}/subscriptions", { plan_id: "pro" }],
      ["a null subscription body", false, "post", "/v1/customers/{id}/subscriptions", null],
      [
        "a null billing country",
        true,
        "post",
        "/v1/customers/{id}/subscriptions",
        { plan_id: "basic", billing_country_code: null },
      ],
      [
        "an unassigned billing country",
        false,
        "post",
        "/v1/customers/{id}/subscriptions",
        { plan_id: "team", billing_country_code: "EU" },
      ],
    ];
    const results: [string, boolean, Verdicts][] = [];
    for (const [label, allowed, method, path, sent] of cases) {
      const response = await call(method.toUpperCase(), path.replace("{id}", customer.id), { key, body: sent });
      const document = served.allowsBody(method, path, sent);
      results.push([label, allowed, { document, roster: accepted(response), ...response }]);
    }
    expectVerdicts(results);
  });

  it("states address countries (assigned ISO codes) and a card expiry's month with its year", async () => {
    const served = await servedDocument();
    const { key } = await newOrganization();
    const customer = (await call<{ id: string }>("POST", "/v1/customers", { key, body: {} })).body;
    const address = (country: string) => ({ line1: "1 Main Street", country });
    const card = (expiry: Record<string, unknown>) => ({ gateway_reference: "pm_ref", ...expiry });
    const cases: [string, boolean, string, unknown][] = [
      ["an assigned country", true, "addresses", address("FR")],
      ["a user-assigned code", false, "addresses", address("ZZ")],
      ["an exceptionally reserved code", false, "addresses", address("EU")],
      ["a lower-case code", false, "addresses", address("fr")],
      ["month and year", true, "payment_methods", card({ exp_month: 12, exp_year: 2030 })],
      ["neither", true, "payment_methods", card({})],
      ["a null month alone", true, "payment_methods", card({ exp_month: null })],
      ["both null", true, "payment_methods", card({ exp_month: null, exp_year: null })],
      ["a month alone", false, "payment_methods", card({ exp_month: 12 })],
      ["a year alone", false, "payment_methods", card({ exp_year: 2030 })],
      ["a month with a null year", false, "payment_methods", card({ exp_month: 12, exp_year: null })],
    ];
    const results: [string, boolean, Verdicts][] = [];
    for (const [label, allowed, records, sent] of cases) {
      const response = await call("POST", `/v1/customers/${customer.id}/${records}`, { key, body: sent });
      const document = served.allowsBody("post", `/v1/customers/{id}/${records}`, sent);
      results.push([label, allowed, { document, roster: accepted(response), ...response }]);
    }
    expectVerdicts(results);
  });

  it("states expand (the comma-separated names) and the events type filter (an enum)", async () => {
    const served = await servedDocument();
    const { key } = await newOrganization();
    const cases: [string, boolean, string, string, string][] = [
      ["one name", true, "/v1/customers", "expand", "addresses"],
      ["names with spaces", true, "/v1/customers", "expand", "addresses, payment_methods ,subscriptions"],
      ["an unknown name", false, "/v1/customers", "expand", "addresses,invoices"],
      ["an empty name", false, "/v1/customers", "expand", "addresses,,subscriptions"],
      ["an empty value", false, "/v1/customers", "expand", ""],
      ["a type", true, "/v1/events", "type", "customer.updated"],
      ["a prefix", true, "/v1/events", "type", "payment_method.*"],
      ["every type", false, "/v1/events", "type", "*"],
      ["a resource without .*", false, "/v1/events", "type", "customer"],
      ["an unknown type", false, "/v1/events", "type", "customer.deleted"],
    ];
    const results: [string, boolean, Verdicts][] = [];
    for (const [label, allowed, path, name, value] of cases) {
      const response = await call("GET", `${path}?${name}=${encodeURIComponent(value)}`, { key });
      const document = served.allowsParameter("get", path, "query", name, value);
      results.push([label, allowed, { document, roster: accepted(response), ...response }]);
    }
    expectVerdicts(results);
  });

  it("states the Idempotency-Key header: 1–255 printable ASCII, bare or quoted", async () => {
    const served = await servedDocument();
    const { key } = await newOrganization();
    const cases: [string, boolean, string][] = [
      ["a bare key", true, "order-42"],
      ["a bare key with a quote inside", true, 'a"b'],
      ["a quoted key with escapes", true, '"a\\"b\\\\c"'],
      ["255 characters", true, "k".repeat(255)],
      ["255 escaped characters, quoted", true, `"${"\\\\".repeat(255)}"`],
      ["256 characters", false, "k".repeat(256)],
      ["256 characters, quoted", false, `"${"k".repeat(256)}"`],
      ["an empty quoted key", false, '""'],
      ["an unterminated quote", false, '"abc'],
      ["a bad escape", false, '"a\\nb"'],
      ["a tab inside", false, "a\tb"],
    ];
    const results: [string, boolean, Verdicts][] = [];
    for (const [label, allowed, value] of cases) {
      const response = await call("POST", "/v1/api_keys", { key, body: {}, headers: { "Idempotency-Key": value } });
      const document = served.allowsParameter("post", "/v1/api_keys", "header", "Idempotency-Key", value);
      results.push([label, allowed, { document, roster: accepted(response), ...response }]);
    }
    expectVerdicts(results);
  });

  it("states destination URLs and event types, and sender-issued webhook secrets", async () => {
    const served = await servedDocument();
    // An organization with no customers: nothing is ever delivered to these URLs.
    const { key } = await newOrganization();
    const secret = (bytes: number) => `whsec_${btoa(String.fromCharCode(...new Uint8Array(bytes).fill(7)))}`;
    const destination = (url: string, eventTypes = ["customer.*"]) => ({ url, event_types: eventTypes });
    const cases: [string, boolean, string, unknown][] = [
      ["an https URL", true, "/v1/event_destinations", destination("https://hooks.example.com/roster?x=1#f")],
      ["a port", true, "/v1/event_destinations", destination("https://hooks.example.com:8443/")],
      ["a public IPv4 address", true, "/v1/event_destinations", destination("https://93.184.215.14/in")],
      ["a public IPv6 address", true, "/v1/event_destinations", destination("https://[2606:4700:4700::1111]/")],
      [
        "every type, and exact types",
        true,
        "/v1/event_destinations",
        destination("https://a.example", ["*", "address.updated"]),
      ],
      ["credentials", false, "/v1/event_destinations", destination("https://user:pw@hooks.example.com/")],
      ["another scheme", false, "/v1/event_destinations", destination("ftp://hooks.example.com/")],
      ["a space", false, "/v1/event_destinations", destination("https://hooks.example.com/a b")],
      ["a numeric last label", false, "/v1/event_destinations", destination("https://hooks.1/")],
      ["a port above 65535", false, "/v1/event_destinations", destination("https://hooks.example.com:65536/")],
      ["a bad IPv6 literal", false, "/v1/event_destinations", destination("https://[1::2::3]/")],
      ["2,049 characters", false, "/v1/event_destinations", destination(`https://a.example/${"x".repeat(2031)}`)],
      [
        "an unknown event type",
        false,
        "/v1/event_destinations",
        destination("https://a.example", ["customer.deleted"]),
      ],
      ["a sender's 24-byte secret", true, "/v1/webhook_endpoints", { source: "clerk", secret: secret(24) }],
      ["a sender's 64-byte secret", true, "/v1/webhook_endpoints", { source: "clerk", secret: secret(64) }],
      ["23 bytes", false, "/v1/webhook_endpoints", { source: "clerk", secret: secret(23) }],
      ["65 bytes", false, "/v1/webhook_endpoints", { source: "clerk", secret: secret(65) }],
      ["no whsec_ prefix", false, "/v1/webhook_endpoints", { source: "clerk", secret: secret(32).slice(6) }],
      ["broken padding", false, "/v1/webhook_endpoints", { source: "clerk", secret: `${secret(25)}=` }],
    ];
    const results: [string, boolean, Verdicts][] = [];
    for (const [label, allowed, path, sent] of cases) {
      const response = await call("POST", path, { key, body: sent });
      const document = served.allowsBody("post", path, sent);
      results.push([label, allowed, { document, roster: accepted(response), ...response }]);
    }
    expectVerdicts(results);
  });
});

describe("the document's request schemas (a walk over every operation)", () => {
  type Node = Record<string, unknown>;
  const isNode = (value: unknown): value is Node => typeof value === "object" && value !== null;

  /** Every schema reachable from `root` (following component refs once each), with where it sits. */
  function* schemasUnder(
    document: Document,
    root: unknown,
    at: string,
    seen = new Set<string>(),
  ): Generator<[string, Node]> {
    if (Array.isArray(root)) {
      for (const [index, item] of root.entries()) yield* schemasUnder(document, item, `${at}/${index}`, seen);
      return;
    }
    if (!isNode(root)) return;
    const ref = root.$ref;
    if (typeof ref === "string") {
      const name = ref.split("/").at(-1) ?? "";
      if (seen.has(name)) return;
      seen.add(name);
      yield* schemasUnder(document, document.components.schemas[name], `#${name}`, seen);
      return;
    }
    yield [at, root];
    for (const [name, value] of Object.entries(root)) {
      if (name !== "example" && name !== "examples") yield* schemasUnder(document, value, `${at}/${name}`, seen);
    }
  }

  const typesOf = (schema: Node) => (Array.isArray(schema.type) ? schema.type : [schema.type]);

  it("gives every string of every request body a rule for its characters (a pattern, an enum or a format)", async () => {
    const { document } = await servedDocument();
    const unstated: string[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      // Webhook intake takes the sender's own payloads (Clerk's), validated only as far as Roster reads them.
      if (path.startsWith("/v1/webhooks/")) continue;
      for (const [method, operation] of Object.entries(item)) {
        for (const [at, schema] of schemasUnder(document, operation.requestBody, `${method} ${path}`)) {
          const stated = ["pattern", "enum", "format", "const"].some((rule) => rule in schema);
          if (typesOf(schema).includes("string") && !stated) unstated.push(at);
        }
      }
    }
    expect(unstated).toEqual([]);
  });

  it("lists null in the enum of every schema that admits null (else the enum refuses it)", async () => {
    const { document } = await servedDocument();
    const refusingNull: string[] = [];
    for (const [at, schema] of schemasUnder(document, document, "#")) {
      const { enum: values } = schema;
      if (typesOf(schema).includes("null") && Array.isArray(values) && !values.includes(null)) refusingNull.push(at);
    }
    expect(refusingNull).toEqual([]);
  });
});

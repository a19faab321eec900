import fc from "fast-check";
import { describe, it } from "vitest";
import { CreateCustomerBody, GetCustomerQuery } from "../src/customers/customers.schemas";
import { CreateEventDestinationBody } from "../src/event-destinations/event-destinations.schemas";
import { parseIdempotencyKey } from "../src/idempotency/header";
import { CreateWebhookEndpointBody } from "../src/webhooks/webhooks.schemas";
import { call } from "./helpers";

/**
 * The document never allows what Roster refuses: for each pattern the served document states,
 * strings generated from the pattern itself (fast-check's stringMatching), within the lengths
 * the document also states, are all accepted by the rule Roster applies. The few rules a
 * pattern cannot state (docs/openapi.md) are the only values left out, each named below.
 */

type StringSchema = {
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  allOf?: { pattern: string }[];
  not?: { enum?: string[] };
};
type Document = {
  paths: Record<string, Record<string, { parameters?: { name: string; schema: StringSchema }[] }>>;
  components: {
    schemas: Record<string, { properties: Record<string, StringSchema & { propertyNames?: StringSchema }> }>;
  };
};

const codePoints = (value: string) => [...value].length;

/**
 * Strings the schema allows: they match its pattern (and those of its allOf), fit its lengths,
 * and are none of the values its `not` excludes (the alternative ID's "." and "..").
 */
function allowedBy(schema: StringSchema | undefined) {
  if (!schema?.pattern) throw new Error("the document states no pattern here");
  const { pattern, minLength = 0, maxLength = Number.POSITIVE_INFINITY, allOf = [] } = schema;
  const excluded = new Set(schema.not?.enum ?? []);
  const alsoMatched = allOf.map((part) => new RegExp(part.pattern, "u"));
  return fc
    .stringMatching(new RegExp(pattern, "u"))
    .filter((value) => codePoints(value) >= minLength && codePoints(value) <= maxLength)
    .filter((value) => alsoMatched.every((also) => also.test(value)))
    .filter((value) => !excluded.has(value));
}

const served = async () => (await call<Document>("GET", "/v1/openapi.json")).body;

const RUNS = { numRuns: 300 };

const accepts = (schema: { safeParse: (value: unknown) => { success: boolean } }, value: unknown) =>
  schema.safeParse(value).success;

describe("every string a document pattern allows, Roster accepts", () => {
  it.each(["name", "email", "phone", "alternative_id"])("the customer's %s", async (field) => {
    const schema = (await served()).components.schemas.CreateCustomer?.properties[field];
    fc.assert(
      fc.property(allowedBy(schema), (value) => accepts(CreateCustomerBody, { [field]: value })),
      RUNS,
    );
  });

  it("a metadata key (propertyNames)", async () => {
    const keys = (await served()).components.schemas.CreateCustomer?.properties.metadata?.propertyNames;
    fc.assert(
      fc.property(allowedBy(keys), (key) => accepts(CreateCustomerBody, { metadata: { [key]: 1 } })),
      RUNS,
    );
  });

  it("a language tag, unless it repeats a variant or a singleton (which no pattern can refuse)", async () => {
    const schema = (await served()).components.schemas.CreateCustomer?.properties.language;
    const repeats = (tag: string) => {
      const subtags = tag
        .toLowerCase()
        .split("-")
        .slice(1)
        .filter((subtag) => subtag.length === 1 || subtag.length >= 4);
      return new Set(subtags).size !== subtags.length;
    };
    fc.assert(
      fc.property(allowedBy(schema), (tag) => repeats(tag) || accepts(CreateCustomerBody, { language: tag })),
      { numRuns: 100 },
    );
  }, 20_000);

  it("a destination URL whose host is a name (an address literal may be in a refused network)", async () => {
    const schema = (await served()).components.schemas.CreateEventDestination?.properties.url;
    const namesAHost = (url: string) => {
      const { hostname } = new URL(url);
      return !/^\[|^[0-9.]+$/.test(hostname) && hostname !== "localhost";
    };
    fc.assert(
      fc.property(allowedBy(schema).filter(namesAHost), (url) => accepts(CreateEventDestinationBody, { url })),
      RUNS,
    );
  });

  it("a sender-issued webhook secret", async () => {
    const schema = (await served()).components.schemas.CreateWebhookEndpoint?.properties.secret;
    fc.assert(
      fc.property(allowedBy(schema), (secret) => accepts(CreateWebhookEndpointBody, { source: "clerk", secret })),
      RUNS,
    );
  });

  it("an Idempotency-Key and an expand value", async () => {
    const document = await served();
    const parameter = (name: string) =>
      document.paths["/v1/customers"]?.[name === "expand" ? "get" : "post"]?.parameters?.find((p) => p.name === name)
        ?.schema;
    fc.assert(
      fc.property(allowedBy(parameter("Idempotency-Key")), (key) => parseIdempotencyKey(key) !== null),
      RUNS,
    );
    fc.assert(
      fc.property(allowedBy(parameter("expand")), (expand) => accepts(GetCustomerQuery, { expand })),
      RUNS,
    );
  });
});

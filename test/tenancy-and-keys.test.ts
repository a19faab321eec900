import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  type ApiKeyList,
  type ApiKeyWithSecret,
  altPath,
  type Called,
  type CreatedOrganization,
  type CustomerList,
  type CustomerObject,
  call,
  createCustomer,
  expectProblem,
  newOrganization,
  type RevokedApiKey,
} from "./helpers";

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const KEY_ID = /^key_[0-9A-Z]{26}$/;
const SECRET = /^rk_[A-Za-z0-9]{20,}$/;

const organizationCount = async () =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM organizations").first<{ n: number }>())?.n;

describe("POST /v1/organizations", () => {
  it("201 with the organization and its first API key (secret rk_…), which works", async () => {
    const response = await call<CreatedOrganization>("POST", "/v1/organizations", {
      key: ADMIN_TOKEN,
      body: { name: "Acme" },
    });
    expect(response.status).toBe(201);
    expect(response.body.organization).toMatchObject({
      id: expect.stringMatching(/^org_[0-9A-Z]{26}$/),
      name: "Acme",
      created_at: expect.stringMatching(ISO_MS),
    });
    expect(response.body.api_key.id).toMatch(KEY_ID);
    expect(response.body.api_key.secret).toMatch(SECRET);
    const listed = await call<CustomerList>("GET", "/v1/customers", { key: response.body.api_key.secret });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ object: "list", data: [], has_more: false, next_cursor: null });
  });

  it("each organization gets its own id and key", async () => {
    const a = await call<CreatedOrganization>("POST", "/v1/organizations", {
      key: ADMIN_TOKEN,
      body: { name: "Acme" },
    });
    const b = await call<CreatedOrganization>("POST", "/v1/organizations", {
      key: ADMIN_TOKEN,
      body: { name: "Acme" },
    });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.body.organization.id).not.toBe(b.body.organization.id);
    expect(a.body.api_key.secret).not.toBe(b.body.api_key.secret);
  });

  it.each([
    ["no Authorization header", {}],
    ["a wrong token", { Authorization: `Bearer ${ADMIN_TOKEN}x` }],
    ["a prefix of the token", { Authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
    ["the token with the Basic scheme", { Authorization: `Basic ${ADMIN_TOKEN}` }],
  ])("401 unauthorized with %s, and nothing is created", async (_label, headers) => {
    const response = await call("POST", "/v1/organizations", { body: { name: "Acme" }, headers });
    expectProblem(response, 401, "unauthorized");
    expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer\b/i);
    expect(await organizationCount()).toBe(0);
  });

  it("401 for an organization's own API key", async () => {
    const { key } = await newOrganization();
    const response = await call("POST", "/v1/organizations", { key, body: { name: "Other" } });
    expectProblem(response, 401, "unauthorized");
  });

  it("400 validation_failed naming each unknown field", async () => {
    const response = await call("POST", "/v1/organizations", {
      key: ADMIN_TOKEN,
      body: { name: "Acme", plan: "pro", owner: { email: "x@example.com" } },
    });
    const problem = expectProblem(response, 400, "validation_failed");
    const pointers = problem.errors?.map((e) => e.pointer).sort();
    expect(pointers).toEqual(["/owner", "/plan"]);
  });

  it.each([
    ["no name", {}],
    ["an empty name", { name: "" }],
    ["a null name", { name: null }],
    ["a numeric name", { name: 42 }],
  ])("400 validation_failed for %s (pointer /name)", async (_label, body) => {
    const response = await call("POST", "/v1/organizations", { key: ADMIN_TOKEN, body });
    const problem = expectProblem(response, 400, "validation_failed");
    expect(problem.errors?.map((e) => e.pointer)).toEqual(["/name"]);
    expect(await organizationCount()).toBe(0);
  });
});

describe("API keys", () => {
  it("POST creates a key whose secret is shown once and works at once", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key, { email: "jenny@example.com" });
    const created = await call<ApiKeyWithSecret>("POST", "/v1/api_keys", { key, body: { name: "ci" } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      object: "api_key",
      id: expect.stringMatching(KEY_ID),
      name: "ci",
      secret: expect.stringMatching(SECRET),
      created_at: expect.stringMatching(ISO_MS),
      revoked_at: null,
    });
    expect(created.body.secret).not.toBe(key);
    expect(created.body.secret?.startsWith(created.body.prefix)).toBe(true);
    // The new key belongs to the same organization.
    const read = await call<CustomerObject>("GET", `/v1/customers/${customer.id}`, { key: created.body.secret });
    expect(read.status).toBe(200);
    expect(read.body.email).toBe("jenny@example.com");
  });

  it("POST with no body creates an unnamed key", async () => {
    const { key } = await newOrganization();
    const created = await call<ApiKeyWithSecret>("POST", "/v1/api_keys", { key });
    expect(created.status).toBe(201);
    expect(created.body.name).toBeNull();
    expect(created.body.secret).toMatch(SECRET);
  });

  it("POST rejects unknown fields", async () => {
    const { key } = await newOrganization();
    const response = await call("POST", "/v1/api_keys", { key, body: { name: "ci", scopes: ["all"] } });
    const problem = expectProblem(response, 400, "validation_failed");
    expect(problem.errors?.map((e) => e.pointer)).toEqual(["/scopes"]);
  });

  it("GET lists the organization's keys with prefix and never a secret", async () => {
    const { key } = await newOrganization();
    const created = await call<ApiKeyWithSecret>("POST", "/v1/api_keys", { key, body: { name: "ci" } });
    const listed = await call<ApiKeyList>("GET", "/v1/api_keys", { key });
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ object: "list", has_more: false, next_cursor: null });
    expect(listed.body.data).toHaveLength(2);
    for (const item of listed.body.data) {
      expect(item).not.toHaveProperty("secret");
      expect(item).not.toHaveProperty("key_hash");
      expect(item.object).toBe("api_key");
      expect(item.id).toMatch(KEY_ID);
      expect(item.prefix).toMatch(/^rk_/);
    }
    // No secret (and no hash of one) anywhere in the list.
    expect(listed.text).not.toContain(key);
    expect(listed.text).not.toContain(created.body.secret);
    const ci = listed.body.data.find((item) => item.id === created.body.id);
    expect(ci).toMatchObject({ name: "ci", prefix: created.body.prefix, revoked_at: null });
    expect(created.body.secret?.startsWith(ci?.prefix ?? "\u0000")).toBe(true);
    expect(ci?.prefix.length).toBeLessThan((created.body.secret?.length ?? 0) - 16);
  });

  it("DELETE revokes: 200 {object, id, revoked, revoked_at}, and the key is refused at once", async () => {
    const { key } = await newOrganization();
    const created = await call<ApiKeyWithSecret>("POST", "/v1/api_keys", { key, body: { name: "temp" } });
    const secret = created.body.secret;
    expect((await call("GET", "/v1/customers", { key: secret })).status).toBe(200);

    const revoked = await call<RevokedApiKey>("DELETE", `/v1/api_keys/${created.body.id}`, { key });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({
      object: "api_key",
      id: created.body.id,
      revoked: true,
      revoked_at: expect.stringMatching(ISO_MS),
    });

    const refused = await call("GET", "/v1/customers", { key: secret });
    expectProblem(refused, 401, "unauthorized");
    // The revoking key itself still works, and the list shows the revocation.
    const listed = await call<ApiKeyList>("GET", "/v1/api_keys", { key });
    expect(listed.status).toBe(200);
    const item = listed.body.data.find((k) => k.id === created.body.id);
    expect(item?.revoked_at).toBe(revoked.body.revoked_at);
  });

  it("DELETE is idempotent: revoking a revoked key answers 200 with the original revoked_at", async () => {
    const { key } = await newOrganization();
    const created = await call<ApiKeyWithSecret>("POST", "/v1/api_keys", { key });
    const first = await call<RevokedApiKey>("DELETE", `/v1/api_keys/${created.body.id}`, { key });
    const second = await call<RevokedApiKey>("DELETE", `/v1/api_keys/${created.body.id}`, { key });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
  });

  it("a key may revoke itself; its next request is a 401", async () => {
    const { orgId, key } = await newOrganization();
    const listed = await call<ApiKeyList>("GET", "/v1/api_keys", { key });
    const own = listed.body.data[0];
    expect(listed.body.data).toHaveLength(1);
    expect(orgId).toMatch(/^org_/);
    const revoked = await call("DELETE", `/v1/api_keys/${own?.id}`, { key });
    expect(revoked.status).toBe(200);
    expectProblem(await call("GET", "/v1/api_keys", { key }), 401, "unauthorized");
  });

  it("404 not_found for an unknown key id; 400 for a malformed one", async () => {
    const { key } = await newOrganization();
    expectProblem(await call("DELETE", "/v1/api_keys/key_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R", { key }), 404, "not_found");
    const malformed = await call("DELETE", "/v1/api_keys/nope", { key });
    const problem = expectProblem(malformed, 400, "validation_failed");
    expect(problem.errors?.map((e) => e.pointer)).toEqual(["#/path/id"]);
  });

  it("revoking another organization's key is a 404, and that key keeps working", async () => {
    const a = await newOrganization("A");
    const b = await newOrganization("B");
    const bKeys = await call<ApiKeyList>("GET", "/v1/api_keys", { key: b.key });
    const bKeyId = bKeys.body.data[0]?.id;
    expect(bKeyId).toBeDefined();

    const response = await call("DELETE", `/v1/api_keys/${bKeyId}`, { key: a.key });
    expectProblem(response, 404, "not_found");

    const stillWorks = await call<ApiKeyList>("GET", "/v1/api_keys", { key: b.key });
    expect(stillWorks.status).toBe(200);
    expect(stillWorks.body.data[0]).toMatchObject({ id: bKeyId, revoked_at: null });
  });

  it("lists only the caller's organization's keys", async () => {
    const a = await newOrganization("A");
    const b = await newOrganization("B");
    await call("POST", "/v1/api_keys", { key: a.key, body: { name: "a2" } });
    const aKeys = await call<ApiKeyList>("GET", "/v1/api_keys", { key: a.key });
    const bKeys = await call<ApiKeyList>("GET", "/v1/api_keys", { key: b.key });
    expect(aKeys.body.data).toHaveLength(2);
    expect(bKeys.body.data).toHaveLength(1);
    const aIds = new Set(aKeys.body.data.map((k) => k.id));
    const bKeyId = bKeys.body.data[0]?.id;
    expect(bKeyId).toBeDefined();
    expect(aIds.has(bKeyId ?? "")).toBe(false);
  });
});

describe("tenant isolation", () => {
  const ALT = "user/42 ü%";
  const EMAIL = "jenny.doe@example.com";

  /** Org A with one customer (alternative_id, email, username, metadata), org B with nothing. */
  async function twoTenants() {
    const a = await newOrganization("A");
    const b = await newOrganization("B");
    const customer = await createCustomer(a.key, {
      id: "shared_id_1",
      alternative_id: ALT,
      email: EMAIL,
      username: "jenny",
      name: "Jenny Doe",
      metadata: { plan: "pro", seats: 3 },
    });
    const before = await call<CustomerObject>("GET", `/v1/customers/${customer.id}`, { key: a.key });
    expect(before.status).toBe(200);
    expect(before.headers.get("ETag")).toBeTruthy();
    return { a, b, customer, before };
  }

  async function expectUnchanged(key: string, id: string, before: Called<CustomerObject>) {
    const after = await call<CustomerObject>("GET", `/v1/customers/${id}`, { key });
    expect(after.status).toBe(200);
    expect(after.body).toEqual(before.body);
    expect(after.headers.get("ETag")).toBe(before.headers.get("ETag"));
    const byAlt = await call<CustomerObject>("GET", altPath(ALT), { key });
    expect(byAlt.status).toBe(200);
    expect(byAlt.body).toEqual(before.body);
  }

  const ID = "/v1/customers/shared_id_1";
  const routes: [string, string, unknown][] = [
    ["GET", ID, undefined],
    ["PATCH", ID, { name: "Mallory", metadata: { plan: null } }],
    ["PUT", ID, { name: "Mallory" }],
    ["DELETE", ID, undefined],
    ["DELETE", `${ID}/metadata/plan`, undefined],
    ["POST", `${ID}/unarchive`, undefined],
    ["GET", altPath(ALT), undefined],
    ["PATCH", altPath(ALT), { email: "mallory@example.com" }],
    ["PUT", altPath(ALT), { alternative_id: "stolen" }],
    ["DELETE", altPath(ALT), undefined],
    ["DELETE", `${altPath(ALT)}/metadata/plan`, undefined],
  ];

  it.each(routes)(
    "%s %s with another organization's key: 404 customer_not_found, nothing changes",
    async (method, path, body) => {
      const { a, b, customer, before } = await twoTenants();
      const response = await call(method, path, { key: b.key, body });
      expectProblem(response, 404, "customer_not_found");
      expect(response.text).not.toContain(EMAIL);
      expect(response.text).not.toContain("Jenny");
      await expectUnchanged(a.key, customer.id, before);
    },
  );

  it.each(routes.filter(([method]) => method !== "GET" && method !== "POST"))(
    "%s %s with another organization's key and A's ETag in If-Match: still 404, not 412",
    async (method, path, body) => {
      const { a, b, customer, before } = await twoTenants();
      const response = await call(method, path, {
        key: b.key,
        body,
        headers: { "If-Match": before.headers.get("ETag")! },
      });
      expectProblem(response, 404, "customer_not_found");
      await expectUnchanged(a.key, customer.id, before);
    },
  );

  it.each([
    ["no filter", ""],
    ["email", `?email=${encodeURIComponent(EMAIL)}`],
    ["email, other case", `?email=${encodeURIComponent(EMAIL.toUpperCase())}`],
    ["alternative_id", `?alternative_id=${encodeURIComponent(ALT)}`],
  ])("list with another organization's key (%s) is empty", async (_label, query) => {
    const { a, b, customer } = await twoTenants();
    const theirs = await call<CustomerList>("GET", `/v1/customers${query}`, { key: b.key });
    expect(theirs.status).toBe(200);
    expect(theirs.body).toEqual({ object: "list", data: [], has_more: false, next_cursor: null });
    // The same query with A's key finds it, so the filter itself is right.
    const ours = await call<CustomerList>("GET", `/v1/customers${query}`, { key: a.key });
    expect(ours.body.data.map((c) => c.id)).toEqual([customer.id]);
  });

  it("an archived customer of another organization is 404 (not 410) and cannot be unarchived", async () => {
    const { a, b, customer } = await twoTenants();
    expect((await call("DELETE", `/v1/customers/${customer.id}`, { key: a.key })).status).toBe(200);

    const get = await call("GET", `/v1/customers/${customer.id}`, { key: b.key });
    expectProblem(get, 404, "customer_not_found");
    expect(get.body).not.toHaveProperty("archived_at");
    expectProblem(
      await call("POST", `/v1/customers/${customer.id}/unarchive`, { key: b.key }),
      404,
      "customer_not_found",
    );
    expectProblem(await call("DELETE", `/v1/customers/${customer.id}`, { key: b.key }), 404, "customer_not_found");

    const stillArchived = await call("GET", `/v1/customers/${customer.id}`, { key: a.key });
    expectProblem(stillArchived, 410, "customer_archived");
  });

  it("another organization may create a customer with the same id, alternative_id, email and username", async () => {
    const { a, b, customer, before } = await twoTenants();
    const response = await call<CustomerObject>("POST", "/v1/customers", {
      key: b.key,
      body: {
        id: customer.id,
        alternative_id: ALT,
        email: EMAIL.toUpperCase(),
        username: "JENNY",
        name: "Other Jenny",
      },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      id: customer.id,
      alternative_id: ALT,
      email: EMAIL.toUpperCase(),
      username: "JENNY",
      name: "Other Jenny",
    });

    // Each organization sees its own customer under the shared identifiers.
    const bById = await call<CustomerObject>("GET", `/v1/customers/${customer.id}`, { key: b.key });
    expect(bById.body.name).toBe("Other Jenny");
    const bByAlt = await call<CustomerObject>("GET", altPath(ALT), { key: b.key });
    expect(bByAlt.body.name).toBe("Other Jenny");
    await expectUnchanged(a.key, customer.id, before);

    // B's changes stay in B.
    const patched = await call("PATCH", altPath(ALT), { key: b.key, body: { name: "Renamed" } });
    expect(patched.status).toBe(200);
    await expectUnchanged(a.key, customer.id, before);
    const archived = await call("DELETE", `/v1/customers/${customer.id}`, { key: b.key });
    expect(archived.status).toBe(200);
    await expectUnchanged(a.key, customer.id, before);
  });

  it("another organization may reuse the id of this organization's archived customer", async () => {
    const { a, b, customer } = await twoTenants();
    expect((await call("DELETE", `/v1/customers/${customer.id}`, { key: a.key })).status).toBe(200);
    const response = await call<CustomerObject>("POST", "/v1/customers", { key: b.key, body: { id: customer.id } });
    expect(response.status).toBe(201);
    expect(response.body.id).toBe(customer.id);
    // …while in A the id stays burnt.
    const again = await call("POST", "/v1/customers", { key: a.key, body: { id: customer.id } });
    expectProblem(again, 409, "customer_id_archived");
  });
});

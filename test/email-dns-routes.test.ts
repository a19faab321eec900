import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type CustomerList, type CustomerObject, call, createCustomer, newOrganization } from "./helpers";
import type { ImportResult } from "./response-types";

// The DNS check as the write routes use it, with the check turned on and the resolver mocked:
// "good.example" has an MX record, "nomail.example" has nothing.
const on = { ...env, EMAIL_DNS_VALIDATION: "true" };

function mockResolver() {
  return vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    const name = url.searchParams.get("name");
    const type = url.searchParams.get("type");
    const answer =
      name === "good.example" && type === "MX" ? [{ name, type: 15, TTL: 300, data: "10 mx.good.example." }] : [];
    return Response.json({ Status: 0, Answer: answer });
  });
}

afterEach(() => vi.restoreAllMocks());

describe("email DNS check on writes", () => {
  it("refuses an unresolvable domain on create with 422 and stores nothing", async () => {
    const { key } = await newOrganization();
    mockResolver();
    const refused = await call("POST", "/v1/customers", { key, env: on, body: { email: "a@nomail.example" } });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      code: "email_domain_unresolvable",
      errors: [{ pointer: "/email", detail: expect.any(String) }],
    });
    const accepted = await call("POST", "/v1/customers", { key, env: on, body: { email: "a@good.example" } });
    expect(accepted.status).toBe(201);
    const list = await call<CustomerList>("GET", "/v1/customers", { key });
    expect(list.body.data.map((c) => c.email)).toEqual(["a@good.example"]);
  });

  it("skips the lookup when the request sends skip_email_dns_validation, and never stores the flag", async () => {
    const { key } = await newOrganization();
    const fetchSpy = mockResolver();
    const response = await call("POST", "/v1/customers", {
      key,
      env: on,
      body: { email: "a@nomail.example", skip_email_dns_validation: true },
    });
    expect(response.status).toBe(201);
    expect(response.body).not.toHaveProperty("skip_email_dns_validation");
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it("checks PATCH and PUT only when they send an email", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { email: "old@anything.example" });
    const fetchSpy = mockResolver();
    expect((await call("PATCH", `/v1/customers/${created.id}`, { key, env: on, body: { name: "x" } })).status).toBe(
      200,
    );
    expect(fetchSpy).not.toHaveBeenCalled();
    const patched = await call("PATCH", `/v1/customers/${created.id}`, {
      key,
      env: on,
      body: { email: "b@nomail.example" },
    });
    expect(patched.status).toBe(422);
    const put = await call("PUT", `/v1/customers/${created.id}`, { key, env: on, body: { email: "b@nomail.example" } });
    expect(put.status).toBe(422);
    expect((await call<CustomerObject>("GET", `/v1/customers/${created.id}`, { key })).body.email).toBe(
      "old@anything.example",
    );
  });

  it("refuses on provision and fails only the affected import items", async () => {
    const { key } = await newOrganization();
    mockResolver();
    const provisioned = await call("POST", "/v1/customers/provision", {
      key,
      env: on,
      body: { alternative_id: "p", email: "p@nomail.example" },
    });
    expect(provisioned.status).toBe(422);
    const imported = await call<ImportResult>("POST", "/v1/customers/import", {
      key,
      env: on,
      body: {
        customers: [
          { alternative_id: "ok", email: "ok@good.example" },
          { alternative_id: "bad", email: "bad@nomail.example" },
          { alternative_id: "skipped", email: "s@nomail.example", skip_email_dns_validation: true },
        ],
      },
    });
    expect(imported.body.results.map((r) => r.status)).toEqual(["created", "failed", "created"]);
    expect(imported.body.results[1]?.error).toMatchObject({ code: "email_domain_unresolvable", status: 422 });
  });

  it("is off unless the deployment turns it on", async () => {
    const { key } = await newOrganization();
    const fetchSpy = mockResolver();
    expect((await call("POST", "/v1/customers", { key, body: { email: "a@nomail.example" } })).status).toBe(201);
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});

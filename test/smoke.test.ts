import { describe, expect, it } from "vitest";
import { altPath, type CustomerObject, call, createCustomer, newOrganization } from "./helpers";

describe("smoke", () => {
  it("creates and reads a customer by id and alternative id", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { alternative_id: "user_1", email: "a@example.com" });
    expect(created.id).toMatch(/^cus_/);
    const byId = await call("GET", `/v1/customers/${created.id}`, { key });
    expect(byId.status).toBe(200);
    const byAlt = await call<CustomerObject>("GET", altPath("user_1"), { key });
    expect(byAlt.status).toBe(200);
    expect(byAlt.body.id).toBe(created.id);
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createCustomer, getCustomer, newOrganization } from "./helpers";
import { addCard, configureTestGateway, count, credit, creditBody, moneySetup } from "./money-helpers";

/** Spec section 11, "Linking customers to the gateway": the customer's read-only `billing`. */

describe("billing: the customer's link to the gateway", () => {
  it("is null on every representation until a gateway customer is needed", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key, { email: "a@example.com" });
    expect(customer.billing).toBeNull();
    expect((await getCustomer(key, customer.id)).body.billing).toBeNull();
    const list = await call<{ data: { billing: unknown }[] }>("GET", "/v1/customers", { key });
    expect(list.body.data[0]?.billing).toBeNull();
  });

  it("a first credit creates the gateway customer and records the link, synced, on the customer", async () => {
    const { key, orgId, customer, card } = await moneySetup("pm_card_visa", { name: "Jenny" });
    const before = await getCustomer(key, customer.id);
    expect(before.body.billing).toBeNull();
    expect((await credit(key, creditBody(customer.id, card.id))).status).toBe(201);
    const after = await getCustomer(key, customer.id);
    expect(after.body.billing).toEqual({
      gateway: "test",
      customer_reference: expect.stringMatching(/^gcus_[0-9a-f]{24}$/),
      sync_status: "synced",
      synced_at: expect.any(String),
    });
    // The representation changed, so the ETag did.
    expect(after.headers.get("ETag")).not.toBe(before.headers.get("ETag"));
    // A second credit reuses the same gateway customer.
    expect((await credit(key, creditBody(customer.id, card.id))).status).toBe(201);
    const again = await getCustomer(key, customer.id);
    expect(again.body.billing?.customer_reference).toBe(after.body.billing?.customer_reference);
    expect(await count("gateway_customers", "org_id = ?1 AND customer_id = ?2", orgId, customer.id)).toBe(1);
    const charge = await env.DB.prepare("SELECT gateway_customer_reference AS r FROM charges WHERE customer_id = ?1")
      .bind(customer.id)
      .first<{ r: string }>();
    expect(charge?.r).toBe(after.body.billing?.customer_reference);
  });

  it("a credit the gateway refuses (the card) records no link", async () => {
    const { key } = await newOrganization();
    await configureTestGateway(key);
    const customer = await createCustomer(key);
    // A plain reference under the gateway's name, which the test gateway does not know.
    const plain = await call<{ id: string }>("POST", `/v1/customers/${customer.id}/payment_methods`, {
      key,
      body: { gateway: "stripe", gateway_reference: "pm_unknown" },
    });
    expect(plain.status).toBe(201);
    await env.DB.prepare("UPDATE payment_methods SET gateway = 'test' WHERE id = ?1").bind(plain.body.id).run();
    const refused = await credit(key, creditBody(customer.id, plain.body.id));
    expect(refused.status).toBe(422);
    expect((await getCustomer(key, customer.id)).body.billing).toBeNull();
    expect(await count("gateway_customers", "customer_id = ?1", customer.id)).toBe(0);
  });

  it("another organization's customer is never linked through this one", async () => {
    const { key, customer, card } = await moneySetup();
    const other = await newOrganization("Other");
    await configureTestGateway(other.key);
    expect((await credit(other.key, creditBody(customer.id, card.id))).status).toBe(404);
    expect((await getCustomer(key, customer.id)).body.billing).toBeNull();
    const otherCard = await addCard(other.key, (await createCustomer(other.key)).id);
    expect((await credit(key, creditBody(customer.id, otherCard.id))).status).toBe(404);
  });
});

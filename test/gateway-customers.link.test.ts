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

  it("a payment method added with the gateway creates the gateway customer and records the link", async () => {
    const { key, orgId } = await newOrganization();
    await configureTestGateway(key);
    const customer = await createCustomer(key, { name: "Jenny" });
    const before = await getCustomer(key, customer.id);
    expect(before.body.billing).toBeNull();
    const card = await addCard(key, customer.id, "pm_card_visa");
    const after = await getCustomer(key, customer.id);
    expect(after.body.billing).toEqual({
      gateway: "test",
      customer_reference: expect.stringMatching(/^gcus_[0-9a-f]{24}$/),
      sync_status: "synced",
      synced_at: expect.any(String),
    });
    // The representation changed, so the ETag did.
    expect(after.headers.get("ETag")).not.toBe(before.headers.get("ETag"));
    // Credits charge through the same gateway customer.
    expect((await credit(key, creditBody(customer.id, card.id))).status).toBe(201);
    expect((await credit(key, creditBody(customer.id, card.id))).status).toBe(201);
    const again = await getCustomer(key, customer.id);
    expect(again.body.billing?.customer_reference).toBe(after.body.billing?.customer_reference);
    expect(await count("gateway_customers", "org_id = ?1 AND customer_id = ?2", orgId, customer.id)).toBe(1);
    const charges = await env.DB.prepare(
      "SELECT DISTINCT gateway_customer_reference AS r FROM charges WHERE customer_id = ?1",
    )
      .bind(customer.id)
      .all<{ r: string }>();
    expect(charges.results.map((row) => row.r)).toEqual([after.body.billing?.customer_reference]);
  });

  it("a first credit links a customer whose card predates the gateway", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key);
    // Added before any gateway was configured: a plain reference, no link.
    const card = await addCard(key, customer.id, "pm_card_visa", "test");
    expect((await getCustomer(key, customer.id)).body.billing).toBeNull();
    await configureTestGateway(key);
    expect((await credit(key, creditBody(customer.id, card.id))).status).toBe(201);
    expect((await getCustomer(key, customer.id)).body.billing).toMatchObject({
      gateway: "test",
      sync_status: "synced",
    });
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
    const billing = (await getCustomer(key, customer.id)).body.billing;
    const other = await newOrganization("Other");
    await configureTestGateway(other.key);
    expect((await credit(other.key, creditBody(customer.id, card.id))).status).toBe(404);
    const foreign = await call("POST", `/v1/customers/${customer.id}/payment_methods`, {
      key: other.key,
      body: { gateway: "test", gateway_reference: "pm_card_amex" },
    });
    expect(foreign.status).toBe(404);
    expect((await getCustomer(key, customer.id)).body.billing).toEqual(billing);
    const otherCard = await addCard(other.key, (await createCustomer(other.key)).id);
    expect((await credit(key, creditBody(customer.id, otherCard.id))).status).toBe(404);
  });
});

describe("a payment method added with the organization's gateway", () => {
  it("takes brand, last4 and expiry from the gateway; values that disagree are 400, nothing stored", async () => {
    const { key, orgId } = await newOrganization();
    await configureTestGateway(key);
    const customer = await createCustomer(key);
    const path = `/v1/customers/${customer.id}/payment_methods`;
    const wrong = await call("POST", path, {
      key,
      body: { gateway: "test", gateway_reference: "pm_card_visa", brand: "amex", last4: "0005" },
    });
    expect(wrong.status).toBe(400);
    expect((wrong.body as { errors: { pointer: string }[] }).errors.map((error) => error.pointer)).toEqual([
      "/brand",
      "/last4",
    ]);
    expect(await count("payment_methods", "org_id = ?1", orgId)).toBe(0);
    expect((await getCustomer(key, customer.id)).body.billing).toBeNull();
    const right = await call<{ brand: string; last4: string; exp_month: number; exp_year: number }>("POST", path, {
      key,
      body: { gateway: "test", gateway_reference: "pm_card_mastercard", last4: "4444" },
    });
    expect(right.status, right.text).toBe(201);
    expect(right.body).toMatchObject({
      brand: "mastercard",
      last4: "4444",
      exp_month: 12,
      exp_year: new Date().getUTCFullYear() + 3,
    });
  });

  it("an unknown reference is 422 and leaves no link; another gateway's name stays a plain reference", async () => {
    const { key, orgId } = await newOrganization();
    await configureTestGateway(key);
    const customer = await createCustomer(key);
    const path = `/v1/customers/${customer.id}/payment_methods`;
    const refused = await call("POST", path, { key, body: { gateway: "test", gateway_reference: "pm_nope" } });
    expect(refused.status).toBe(422);
    expect((await getCustomer(key, customer.id)).body.billing).toBeNull();
    expect(await count("gateway_customers", "org_id = ?1", orgId)).toBe(0);
    const plain = await call<{ brand: string | null }>("POST", path, {
      key,
      body: { gateway: "stripe", gateway_reference: "pm_nope", brand: "visa" },
    });
    expect(plain.status).toBe(201);
    expect(plain.body.brand).toBe("visa");
    expect((await getCustomer(key, customer.id)).body.billing).toBeNull();
  });
});

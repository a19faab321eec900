import { describe, expect, it } from "vitest";
import type { PaymentMethodObject } from "../src/payment-methods/payment-methods.schemas";
import { type CustomerList, type CustomerObject, call, createCustomer, getCustomer, newOrganization } from "./helpers";

const addMethod = async (key: string, customerId: string, body: Record<string, unknown>) =>
  (await call<PaymentMethodObject>("POST", `/v1/customers/${customerId}/payment_methods`, { key, body })).body;

type Expanded = CustomerObject & { default_payment_method?: PaymentMethodObject | null };

describe("expand=default_payment_method", () => {
  it("is the payment method marked is_default, or null; follows a new default", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key);
    const none = await getCustomer(key, customer.id, "expand=default_payment_method");
    expect(none.status).toBe(200);
    expect((none.body as Expanded).default_payment_method).toBeNull();
    expect(none.body).not.toHaveProperty("payment_methods");
    await addMethod(key, customer.id, { gateway: "test", gateway_reference: "pm_card_visa" });
    const stillNone = await getCustomer(key, customer.id, "expand=default_payment_method");
    expect((stillNone.body as Expanded).default_payment_method).toBeNull();
    const first = await addMethod(key, customer.id, {
      gateway: "test",
      gateway_reference: "pm_card_amex",
      is_default: true,
    });
    const both = await getCustomer(key, customer.id, "expand=payment_methods,default_payment_method");
    expect((both.body as Expanded).default_payment_method).toEqual(first);
    expect(both.body.payment_methods).toHaveLength(2);
    const second = await addMethod(key, customer.id, {
      gateway: "test",
      gateway_reference: "pm_card_mastercard",
      is_default: true,
    });
    const moved = await getCustomer(key, customer.id, "expand=default_payment_method");
    expect((moved.body as Expanded).default_payment_method).toEqual(second);
  });

  it("gives each customer of a list page its own", async () => {
    const { key } = await newOrganization();
    const withDefault = await createCustomer(key);
    const without = await createCustomer(key);
    const method = await addMethod(key, withDefault.id, { gateway_reference: "pm_x", is_default: true });
    const page = await call<CustomerList>("GET", "/v1/customers?expand=default_payment_method", { key });
    const byId = new Map(page.body.data.map((customer) => [customer.id, customer as Expanded]));
    expect(byId.get(withDefault.id)?.default_payment_method).toEqual(method);
    expect(byId.get(without.id)?.default_payment_method).toBeNull();
  });
});

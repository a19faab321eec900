import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { toAddressObject } from "../src/addresses/addresses.object";
import { CHANGEABLE_ADDRESS_COLUMNS, newAddressFrom } from "../src/customer-records/address-columns";
import { PII_COLUMNS } from "../src/customer-records/customer-columns";
import { ADDRESS_PII_COLUMNS, ERASED_FIELDS, PAYMENT_METHOD_PII_COLUMNS } from "../src/customer-records/erased-fields";
import {
  newPaymentMethodFrom,
  PAYMENT_METHOD_COLUMNS,
  storedPaymentMethodValues,
} from "../src/customer-records/payment-method-columns";
import {
  newSubscriptionWithDefaults,
  SUBSCRIPTION_COLUMNS,
  storedSubscriptionValues,
} from "../src/customer-records/subscription-columns";
import { erasedRecord } from "../src/customers/erasure";

// Which fields are PII is declared once per record (customer-records/erased-fields.ts and the
// profile's column table); every list must name real columns, or an archive would erase nothing.
const columnsOf = async (table: string) =>
  (await env.DB.prepare(`SELECT name FROM pragma_table_info('${table}')`).all<{ name: string }>()).results.map(
    (row) => row.name,
  );

describe("the PII each record declares", () => {
  it("names columns of its table", async () => {
    expect(await columnsOf("customers")).toEqual(expect.arrayContaining([...PII_COLUMNS]));
    expect(await columnsOf("addresses")).toEqual(expect.arrayContaining([...ADDRESS_PII_COLUMNS]));
    expect(await columnsOf("payment_methods")).toEqual(expect.arrayContaining([...PAYMENT_METHOD_PII_COLUMNS]));
  });

  it("is what an archive erases everywhere, and a deleted record's event carries it null", () => {
    expect(ERASED_FIELDS).toEqual([...PII_COLUMNS, ...ADDRESS_PII_COLUMNS, ...PAYMENT_METHOD_PII_COLUMNS]);
    const object = erasedRecord(
      toAddressObject({
        id: "adr_1",
        org_id: "org_1",
        customer_id: "cus_1",
        type: "billing",
        line1: "1 Main St",
        line2: "Flat 2",
        city: "Springfield",
        state: "IL",
        postal_code: "62701",
        country: "US",
        is_default: 1,
        created_at: "2026-01-01T00:00:00.000Z",
        updated_at: "2026-01-01T00:00:00.000Z",
      }),
    );
    for (const field of ADDRESS_PII_COLUMNS) expect(object[field]).toBeNull();
    expect(object).toMatchObject({ id: "adr_1", type: "billing", country: "US" });
  });
});

describe("the address column table", () => {
  it("gives a create's defaults for every column left out, and keeps what was sent", () => {
    expect(newAddressFrom({ line1: "1 Main St", country: "US" })).toEqual({
      type: "billing",
      line1: "1 Main St",
      line2: null,
      city: null,
      state: null,
      postal_code: null,
      country: "US",
      is_default: false,
    });
    expect(
      newAddressFrom({ line1: "x", country: "DE", type: "shipping", is_default: true, city: "Berlin" }),
    ).toMatchObject({ type: "shipping", is_default: true, city: "Berlin", line2: null });
  });

  it("lets a PATCH change exactly the columns of the table", async () => {
    const stored = (await columnsOf("addresses")).filter(
      (name) => !["id", "org_id", "customer_id", "created_at", "updated_at"].includes(name),
    );
    expect([...CHANGEABLE_ADDRESS_COLUMNS].sort()).toEqual(stored.sort());
  });
});

describe("the payment method column table", () => {
  it("marks the card's details and its gateway reference as PII, not the gateway or the default flag", () => {
    expect([...PAYMENT_METHOD_PII_COLUMNS]).toEqual(["gateway_reference", "brand", "last4", "exp_month", "exp_year"]);
  });

  it("names every stored column an insert writes, and gives a create's defaults", async () => {
    const stored = (await columnsOf("payment_methods")).filter(
      (name) => !["id", "org_id", "customer_id", "created_at"].includes(name),
    );
    expect([...PAYMENT_METHOD_COLUMNS].sort()).toEqual(stored.sort());
    const paymentMethod = newPaymentMethodFrom({ gateway_reference: "pm_1", brand: null, exp_month: 4 });
    expect(paymentMethod).toEqual({
      gateway: null,
      gateway_reference: "pm_1",
      brand: null,
      last4: null,
      exp_month: 4,
      exp_year: null,
      is_default: false,
    });
    expect(storedPaymentMethodValues({ ...paymentMethod, is_default: true })).toEqual([
      null,
      "pm_1",
      null,
      null,
      4,
      null,
      1,
    ]);
  });
});

describe("the subscription column table", () => {
  it("names every stored column a caller sets, beside the lifecycle Roster keeps", async () => {
    const stored = (await columnsOf("subscriptions")).filter(
      (name) => !["id", "org_id", "customer_id", "status", "cancel_reason", "canceled_at", "created_at"].includes(name),
    );
    expect([...SUBSCRIPTION_COLUMNS].sort()).toEqual(stored.sort());
  });

  it("gives a create's defaults and stores lists and metadata as JSON", () => {
    const subscription = newSubscriptionWithDefaults({
      plan_id: "plan-pro",
      billing_period: null,
      promotion_code: "X",
    });
    expect(subscription).toEqual({
      plan_id: "plan-pro",
      resource_id: null,
      billing_period: null,
      addons: [],
      billable_features: [],
      promotion_code: "X",
      billing_country_code: null,
      metadata: {},
    });
    expect(storedSubscriptionValues({ ...subscription, addons: [{ addon_id: "a", quantity: 2 }] })).toEqual([
      "plan-pro",
      null,
      null,
      '[{"addon_id":"a","quantity":2}]',
      "[]",
      "X",
      null,
      "{}",
    ]);
  });
});

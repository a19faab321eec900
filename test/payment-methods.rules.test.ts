import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { archiveStatement, findById, writeCustomer } from "../src/customers/customers.repository";
import {
  deletePaymentMethodsOnArchiveStatement,
  insertPaymentMethod,
  paymentMethodsOfCustomersStatement,
} from "../src/payment-methods/payment-methods.repository";
import type { PaymentMethodObject } from "../src/payment-methods/payment-methods.schemas";
import { type CustomerObject, call, createCustomer, newOrganization } from "./helpers";
import {
  addPaymentMethod,
  CARD,
  customerSetup,
  customerState,
  storedCount,
  UNKNOWN_ID,
} from "./payment-methods-helpers";
import {
  describeSubResourceRules,
  expectOperations,
  listOf,
  type Route,
  type ServedDocument,
} from "./sub-resources-helpers";

/** A customer's payment methods: the rules every sub-resource shares, races, repository helpers and the OpenAPI document. */

const ROUTES = (customerPath: string, paymentMethodId: string): Route[] => [
  ["GET", `${customerPath}/payment_methods`, undefined],
  ["POST", `${customerPath}/payment_methods`, CARD],
  ["DELETE", `${customerPath}/payment_methods/${paymentMethodId}`, undefined],
];

describeSubResourceRules({
  resource: "payment_methods",
  name: "payment method",
  unknownId: UNKNOWN_ID,
  create: (key, base) => addPaymentMethod(key, base),
  routes: ROUTES,
  notAllowed: { method: "GET", on: "object", allow: "DELETE" },
  deletes: "payment_method",
  storedCount,
  customerView: customerState,
});

describe("writes that race an archive", () => {
  it("an insert for a customer archived since the lookup stores nothing and leaves the flag alone", async () => {
    const { orgId, key, customerId } = await customerSetup();
    await call<PaymentMethodObject>("DELETE", `/v1/customers/${customerId}`, { key });
    const before = await findById(env.DB, orgId, customerId);
    const paymentMethod = {
      gateway: "stripe",
      gateway_reference: "ref",
      brand: null,
      last4: null,
      exp_month: null,
      exp_year: null,
      is_default: true,
    };
    const now = new Date().toISOString();
    expect((await insertPaymentMethod(env.DB, orgId, customerId, "pm_x", paymentMethod, now, [])).row).toBeNull();
    expect(await storedCount()).toBe(0);
    expect(await findById(env.DB, orgId, customerId)).toEqual(before);
  });
});

describe("repository helpers for the lead", () => {
  it("paymentMethodsOfCustomersStatement loads many customers' payment methods in one statement, this org only", async () => {
    const { orgId, key, customerId, base } = await customerSetup();
    await createCustomer(key, { id: "shared" });
    const a = await addPaymentMethod(key, base);
    const b = await addPaymentMethod(key, "/v1/customers/shared/payment_methods");
    const other = await newOrganization("Other");
    await createCustomer(other.key, { id: "shared" });
    await addPaymentMethod(other.key, "/v1/customers/shared/payment_methods");

    const filler = Array.from({ length: 500 }, (_, index) => `cus_${index}`);
    const { results } = await paymentMethodsOfCustomersStatement(env.DB, orgId, [...filler, customerId, "shared"]).all<{
      id: string;
      customer_id: string;
    }>();
    expect(results.map((row) => [row.customer_id, row.id])).toEqual([
      [customerId, a.id],
      ["shared", b.id],
    ]);
  });

  it("the archive deletes the payment methods and clears the flag, only when it commits", async () => {
    const { orgId, key, customerId, base } = await customerSetup();
    const other = await createCustomer(key);
    await addPaymentMethod(key, base, { ...CARD, is_default: true });
    await addPaymentMethod(key, base);
    const theirs = await addPaymentMethod(key, `/v1/customers/${other.id}/payment_methods`);
    const cascade = (archivedAt: string) => [
      deletePaymentMethodsOnArchiveStatement(env.DB, orgId, customerId, archivedAt),
    ];

    // On a live customer they do nothing.
    await env.DB.batch(cascade("2026-01-01T00:00:00.000Z"));
    expect(await listOf<PaymentMethodObject>(key, base)).toHaveLength(2);
    expect((await customerState(key, customerId)).hasPaymentMethod).toBe(true);

    // An archive that loses its version check: nothing either.
    let row = await findById(env.DB, orgId, customerId);
    const lost = new Date().toISOString();
    expect(
      (
        await writeCustomer(env.DB, archiveStatement(env.DB, orgId, row!.seq, row!.version + 1, lost, null), {
          after: cascade(lost),
        })
      ).row,
    ).toBeNull();
    expect(await listOf<PaymentMethodObject>(key, base)).toHaveLength(2);

    row = await findById(env.DB, orgId, customerId);
    const archivedAt = new Date().toISOString();
    expect(
      (
        await writeCustomer(env.DB, archiveStatement(env.DB, orgId, row!.seq, row!.version, archivedAt, null), {
          after: cascade(archivedAt),
        })
      ).row,
    ).not.toBeNull();
    const remaining = await env.DB.prepare("SELECT customer_id FROM payment_methods").all<{ customer_id: string }>();
    expect(remaining.results).toEqual([{ customer_id: other.id }]);

    // Unarchiving brings none back, and the customer does not claim one.
    const restored = await call<CustomerObject>("POST", `/v1/customers/${customerId}/unarchive`, { key });
    expect(restored.body.has_payment_method).toBe(false);
    expect(await listOf<PaymentMethodObject>(key, base)).toEqual([]);
    expect(await listOf<PaymentMethodObject>(key, `/v1/customers/${other.id}/payment_methods`)).toEqual([theirs]);
  });
});

describe("OpenAPI document", () => {
  it("declares every payment method route with its statuses", async () => {
    const document = (await call<ServedDocument>("GET", "/v1/openapi.json")).body;
    const expected: [string, string, string[]][] = [
      ["get", "/v1/customers/{id}/payment_methods", ["200", "400", "401", "404"]],
      ["post", "/v1/customers/{id}/payment_methods", ["201", "400", "401", "404", "413", "415"]],
      ["delete", "/v1/customers/{id}/payment_methods/{payment_method_id}", ["200", "400", "401", "404"]],
    ];
    expectOperations(document, expected);
    expect(document.paths["/v1/customers/{id}/payment_methods"]?.post?.description).toContain("Luhn");
  });
});

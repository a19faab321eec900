import { describe, expect, it } from "vitest";
import { containsCardNumber, passesLuhn } from "../src/payment-methods/card-numbers";
import type { PaymentMethodObject } from "../src/payment-methods/payment-methods.schemas";
import { type CustomerObject, call, createCustomer, type Problem } from "./helpers";
import {
  addPaymentMethod,
  CARD,
  customerSetup,
  customerState,
  defaultsOf,
  storedCount,
  UNKNOWN_ID,
} from "./payment-methods-helpers";
import { ISO_MS, listOf } from "./sub-resources-helpers";

/** A customer's payment methods: create, card numbers refused, defaults, get, delete and has_payment_method. */

describe("POST /v1/customers/{id}/payment_methods", () => {
  it("creates a payment method with every field", async () => {
    const { key, customerId, base } = await customerSetup();
    const body = { ...CARD, brand: "visa", last4: "4242", exp_month: 12, exp_year: 2030, is_default: true };
    const response = await call<PaymentMethodObject>("POST", base, { key, body });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      object: "payment_method",
      id: expect.stringMatching(/^pm_[0-9A-HJKMNP-TV-Z]{26}$/),
      customer_id: customerId,
      ...body,
      created_at: expect.stringMatching(ISO_MS),
    });
    expect(Object.keys(response.body)).toEqual([
      "object",
      "id",
      "customer_id",
      "gateway",
      "gateway_reference",
      "brand",
      "last4",
      "exp_month",
      "exp_year",
      "is_default",
      "created_at",
    ]);
  });

  it("needs only gateway_reference; the rest default to null and false", async () => {
    const { key, base } = await customerSetup();
    expect(await addPaymentMethod(key, base, { gateway_reference: "ref_1" })).toMatchObject({
      gateway: null,
      brand: null,
      last4: null,
      exp_month: null,
      exp_year: null,
      is_default: false,
    });
  });

  it.each([
    ["no gateway_reference", { gateway: "stripe" }, "/gateway_reference"],
    ["an empty gateway_reference", { gateway_reference: "" }, "/gateway_reference"],
    ["a 256-character gateway_reference", { gateway_reference: "r".repeat(256) }, "/gateway_reference"],
    ["an unknown field", { ...CARD, cvc: "123" }, "/cvc"],
    ["a read-only field", { ...CARD, id: "pm_x" }, "/id"],
    ["3-digit last4", { ...CARD, last4: "424" }, "/last4"],
    ["5-digit last4", { ...CARD, last4: "42424" }, "/last4"],
    ["non-digit last4", { ...CARD, last4: "42a2" }, "/last4"],
    ["numeric last4", { ...CARD, last4: 4242 }, "/last4"],
    ["exp_month 0", { ...CARD, exp_month: 0, exp_year: 2030 }, "/exp_month"],
    ["exp_month 13", { ...CARD, exp_month: 13, exp_year: 2030 }, "/exp_month"],
    ["a fractional exp_month", { ...CARD, exp_month: 1.5, exp_year: 2030 }, "/exp_month"],
    ["exp_year 1999", { ...CARD, exp_month: 1, exp_year: 1999 }, "/exp_year"],
    ["exp_year 2101", { ...CARD, exp_month: 1, exp_year: 2101 }, "/exp_year"],
    ["a two-digit exp_year", { ...CARD, exp_month: 1, exp_year: 30 }, "/exp_year"],
    ["exp_month without exp_year", { ...CARD, exp_month: 1 }, "/exp_year"],
    ["exp_year without exp_month", { ...CARD, exp_year: 2030 }, "/exp_month"],
    ["a 33-character brand", { ...CARD, brand: "b".repeat(33) }, "/brand"],
  ])("400 for %s", async (_case, body, pointer) => {
    const { key, base } = await customerSetup();
    const response = await call<Problem>("POST", base, { key, body });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("validation_failed");
    expect(response.body.errors?.map((error: { pointer: string }) => error.pointer)).toEqual([pointer]);
    expect(await storedCount()).toBe(0);
  });

  it("accepts the edges of the expiry ranges", async () => {
    const { key, base } = await customerSetup();
    await addPaymentMethod(key, base, { ...CARD, exp_month: 1, exp_year: 2000 });
    await addPaymentMethod(key, base, { ...CARD, exp_month: 12, exp_year: 2100 });
    expect(await listOf<PaymentMethodObject>(key, base)).toHaveLength(2);
  });

  it("415 without a JSON content type", async () => {
    const { key, base } = await customerSetup();
    const response = await call<PaymentMethodObject>("POST", base, { key, rawBody: JSON.stringify(CARD) });
    expect(response.status).toBe(415);
  });
});

describe("card numbers are refused, and nothing is stored", () => {
  const LUHN_VALID_16 = "4242424242424242";

  it.each([
    ["a plain 16-digit number in gateway_reference", { gateway_reference: LUHN_VALID_16 }, "/gateway_reference"],
    ["a number inside gateway_reference", { gateway_reference: `tok_${LUHN_VALID_16}` }, "/gateway_reference"],
    ["space-grouped digits in brand", { ...CARD, brand: "4111 1111 1111 1111" }, "/brand"],
    ["dash-grouped digits in gateway", { ...CARD, gateway: "5555-5555-5555-4444" }, "/gateway"],
    ["13 digits", { gateway_reference: "4222222222222" }, "/gateway_reference"],
    ["19 digits", { gateway_reference: "4000000000000000006" }, "/gateway_reference"],
    ["a number after other digits", { gateway_reference: "order 12 4242 4242 4242 4242" }, "/gateway_reference"],
    ["a number in last4", { ...CARD, last4: LUHN_VALID_16 }, "/last4"],
    ["a number in an unknown field", { ...CARD, card_number: LUHN_VALID_16 }, "/card_number"],
    ["a number nested in an unknown field", { ...CARD, card: { numbers: ["x", LUHN_VALID_16] } }, "/card/numbers/1"],
    ["a JSON number", { ...CARD, pan: 4242424242424242 }, "/pan"],
    ["a field name", { ...CARD, [LUHN_VALID_16]: "x" }, ""],
  ])("400 for %s", async (_case, body, pointer) => {
    const { key, customerId, base } = await customerSetup();
    const before = await customerState(key, customerId);
    const response = await call<Problem>("POST", base, { key, body });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("validation_failed");
    expect(response.body.errors).toEqual([{ pointer, detail: expect.stringContaining("card number") }]);
    // The answer never repeats the number.
    expect(containsCardNumber(response.text)).toBe(false);
    expect(await storedCount()).toBe(0);
    expect(await customerState(key, customerId)).toEqual(before);
  });

  it("400 for a JSON number too long to be parsed exactly", async () => {
    const { key, base } = await customerSetup();
    const response = await call<Problem>("POST", base, {
      key,
      rawBody: `{"gateway_reference":"ref","pan":4000000000000000006}`,
      headers: { "Content-Type": "application/json" },
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ pointer: "/pan", detail: expect.stringContaining("card number") }]);
    expect(await storedCount()).toBe(0);
  });

  it("names every field that holds one", async () => {
    const { key, base } = await customerSetup();
    const response = await call<Problem>("POST", base, {
      key,
      body: { gateway_reference: LUHN_VALID_16, brand: "4111-1111-1111-1111", gateway: "stripe" },
    });
    expect(response.status).toBe(400);
    expect(response.body.errors?.map((error: { pointer: string }) => error.pointer)).toEqual([
      "/gateway_reference",
      "/brand",
    ]);
  });

  it.each([
    ["a Luhn-invalid 16-digit number", "4242424242424241"],
    ["a Luhn-valid 12-digit number", "424242424242".slice(0, 11) + checkDigitFor("424242424242".slice(0, 11))],
    ["20 unbroken digits", "42424242424242424242"],
    ["digits grouped by double spaces", "4242  4242  4242  4242"],
    ["an ordinary gateway reference", "pm_1MqLiJLkdIwHu7ixUEgbFdYF"],
  ])("accepts %s in gateway_reference", async (_case, reference) => {
    const { key, base } = await customerSetup();
    const created = await call<PaymentMethodObject>("POST", base, { key, body: { gateway_reference: reference } });
    expect(created.status, created.text).toBe(201);
    expect(created.body.gateway_reference).toBe(reference);
  });

  it("the detector: Luhn, grouping and lengths", () => {
    expect(passesLuhn("4242424242424242")).toBe(true);
    expect(passesLuhn("4242424242424241")).toBe(false);
    expect(passesLuhn("79927398713")).toBe(true);
    expect(containsCardNumber("4242-4242 4242-4242")).toBe(true);
    expect(containsCardNumber("4242--4242-4242-4242")).toBe(false);
    expect(containsCardNumber("exp 12/30 card 6011000990139424.")).toBe(true);
    expect(containsCardNumber("no digits here")).toBe(false);
  });
});

/** The digit that makes `prefix` + digit pass the Luhn check. */
function checkDigitFor(prefix: string): string {
  for (let digit = 0; digit <= 9; digit++) if (passesLuhn(`${prefix}${digit}`)) return String(digit);
  throw new Error("no check digit");
}

describe("default payment method", () => {
  it("a new default clears the previous one; exactly one remains", async () => {
    const { key, base } = await customerSetup();
    const first = await addPaymentMethod(key, base, { ...CARD, is_default: true });
    const plain = await addPaymentMethod(key, base, { ...CARD, is_default: false });
    expect(defaultsOf(await listOf<PaymentMethodObject>(key, base))).toEqual([first.id]);
    const second = await addPaymentMethod(key, base, { ...CARD, is_default: true });
    const paymentMethods = await listOf<PaymentMethodObject>(key, base);
    expect(defaultsOf(paymentMethods)).toEqual([second.id]);
    expect(paymentMethods.map((paymentMethod) => paymentMethod.id)).toEqual([first.id, plain.id, second.id]);
  });

  it("concurrent new defaults leave exactly one", async () => {
    const { key, base } = await customerSetup();
    await Promise.all(Array.from({ length: 6 }, () => addPaymentMethod(key, base, { ...CARD, is_default: true })));
    const paymentMethods = await listOf<PaymentMethodObject>(key, base);
    expect(paymentMethods).toHaveLength(6);
    expect(defaultsOf(paymentMethods)).toHaveLength(1);
  });

  it("another customer's default is not touched", async () => {
    const { key, base } = await customerSetup();
    const other = await createCustomer(key);
    const otherBase = `/v1/customers/${other.id}/payment_methods`;
    const theirs = await addPaymentMethod(key, otherBase, { ...CARD, is_default: true });
    await addPaymentMethod(key, base, { ...CARD, is_default: true });
    expect(defaultsOf(await listOf<PaymentMethodObject>(key, otherBase))).toEqual([theirs.id]);
  });

  it("deleting the default promotes no other", async () => {
    const { key, base } = await customerSetup();
    await addPaymentMethod(key, base);
    const theDefault = await addPaymentMethod(key, base, { ...CARD, is_default: true });
    await call<PaymentMethodObject>("DELETE", `${base}/${theDefault.id}`, { key });
    expect(defaultsOf(await listOf<PaymentMethodObject>(key, base))).toEqual([]);
  });
});

describe("GET and DELETE", () => {
  it("lists every payment method in insertion order", async () => {
    const { key, base } = await customerSetup();
    const empty = await call<PaymentMethodObject>("GET", base, { key });
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ object: "list", data: [], has_more: false, next_cursor: null });
    const created = [await addPaymentMethod(key, base), await addPaymentMethod(key, base, { gateway_reference: "b" })];
    expect((await call<PaymentMethodObject>("GET", base, { key })).body).toEqual({
      object: "list",
      data: created,
      has_more: false,
      next_cursor: null,
    });
    expect((await call<PaymentMethodObject>("GET", `${base}?gateway=stripe`, { key })).status).toBe(400);
  });

  it("404 not_found for an unknown id and for another customer's payment method, which stays", async () => {
    const { key, base } = await customerSetup();
    const other = await createCustomer(key);
    const otherBase = `/v1/customers/${other.id}/payment_methods`;
    const theirs = await addPaymentMethod(key, otherBase);
    for (const id of [UNKNOWN_ID, "pm_nonexistent", theirs.id]) {
      const response = await call<Problem>("DELETE", `${base}/${id}`, { key });
      expect(response.status).toBe(404);
      expect(response.body.code).toBe("not_found");
    }
    expect(await listOf<PaymentMethodObject>(key, otherBase)).toEqual([theirs]);
    expect((await call<CustomerObject>("GET", `/v1/customers/${other.id}`, { key })).body.has_payment_method).toBe(
      true,
    );
  });

  it("400 for a malformed payment method id", async () => {
    const { key, base } = await customerSetup();
    const response = await call<Problem>("DELETE", `${base}/pm.x`, { key });
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.pointer).toBe("#/path/payment_method_id");
  });
});

describe("has_payment_method", () => {
  it("follows the payment methods on file, and the ETag changes when it flips", async () => {
    const { key, customerId, base } = await customerSetup();
    const initial = await customerState(key, customerId);
    expect(initial.hasPaymentMethod).toBe(false);

    await new Promise((resolve) => setTimeout(resolve, 3));
    const first = await addPaymentMethod(key, base);
    const afterFirst = await customerState(key, customerId);
    expect(afterFirst.hasPaymentMethod).toBe(true);
    expect(afterFirst.etag).not.toBe(initial.etag);
    expect(afterFirst.updatedAt > initial.updatedAt).toBe(true);

    // A second one leaves the customer object as it was, so its ETag stays.
    const second = await addPaymentMethod(key, base);
    expect(await customerState(key, customerId)).toEqual(afterFirst);
    await call<PaymentMethodObject>("DELETE", `${base}/${first.id}`, { key });
    expect(await customerState(key, customerId)).toEqual(afterFirst);

    await call<PaymentMethodObject>("DELETE", `${base}/${second.id}`, { key });
    const afterLast = await customerState(key, customerId);
    expect(afterLast.hasPaymentMethod).toBe(false);
    expect(afterLast.etag).not.toBe(afterFirst.etag);
    expect(afterLast.etag).not.toBe(initial.etag);
  });

  it("a stale If-Match fails after a payment method was added", async () => {
    const { key, customerId, base } = await customerSetup();
    const { etag } = await customerState(key, customerId);
    await addPaymentMethod(key, base);
    const response = await call<PaymentMethodObject>("PATCH", `/v1/customers/${customerId}`, {
      key,
      body: { name: "x" },
      headers: { "If-Match": etag ?? "" },
    });
    expect(response.status).toBe(412);
  });

  it("another customer's flag does not move", async () => {
    const { key, base } = await customerSetup();
    const other = await createCustomer(key);
    await addPaymentMethod(key, base);
    const response = await call<CustomerObject>("GET", `/v1/customers/${other.id}`, { key });
    expect(response.body.has_payment_method).toBe(false);
  });
});

import { afterEach, describe, expect, it, vi } from "vitest";
import { GatewayRejected, GatewayUnreachable } from "../src/payment-gateway/gateway";
import { stripeGateway } from "../src/payment-gateway/stripe";
import { encodeForm } from "../src/payment-gateway/stripe-form";
import {
  API_BASE,
  cardPaymentMethod,
  customerObject,
  expectStripeHeaders,
  fakeStripe,
  ok,
  rejectionOf,
  SECRET_KEY,
  stripeError,
} from "./stripe-gateway-helpers";

/** The Stripe adapter's calls other than `charge` (test/stripe-gateway.charge.test.ts), against a scripted Stripe. */

afterEach(() => {
  vi.restoreAllMocks();
});

describe("form encoding", () => {
  it("nests objects and arrays in brackets, sends null empty and leaves undefined out", () => {
    expect(
      encodeForm({
        name: "Zoë & Co = 100%",
        missing: undefined,
        phone: null,
        preferred_locales: ["de-DE", "en"],
        address: { line1: "Unter den Linden 1", line2: null, city: undefined },
        metadata: { roster_customer_id: "cus_1", "odd key": "a+b" },
        confirm: true,
        amount: 1000,
      }),
    ).toBe(
      "name=Zo%C3%AB%20%26%20Co%20%3D%20100%25&phone=&preferred_locales[0]=de-DE&preferred_locales[1]=en" +
        "&address[line1]=Unter%20den%20Linden%201&address[line2]=&metadata[roster_customer_id]=cus_1" +
        "&metadata[odd%20key]=a%2Bb&confirm=true&amount=1000",
    );
  });
});

describe("customers", () => {
  const fields = {
    name: "Ada Lovelace",
    email: "ada@example.com",
    phone: null,
    language: "en-GB",
    address: {
      line1: "12 St James's Square",
      line2: null,
      city: "London",
      state: null,
      postal_code: "SW1Y 4JH",
      country: "GB",
    },
    metadata: { roster_customer_id: "cus_roster1", roster_organization_id: "org_1" },
  };

  it("creates a customer with its fields, nulls left out, and the caller's idempotency key", async () => {
    const stripe = fakeStripe(ok(customerObject()));
    await expect(stripe.gateway.createCustomer(fields, "roster-customer-cus_roster1")).resolves.toBe(
      "cus_QXg1o8vcGmoR32",
    );
    const [request] = stripe.sent;
    expect(request!.method).toBe("POST");
    expect(request!.url).toBe(`${API_BASE}/v1/customers`);
    expectStripeHeaders(request!, "roster-customer-cus_roster1");
    expect(request!.body).toBe(
      "name=Ada%20Lovelace&email=ada%40example.com&preferred_locales[0]=en-GB" +
        "&address[line1]=12%20St%20James's%20Square&address[city]=London&address[postal_code]=SW1Y%204JH" +
        "&address[country]=GB&metadata[roster_customer_id]=cus_roster1&metadata[roster_organization_id]=org_1",
    );
  });

  it("updates only the fields given, a null unsetting the field at Stripe", async () => {
    const stripe = fakeStripe(ok(customerObject()));
    await stripe.gateway.updateCustomer(
      "cus_QXg1o8vcGmoR32",
      { email: null, phone: null, address: null, name: "Ada" },
      "k1",
    );
    const [request] = stripe.sent;
    expect(request!.url).toBe(`${API_BASE}/v1/customers/cus_QXg1o8vcGmoR32`);
    expectStripeHeaders(request!, "k1");
    expect(request!.body).toBe("name=Ada&email=&phone=&address=");
  });

  it("leaves Stripe's locales alone when the language is cleared (Stripe has no empty value for them)", async () => {
    const stripe = fakeStripe(ok(customerObject()), ok(customerObject()));
    await stripe.gateway.updateCustomer("cus_QXg1o8vcGmoR32", { language: null }, "k1");
    await stripe.gateway.updateCustomer("cus_QXg1o8vcGmoR32", { language: "pt-BR" }, "k2");
    expect(stripe.sent.map((request) => request.body)).toEqual(["", "preferred_locales[0]=pt-BR"]);
  });

  it("sends a phone longer than Stripe's 20 characters without its formatting", async () => {
    const stripe = fakeStripe(ok(customerObject()), ok(customerObject()));
    await stripe.gateway.updateCustomer("cus_QXg1o8vcGmoR32", { phone: "+44 (0) 20 7946 0958 x12" }, "k1");
    await stripe.gateway.updateCustomer("cus_QXg1o8vcGmoR32", { phone: "+1 111-867-5309" }, "k2");
    expect(stripe.sent.map((request) => request.body)).toEqual([
      "phone=%2B440207946095812",
      "phone=%2B1%20111-867-5309",
    ]);
  });

  it("sends an address's null parts empty on update, so a removed line2 is removed at Stripe", async () => {
    const stripe = fakeStripe(ok(customerObject()));
    await stripe.gateway.updateCustomer("cus_QXg1o8vcGmoR32", { address: fields.address }, "k2");
    expect(stripe.sent[0]!.body).toBe(
      "address[line1]=12%20St%20James's%20Square&address[line2]=&address[city]=London&address[state]=" +
        "&address[postal_code]=SW1Y%204JH&address[country]=GB",
    );
  });

  it("retrieves a customer and its default payment method, expanded or not", async () => {
    const stripe = fakeStripe(
      ok(customerObject({ invoice_settings: { default_payment_method: "pm_1Default" } })),
      ok(customerObject({ invoice_settings: { default_payment_method: cardPaymentMethod("pm_1Expanded") } })),
      ok(customerObject()),
    );
    const expected = { reference: "cus_QXg1o8vcGmoR32", defaultPaymentMethod: "pm_1Default" };
    await expect(stripe.gateway.retrieveCustomer("cus_QXg1o8vcGmoR32")).resolves.toEqual(expected);
    await expect(stripe.gateway.retrieveCustomer("cus_QXg1o8vcGmoR32")).resolves.toEqual({
      ...expected,
      defaultPaymentMethod: "pm_1Expanded",
    });
    await expect(stripe.gateway.retrieveCustomer("cus_QXg1o8vcGmoR32")).resolves.toEqual({
      ...expected,
      defaultPaymentMethod: null,
    });
    expect(stripe.sent[0]!.method).toBe("GET");
    expect(stripe.sent[0]!.body).toBe("");
    expectStripeHeaders(stripe.sent[0]!, null);
  });

  it("refuses a deleted customer, which Stripe still answers with `deleted: true`", async () => {
    const stripe = fakeStripe(ok({ id: "cus_QXg1o8vcGmoR32", object: "customer", deleted: true }));
    const error = await rejectionOf(stripe.gateway.retrieveCustomer("cus_QXg1o8vcGmoR32"));
    expect(error).toBeInstanceOf(GatewayRejected);
    expect((error as GatewayRejected).code).toBe("resource_missing");
    expect(error.message).toContain("cus_QXg1o8vcGmoR32");
  });

  it("refuses an unknown customer with Stripe's own message, code and param", async () => {
    const stripe = fakeStripe(
      stripeError(404, {
        type: "invalid_request_error",
        code: "resource_missing",
        message: "No such customer: 'cus_missing'",
        param: "id",
      }),
    );
    const error = await rejectionOf(stripe.gateway.retrieveCustomer("cus_missing"));
    expect(error).toBeInstanceOf(GatewayRejected);
    expect(error.message).toBe("No such customer: 'cus_missing'");
    expect((error as GatewayRejected).code).toBe("resource_missing");
    expect((error as GatewayRejected).param).toBe("id");
  });

  it("encodes a reference in the path", async () => {
    const stripe = fakeStripe(ok(customerObject()));
    await stripe.gateway.retrieveCustomer("cus_../balance?x=1");
    expect(stripe.sent[0]!.url).toBe(`${API_BASE}/v1/customers/cus_..%2Fbalance%3Fx%3D1`);
  });
});

describe("payment methods", () => {
  it("checks a payment method, attaches it, and describes the attached one (a test token becomes a new id)", async () => {
    const stripe = fakeStripe(
      ok(cardPaymentMethod("pm_1Fresh", { brand: "mastercard", last4: "4444", exp_month: 12, exp_year: 2031 })),
      ok(
        cardPaymentMethod(
          "pm_1Attached",
          { brand: "mastercard", last4: "4444", exp_month: 12, exp_year: 2031 },
          "cus_QXg1o8vcGmoR32",
        ),
      ),
    );
    await expect(
      stripe.gateway.attachPaymentMethod("cus_QXg1o8vcGmoR32", "pm_card_mastercard", "roster-pm-pm_roster1"),
    ).resolves.toEqual({ reference: "pm_1Attached", brand: "mastercard", last4: "4444", expMonth: 12, expYear: 2031 });
    const [check, attach] = stripe.sent;
    expect([check!.method, check!.url]).toEqual(["GET", `${API_BASE}/v1/payment_methods/pm_card_mastercard`]);
    expectStripeHeaders(check!, null);
    expect([attach!.method, attach!.url]).toEqual(["POST", `${API_BASE}/v1/payment_methods/pm_card_mastercard/attach`]);
    expectStripeHeaders(attach!, "roster-pm-pm_roster1");
    expect(attach!.body).toBe("customer=cus_QXg1o8vcGmoR32");
  });

  it("describes a payment method already on this customer without attaching it again", async () => {
    const stripe = fakeStripe(ok(cardPaymentMethod("pm_1Known", {}, "cus_QXg1o8vcGmoR32")));
    await expect(stripe.gateway.attachPaymentMethod("cus_QXg1o8vcGmoR32", "pm_1Known", "k")).resolves.toEqual({
      reference: "pm_1Known",
      brand: "visa",
      last4: "4242",
      expMonth: 8,
      expYear: 2030,
    });
    expect(stripe.sent).toHaveLength(1);
  });

  it("refuses an unknown payment method", async () => {
    const stripe = fakeStripe(
      stripeError(404, {
        type: "invalid_request_error",
        code: "resource_missing",
        message: "No such PaymentMethod: 'pm_nope'",
        param: "payment_method",
      }),
    );
    const error = await rejectionOf(stripe.gateway.attachPaymentMethod("cus_QXg1o8vcGmoR32", "pm_nope", "k"));
    expect(error).toBeInstanceOf(GatewayRejected);
    expect((error as GatewayRejected).code).toBe("resource_missing");
    expect((error as GatewayRejected).param).toBe("payment_method");
  });

  it("lists every card over pages of 100, with the customer's default", async () => {
    const stripe = fakeStripe(
      ok(customerObject({ invoice_settings: { default_payment_method: "pm_2" } })),
      ok({
        object: "list",
        url: "/v1/customers/cus_QXg1o8vcGmoR32/payment_methods",
        has_more: true,
        data: [
          cardPaymentMethod("pm_1"),
          cardPaymentMethod("pm_2", { brand: "amex", last4: "0005", exp_month: 1, exp_year: 2029 }),
        ],
      }),
      ok({
        object: "list",
        url: "/v1/customers/cus_QXg1o8vcGmoR32/payment_methods",
        has_more: false,
        data: [cardPaymentMethod("pm_3", { exp_month: null })],
      }),
    );
    const { cards, defaultReference } = await stripe.gateway.listCards("cus_QXg1o8vcGmoR32");
    expect(defaultReference).toBe("pm_2");
    expect(cards).toEqual([
      { reference: "pm_1", brand: "visa", last4: "4242", expMonth: 8, expYear: 2030 },
      { reference: "pm_2", brand: "amex", last4: "0005", expMonth: 1, expYear: 2029 },
      { reference: "pm_3", brand: "visa", last4: "4242", expMonth: null, expYear: 2030 },
    ]);
    expect(stripe.sent.map((request) => request.url)).toEqual([
      `${API_BASE}/v1/customers/cus_QXg1o8vcGmoR32`,
      `${API_BASE}/v1/customers/cus_QXg1o8vcGmoR32/payment_methods?type=card&limit=100`,
      `${API_BASE}/v1/customers/cus_QXg1o8vcGmoR32/payment_methods?type=card&limit=100&starting_after=pm_2`,
    ]);
    for (const request of stripe.sent) expectStripeHeaders(request, null);
  });

  it("refuses to list the cards of a deleted customer", async () => {
    const stripe = fakeStripe(ok({ id: "cus_gone", object: "customer", deleted: true }));
    expect(await rejectionOf(stripe.gateway.listCards("cus_gone"))).toBeInstanceOf(GatewayRejected);
    expect(stripe.sent).toHaveLength(1);
  });

  it("makes a payment method the customer's default for invoices", async () => {
    const stripe = fakeStripe(ok(customerObject({ invoice_settings: { default_payment_method: "pm_1" } })));
    await stripe.gateway.setDefaultPaymentMethod("cus_QXg1o8vcGmoR32", "pm_1", "roster-default-cus_roster1-pm_1");
    const [request] = stripe.sent;
    expect([request!.method, request!.url]).toEqual(["POST", `${API_BASE}/v1/customers/cus_QXg1o8vcGmoR32`]);
    expectStripeHeaders(request!, "roster-default-cus_roster1-pm_1");
    expect(request!.body).toBe("invoice_settings[default_payment_method]=pm_1");
  });
});

describe("tax ids", () => {
  it("adds a tax id with its type and value", async () => {
    const stripe = fakeStripe(
      ok({
        id: "txi_1",
        object: "tax_id",
        country: "DE",
        customer: "cus_QXg1o8vcGmoR32",
        type: "eu_vat",
        value: "DE123456789",
        verification: { status: "pending", verified_address: null, verified_name: null },
      }),
    );
    await stripe.gateway.addTaxId("cus_QXg1o8vcGmoR32", { type: "eu_vat", value: "DE123456789" }, "roster-taxid-1");
    const [request] = stripe.sent;
    expect([request!.method, request!.url]).toEqual(["POST", `${API_BASE}/v1/customers/cus_QXg1o8vcGmoR32/tax_ids`]);
    expectStripeHeaders(request!, "roster-taxid-1");
    expect(request!.body).toBe("type=eu_vat&value=DE123456789");
  });

  it("refuses an invalid tax id with Stripe's message, code and param", async () => {
    const stripe = fakeStripe(
      stripeError(400, {
        type: "invalid_request_error",
        code: "tax_id_invalid",
        message: "Invalid value for eu_vat.",
        param: "value",
      }),
    );
    const error = await rejectionOf(
      stripe.gateway.addTaxId("cus_QXg1o8vcGmoR32", { type: "eu_vat", value: "DE1" }, "k"),
    );
    expect(error).toBeInstanceOf(GatewayRejected);
    expect([error.message, (error as GatewayRejected).code, (error as GatewayRejected).param]).toEqual([
      "Invalid value for eu_vat.",
      "tax_id_invalid",
      "value",
    ]);
  });
});

describe("credentials", () => {
  it("checks a key with a cheap authenticated read", async () => {
    const stripe = fakeStripe(ok({ object: "list", data: [], has_more: false, url: "/v1/customers" }));
    await stripe.gateway.verifyCredentials();
    expect(stripe.sent[0]!.url).toBe(`${API_BASE}/v1/customers?limit=1`);
    expectStripeHeaders(stripe.sent[0]!, null);
  });

  it("refuses a key Stripe refuses (401), never repeating the key", async () => {
    const stripe = fakeStripe(
      stripeError(401, { type: "invalid_request_error", message: `Invalid API Key provided: ${SECRET_KEY}` }),
    );
    const error = await rejectionOf(stripe.gateway.verifyCredentials());
    expect(error).toBeInstanceOf(GatewayRejected);
    expect(error.message).toBe("Invalid API Key provided: sk_[redacted]");
    expect((error as GatewayRejected).code).toBeNull();
  });

  it("refuses a restricted key without the permission (403)", async () => {
    const stripe = fakeStripe(
      stripeError(403, {
        type: "invalid_request_error",
        message:
          "The provided key 'rk_test_51Ab***********xyz' does not have the required permissions for this endpoint.",
      }),
    );
    const error = await rejectionOf(stripe.gateway.verifyCredentials());
    expect(error).toBeInstanceOf(GatewayRejected);
    expect(error.message).not.toContain("rk_test");
  });

  it("uses the global fetch when given none", async () => {
    const spy = vi
      .spyOn(globalThis, "fetch")
      .mockResolvedValue(Response.json({ object: "list", data: [], has_more: false }));
    await stripeGateway(SECRET_KEY, "https://api.stripe.com/").verifyCredentials();
    expect(String(spy.mock.calls[0]![0])).toBe("https://api.stripe.com/v1/customers?limit=1");
  });
});

describe("when Stripe cannot answer (calls other than charge)", () => {
  const refused = new TypeError(`connect ECONNREFUSED for ${SECRET_KEY}`);
  const cases = [
    ["a refused connection", refused, "could not be reached"],
    ["a timeout after sending", "hang", "retrying with the same idempotency key is safe"],
    ["a 500", stripeError(500, { type: "api_error", message: "An unknown error occurred" }), "HTTP 500"],
    [
      "a 429",
      stripeError(429, { type: "invalid_request_error", code: "rate_limit", message: "Too many requests." }),
      "429",
    ],
    [
      "a concurrent request with the same key (409)",
      stripeError(409, { type: "idempotency_error", code: "idempotency_key_in_use", message: "in use" }),
      "409",
    ],
    ["a 200 that is not JSON", new Response("<html>proxy</html>", { status: 200 }), "not JSON"],
  ] as const;

  for (const [name, reply, said] of cases) {
    it(`${name} is GatewayUnreachable, tried once`, async () => {
      const stripe = fakeStripe(reply);
      const error = await rejectionOf(stripe.gateway.createCustomer({ name: "Ada" }, "k"));
      expect(error).toBeInstanceOf(GatewayUnreachable);
      expect(error.message).toContain(said);
      expect(error.message).not.toContain(SECRET_KEY);
      expect(stripe.sent).toHaveLength(1);
    });
  }
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { archive, call, createCustomer, expectProblem, expectValidationFailed, newOrganization } from "./helpers";
import {
  addCard,
  asProblemCharge,
  type BalanceTransactionObject,
  balanceOf,
  type ChargeObject,
  CREDIT_PATH,
  count,
  credit,
  creditBody,
  eventsOf,
  expectLedgerConsistent,
  type ListOf,
  moneySetup,
} from "./money-helpers";

describe("POST /v1/customers/credit_from_payment_method with the test gateway", () => {
  it.each([
    ["pm_card_visa", "visa"],
    ["pm_card_mastercard", "mastercard"],
    ["pm_card_amex", "amex"],
  ])("%s: 201 with the balance transaction and its charge, the balance credited", async (reference) => {
    const { key, orgId, customer, card } = await moneySetup(reference);
    const response = await credit(key, { ...creditBody(customer.id, card.id, 1000, "USD"), description: "top-up" });
    expect(response.status, response.text).toBe(201);
    const transaction = response.body as BalanceTransactionObject;
    expect(transaction).toMatchObject({
      object: "balance_transaction",
      customer_id: customer.id,
      type: "credit_from_payment_method",
      amount: 1000,
      currency: "usd",
      ending_balance: 1000,
      description: "top-up",
      charge: {
        object: "charge",
        customer_id: customer.id,
        payment_method_id: card.id,
        amount: 1000,
        currency: "usd",
        status: "succeeded",
        failure_code: null,
        decline_code: null,
        gateway: "test",
      },
    });
    expect(transaction.id).toMatch(/^cbt_/);
    expect(transaction.charge?.id).toMatch(/^ch_/);
    expect(transaction.charge?.gateway_reference).toMatch(/^pi_test_/);
    expect((await balanceOf(key, customer.id)).balances).toEqual({ usd: 1000 });
    const charge = await call<ChargeObject>("GET", `/v1/charges/${transaction.charge?.id}`, { key });
    expect(charge.body).toEqual(transaction.charge);
    await expectLedgerConsistent(orgId, customer.id);
  });

  it("a second credit adds up; the ending balance is the balance after each", async () => {
    const { key, customer, card } = await moneySetup();
    await credit(key, creditBody(customer.id, card.id, 1000));
    const second = await credit(key, creditBody(customer.id, card.id, 250));
    expect((second.body as BalanceTransactionObject).ending_balance).toBe(1250);
    await credit(key, creditBody(customer.id, card.id, 500, "eur"));
    expect((await balanceOf(key, customer.id)).balances).toEqual({ usd: 1250, eur: 500 });
  });

  it("finds the customer by alternative_id", async () => {
    const { key, customer, card } = await moneySetup("pm_card_visa", { alternative_id: "user/42 ü" });
    const response = await credit(key, {
      alternative_id: "user/42 ü",
      payment_method_id: card.id,
      amount: 700,
      currency: "jpy",
    });
    expect(response.status, response.text).toBe(201);
    expect((response.body as BalanceTransactionObject).customer_id).toBe(customer.id);
  });

  it.each([
    ["pm_card_chargeDeclined", "card_declined", "generic_decline"],
    ["pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"],
    ["pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"],
    ["pm_card_authenticationRequired", "authentication_required", "authentication_required"],
  ])("%s: 402 payment_failed, the charge kept failed, no balance", async (reference, failureCode, declineCode) => {
    const { key, orgId, customer, card } = await moneySetup(reference);
    const response = await credit(key, creditBody(customer.id, card.id));
    const problem = expectProblem(response, 402, "payment_failed");
    const { charge_id: chargeId, decline_code: decline } = asProblemCharge(response);
    expect(decline).toBe(declineCode);
    expect(problem.detail.length).toBeGreaterThan(5);
    const charge = await call<ChargeObject>("GET", `/v1/charges/${chargeId}`, { key });
    expect(charge.body).toMatchObject({ status: "failed", failure_code: failureCode, decline_code: declineCode });
    expect(charge.body.failure_message).toBe(problem.detail);
    expect((await balanceOf(key, customer.id)).balances).toEqual({});
    expect(await count("balance_transactions")).toBe(0);
    const types = (await eventsOf(orgId, customer.id)).map((event) => event.type);
    expect(types.at(-1)).toBe("charge.failed");
    expect(types).not.toContain("balance_transaction.created");
  });

  it("a reference the test gateway does not know: 422 gateway_rejected, nothing kept", async () => {
    const { key, customer } = await moneySetup();
    // Refused already when added with the gateway (spec section 11); one stored before the
    // gateway was configured (a plain reference then) is refused by the credit's attach.
    const added = await call("POST", `/v1/customers/${customer.id}/payment_methods`, {
      key,
      body: { gateway: "test", gateway_reference: "pm_1MqLiJLkdIwHu7ixUEgbFdYF" },
    });
    expectProblem(added, 422, "gateway_rejected");
    const unknown = await addCard(key, customer.id, "pm_1MqLiJLkdIwHu7ixUEgbFdYF", "other");
    await env.DB.prepare("UPDATE payment_methods SET gateway = 'test' WHERE id = ?1").bind(unknown.id).run();
    const response = await credit(key, creditBody(customer.id, unknown.id));
    expect(expectProblem(response, 422, "gateway_rejected").detail).toContain("pm_1MqLiJLkdIwHu7ixUEgbFdYF");
    expect(await count("charges")).toBe(0);
    expect(await count("balance_transactions")).toBe(0);
  });

  it("a payment method of another gateway: 422 gateway_rejected, nothing charged", async () => {
    const { key, customer } = await moneySetup();
    const stripeCard = await addCard(key, customer.id, "pm_card_visa", "stripe");
    const plain = await addCard(key, customer.id, "pm_card_visa", null);
    for (const method of [stripeCard, plain]) {
      expectProblem(await credit(key, creditBody(customer.id, method.id)), 422, "gateway_rejected");
    }
    expect(await count("charges")).toBe(0);
  });

  it("without a gateway: 409 gateway_not_configured (also after DELETE)", async () => {
    const { key, customer, card } = await moneySetup();
    expect((await call("DELETE", "/v1/payment_gateway", { key })).status).toBe(200);
    expectProblem(await credit(key, creditBody(customer.id, card.id)), 409, "gateway_not_configured");
    expect(await count("charges")).toBe(0);
  });

  it("another customer's payment method, or none: 404 not_found; unknown customer: 404 customer_not_found", async () => {
    const { key, customer, card } = await moneySetup();
    const other = await createCustomer(key);
    expectProblem(await credit(key, creditBody(other.id, card.id)), 404, "not_found");
    expectProblem(await credit(key, creditBody(customer.id, "pm_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R")), 404, "not_found");
    expectProblem(await credit(key, creditBody("cus_nobody", card.id)), 404, "customer_not_found");
    expectProblem(
      await credit(key, { alternative_id: "nobody", payment_method_id: card.id, amount: 1, currency: "usd" }),
      404,
      "customer_not_found",
    );
    expect(await count("charges")).toBe(0);
  });

  it("another organization's customer or payment method is 404, never charged", async () => {
    const { customer, card } = await moneySetup();
    const intruder = await newOrganization("Intruder");
    await call("PUT", "/v1/payment_gateway", { key: intruder.key, body: { type: "test" } });
    const own = await createCustomer(intruder.key);
    expectProblem(await credit(intruder.key, creditBody(customer.id, card.id)), 404, "customer_not_found");
    expectProblem(await credit(intruder.key, creditBody(own.id, card.id)), 404, "not_found");
    for (const path of [
      `/v1/charges/${"ch_x"}`,
      `/v1/customers/${customer.id}/balance`,
      `/v1/customers/${customer.id}/charges`,
      `/v1/customers/${customer.id}/balance_transactions`,
    ]) {
      expect((await call("GET", path, { key: intruder.key })).status).toBe(404);
    }
    expect(await count("charges")).toBe(0);
  });

  it("an archived customer: 410 customer_archived by id; its records stay readable", async () => {
    const { key, customer, card } = await moneySetup();
    const first = (await credit(key, creditBody(customer.id, card.id))).body as BalanceTransactionObject;
    await archive(key, customer.id);
    expectProblem(await credit(key, creditBody(customer.id, card.id)), 410, "customer_archived");
    expect((await balanceOf(key, customer.id)).balances).toEqual({ usd: 1000 });
    const charges = await call<ListOf<ChargeObject>>("GET", `/v1/customers/${customer.id}/charges`, { key });
    expect(charges.body.data.map((charge) => charge.id)).toEqual([first.charge?.id]);
    const transactions = await call<ListOf<BalanceTransactionObject>>(
      "GET",
      `/v1/customers/${customer.id}/balance_transactions`,
      { key },
    );
    expect(transactions.body.data).toEqual([first]);
  });

  it.each([
    [{ amount: 0 }, ["/amount"]],
    [{ amount: 100_000_000 }, ["/amount"]],
    [{ amount: 1.5 }, ["/amount"]],
    [{ amount: -5 }, ["/amount"]],
    [{ amount: "10" }, ["/amount"]],
    [{ currency: "usdd" }, ["/currency"]],
    [{ currency: "US1" }, ["/currency"]],
    [{ currency: "xyz" }, ["/currency"]],
    [{ description: "" }, ["/description"]],
    [{ payment_method_id: "pm/../x" }, ["/payment_method_id"]],
    [{ extra: true }, ["/extra"]],
    [{ alternative_id: "both" }, ["/customer_id", "/alternative_id"]],
    [{ customer_id: undefined }, ["/customer_id", "/alternative_id"]],
  ])("refuses %j with 400 naming the field, nothing written", async (change, pointers) => {
    const { key, customer, card } = await moneySetup();
    const response = await credit(key, { ...creditBody(customer.id, card.id), ...change });
    expectValidationFailed(response, pointers);
    expect(await count("charges")).toBe(0);
    expect(await count("customer_balances")).toBe(0);
  });

  it("credit_from_payment_method is a reserved customer id, and the route wins over /v1/customers/{id}", async () => {
    const { key } = await newOrganization();
    expectValidationFailed(await call("POST", "/v1/customers", { key, body: { id: "credit_from_payment_method" } }), [
      "/id",
    ]);
    const get = await call("GET", CREDIT_PATH, { key });
    expectProblem(get, 405, "method_not_allowed");
  });
});

describe("events and idempotency", () => {
  it("charge.succeeded and balance_transaction.created, with the customer's next sequences", async () => {
    const { key, orgId, customer, card } = await moneySetup();
    const before = await eventsOf(orgId, customer.id);
    const lastSequence = before.at(-1)?.sequence ?? 0;
    const response = await credit(key, creditBody(customer.id, card.id));
    const transaction = response.body as BalanceTransactionObject;
    const after = (await eventsOf(orgId, customer.id)).slice(before.length);
    expect(after.map((event) => [event.type, event.sequence])).toEqual([
      ["charge.succeeded", lastSequence + 1],
      ["balance_transaction.created", lastSequence + 2],
    ]);
    expect(after[0]?.object).toEqual(transaction.charge);
    expect(after[1]?.object).toEqual(transaction);
    const listed = await call<{ data: { type: string }[] }>(
      "GET",
      `/v1/events?customer_id=${customer.id}&type=charge.*`,
      {
        key,
      },
    );
    expect(listed.body.data.map((event) => event.type)).toEqual(["charge.succeeded"]);
  });

  it("10 identical requests with one Idempotency-Key: one charge, one credit", async () => {
    const { key, orgId, customer, card } = await moneySetup();
    const body = creditBody(customer.id, card.id, 1500);
    const headers = { "Idempotency-Key": "credit-once" };
    const responses = await Promise.all(Array.from({ length: 10 }, () => credit(key, body, { headers })));
    const statuses = responses.map((response) => response.status);
    expect(
      statuses.every((status) => status === 201 || status === 409),
      statuses.join(),
    ).toBe(true);
    expect(statuses).toContain(201);
    expect(await count("charges")).toBe(1);
    expect(await count("balance_transactions")).toBe(1);
    const replay = await credit(key, body, { headers });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect((await balanceOf(key, customer.id)).balances).toEqual({ usd: 1500 });
    await expectLedgerConsistent(orgId, customer.id);
  });

  it("a declined charge replays its 402 under the same key, without charging again", async () => {
    const { key, customer, card } = await moneySetup("pm_card_chargeDeclined");
    const headers = { "Idempotency-Key": "declined-once" };
    const first = await credit(key, creditBody(customer.id, card.id), { headers });
    const again = await credit(key, creditBody(customer.id, card.id), { headers });
    expect(again.status).toBe(402);
    expect(asProblemCharge(again).charge_id).toBe(asProblemCharge(first).charge_id);
    expect(await count("charges")).toBe(1);
  });
});

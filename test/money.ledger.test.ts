import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { archive, call, createCustomer, expectProblem, expectValidationFailed, newOrganization } from "./helpers";
import {
  adjustBalance,
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

const transactionsPath = (customerId: string, query = "") =>
  `/v1/customers/${customerId}/balance_transactions${query ? `?${query}` : ""}`;

describe("manual adjustments", () => {
  it("credit and debit, each one transaction with its ending balance and event", async () => {
    const { key, orgId } = await newOrganization();
    const customer = await createCustomer(key);
    const up = await adjustBalance(key, customer.id, 500, "EUR");
    expect(up.status, up.text).toBe(201);
    expect(up.body).toMatchObject({
      object: "balance_transaction",
      type: "adjustment",
      amount: 500,
      currency: "eur",
      ending_balance: 500,
      charge: null,
      description: null,
    });
    const down = await adjustBalance(key, customer.id, -200, "eur");
    expect(down.body).toMatchObject({ amount: -200, ending_balance: 300 });
    expect(await balanceOf(key, customer.id)).toMatchObject({
      object: "customer_balance",
      customer_id: customer.id,
      balances: { eur: 300 },
      updated_at: down.body.created_at,
    });
    const events = (await eventsOf(orgId, customer.id)).filter((event) => event.type === "balance_transaction.created");
    expect(events.map((event) => event.object)).toEqual([up.body, down.body]);
    await expectLedgerConsistent(orgId, customer.id);
  });

  it("a debit below zero is 409 balance_insufficient and changes nothing; zero balances stay listed", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key);
    expectProblem(await adjustBalance(key, customer.id, -1), 409, "balance_insufficient");
    expect(await count("customer_balances")).toBe(0);
    await adjustBalance(key, customer.id, 100);
    expectProblem(await adjustBalance(key, customer.id, -101), 409, "balance_insufficient");
    expect((await adjustBalance(key, customer.id, -100)).body.ending_balance).toBe(0);
    expect((await balanceOf(key, customer.id)).balances).toEqual({ usd: 0 });
    expect(await count("balance_transactions")).toBe(2);
  });

  it("works without a payment gateway (no gateway is asked)", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key);
    expect((await adjustBalance(key, customer.id, 10)).status).toBe(201);
  });

  it.each([
    [{ amount: 0, currency: "usd" }, ["/amount"]],
    [{ amount: 100_000_000, currency: "usd" }, ["/amount"]],
    [{ amount: -100_000_000, currency: "usd" }, ["/amount"]],
    [{ amount: 2.5, currency: "usd" }, ["/amount"]],
    [{ amount: 10, currency: "usdd" }, ["/currency"]],
    [{ amount: 10, currency: "US1" }, ["/currency"]],
    [{ amount: 10 }, ["/currency"]],
    [{ amount: 10, currency: "usd", type: "adjustment" }, ["/type"]],
  ])("refuses %j with 400, nothing written", async (body, pointers) => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key);
    const response = await call("POST", transactionsPath(customer.id), { key, body });
    expectValidationFailed(response, pointers);
    expect(await count("balance_transactions")).toBe(0);
    expect(await count("customer_balances")).toBe(0);
  });

  it("an archived customer: 410 on a change, the balance and transactions kept and readable", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key);
    const kept = await adjustBalance(key, customer.id, 700);
    await archive(key, customer.id);
    expectProblem(await adjustBalance(key, customer.id, 1), 410, "customer_archived");
    expect((await balanceOf(key, customer.id)).balances).toEqual({ usd: 700 });
    const listed = await call<ListOf<BalanceTransactionObject>>("GET", transactionsPath(customer.id), { key });
    expect(listed.body.data).toEqual([kept.body]);
    expectProblem(await adjustBalance(key, "cus_nobody", 1), 404, "customer_not_found");
    expectProblem(await call("GET", "/v1/customers/cus_nobody/balance", { key }), 404, "customer_not_found");
  });
});

describe("concurrency", () => {
  it("20 credits and debits in parallel on one balance: it equals the sum of its transactions, never below zero", async () => {
    const { key, orgId, customer, card } = await moneySetup();
    await adjustBalance(key, customer.id, 300);
    const changes = Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? -100 : 50));
    const responses = await Promise.all(
      changes.map((amount, index) =>
        index % 4 === 1
          ? credit(key, creditBody(customer.id, card.id, amount))
          : adjustBalance(key, customer.id, amount),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(
      statuses.every((status) => status === 201 || status === 409),
      statuses.join(),
    ).toBe(true);
    // 300 - 10 × 100 + 10 × 50 < 0: some debits must have been refused.
    expect(statuses).toContain(409);
    const applied = responses
      .filter((response) => response.status === 201)
      .map((response) => {
        const body = response.body as BalanceTransactionObject;
        return body.amount;
      });
    const balance = (await balanceOf(key, customer.id)).balances.usd;
    expect(balance).toBe(300 + applied.reduce((sum, amount) => sum + amount, 0));
    expect(balance).toBeGreaterThanOrEqual(0);
    expect(await count("balance_transactions")).toBe(1 + applied.length);
    // Every ending balance is distinct: each change saw the one before it.
    const { results } = await env.DB.prepare(
      "SELECT ending_balance, amount FROM balance_transactions ORDER BY seq",
    ).all<{
      ending_balance: number;
      amount: number;
    }>();
    let running = 0;
    for (const row of results) {
      running += row.amount;
      expect(row.ending_balance).toBe(running);
      expect(running).toBeGreaterThanOrEqual(0);
    }
    await expectLedgerConsistent(orgId, customer.id);
  });
});

describe("lists", () => {
  it("balance transactions: newest first, cursor pages, currency filter (its cursor only with it)", async () => {
    const { key, customer, card } = await moneySetup();
    const made: string[] = [];
    for (const [amount, currency] of [
      [100, "usd"],
      [200, "eur"],
      [300, "usd"],
      [400, "eur"],
      [500, "usd"],
    ] as const) {
      made.push((await adjustBalance(key, customer.id, amount, currency)).body.id);
    }
    const credited = (await credit(key, creditBody(customer.id, card.id, 600))).body as BalanceTransactionObject;
    made.push(credited.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `limit=4${cursor ? `&cursor=${cursor}` : ""}`;
      const page: { body: ListOf<BalanceTransactionObject> } = await call("GET", transactionsPath(customer.id, query), {
        key,
      });
      seen.push(...page.body.data.map((item) => item.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...made].reverse());
    const usd = await call<ListOf<BalanceTransactionObject>>(
      "GET",
      transactionsPath(customer.id, "currency=USD&limit=2"),
      {
        key,
      },
    );
    expect(usd.body.data.map((item) => item.id)).toEqual([made[5], made[4]]);
    expect(usd.body.data[0]?.charge?.id).toBe(credited.charge?.id);
    const next = usd.body.next_cursor ?? "";
    const wrongFilter = await call("GET", transactionsPath(customer.id, `currency=eur&cursor=${next}`), { key });
    expectValidationFailed(wrongFilter, ["#/query/cursor"]);
    const rest = await call<ListOf<BalanceTransactionObject>>(
      "GET",
      transactionsPath(customer.id, `currency=usd&limit=2&cursor=${next}`),
      { key },
    );
    expect(rest.body.data.map((item) => item.id)).toEqual([made[2], made[0]]);
    expectValidationFailed(await call("GET", transactionsPath(customer.id, "currency=usdd"), { key }), [
      "#/query/currency",
    ]);
  });

  it("charges: newest first with cursor pages; GET /v1/charges/{id} 404 for an unknown id", async () => {
    const { key, customer, card } = await moneySetup();
    const ids: string[] = [];
    for (let i = 1; i <= 3; i++) {
      ids.push(
        ((await credit(key, creditBody(customer.id, card.id, i * 100))).body as BalanceTransactionObject).charge?.id ??
          "",
      );
    }
    const first = await call<ListOf<ChargeObject>>("GET", `/v1/customers/${customer.id}/charges?limit=2`, { key });
    expect(first.body.data.map((charge) => charge.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.has_more).toBe(true);
    const second = await call<ListOf<ChargeObject>>(
      "GET",
      `/v1/customers/${customer.id}/charges?limit=2&cursor=${first.body.next_cursor}`,
      { key },
    );
    expect(second.body).toMatchObject({ has_more: false, next_cursor: null });
    expect(second.body.data.map((charge) => charge.id)).toEqual([ids[0]]);
    expectProblem(await call("GET", "/v1/charges/ch_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R", { key }), 404, "not_found");
  });
});

describe("GATEWAY_ENCRYPTION_KEY", () => {
  it("every money route answers 503 configuration_missing without it, nothing written", async () => {
    const { key, customer, card } = await moneySetup();
    const without = { ...env, GATEWAY_ENCRYPTION_KEY: undefined };
    const requests: [string, string, unknown][] = [
      ["POST", CREDIT_PATH, creditBody(customer.id, card.id)],
      ["GET", "/v1/charges/ch_x", undefined],
      ["GET", `/v1/customers/${customer.id}/charges`, undefined],
      ["GET", `/v1/customers/${customer.id}/balance`, undefined],
      ["GET", transactionsPath(customer.id), undefined],
      ["POST", transactionsPath(customer.id), { amount: 5, currency: "usd" }],
    ];
    for (const [method, path, body] of requests) {
      const response = await call(method, path, { key, body, env: without });
      expect(expectProblem(response, 503, "configuration_missing").detail).toContain("GATEWAY_ENCRYPTION_KEY");
    }
    expect(await count("charges")).toBe(0);
    expect(await count("balance_transactions")).toBe(0);
  });
});

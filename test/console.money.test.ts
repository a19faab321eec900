import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { formatChange, formatMoney } from "../src/console/money-format";
import { consolePath, fetchConsole, formFields, getPage, postForm, signIn, submit } from "./console-helpers";
import { call, createCustomer, newOrganization } from "./helpers";
import { addCard, adjustBalance, balanceOf, configureTestGateway, count, credit, creditBody } from "./money-helpers";

/** The customer page's money (spec sections 11 and 13) and the console's unknown paths. */

/** The page's text between two headings' ids, tags removed: what a person reads there. */
function sectionText(html: string, fromId: string, toId?: string): string {
  const start = html.indexOf(`id="${fromId}"`);
  const end = toId ? html.indexOf(`id="${toId}"`, start) : html.length;
  expect(start, `no #${fromId}`).toBeGreaterThan(-1);
  return html
    .slice(start, end)
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ");
}

describe("amounts in major units", () => {
  it("uses the currency's decimals: cents, whole yen, three-decimal dinars; signs and thousands", () => {
    expect(formatMoney(1250, "usd")).toBe("12.50 USD");
    expect(formatMoney(0, "eur")).toBe("0.00 EUR");
    expect(formatMoney(5, "usd")).toBe("0.05 USD");
    expect(formatMoney(1200, "jpy")).toBe("1,200 JPY");
    expect(formatMoney(1234, "bhd")).toBe("1.234 BHD");
    expect(formatMoney(-99_999_999, "usd")).toBe("-999,999.99 USD");
    expect(formatChange(250, "usd")).toBe("+2.50 USD");
    expect(formatChange(-250, "usd")).toBe("-2.50 USD");
  });
});

describe("a customer's money on its page", () => {
  it("shows every balance (zero included), the transactions newest first and the billing link", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const customer = await createCustomer(key, {});
    for (const [amount, currency] of [
      [1250, "usd"],
      [500, "eur"],
      [-500, "eur"],
      [1200, "jpy"],
    ] as const) {
      expect((await adjustBalance(key, customer.id, amount, currency)).status).toBe(201);
    }
    const page = await getPage(consolePath(customer.id), cookie);
    expect(page.status).toBe(200);
    const balances = sectionText(page.html, "money", "charges");
    for (const text of ["12.50 USD", "0.00 EUR", "1,200 JPY", "Not linked to a payment gateway customer."]) {
      expect(balances).toContain(text);
    }
    const transactions = sectionText(page.html, "balance-transactions", "timeline");
    // Newest first: the yen credit, then the euro debit (ending at zero).
    expect(transactions.indexOf("+1,200 JPY")).toBeLessThan(transactions.indexOf("-5.00 EUR"));
    expect(transactions).toContain("-5.00 EUR 0.00 EUR");
    expect(transactions).toContain("adjustment");
    expect(sectionText(page.html, "charges", "balance-transactions")).toContain("No charges.");
  });

  it("shows charges newest first with their status, amount and why one was declined", async () => {
    const { key } = await newOrganization();
    await configureTestGateway(key);
    const cookie = await signIn(key);
    const customer = await createCustomer(key, {});
    const visa = await addCard(key, customer.id, "pm_card_visa");
    const declined = await addCard(key, customer.id, "pm_card_chargeDeclinedInsufficientFunds");
    expect((await credit(key, creditBody(customer.id, visa.id, 1000))).status).toBe(201);
    expect((await credit(key, creditBody(customer.id, declined.id, 2500))).status).toBe(402);
    const page = await getPage(consolePath(customer.id), cookie);
    const charges = sectionText(page.html, "charges", "balance-transactions");
    expect(charges.indexOf("failed")).toBeLessThan(charges.indexOf("succeeded"));
    expect(charges).toContain("25.00 USD");
    expect(charges).toContain("insufficient_funds");
    expect(charges).toContain("10.00 USD");
    expect(sectionText(page.html, "money", "charges")).toContain("10.00 USD");
    expect(sectionText(page.html, "balance-transactions", "timeline")).toContain("credit from payment method");
    // Adding a card with the gateway linked the customer to a gateway customer: its `billing`.
    const money = sectionText(page.html, "money", "charges");
    expect(money).not.toContain("Not linked");
    expect(money).toMatch(/Gateway test Gateway customer gcus_\S+ Sync status synced/);
  });

  it("pages through older transactions and back to the newest", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const customer = await createCustomer(key, {});
    for (let cents = 101; cents <= 111; cents++) await adjustBalance(key, customer.id, cents);
    const first = await getPage(consolePath(customer.id), cookie);
    expect(sectionText(first.html, "balance-transactions", "timeline")).toContain("+1.11 USD");
    expect(sectionText(first.html, "balance-transactions", "timeline")).not.toContain("+1.01 USD");
    const older = /href="([^"]*\?transactions=[^"]*)"/.exec(first.html)?.[1]?.replaceAll("&amp;", "&");
    expect(older).toBeDefined();
    const second = await getPage(older ?? "", cookie);
    const text = sectionText(second.html, "balance-transactions", "timeline");
    expect(text).toContain("+1.01 USD");
    expect(text).not.toContain("+1.11 USD");
    expect(second.html).toContain("← Newest transactions");
  });
});

describe("adjusting a balance", () => {
  const action = (id: string) => `${consolePath(id)}/balance-adjustments`;

  it("credits and debits through the API's service: one transaction and its event each", async () => {
    const { key, orgId } = await newOrganization();
    const cookie = await signIn(key);
    const customer = await createCustomer(key, {});
    const credited = await submit(cookie, consolePath(customer.id), action(customer.id), {
      amount: "1250",
      currency: "USD",
      description: "goodwill",
    });
    expect(credited.status, credited.html).toBe(303);
    expect(credited.location).toBe(`${consolePath(customer.id)}?notice=balance_adjusted`);
    const debited = await submit(cookie, consolePath(customer.id), action(customer.id), {
      amount: "-250",
      currency: "usd",
    });
    expect(debited.status).toBe(303);
    expect((await balanceOf(key, customer.id)).balances).toEqual({ usd: 1000 });
    expect(await count("events", "org_id = ?1 AND type = 'balance_transaction.created'", orgId)).toBe(2);
    const page = await getPage(credited.location ?? "", cookie);
    expect(page.html).toContain("The balance was adjusted.");
    expect(sectionText(page.html, "balance-transactions", "timeline")).toContain("+12.50 USD 12.50 USD goodwill");
  });

  it("says why next to the form, keeps what was typed, and changes nothing", async () => {
    const { key, orgId } = await newOrganization();
    const cookie = await signIn(key);
    const customer = await createCustomer(key, {});
    const overdraw = await submit(cookie, consolePath(customer.id), action(customer.id), {
      amount: "-100",
      currency: "usd",
    });
    expect(overdraw.status).toBe(409);
    const money = sectionText(overdraw.html, "money", "charges");
    expect(money).toContain("would take it below zero");
    expect(overdraw.html).toMatch(/<details class="panel" open="">\s*<summary>Adjust a balance<\/summary>/);
    const decimal = await submit(cookie, consolePath(customer.id), action(customer.id), {
      amount: "12.50",
      currency: "zz",
    });
    expect(decimal.status).toBe(400);
    expect(decimal.html).toContain('id="adjust-amount-error"');
    expect(decimal.html).toContain('id="adjust-currency-error"');
    expect(formFields(decimal.html, action(customer.id))).toMatchObject({ amount: "12.50", currency: "zz" });
    expect(await count("balance_transactions", "org_id = ?1", orgId)).toBe(0);
  });

  it("without GATEWAY_ENCRYPTION_KEY: the page and the form say so (503), nothing is written", async () => {
    const { key, orgId } = await newOrganization();
    const cookie = await signIn(key);
    const customer = await createCustomer(key, {});
    const unconfigured = { ...env, GATEWAY_ENCRYPTION_KEY: undefined } as unknown as Env;
    const page = await fetchConsole(consolePath(customer.id), { headers: { Cookie: cookie }, env: unconfigured });
    expect(page.status).toBe(200);
    expect(sectionText(page.html, "money")).toContain("GATEWAY_ENCRYPTION_KEY");
    const fields = { ...formFields(page.html, action(customer.id)), amount: "100", currency: "usd" };
    const refused = await fetchConsole(action(customer.id), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "http://roster.test", Cookie: cookie },
      body: new URLSearchParams(fields).toString(),
      env: unconfigured,
    });
    expect(refused.status).toBe(503);
    expect(sectionText(refused.html, "money")).toContain("no GATEWAY_ENCRYPTION_KEY secret");
    expect(formFields(refused.html, action(customer.id))).toMatchObject({ amount: "100", currency: "usd" });
    expect(await count("balance_transactions", "org_id = ?1", orgId)).toBe(0);
  });

  it("refuses an archived customer's adjustment; its page still shows the balance, without the form", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const customer = await createCustomer(key, {});
    await adjustBalance(key, customer.id, 700);
    const page = await getPage(consolePath(customer.id), cookie);
    const fields = { ...formFields(page.html, action(customer.id)), amount: "100", currency: "usd" };
    expect((await call("DELETE", `/v1/customers/${customer.id}`, { key })).status).toBe(200);
    const refused = await postForm(action(customer.id), cookie, fields);
    expect(refused.status).toBe(410);
    const archived = await getPage(consolePath(customer.id), cookie);
    expect(sectionText(archived.html, "money")).toContain("7.00 USD");
    expect(archived.html).not.toContain("balance-adjustments");
  });
});

describe("unknown console paths", () => {
  it("answer an HTML 404 in the console's frame, with the console's headers", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    for (const page of [
      await fetchConsole("/console/anything-unknown"),
      await getPage("/console/customers/cus_nobody/nothing", cookie),
      await getPage(consolePath("cus_nobody"), cookie),
    ]) {
      expect(page.status).toBe(404);
      expect(page.headers.get("Content-Type")).toMatch(/^text\/html/);
      expect(page.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
      expect(page.headers.get("Cache-Control")).toBe("no-store");
      expect(page.html).toContain('<link rel="stylesheet" href="/console/assets/console.css"');
    }
  });

  it("answer a known path asked with another method 405, with Allow", async () => {
    const page = await fetchConsole("/console/customers", { method: "DELETE" });
    expect(page.status).toBe(405);
    expect(page.headers.get("Allow")).toContain("GET");
    expect(page.headers.get("Content-Type")).toMatch(/^text\/html/);
  });
});

// @ts-check
/**
 * npm run check:console: the console (/console) in real headless Chromium, as a person uses it.
 * Starts Roster with `wrangler dev` on a free port (local state in a temporary folder, the
 * migrations and the development organization and key applied, a development
 * CONSOLE_SESSION_KEY), adds customers through the API, then in the browser: signs in with the
 * development key, searches, opens a customer, edits it, makes a conflicting edit (the page
 * must show the other change's values), shows a hostile name as text, archives with the typed
 * id, checks the pages at 375 px wide, and signs out. The customer's page shows its money
 * (balances, charges, balance transactions) and "adjust a balance" through the form changes it;
 * an unknown console path is the console's HTML 404. It fails on any request to another host,
 * any console or page error, a dialog (a script that ran), or a page wider than the screen.
 * Screenshots (desktop and 375 px) go to SCREENSHOT_DIR, else a temporary folder.
 * Needs Debian's chromium (CHROMIUM_PATH overrides /usr/bin/chromium).
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import puppeteer from "puppeteer-core";
import { freePort, startRoster, WRANGLER_ENV, waitUntilServing, watch } from "./lib/local-roster.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** scripts/seed-dev.sql's key, as `npm run dev` prints it. */
const DEV_KEY = "rk_dev_local_development_key";
/** 32 bytes in base64, as scripts/dev.sh sets it (development only). */
const CONSOLE_SESSION_KEY = "cm9zdGVyLWNvbnNvbGUtZGV2LXNlc3Npb24ta2V5ISE=";
/** As scripts/dev.sh sets it (development only): the money routes need it. */
const GATEWAY_ENCRYPTION_KEY = "W0SgQD4lxrC5tTkfP5K8o6lftObgPTuX3TDW0zPuXq8=";
const HOSTILE = "<img src=x onerror=alert(1)>";
const PHONE = { width: 375, height: 812 };
const UNKNOWN_PATH = "/console/anything-unknown";
const DESKTOP = { width: 1280, height: 900 };

/** Local D1 for this run: the migrations, then the development organization and key. */
async function prepareDatabase(stateDir) {
  const run = promisify(execFile);
  const wrangler = (...args) =>
    run("npx", ["wrangler", ...args, "--local", "--persist-to", stateDir], { env: WRANGLER_ENV });
  await wrangler("d1", "migrations", "apply", "DB");
  await wrangler("d1", "execute", "DB", "--file", "scripts/seed-dev.sql");
}

/** The API with the development key. */
async function api(base, method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${DEV_KEY}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** A credit from a card through the development organization's test gateway: 201, or 402 declined. */
async function creditFromCard(base, customerId, paymentMethodId, amount) {
  const response = await fetch(`${base}/v1/customers/credit_from_payment_method`, {
    method: "POST",
    headers: { Authorization: `Bearer ${DEV_KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify({ customer_id: customerId, payment_method_id: paymentMethodId, amount, currency: "usd" }),
  });
  if (response.status !== 201 && response.status !== 402) {
    throw new Error(`credit: ${response.status} ${await response.text()}`);
  }
}

/** Clicks and waits for the page it leads to. */
async function clickAndWait(page, selector) {
  await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }), page.click(selector)]);
}

/** Replaces an input's value as a person would (select all, type). */
async function typeInto(page, selector, text) {
  await page.click(selector, { count: 3 });
  await page.keyboard.press("Backspace");
  await page.type(selector, text);
}

const textOf = (page, selector) => page.$eval(selector, (element) => element.textContent ?? "");

async function check(base, shots) {
  const problems = [];
  const expect = (condition, message) => {
    if (!condition) problems.push(message);
  };
  const ada = await api(base, "POST", "/v1/customers", {
    name: "Ada Lovelace",
    email: "ada@example.com",
    metadata: { tier: "gold" },
  });
  await api(base, "POST", `/v1/customers/${ada.id}/subscriptions`, { plan_id: "analytical-engine" });
  await api(base, "POST", `/v1/customers/${ada.id}/addresses`, {
    type: "billing",
    line1: "12 St James's Square",
    country: "GB",
  });
  // Money: two cards (one declines), a credit from each, a euro balance back at zero.
  const visa = await api(base, "POST", `/v1/customers/${ada.id}/payment_methods`, {
    gateway: "test",
    gateway_reference: "pm_card_visa",
  });
  const declining = await api(base, "POST", `/v1/customers/${ada.id}/payment_methods`, {
    gateway: "test",
    gateway_reference: "pm_card_chargeDeclinedInsufficientFunds",
  });
  await creditFromCard(base, ada.id, visa.id, 2500);
  await creditFromCard(base, ada.id, declining.id, 9900);
  for (const amount of [1000, -1000]) {
    await api(base, "POST", `/v1/customers/${ada.id}/balance_transactions`, {
      amount,
      currency: "eur",
      description: amount > 0 ? "Launch credit" : "Launch credit used",
    });
  }
  const hostile = await api(base, "POST", "/v1/customers", { name: HOSTILE, email: "mallory@example.com" });
  for (let i = 0; i < 3; i++) await api(base, "POST", "/v1/customers", { name: `Customer ${i}` });

  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport(DESKTOP);
    // The conflicting edit answers 412 on purpose; Chromium logs any 4xx page as a console error.
    // The unknown path answers 404 on purpose too.
    const expected = (response) =>
      response.status() === 412 || (response.status() === 404 && response.url().endsWith(UNKNOWN_PATH));
    await watch(page, new URL(base).origin, problems, expected);
    page.on("dialog", async (dialog) => {
      problems.push(`a dialog opened (a script ran): ${dialog.message()}`);
      await dialog.dismiss();
    });
    const shot = async (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

    // Sign in: the key goes in the form only.
    await page.goto(`${base}/console`, { waitUntil: "networkidle0" });
    await shot("sign-in");
    await page.type("#api_key", DEV_KEY);
    await clickAndWait(page, "form[action='/console/sign-in'] button");
    if (page.url() !== `${base}/console/customers`) {
      throw new Error(`sign-in led to ${page.url()}: ${await textOf(page, "main")}`);
    }
    const stored = await page.evaluate(() => ({ cookies: document.cookie, local: JSON.stringify(localStorage) }));
    expect(stored.cookies === "", `the session cookie is readable by scripts: ${stored.cookies}`);
    expect(!stored.local.includes(DEV_KEY), "the key is in localStorage");

    // Search, then open the customer.
    await page.type("#q", "ada@example.com");
    await clickAndWait(page, "form.search button");
    expect(!page.url().includes(DEV_KEY), "the key is in a URL");
    const rows = await page.$$eval("table.cards tbody tr", (trs) => trs.map((tr) => tr.textContent ?? ""));
    expect(rows.length === 1 && rows[0]?.includes(ada.id), `the search found ${rows.length} rows`);
    await shot("customers");
    await clickAndWait(page, `a[href='/console/customers/${ada.id}']`);

    // Edit the name.
    await page.click("details.panel summary");
    await typeInto(page, "#f-name", "Ada King");
    await clickAndWait(page, "form.grid-form button[type=submit]");
    expect((await textOf(page, "h1")) === "Ada King", `after the edit the heading is ${await textOf(page, "h1")}`);
    expect((await textOf(page, ".notice-ok")).includes("saved"), "no 'saved' notice after the edit");
    await shot("customer");

    // Its money: the balances, the declined charge, then an adjustment through the form.
    const money = () => textOf(page, "section[aria-labelledby=money]");
    const before = await money();
    for (const text of ["25.00 USD", "0.00 EUR", "insufficient_funds", "Launch credit used", "+25.00 USD"]) {
      expect(before.includes(text), `the money section does not show ${text}`);
    }
    await page.click("section[aria-labelledby=money] details.panel summary");
    await page.type("#adjust-amount", "-450");
    await page.type("#adjust-currency", "usd");
    await page.type("#adjust-description", "Goodwill refund");
    await clickAndWait(page, "form[action$='/balance-adjustments'] button[type=submit]");
    expect((await textOf(page, ".notice-ok")).includes("adjusted"), "no 'adjusted' notice after the adjustment");
    const after = await money();
    for (const text of ["20.50 USD", "-4.50 USD", "Goodwill refund"]) {
      expect(after.includes(text), `after the adjustment the money section does not show ${text}`);
    }
    const balance = await api(base, "GET", `/v1/customers/${ada.id}/balance`);
    expect(balance.balances.usd === 2050, `the API says the balance is ${JSON.stringify(balance.balances)}`);
    // docs/console.png: the page's profile and money (the adjustment form open), as a desktop shows them.
    await page.click("section[aria-labelledby=money] details.panel summary");
    const bottom = await page.$eval("#subscriptions", (element) => element.getBoundingClientRect().top + scrollY);
    await page.screenshot({
      path: join(shots, "console.png"),
      clip: { x: 0, y: 0, width: DESKTOP.width, height: bottom },
    });

    // An unknown console path: the console's own 404 page, not the API's JSON.
    const unknown = await page.goto(`${base}${UNKNOWN_PATH}`, { waitUntil: "networkidle0" });
    expect(unknown?.status() === 404, `${UNKNOWN_PATH} answers ${unknown?.status()}`);
    expect(unknown?.headers()["content-type"]?.startsWith("text/html") === true, "the 404 is not an HTML page");
    expect((await textOf(page, "h1")) === "Page not found", `the 404 page says ${await textOf(page, "h1")}`);
    expect((await page.$$("link[rel=stylesheet]")).length === 1, "the 404 page is not in the console's frame");
    await page.goto(`${base}/console/customers/${ada.id}`, { waitUntil: "networkidle0" });

    // A conflicting edit: someone changes the customer while the form is open.
    await page.click("details.panel summary");
    await typeInto(page, "#f-name", "Mine");
    await api(base, "PATCH", `/v1/customers/${ada.id}`, { name: "Theirs" });
    await clickAndWait(page, "form.grid-form button[type=submit]");
    const shown = await page.$eval("#f-name", (input) => /** @type {HTMLInputElement} */ (input).value);
    expect(shown === "Theirs", `after a conflict the form shows ${shown}, not the other change`);
    expect((await textOf(page, ".notice-error")).includes("Someone else changed"), "the conflict is not said");
    expect((await api(base, "GET", `/v1/customers/${ada.id}`)).name === "Theirs", "the conflicting edit overwrote");
    await shot("conflict");

    // The hostile name is text.
    await page.goto(`${base}/console/customers/${hostile.id}`, { waitUntil: "networkidle0" });
    expect((await textOf(page, "h1")) === HOSTILE, "the hostile name is not shown as its text");
    expect((await page.$$("img")).length === 0, "the hostile name became an element");
    await page.goto(`${base}/console/customers`, { waitUntil: "networkidle0" });
    expect((await page.$$("img")).length === 0, "the hostile name became an element in the list");

    // 375 px wide: nothing wider than the screen.
    await page.setViewport(PHONE);
    for (const [name, path] of [
      ["customers-375", "/console/customers"],
      ["customer-375", `/console/customers/${ada.id}`],
    ]) {
      await page.goto(`${base}${path}`, { waitUntil: "networkidle0" });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width <= PHONE.width, `${path} is ${width} px wide at ${PHONE.width} px`);
      await shot(name);
    }
    await page.setViewport(DESKTOP);

    // Archive, confirmed by typing the id.
    await page.goto(`${base}/console/customers/${ada.id}`, { waitUntil: "networkidle0" });
    await page.type("#confirm_id", ada.id);
    await clickAndWait(page, "section.danger-zone button");
    expect((await textOf(page, "main")).includes("Archived"), "the archived customer's page does not say so");
    const archived = await fetch(`${base}/v1/customers/${ada.id}`, { headers: { Authorization: `Bearer ${DEV_KEY}` } });
    expect(archived.status === 410, `the customer answers ${archived.status} after the archive`);
    await shot("archived");

    // Sign out: the session is gone.
    await clickAndWait(page, "form.sign-out button");
    expect(page.url() === `${base}/console?ended=signed_out`, `after sign-out the page is ${page.url()}`);
    await page.goto(`${base}/console/customers`, { waitUntil: "networkidle0" });
    expect(page.url() === `${base}/console`, "a page still opens after sign-out");
  } finally {
    await browser.close();
  }
  // Chromium reports the expected 412 and 404 pages as console errors too.
  return problems.filter((problem) => !/console error: .*status of (412|404)/.test(problem));
}

async function main() {
  const started = Date.now();
  const stateDir = await mkdtemp(join(tmpdir(), "roster-console-check-"));
  const shots = process.env.SCREENSHOT_DIR ?? (await mkdtemp(join(tmpdir(), "roster-console-shots-")));
  await mkdir(shots, { recursive: true });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let roster;
  try {
    await prepareDatabase(stateDir);
    roster = startRoster(port, stateDir, [
      "--var",
      `CONSOLE_SESSION_KEY:${CONSOLE_SESSION_KEY}`,
      "--var",
      "ALTERNATIVE_ID_HASH_KEY:dev_alternative_id_hash_key",
      "--var",
      `GATEWAY_ENCRYPTION_KEY:${GATEWAY_ENCRYPTION_KEY}`,
    ]);
    await waitUntilServing(`${base}/console`, roster);
    const problems = await check(base, shots);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (problems.length > 0) {
      console.error(`check:console failed (${seconds} s):\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
      process.exitCode = 1;
    } else {
      console.log(`check:console passed (${seconds} s) in Chromium. Screenshots: ${shots}`);
    }
  } finally {
    await roster?.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`check:console failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
  process.exitCode = 1;
});

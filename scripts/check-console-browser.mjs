// @ts-check
/**
 * npm run check:console: the console (/console) in real headless Chromium, as a person uses it.
 * Starts Roster with `wrangler dev` on a free port (local state in a temporary folder, the
 * migrations and the development organization and key applied, a development
 * CONSOLE_SESSION_KEY), adds customers through the API, then in the browser: signs in with the
 * development key, searches, opens a customer, edits it, makes a conflicting edit (the page
 * must show the other change's values), shows a hostile name as text, archives with the typed
 * id, checks the pages at 375 px wide, and signs out. It fails on any request to another host,
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
const HOSTILE = "<img src=x onerror=alert(1)>";
const PHONE = { width: 375, height: 812 };
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
    const expected = (response) => response.status() === 412;
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
    // The first screen of it, small enough for docs/console.png.
    await page.screenshot({ path: join(shots, "console.png") });

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
  // Chromium reports the expected 412 page as a console error too.
  return problems.filter((problem) => !/console error: .*status of 412/.test(problem));
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

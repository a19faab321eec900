// @ts-check
/**
 * npm run check:docs: the API reference in real headless Chromium. Starts Roster with
 * `wrangler dev` on a free port (local state in a temporary folder), opens /docs and
 * /docs/problems, and fails unless
 *   - the reference renders every Customers operation of /v1/openapi.json,
 *   - no request goes to any host but Roster's (such requests are also blocked),
 *   - nothing is logged as a console error or page error, and no request fails.
 * Always stops the server. Needs Debian's chromium (CHROMIUM_PATH overrides /usr/bin/chromium);
 * It keeps a screenshot of the rendered reference (SCREENSHOT=path, else in the temp folder).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";
import { freePort, startRoster, waitUntilServing, watch } from "./lib/local-roster.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const RENDER_TIMEOUT_MS = 30_000;
/** The Customers group of the OpenAPI document: these operations must appear on the page. */
const TAG = "Customers";

/** The summaries of the OpenAPI document's operations tagged `tag`. */
async function operationSummaries(base, tag) {
  /** @type {{ paths: Record<string, Record<string, { tags?: string[]; summary?: string }>> }} */
  const document = await (await fetch(`${base}/v1/openapi.json`)).json();
  const summaries = Object.values(document.paths)
    .flatMap((pathItem) => Object.values(pathItem))
    .filter((operation) => operation.tags?.includes(tag) && operation.summary)
    .map((operation) => /** @type {string} */ (operation.summary));
  if (summaries.length === 0) throw new Error(`the OpenAPI document has no ${tag} operations`);
  return summaries;
}

async function check(base, screenshot) {
  const problems = [];
  const summaries = await operationSummaries(base, TAG);
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    // CI runs as root, where Chromium's sandbox cannot start.
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 900 });
    await watch(page, new URL(base).origin, problems);

    await page.goto(`${base}/docs`, { waitUntil: "networkidle0" });
    // Operations of a collapsed group are not rendered: open the group as a reader would.
    const group = await page.waitForSelector(`xpath/.//button[contains(., 'Open Group - ${TAG}')]`, {
      timeout: RENDER_TIMEOUT_MS,
    });
    await group?.click();
    try {
      await page.waitForFunction(
        (expected) => expected.every((summary) => document.body.innerText.includes(summary)),
        { timeout: RENDER_TIMEOUT_MS },
        summaries,
      );
    } catch {
      const text = await page.evaluate(() => document.body.innerText);
      const missing = summaries.filter((summary) => !text.includes(summary));
      problems.push(`the reference does not show these ${TAG} operations: ${missing.join("; ")}`);
    }
    // Open the first operation, as a reader would, so the screenshot shows it rendered.
    const first = await page.$(`::-p-text(${summaries[0]})`);
    await first?.click();
    await page.waitForNetworkIdle({ idleTime: 500 });
    await page.screenshot({ path: screenshot });

    await page.goto(`${base}/docs/problems`, { waitUntil: "networkidle0" });
    if (!(await page.$("tr#validation_failed"))) problems.push("/docs/problems has no entry for validation_failed");
  } finally {
    await browser.close();
  }
  return { problems, summaries };
}

async function main() {
  const started = Date.now();
  const stateDir = await mkdtemp(join(tmpdir(), "roster-docs-check-"));
  const screenshot = process.env.SCREENSHOT ?? join(tmpdir(), "roster-docs-check.png");
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const roster = startRoster(port, stateDir);
  try {
    await waitUntilServing(`${base}/docs`, roster);
    const { problems, summaries } = await check(base, screenshot);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (problems.length > 0) {
      console.error(`check:docs failed (${seconds} s):\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
      process.exitCode = 1;
    } else {
      console.log(
        `check:docs passed (${seconds} s): /docs renders ${summaries.length} ${TAG} operations in Chromium, ` +
          `only from ${base}, with no console error. Screenshot: ${screenshot}`,
      );
    }
  } finally {
    await roster.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`check:docs failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
  process.exitCode = 1;
});

// @ts-check
/**
 * Roster on this machine for the browser checks (check-docs-browser.mjs,
 * check-console-browser.mjs): `wrangler dev` on a free port, its local state in a folder of
 * the caller's, stopped with every process it started.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";

const START_TIMEOUT_MS = 90_000;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The environment every wrangler command here runs with: offline, no metrics, no URL traces. */
export const WRANGLER_ENV = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  X_LOCAL_OBSERVABILITY: "false",
};

/** A port nothing listens on right now. */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const address = server.address();
  await new Promise((resolve) => server.close(() => resolve(undefined)));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

/**
 * `wrangler dev` in its own process group (wrangler and its workerd children must all stop;
 * killing only the first process leaves them holding the port). `extraArgs`: more flags
 * (`--var NAME:value`).
 */
export function startRoster(port, stateDir, extraArgs = []) {
  const child = spawn(
    "npx",
    ["wrangler", "dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", stateDir, ...extraArgs],
    { detached: true, stdio: ["ignore", "pipe", "pipe"], env: WRANGLER_ENV },
  );
  let output = "";
  child.stdout.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode !== null || child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        return; // already gone
      }
      const stopped = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
      if (!stopped) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    },
  };
}

/** Waits until `url` answers 200; fails early if wrangler exits. */
export async function waitUntilServing(url, roster) {
  let exitCode;
  roster.exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`wrangler dev exited (${exitCode}):\n${roster.output()}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`wrangler dev did not serve ${url} within ${START_TIMEOUT_MS} ms:\n${roster.output()}`);
}

/**
 * Records what a page does that the checks forbid: off-host requests (blocked too), failed
 * requests, HTTP errors (but the statuses `expected` returns true for), console and page errors.
 */
export async function watch(page, origin, problems, expected = (_response) => false) {
  await page.setRequestInterception(true);
  page.on("request", (request) => {
    const url = request.url();
    if (url.startsWith("data:") || url.startsWith("blob:") || new URL(url).origin === origin) {
      request.continue();
      return;
    }
    problems.push(`request to another host: ${request.method()} ${url}`);
    request.abort("blockedbyclient");
  });
  page.on("requestfailed", (request) => {
    if (new URL(request.url()).origin === origin) {
      problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`);
    }
  });
  page.on("response", (response) => {
    if (response.status() >= 400 && !expected(response)) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error instanceof Error ? error.message : error}`));
}

#!/usr/bin/env node
// Crash test (issue 21): SIGKILL `wrangler dev` (the whole process group: wrangler and its
// workerd processes, no graceful shutdown) while keyed writes are in flight, restart it on the
// same persisted state, retry every request that got no answer (or a 5xx) with its own
// Idempotency-Key, as a client would, and check that nothing ran twice.
//
//   node scripts/crash-test.mjs [--requests 400] [--concurrency 16] [--kills 3] [--port 8797]
//
// The workload: customer creates, provisions with a subscription, and credits from a payment
// method through the built-in test gateway (one charge and one balance transaction each).
//
// Talks only to 127.0.0.1. State lives in a temporary folder, removed at the end.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, index, all) => {
    if (arg.startsWith("--")) pairs.push([arg.slice(2), Number(all[index + 1])]);
    return pairs;
  }, []),
);
const REQUESTS = args.requests ?? 400;
const CONCURRENCY = args.concurrency ?? 16;
const KILLS = args.kills ?? 3;
const PORT = args.port ?? 8797;
const BASE = `http://127.0.0.1:${PORT}`;
const KEY = "rk_dev_local_development_key";
const state = mkdtempSync(join(tmpdir(), "roster-crash-"));
const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  X_LOCAL_OBSERVABILITY: "false",
};
const wrangler = (...rest) =>
  execFileSync("npx", ["wrangler", ...rest, "--local", "--persist-to", state], { env, stdio: "ignore" });

wrangler("d1", "migrations", "apply", "DB");
wrangler("d1", "execute", "DB", "--file", "scripts/seed-dev.sql");

let server = null;
async function start() {
  server = spawn(
    "npx",
    [
      "wrangler",
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(PORT),
      "--persist-to",
      state,
      "--var",
      "LOG_REQUESTS:false",
      "--var",
      "ALTERNATIVE_ID_HASH_KEY:crash-test",
      "--var",
      // 32 bytes in base64 (the money routes need one; the seed's test gateway has no secret).
      "GATEWAY_ENCRYPTION_KEY:cm9zdGVyLWNyYXNoLXRlc3QtZ2F0ZXdheS1rZXktMzI=",
    ],
    { env, detached: true, stdio: "ignore" },
  );
  for (let waited = 0; waited < 120_000; waited += 250) {
    try {
      if ((await fetch(`${BASE}/healthz`)).ok) return;
    } catch {}
    await sleep(250);
  }
  throw new Error("wrangler dev did not start");
}
// Whatever fails, no wrangler dev is left behind on the port.
process.on("exit", () => kill());

function kill() {
  try {
    if (server) process.kill(-server.pid, "SIGKILL");
  } catch {}
}

const api = async (method, path, body) => {
  const response = await fetch(BASE + path, {
    method,
    headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
};

// Before any kill: the customers credits go to, each with a card the test gateway charges.
const WALLETS = 10;
async function openWallets() {
  const wallets = [];
  for (let n = 0; n < WALLETS; n++) {
    const customer = await api("POST", "/v1/customers", { email: `wallet-${n}@example.com` });
    const card = await api("POST", `/v1/customers/${customer.id}/payment_methods`, {
      gateway: "test",
      gateway_reference: "pm_card_visa",
    });
    wallets.push({ customerId: customer.id, paymentMethodId: card.id });
  }
  return wallets;
}

// The workload: creates (unique emails), provisions with a subscription, credits of 100 cents.
const CREDIT = 100;
function workload(wallets) {
  const requests = [];
  for (let index = 0; index < REQUESTS; index++) {
    const kind = ["create", "credit", "create", "provision"][index % 4];
    const wallet = wallets[index % WALLETS];
    requests.push({
      index,
      key: `crash-${index}-${Date.now()}`,
      kind,
      path: {
        create: "/v1/customers",
        provision: "/v1/customers/provision",
        credit: "/v1/customers/credit_from_payment_method",
      }[kind],
      body: {
        create: { email: `crash-${index}@example.com`, name: `Crash ${index}` },
        provision: { alternative_id: `crash-user-${index}`, subscription: { plan_id: "pro" } },
        credit: {
          customer_id: wallet.customerId,
          payment_method_id: wallet.paymentMethodId,
          amount: CREDIT,
          currency: "usd",
        },
      }[kind],
      answer: null,
    });
  }
  return requests;
}

async function send(request) {
  request.attempts = (request.attempts ?? 0) + 1;
  try {
    const response = await fetch(BASE + request.path, {
      method: "POST",
      headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json", "Idempotency-Key": request.key },
      body: JSON.stringify(request.body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    // A 5xx changed nothing, and a lock left by a killed request holds its key for 60 s: retry both.
    if (response.status >= 500 || text.includes('"idempotency_request_in_progress"')) {
      request.lastFailure = `${response.status} ${text.slice(0, 160)}`;
      return false;
    }
    request.answer = {
      status: response.status,
      text,
      replayed: response.headers.get("Idempotent-Replayed") === "true",
    };
    return true;
  } catch (error) {
    request.lastFailure = String(error);
    return false;
  }
}

async function runAll(pending) {
  const queue = [...pending];
  const failed = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let request = queue.shift(); request; request = queue.shift())
        if (!(await send(request))) failed.push(request);
    }),
  );
  return failed;
}

const started = Date.now();
await start();
const wallets = await openWallets();
const requests = workload(wallets);
let unanswered = requests;
let kills = 0;
while (unanswered.length) {
  const round = runAll(unanswered);
  if (kills < KILLS) {
    // Kill somewhere in the middle of the round.
    await sleep(500 + Math.random() * 2500);
    kill();
    kills++;
    await round.catch(() => {});
    await start();
  } else await round;
  const before = unanswered.length;
  unanswered = requests.filter((request) => request.answer === null);
  if (unanswered.length && unanswered.length !== before)
    console.error(`${unanswered.length} unanswered after ${kills} kills, e.g. ${unanswered[0]?.lastFailure ?? "?"}`);
  if (unanswered.length === before && kills >= KILLS) await sleep(1000);
}

// Every request answered: check storage against the answers.
const count = (path) => api("GET", path);
const everything = async (path) => {
  const all = [];
  for (let cursor = null, page = 0; page < 1000; page++) {
    const body = await count(`${path}${path.includes("?") ? "&" : "?"}limit=100${cursor ? `&cursor=${cursor}` : ""}`);
    all.push(...body.data);
    if (!body.has_more) break;
    cursor = body.next_cursor;
  }
  return all;
};
const problems = [];
let replays = 0;
for (const request of requests) {
  if (request.answer.replayed) replays++;
  if (request.answer.status !== 201)
    problems.push(`#${request.index} (${request.kind}) answered ${request.answer.status}: ${request.answer.text}`);
}
const creating = requests.filter((request) => request.kind !== "credit").length + WALLETS;
const customers = await everything("/v1/customers");
if (customers.length !== creating) problems.push(`${customers.length} customers for ${creating} creating requests`);
const created = await everything("/v1/events?type=customer.created");
if (created.length !== creating) problems.push(`${created.length} customer.created events for ${creating} customers`);
const provisions = requests.filter((request) => request.kind === "provision").length;
const subscriptionEvents = await everything("/v1/events?type=subscription.created");
if (subscriptionEvents.length !== provisions) {
  problems.push(`${subscriptionEvents.length} subscription.created events for ${provisions} provisions`);
}
// Credits: one charge and one credit of CREDIT per request, whatever was killed when.
const credits = requests.filter((request) => request.kind === "credit");
let charges = 0;
for (const wallet of wallets) {
  const wanted = credits.filter((request) => request.body.customer_id === wallet.customerId).length;
  const walletCharges = await everything(`/v1/customers/${wallet.customerId}/charges`);
  const balance = await count(`/v1/customers/${wallet.customerId}/balance`);
  charges += walletCharges.length;
  if (walletCharges.length !== wanted)
    problems.push(`${wallet.customerId}: ${walletCharges.length} charges for ${wanted} credits`);
  if ((balance.balances.usd ?? 0) !== wanted * CREDIT)
    problems.push(`${wallet.customerId}: balance ${balance.balances.usd} for ${wanted} credits of ${CREDIT}`);
}
const creditEvents = await everything("/v1/events?type=balance_transaction.created");
if (creditEvents.length !== credits.length)
  problems.push(`${creditEvents.length} balance_transaction.created events for ${credits.length} credits`);
kill();
rmSync(state, { recursive: true, force: true });

console.log(
  JSON.stringify(
    {
      requests: REQUESTS,
      kills,
      // Requests that got no answer (or a 5xx, or 409 in progress behind a dead lock) at least once.
      retried: requests.filter((request) => request.attempts > 1).length,
      // Retries answered by the kept answer: the change had committed before the kill.
      answered_as_replays: replays,
      customers: customers.length,
      customer_created_events: created.length,
      subscription_created_events: subscriptionEvents.length,
      credits: credits.length,
      charges,
      balance_transaction_created_events: creditEvents.length,
      problems,
      seconds: Math.round((Date.now() - started) / 1000),
    },
    null,
    2,
  ),
);
process.exit(problems.length ? 1 : 0);

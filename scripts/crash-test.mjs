#!/usr/bin/env node
// Crash test (issue 21): SIGKILL `wrangler dev` (the whole process group: wrangler and its
// workerd processes, no graceful shutdown) while keyed writes are in flight, restart it on the
// same persisted state, retry every request that got no answer (or a 5xx) with its own
// Idempotency-Key, as a client would, and check that nothing ran twice.
//
//   node scripts/crash-test.mjs [--requests 400] [--concurrency 16] [--kills 3] [--port 8797]
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
function kill() {
  try {
    process.kill(-server.pid, "SIGKILL");
  } catch {}
}

// The workload: creates (unique emails), then addresses and provisions for created customers.
const requests = [];
for (let index = 0; index < REQUESTS; index++) {
  const kind = index % 4;
  requests.push({
    index,
    key: `crash-${index}-${Date.now()}`,
    kind: kind === 3 ? "provision" : "create",
    body:
      kind === 3
        ? { alternative_id: `crash-user-${index}`, subscription: { plan_id: "pro" } }
        : { email: `crash-${index}@example.com`, name: `Crash ${index}` },
    answer: null,
  });
}

async function send(request) {
  request.attempts = (request.attempts ?? 0) + 1;
  const path = request.kind === "provision" ? "/v1/customers/provision" : "/v1/customers";
  try {
    const response = await fetch(BASE + path, {
      method: "POST",
      headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json", "Idempotency-Key": request.key },
      body: JSON.stringify(request.body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    // A 5xx changed nothing, and a lock left by a killed request holds its key for 60 s: retry both.
    if (response.status >= 500 || text.includes('"idempotency_request_in_progress"')) return false;
    request.answer = {
      status: response.status,
      text,
      replayed: response.headers.get("Idempotent-Replayed") === "true",
    };
    return true;
  } catch {
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
  if (unanswered.length === before && kills >= KILLS) await sleep(1000);
}

// Every request answered: check storage against the answers.
const count = async (path) => await (await fetch(BASE + path, { headers: { Authorization: `Bearer ${KEY}` } })).json();
const problems = [];
let replays = 0;
for (const request of requests) {
  if (request.answer.replayed) replays++;
  if (request.answer.status !== 201)
    problems.push(`#${request.index} answered ${request.answer.status}: ${request.answer.text}`);
}
const all = [];
for (let cursor = null, page = 0; page < 1000; page++) {
  const body = await count(`/v1/customers?limit=100${cursor ? `&cursor=${cursor}` : ""}`);
  all.push(...body.data);
  if (!body.has_more) break;
  cursor = body.next_cursor;
}
if (all.length !== REQUESTS) problems.push(`${all.length} customers for ${REQUESTS} creating requests`);
const created = [];
for (let cursor = null, page = 0; page < 1000; page++) {
  const body = await count(`/v1/events?type=customer.created&limit=100${cursor ? `&cursor=${cursor}` : ""}`);
  created.push(...body.data);
  if (!body.has_more) break;
  cursor = body.next_cursor;
}
if (created.length !== REQUESTS) problems.push(`${created.length} customer.created events for ${REQUESTS} customers`);
const subscriptions = requests.filter((request) => request.kind === "provision").length;
const subscriptionEvents = await count(`/v1/events?type=subscription.created&limit=100`);
if (subscriptions <= 100 && subscriptionEvents.data.length !== subscriptions) {
  problems.push(`${subscriptionEvents.data.length} subscription.created events for ${subscriptions} provisions`);
}
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
      customers: all.length,
      customer_created_events: created.length,
      problems,
      seconds: Math.round((Date.now() - started) / 1000),
    },
    null,
    2,
  ),
);
process.exit(problems.length ? 1 : 0);

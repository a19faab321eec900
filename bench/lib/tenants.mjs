// @ts-check
import path from "node:path";
import { performance } from "node:perf_hooks";
import {
  applyMigrations,
  BENCH_API_KEY,
  importCustomers,
  NEIGHBOUR_API_KEY,
  round,
  seedNeighbourOrganization,
  seedOrganization,
  startEnvironment,
} from "./environment.mjs";
import { createDestination, deliveryGate } from "./events-api.mjs";
import { drive, median } from "./load.mjs";
import { startReceiver } from "./receiver.mjs";

/**
 * The tenants section (spec section 7, issue 17; docs/bench-scale.md), in its own workerd on its
 * own fresh state, through public routes only. Organization A holds `events` events (customers
 * imported with a subscription each: half `customer.created`, half `subscription.created`) and
 * 16 destinations near the fan-out cap (10 select `customer.*`, 6 `address.*`: an import of
 * 1,000 new customers fans out to 10,000 deliveries, the cap); organization B, the neighbour,
 * 2,000 customers. The delivery consumer is held at the gate throughout (nothing is delivered:
 * what is measured is the requests, not the deliveries they queue).
 *   1. A's events list pages, unfiltered and filtered, in alternating rounds (p50 paired per round);
 *   2. the heaviest single requests through the counting wrapper, with their D1 time;
 *   3. B's GET by id and create alone, while A hammers at its limits (imports at the fan-out cap,
 *      two loops, each again as soon as A's import budget allows, and a replay attempt every half
 *      second), and while A hammers with its destinations disabled (the same imports with no
 *      fan-out, no queue messages; the replays are refused), in alternating order: what the
 *      fan-out adds to what A's imports cost B. This section's workerd runs with the deployed
 *      import budget (wrangler.toml's IMPORT_ITEMS_PER_MINUTE); seeding, like every other
 *      section, lifts it.
 */

/**
 * Each neighbour run lasts at least this long, so that it spans A's import budget refilling
 * (one 1,000-item import per 10 s at the deployed 6,000 a minute) more than once.
 */
const NEIGHBOUR_SECONDS = 12;

const A_AUTH = { authorization: `Bearer ${BENCH_API_KEY}` };
const B_AUTH = { authorization: `Bearer ${NEIGHBOUR_API_KEY}` };

async function send(baseUrl, auth, method, urlPath, body) {
  const started = performance.now();
  const response = await fetch(`${baseUrl}${urlPath}`, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    ms: performance.now() - started,
    json: text.startsWith("{") ? JSON.parse(text) : null,
    counts: JSON.parse(response.headers.get("x-bench-counts") ?? "null"),
    retryAfter: response.headers.get("retry-after"),
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits out a `429`'s Retry-After (A's import budget, spec section 7), or until `keepGoing` says stop. */
async function waitRetryAfter(answer, keepGoing = () => true) {
  const until = performance.now() + Number(answer.retryAfter ?? 1) * 1000;
  while (keepGoing() && performance.now() < until) await sleep(Math.min(250, until - performance.now()));
}

/** `send`, again after each `429`'s Retry-After, as a client at its limits would. */
async function sendAdmitted(baseUrl, auth, method, urlPath, body) {
  for (;;) {
    const answer = await send(baseUrl, auth, method, urlPath, body);
    if (answer.status !== 429) return answer;
    await waitRetryAfter(answer);
  }
}

/** 1,000 new customers for A, never seen before (`label` keeps them apart). */
const newCustomers = (label) =>
  Array.from({ length: 1_000 }, (_, i) => ({ alternative_id: `${label}-${i}`, email: `${label}-${i}@example.com` }));

/** A's events list pages, each next to the unfiltered page, in alternating rounds. */
async function measureEventLists(env, { midIso, rounds, durationSeconds, connections, say }) {
  const page = (query) => () => ({ method: "GET", path: `/v1/events?limit=20${query}` });
  const scenarios = [
    { name: "events_page", expect: 200, request: page("") },
    { name: "events_type_customer", expect: 200, request: page("&type=customer.*") },
    { name: "events_created_gte", expect: 200, request: page(`&created_gte=${encodeURIComponent(midIso)}`) },
    { name: "events_created_lt", expect: 200, request: page(`&created_lt=${encodeURIComponent(midIso)}`) },
    {
      name: "events_type_created_lt",
      expect: 200,
      request: page(`&type=subscription.*&created_lt=${encodeURIComponent(midIso)}`),
    },
  ];
  /** @type {Record<string, Awaited<ReturnType<typeof drive>>[]>} */
  const perRound = Object.fromEntries(scenarios.map((s) => [s.name, []]));
  for (const s of scenarios) await drive(env.urls.roster, s, { durationSeconds: 0.5, connections, headers: A_AUTH });
  for (let r = 0; r < rounds; r++) {
    say(`   events lists, round ${r + 1}/${rounds}: ${scenarios.length} × ${durationSeconds} s`);
    for (const s of r % 2 === 0 ? scenarios : [...scenarios].reverse()) {
      perRound[s.name].push(await drive(env.urls.roster, s, { durationSeconds, connections, headers: A_AUTH }));
    }
  }
  return scenarios.map((s) => {
    const runs = perRound[s.name];
    return {
      name: s.name,
      path: s.request().path,
      rps: round(median(runs.map((x) => x.rps)), 1),
      p50_ms: round(median(runs.map((x) => x.p50)), 3),
      p99_ms: round(median(runs.map((x) => x.p99)), 3),
      p50_ratio: round(median(runs.map((x, i) => x.p50 / perRound.events_page[i].p50)), 3),
      unexpected_statuses: runs.reduce((sum, x) => sum + x.unexpected, 0),
    };
  });
}

/** The heaviest single requests A can make, one at a time through the counting wrapper. */
async function measureHeaviest(env, destinations, { sinceIso, tag }) {
  const heavy = [];
  const record = async (name, method, urlPath, body, detail) => {
    const answer = await sendAdmitted(env.urls.counted, A_AUTH, method, urlPath, body);
    const counts = answer.counts ?? {};
    heavy.push({
      name,
      status: answer.status,
      detail: detail?.(answer.json) ?? null,
      request_ms: round(answer.ms, 1),
      d1_wall_ms: round(counts.d1_wall_ms ?? null, 1),
      d1_sql_ms: round(counts.d1_sql_ms ?? null, 1),
      d1_longest_round_trip_ms: round(counts.d1_wall_max_ms ?? null, 1),
      d1_round_trips: counts.d1_round_trips ?? null,
      d1_statements: counts.d1_statements ?? null,
    });
  };
  for (let i = 0; i < 3; i++) {
    await record(
      "replay (since before every event)",
      "POST",
      `/v1/event_destinations/${destinations[i].id}/replay`,
      { since: sinceIso },
      (json) => `${json?.deliveries_created} deliveries, has_more ${json?.has_more}`,
    );
  }
  for (let i = 0; i < 3; i++) {
    await record(
      "import of 1,000 new customers, 16 destinations",
      "POST",
      "/v1/customers/import",
      { customers: newCustomers(`heavy-${tag}-${i}`) },
      (json) => `${json?.created} created → ${json?.created * 10} deliveries`,
    );
  }
  for (const [name, urlPath] of [
    ["events page of 100", "/v1/events?limit=100"],
    ["events page of 100, type=subscription.*", "/v1/events?limit=100&type=subscription.*"],
    ["customers page of 100", "/v1/customers?limit=100"],
  ]) {
    for (let i = 0; i < 3; i++) await record(name, "GET", urlPath, undefined, (json) => `${json?.data?.length} items`);
  }
  return heavy;
}

/**
 * A at its limits until stopped: two import loops of 1,000 new customers (10,000 deliveries each,
 * the fan-out cap) and a replay attempt every 500 ms across its destinations (one per
 * destination per minute succeeds; the rest are 429).
 */
function hammer(env, destinations, tag) {
  let running = true;
  const statuses = { import: {}, replay: {} };
  let imported = 0;
  let batch = 0;
  const started = performance.now();
  const count = (kind, status) => {
    statuses[kind][status] = (statuses[kind][status] ?? 0) + 1;
  };
  const importLoop = async () => {
    while (running) {
      const answer = await send(env.urls.roster, A_AUTH, "POST", "/v1/customers/import", {
        customers: newCustomers(`hammer-${tag}-${batch++}`),
      });
      count("import", answer.status);
      // At its limits: again as soon as the budget allows.
      if (answer.status === 429) await waitRetryAfter(answer, () => running);
      if (answer.status === 200) imported += answer.json?.created ?? 0;
    }
  };
  const replayLoop = async () => {
    let next = 0;
    while (running) {
      const destination = destinations[next++ % destinations.length];
      const answer = await send(env.urls.roster, A_AUTH, "POST", `/v1/event_destinations/${destination.id}/replay`, {
        since: "2000-01-01T00:00:00.000Z",
      });
      count("replay", answer.status);
      await sleep(500);
    }
  };
  const loops = [importLoop(), importLoop(), replayLoop()];
  return async () => {
    running = false;
    await Promise.all(loops);
    const seconds = (performance.now() - started) / 1000;
    return { seconds: round(seconds, 1), customers_imported: imported, statuses };
  };
}

/** Every destination of A to `status` (PATCH), so A's imports fan out to all of them or to none. */
async function setDestinations(env, destinations, status) {
  for (const destination of destinations) {
    const answer = await send(env.urls.roster, A_AUTH, "PATCH", `/v1/event_destinations/${destination.id}`, { status });
    if (answer.status !== 200) throw new Error(`PATCH destination to ${status} answered ${answer.status}`);
  }
}

/** B's GET by id and create: alone, beside A's hammering, beside it with no fan-out; alternating order. */
async function measureNeighbour(env, destinations, { bIds, rounds, durationSeconds, connections, tag, say }) {
  let created = 0;
  const scenarios = [
    {
      name: "b_get_by_id",
      expect: 200,
      request: () => ({ method: "GET", path: `/v1/customers/${bIds[Math.floor(Math.random() * bIds.length)]}` }),
    },
    {
      name: "b_create",
      expect: 201,
      request: () => {
        created++;
        return {
          method: "POST",
          path: "/v1/customers",
          body: JSON.stringify({ alternative_id: `b-${tag}-${created}`, email: `b-${tag}-${created}@example.com` }),
        };
      },
    },
  ];
  const results = [];
  for (const s of scenarios) {
    await drive(env.urls.roster, s, { durationSeconds: 0.5, connections, headers: B_AUTH });
    const alone = [];
    const beside = [];
    const besideNoFanOut = [];
    const hammers = [];
    const hammersNoFanOut = [];
    const conditions = ["alone", "beside", "no fan-out"];
    for (let r = 0; r < rounds; r++) {
      say(
        `   neighbour ${s.name}, round ${r + 1}/${rounds}: alone, beside A, beside A with no fan-out × ${durationSeconds} s`,
      );
      for (const condition of r % 2 === 0 ? conditions : [...conditions].reverse()) {
        if (condition === "alone") {
          alone.push(await drive(env.urls.roster, s, { durationSeconds, connections, headers: B_AUTH }));
          continue;
        }
        if (condition === "no fan-out") await setDestinations(env, destinations, "disabled");
        const stop = hammer(env, destinations, `${tag}-${s.name}-${r}-${condition === "beside" ? "f" : "n"}`);
        await sleep(1_000);
        const run = await drive(env.urls.roster, s, { durationSeconds, connections, headers: B_AUTH });
        const hammered = await stop();
        if (condition === "beside") {
          beside.push(run);
          hammers.push(hammered);
        } else {
          besideNoFanOut.push(run);
          hammersNoFanOut.push(hammered);
          await setDestinations(env, destinations, "enabled");
        }
      }
    }
    const summary = (runs) => ({
      rps: round(median(runs.map((x) => x.rps)), 1),
      p50_ms: round(median(runs.map((x) => x.p50)), 3),
      p99_ms: round(median(runs.map((x) => x.p99)), 3),
      unexpected_statuses: runs.reduce((sum, x) => sum + x.unexpected, 0),
    });
    results.push({
      name: s.name,
      alone: summary(alone),
      beside_a: summary(beside),
      p50_ratio: round(median(beside.map((x, i) => x.p50 / alone[i].p50)), 3),
      p99_ratio: round(median(beside.map((x, i) => x.p99 / alone[i].p99)), 3),
      rps_ratio: round(median(beside.map((x, i) => x.rps / alone[i].rps)), 3),
      a_hammering: hammers,
      beside_a_no_fan_out: summary(besideNoFanOut),
      no_fan_out_p50_ratio: round(median(besideNoFanOut.map((x, i) => x.p50 / alone[i].p50)), 3),
      no_fan_out_p99_ratio: round(median(besideNoFanOut.map((x, i) => x.p99 / alone[i].p99)), 3),
      a_hammering_no_fan_out: hammersNoFanOut,
    });
  }
  return results;
}

/**
 * @param {{ projectDir: string, bundle: any, tmp: string, tag: string, options: any, say: (message: string) => void }} context
 */
export async function runTenants({ projectDir, bundle, tmp, tag, options, say }) {
  const events = options.tenantEvents;
  const persistDir = path.join(tmp, "state-tenants");
  say(`\n== tenants: organization A with ${events.toLocaleString("en-US")} events, B its neighbour`);
  const receiver = await startReceiver();
  try {
    // Seeding in one workerd, measuring in a fresh one (seeding grows workerd's memory).
    const seedStartIso = new Date(Date.now() - 60_000).toISOString();
    let midIso = seedStartIso;
    let bIds = [];
    const seedEnv = await startEnvironment({ projectDir, bundle, persistDir });
    const seedStarted = performance.now();
    try {
      await applyMigrations(seedEnv.db, projectDir);
      await seedOrganization(seedEnv.db);
      await seedNeighbourOrganization(seedEnv.db);
      const customersA = Math.ceil(events / 2);
      let half = false;
      await importCustomers(seedEnv.urls.roster, customersA, {
        concurrency: options.importConcurrency,
        itemOf: (i) => ({
          alternative_id: `a-${i}`,
          email: `a${i}@example.com`,
          subscription: { plan_id: "plan-bench" },
        }),
        onProgress(done, total) {
          if (!half && done >= total / 2) {
            half = true;
            midIso = new Date().toISOString();
          }
        },
      });
      const b = await importCustomers(seedEnv.urls.roster, 2_000, { apiKey: NEIGHBOUR_API_KEY });
      bIds = b.ids;
    } finally {
      await seedEnv.dispose();
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    say(`   seeded in ${seedSeconds.toFixed(1)} s (events created_gte/created_lt split at ${midIso})`);

    const env = await startEnvironment({
      projectDir,
      bundle,
      persistDir,
      rosterWrapper: "deliveries-gate-worker.mjs",
      deployedImportBudget: true,
    });
    try {
      await deliveryGate(env.urls.roster, receiver, "hold");
      const destinations = [];
      for (let i = 0; i < 16; i++) {
        destinations.push(
          await createDestination(env.urls.roster, receiver.url, `/tenants-${i}`, [
            i < 10 ? "customer.*" : "address.*",
          ]),
        );
      }
      const lists = await measureEventLists(env, {
        midIso,
        rounds: Math.max(options.rounds, 3),
        durationSeconds: options.durationSeconds,
        connections: options.connections,
        say,
      });
      say("   heaviest requests, one at a time through the counting wrapper");
      const heaviest = await measureHeaviest(env, destinations, { sinceIso: seedStartIso, tag });
      const neighbour = await measureNeighbour(env, destinations, {
        bIds,
        rounds: Math.max(options.rounds, 2),
        durationSeconds: Math.max(options.durationSeconds, NEIGHBOUR_SECONDS),
        connections: options.connections,
        tag,
        say,
      });
      return { events, seed_seconds: round(seedSeconds, 1), split_at: midIso, lists, heaviest, neighbour };
    } finally {
      await env.dispose();
    }
  } finally {
    receiver.openGate(); // a batch held at the gate when workerd stopped: its request ends here
    await receiver.close();
  }
}

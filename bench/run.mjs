#!/usr/bin/env node
// @ts-check
/**
 * npm run bench [-- --quick | --customers N | --scaling | --help]
 *
 * Roster against the floor of its own runtime, side by side in one workerd: builds the bundle
 * as `wrangler deploy` would, serves it with Miniflare on its own socket (no wrangler-dev
 * proxy, request logs off, rate limit raised) on fresh local D1/KV state, seeds N customers
 * through POST /v1/customers/import, then drives each scenario with autocannon. Prints a table
 * and writes the same as JSON to bench/results/<timestamp>.json. See README "Performance".
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { readOptions } from "./lib/args.mjs";
import { buildBundle } from "./lib/build.mjs";
import {
  applyMigrations,
  BENCH_API_KEY,
  BENCH_SECOND_API_KEY,
  importCustomers,
  round,
  seededAlternativeId,
  seedOrganization,
  startEnvironment,
} from "./lib/environment.mjs";
import { runEvents } from "./lib/events.mjs";
import { eventsText, eventTargets } from "./lib/events-report.mjs";
import { drive, median } from "./lib/load.mjs";
import { EXTRA_QUERIES, explainStatements } from "./lib/plans.mjs";
import { freePort, profileDuring } from "./lib/profile.mjs";
import {
  countsText,
  fixed,
  plansText,
  profileText,
  scalingTable,
  scenarioTable,
  startupText,
  targetTable,
} from "./lib/report.mjs";
import { measureIndexSlices, scaleTargets, storageBytes } from "./lib/scale.mjs";
import { defineScenarios } from "./lib/scenarios.mjs";
import { measureStartup } from "./lib/startup.mjs";
import { evaluateTargets } from "./lib/targets.mjs";
import { runTenants } from "./lib/tenants.mjs";
import { tenantsText, tenantTargets } from "./lib/tenants-report.mjs";

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const PROJECT_DIR = path.dirname(BENCH_DIR);
const require = createRequire(import.meta.url);
const AUTH = { authorization: `Bearer ${BENCH_API_KEY}` };

const say = (message) => process.stderr.write(`${message}\n`);

function shuffled(values) {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
  return values;
}

async function forEachConcurrently(items, concurrency, task) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** A real cursor tells where the newest customer is and what "no filters" hashes to. */
async function cursorFacts(rosterUrl) {
  const response = await fetch(`${rosterUrl}/v1/customers?limit=1`, { headers: AUTH });
  const page = /** @type {{ next_cursor?: string }} */ (await response.json());
  if (!page.next_cursor) throw new Error(`no next_cursor in ${JSON.stringify(page).slice(0, 300)}`);
  const [newestSeq, filtersHash] = JSON.parse(Buffer.from(page.next_cursor, "base64url").toString("utf8"));
  return { newestSeq, filtersHash };
}

/** Does this build keep Idempotency-Key responses? (The feature may not be merged yet.) */
async function probeIdempotency(rosterUrl, scenario) {
  const send = async () => {
    const request = scenario.request();
    const response = await fetch(`${rosterUrl}${request.path}`, {
      method: request.method,
      headers: { ...AUTH, "content-type": "application/json", ...request.headers },
      body: request.body,
    });
    await response.arrayBuffer();
    return response;
  };
  const first = await send();
  const second = await send();
  return first.status === 201 && second.status === 201 && second.headers.get("idempotent-replayed") === "true";
}

/**
 * The test gateway for the bench's organization (spec section 11; the bench serves Roster with
 * a GATEWAY_ENCRYPTION_KEY) and pm_card_visa on file for each of these customers, so the
 * credit scenario charges a card through the gateway. A build without the money routes: why not.
 * @returns {Promise<{ customerId: string, paymentMethodId: string }[] | string>}
 */
async function cardsOnFile(rosterUrl, customerIds) {
  const send = async (method, pathname, body) => {
    const response = await fetch(`${rosterUrl}${pathname}`, {
      method,
      headers: { ...AUTH, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: /** @type {Record<string, any>} */ (await response.json()) };
  };
  const gateway = await send("PUT", "/v1/payment_gateway", { type: "test" });
  if (gateway.status !== 200) return `PUT /v1/payment_gateway answered ${gateway.status}`;
  const cards = [];
  for (const customerId of customerIds) {
    const card = await send("POST", `/v1/customers/${customerId}/payment_methods`, {
      gateway: "test",
      gateway_reference: "pm_card_visa",
    });
    if (card.status !== 201) return `adding pm_card_visa answered ${card.status}: ${JSON.stringify(card.json)}`;
    cards.push({ customerId, paymentMethodId: String(card.json.id) });
  }
  return cards;
}

/**
 * What one request of the scenario costs in storage operations, through the counting wrapper
 * (the second of two requests: steady state, e.g. the API key already cached), and the SQL
 * both requests ran, for the query-plan check.
 */
async function countsOf(countedUrl, scenario, statements) {
  let last = null;
  /** @type {{ method: string, path: string, body?: string, headers?: Record<string, string> } | null} */
  let first = null;
  for (let attempt = 0; attempt < 2; attempt++) {
    // A read repeats itself (a lookup's second time is its steady state); a write cannot.
    const request = first?.method === "GET" ? first : scenario.request();
    first ??= request;
    const response = await fetch(`${countedUrl}${request.path}`, {
      method: request.method,
      headers: { ...AUTH, ...(request.body ? { "content-type": "application/json" } : {}), ...request.headers },
      body: request.body,
    });
    await response.arrayBuffer();
    last = { status: response.status, ...JSON.parse(response.headers.get("x-bench-counts") ?? "{}") };
    await collectStatements(countedUrl, scenario.name, statements);
  }
  return last;
}

/** Adds the counting wrapper's last request's statements to `into` (SQL text → sources). */
async function collectStatements(countedUrl, source, into) {
  const ran = /** @type {{ sql: string, params: unknown[] }[]} */ (
    await (await fetch(`${countedUrl}/__bench/statements`)).json()
  );
  for (const { sql, params } of ran) {
    const known = into.get(sql);
    if (known) {
      if (!known.sources.includes(source)) known.sources.push(source);
    } else into.set(sql, { sql, params, sources: [source] });
  }
}

async function countedColdKey(countedUrl, id, statements) {
  const response = await fetch(`${countedUrl}/v1/customers/${id}`, {
    headers: { authorization: `Bearer ${BENCH_SECOND_API_KEY}` },
  });
  await response.arrayBuffer();
  await collectStatements(countedUrl, "API key not cached yet", statements);
  return { status: response.status, ...JSON.parse(response.headers.get("x-bench-counts") ?? "{}") };
}

/** A small import through the counting wrapper: one new customer, one update, one subscription. */
async function countedImport(countedUrl, tag, statements) {
  const response = await fetch(`${countedUrl}/v1/customers/import`, {
    method: "POST",
    headers: { ...AUTH, "content-type": "application/json" },
    body: JSON.stringify({
      customers: [
        { alternative_id: `plan-${tag}`, email: `plan-${tag}@example.com` },
        { alternative_id: seededAlternativeId(0), name: `Plan ${tag}` },
        { alternative_id: seededAlternativeId(1), subscription: { plan_id: "plan-bench" } },
      ],
    }),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`counted import answered ${response.status}: ${text.slice(0, 300)}`);
  await collectStatements(countedUrl, "import", statements);
  return { status: response.status, ...JSON.parse(response.headers.get("x-bench-counts") ?? "{}") };
}

function selectScenarios(all, { only, scalingOnly }) {
  let chosen = all;
  if (scalingOnly) chosen = all.filter((s) => s.scaling);
  if (only) chosen = all.filter((s) => only.includes(s.name));
  const names = new Set(chosen.map((s) => s.name));
  if (!scalingOnly) {
    for (const s of chosen) {
      if (s.floor) names.add(s.floor);
      if (s.limited) names.add(s.limited);
      if (s.compare) names.add(s.compare);
      for (const name of s.also ?? []) names.add(name);
    }
  }
  return all.filter((s) => names.has(s.name));
}

/**
 * N customers on fresh state: seeded in one workerd, then measured in a fresh one (seeding's
 * D1 traffic grows workerd's memory, which would slow whatever ran after it in the same
 * process). With `scalingPass`, the scaling scenarios are measured once more on the same
 * state in another fresh workerd, exactly as the scaling base is, so p50s compare like with like.
 */
async function runAtSize(n, { options, bundle, tmp, scalingOnly, tag, scalingPass = false }) {
  const persistDir = path.join(tmp, `state-${n}`);
  say(`\n== ${n.toLocaleString("en-US")} customers (state: ${persistDir})`);
  try {
    const seeded = await seedAtSize(n, { options, bundle, persistDir });
    // The seeded database's bytes, read from its file while no workerd has it open.
    const storage = scalingOnly ? null : await storageBytes(persistDir, n);
    const measured = await measureAtSize(n, seeded, { options, bundle, persistDir, scalingOnly, tag });
    measured.storage = storage;
    if (scalingPass) {
      say(`   scaling pass: the scaling scenarios again, in a fresh workerd`);
      const pass = await measureAtSize(n, seeded, { options, bundle, persistDir, scalingOnly: true, tag: `${tag}p` });
      measured.scaling_pass = pass.scenarios;
    }
    return measured;
  } finally {
    if (!options.keepState) await rm(persistDir, { recursive: true, force: true });
  }
}

/** Migrations, the organization and N customers through the import endpoint (timed). */
async function seedAtSize(n, { options, bundle, persistDir }) {
  const env = await startEnvironment({ projectDir: PROJECT_DIR, bundle, persistDir });
  try {
    const migrations = await applyMigrations(env.db, PROJECT_DIR);
    await seedOrganization(env.db);
    say(`   migrations: ${migrations.join(", ")}`);

    /** @type {number | null} */
    let at100k = null;
    let lastShown = 0;
    const imported = await importCustomers(env.urls.roster, n, {
      concurrency: options.importConcurrency,
      onProgress(done, total, elapsedMs) {
        if (done >= 100_000 && at100k === null) at100k = elapsedMs / 1000;
        if (done - lastShown >= total / 10 || done === total) {
          lastShown = done;
          say(
            `   imported ${done.toLocaleString("en-US")} / ${total.toLocaleString("en-US")} in ${(elapsedMs / 1000).toFixed(1)} s`,
          );
        }
      },
    });
    const importStats = { ...imported.stats, seconds_to_100k: at100k === null ? null : round(at100k) };
    say(`   import: ${importStats.customers_per_second.toLocaleString("en-US")} customers/s`);
    const { newestSeq, filtersHash } = await cursorFacts(env.urls.roster);
    const deepSeq = Math.max(2, newestSeq - Math.floor(0.9 * n));
    return { ids: imported.ids, importStats, deepSeq, filtersHash };
  } finally {
    await env.dispose();
  }
}

/** Warm the alternative IDs, inspect (counts, plans), then the scenarios in alternating rounds. */
async function measureAtSize(n, seeded, { options, bundle, persistDir, scalingOnly, tag }) {
  const { ids, importStats, deepSeq, filtersHash } = seeded;
  const inspectorPort = options.profile && !scalingOnly ? await freePort() : undefined;
  const env = await startEnvironment({ projectDir: PROJECT_DIR, bundle, persistDir, inspectorPort });
  try {
    const indexes = shuffled(Array.from({ length: n }, (_, i) => i));
    // Warm: looked up once, so KV holds them. Cold: never looked up (at least half the set).
    const warmCount = Math.min(Math.floor(n / 2), options.quick ? 300 : 1_000);
    const warm = indexes.slice(0, warmCount);
    const cold = indexes.slice(warmCount);
    const started = performance.now();
    await forEachConcurrently(warm, 8, async (index) => {
      const response = await fetch(
        `${env.urls.roster}/v1/customers/alternative-id/${encodeURIComponent(seededAlternativeId(index))}`,
        { headers: AUTH },
      );
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`warming alternative ID ${index}: ${response.status}`);
    });
    say(`   warmed ${warm.length} alternative IDs into KV in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    /** @type {{ customerId: string, paymentMethodId: string }[]} */
    const cards = [];
    const scenarios = selectScenarios(defineScenarios({ ids, warm, cold, deepSeq, filtersHash, tag, cards }), {
      only: options.only,
      scalingOnly,
    });
    const skipped = new Map();
    if (scenarios.some((s) => s.needs === "cards")) {
      const onFile = await cardsOnFile(env.urls.roster, ids.slice(0, Math.min(ids.length, 50)));
      if (typeof onFile === "string") {
        for (const s of scenarios.filter((x) => x.needs === "cards")) skipped.set(s.name, `n/a: ${onFile}`);
      } else cards.push(...onFile);
    }
    const replay = scenarios.find((s) => s.needs === "idempotency");
    if (replay && !(await probeIdempotency(env.urls.roster, replay))) {
      skipped.set(replay.name, "n/a: Idempotency-Key replays not in this build");
    }
    const runnable = scenarios.filter((s) => !skipped.has(s.name));

    const statements = new Map();
    const counts = {};
    for (const s of runnable.filter((s) => s.target === "roster")) {
      counts[s.name] = await countsOf(env.urls.counted, s, statements);
    }
    counts.import_of_3 = await countedImport(env.urls.counted, tag, statements);
    // A key no request has used yet: the API-key lookup as it runs on a cache miss.
    counts.get_by_id_uncached_key = await countedColdKey(env.urls.counted, ids[0], statements);
    const plans = await explainStatements(env.db, [...statements.values(), ...EXTRA_QUERIES]);

    const urlOf = (s) => (s.target === "floor" ? env.urls.floor : env.urls.roster);
    const headersOf = (s) => (s.target === "roster" ? AUTH : {});
    const warmup = options.quick ? 0.3 : 0.5;
    say(`   warm-up: ${runnable.length} scenarios × ${warmup} s`);
    for (const s of runnable) {
      await drive(urlOf(s), s, { durationSeconds: warmup, connections: options.connections, headers: headersOf(s) });
    }

    const perRound = Object.fromEntries(runnable.map((s) => [s.name, []]));
    for (let r = 0; r < options.rounds; r++) {
      // Alternate the order so neither side of a ratio always runs first (drift, warm-up, GC).
      const order = r % 2 === 0 ? runnable : [...runnable].reverse();
      say(`   round ${r + 1}/${options.rounds}: ${order.length} scenarios × ${options.durationSeconds} s`);
      for (const s of order) {
        const result = await drive(urlOf(s), s, {
          durationSeconds: options.durationSeconds,
          connections: options.connections,
          headers: headersOf(s),
        });
        perRound[s.name].push(result);
        if (result.unexpected > 0) {
          say(`   ! ${s.name}: ${result.unexpected} unexpected statuses ${JSON.stringify(result.statuses)}`);
        }
      }
    }

    const indexSlices = await measureIndexSlices(runnable, urlOf, headersOf, {
      slices: options.indexSlices,
      connections: options.connections,
    });
    const profiles = [];
    if (inspectorPort) {
      for (const name of ["get_by_id", "floor_read_rate_limited", "create", "floor_insert_limited"]) {
        const s = runnable.find((x) => x.name === name);
        if (!s) continue;
        say(`   profiling ${name} for ${options.durationSeconds} s`);
        const profile = await profileDuring(
          inspectorPort,
          bundle.mapPath,
          () =>
            drive(urlOf(s), s, {
              durationSeconds: options.durationSeconds,
              connections: options.connections,
              headers: headersOf(s),
            }),
          s.target === "floor" ? /^core:user:floor$/ : undefined,
        );
        profiles.push({ scenario: name, ...profile });
      }
    }

    const ratioOver = (a, b) => {
      if (!perRound[a] || !perRound[b]) return null;
      return median(perRound[a].map((result, i) => result.rps / perRound[b][i].rps));
    };
    const p50RatioOver = (a, b) => {
      if (!perRound[a] || !perRound[b]) return null;
      return median(perRound[a].map((result, i) => result.p50 / perRound[b][i].p50));
    };
    const summary = scenarios.map((s) => {
      if (skipped.has(s.name)) return { name: s.name, target: s.target, skipped: skipped.get(s.name) };
      const rounds = perRound[s.name];
      return {
        name: s.name,
        target: s.target,
        description: s.description ?? null,
        rps: round(median(rounds.map((x) => x.rps)), 1),
        p50_ms: round(median(rounds.map((x) => x.p50)), 3),
        p99_ms: round(median(rounds.map((x) => x.p99)), 3),
        floor: s.floor && perRound[s.floor] ? s.floor : null,
        floor_ratio: s.floor ? round(ratioOver(s.name, s.floor) ?? Number.NaN, 3) : null,
        limited: s.limited && perRound[s.limited] ? s.limited : null,
        limited_ratio: s.limited ? round(ratioOver(s.name, s.limited) ?? Number.NaN, 3) : null,
        compare: s.compare && perRound[s.compare] ? s.compare : null,
        compare_ratio: s.compare ? round(ratioOver(s.name, s.compare) ?? Number.NaN, 3) : null,
        // p50 over the compared scenario's p50, paired per round (issue 19's targets are on p50).
        compare_p50_ratio: s.compare ? round(p50RatioOver(s.name, s.compare) ?? Number.NaN, 3) : null,
        p50_target: s.p50Target ?? null,
        cpu_ms: round(median(rounds.map((x) => x.workerd_cpu_ms)), 3),
        // The same paired ratio against the reference floors (what the gap is made of).
        reference_ratios: Object.fromEntries(
          (s.also ?? [])
            .filter((name) => perRound[name])
            .map((name) => [name, round(ratioOver(s.name, name) ?? Number.NaN, 3)]),
        ),
        requests: rounds.reduce((sum, x) => sum + x.requests, 0),
        unexpected_statuses: rounds.reduce((sum, x) => sum + x.unexpected, 0),
        statuses: rounds.reduce((all, x) => {
          for (const [code, count] of Object.entries(x.statuses)) all[code] = (all[code] ?? 0) + count;
          return all;
        }, {}),
        counts: counts[s.name] ?? null,
        rounds: rounds.map((x) => ({
          rps: round(x.rps, 1),
          p50_ms: round(x.p50, 3),
          p99_ms: round(x.p99, 3),
          cpu_ms: round(x.workerd_cpu_ms, 3),
        })),
      };
    });
    return {
      customers: n,
      /** @type {Awaited<ReturnType<typeof storageBytes>>} */
      storage: null,
      index_slices: indexSlices,
      startup: env.startup,
      import: importStats,
      deep_seq: deepSeq,
      plans,
      scenarios: summary,
      import_counts: counts.import_of_3,
      uncached_key_counts: counts.get_by_id_uncached_key,
      profiles,
    };
  } finally {
    await env.dispose();
  }
}

function versions() {
  const version = (name) => {
    try {
      return require(`${name}/package.json`).version;
    } catch {
      return null;
    }
  };
  /** @type {string | null} */
  let commit = null;
  /** @type {boolean | null} */
  let dirty = null;
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: PROJECT_DIR }).toString().trim();
    dirty = execFileSync("git", ["status", "--porcelain"], { cwd: PROJECT_DIR }).toString().trim() !== "";
  } catch {
    // not a git checkout
  }
  return {
    commit,
    dirty,
    node: process.version,
    wrangler: version("wrangler"),
    autocannon: version("autocannon"),
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? null,
  };
}

/** The run as JSON in bench/results/<timestamp>.json; returns its path relative to the project. */
async function writeResult(result, startedAt) {
  const resultsDir = path.join(BENCH_DIR, "results");
  await mkdir(resultsDir, { recursive: true });
  const stamp = startedAt
    .toISOString()
    .replaceAll(":", "-")
    .replace(/\.\d+Z$/, "Z");
  const file = path.join(resultsDir, `${stamp}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return path.relative(PROJECT_DIR, file);
}

async function main() {
  const options = readOptions();
  const startedAt = new Date();
  const began = performance.now();
  if (options.stateDir) await mkdir(options.stateDir, { recursive: true });
  const tmp = await mkdtemp(path.join(options.stateDir ?? os.tmpdir(), "roster-bench-"));
  const tag = startedAt.getTime().toString(36);
  const loadBefore = os.loadavg();
  try {
    say(
      `roster bench: ${options.customers.toLocaleString("en-US")} customers, ${options.rounds} round(s) × ${options.durationSeconds} s, ${options.connections} connections${options.scaling ? `, scaling vs ${options.scalingBase.toLocaleString("en-US")}` : ""}`,
    );
    say("building: wrangler deploy --dry-run --outdir …");
    const bundle = await buildBundle(PROJECT_DIR, path.join(tmp, "bundle"));
    say(
      `   ${bundle.size.wrangler_kib ?? bundle.size.kib} KiB, gzip ${bundle.size.wrangler_gzip_kib ?? bundle.size.gzip_kib} KiB`,
    );
    if (options.tenantsOnly) {
      const tenants = await runTenants({ projectDir: PROJECT_DIR, bundle, tmp, tag, options, say });
      const targets = tenantTargets(tenants);
      const loadAverage = { before: loadBefore, after: os.loadavg() };
      const result = {
        started_at: startedAt.toISOString(),
        options,
        versions: versions(),
        tenants,
        targets,
        load_average: loadAverage,
      };
      const out = ["", tenantsText(tenants), "", targetTable(targets)];
      out.push(
        `load average before ${loadBefore.map((x) => x.toFixed(2)).join(" ")}, after ${loadAverage.after.map((x) => x.toFixed(2)).join(" ")}`,
      );
      out.push(`written: ${await writeResult(result, startedAt)}`);
      console.log(out.join("\n"));
      return;
    }
    if (options.eventsOnly) {
      const events = await runEvents({ projectDir: PROJECT_DIR, bundle, tmp, tag, options, say });
      const targets = eventTargets(events);
      const result = { started_at: startedAt.toISOString(), options, versions: versions(), events, targets };
      const out = ["", eventsText(events), "", targetTable(targets)];
      out.push(`written: ${await writeResult(result, startedAt)}`);
      console.log(out.join("\n"));
      return;
    }
    say(
      "startup: wrangler check startup, Roster, a one-route Hono and a one-route zod-openapi Worker, 3 rotating runs …",
    );
    const startupProfile = await measureStartup({
      projectDir: PROJECT_DIR,
      workerForm: bundle.workerForm,
      mapPath: bundle.mapPath,
      outDir: tmp,
      runs: 3,
    });
    say(
      `   Roster ${startupProfile.roster_ms} ms, bare Hono ${startupProfile.bare_hono_ms} ms (${startupProfile.ratio ?? "–"}×), one-route zod-openapi ${startupProfile.one_route_openapi_ms} ms (${startupProfile.openapi_ratio ?? "–"}×) CPU (medians)`,
    );

    const result = {
      started_at: startedAt.toISOString(),
      options,
      versions: versions(),
      bundle: bundle.size,
      startup: { check_startup: startupProfile },
    };

    /** @type {Awaited<ReturnType<typeof runAtSize>> | null} */
    let small = null;
    if (options.scaling) {
      small = await runAtSize(options.scalingBase, { options, bundle, tmp, scalingOnly: true, tag: `${tag}s` });
    }
    const large = await runAtSize(options.customers, {
      options,
      bundle,
      tmp,
      scalingOnly: false,
      tag,
      scalingPass: options.scaling,
    });
    result.startup.local = large.startup;
    result.import = large.import;
    result.scenarios = large.scenarios;
    result.query_plans = large.plans;
    result.import_of_3_counts = large.import_counts;
    result.get_by_id_uncached_key_counts = large.uncached_key_counts;
    if (large.profiles.length) result.profiles = large.profiles;
    if (small) {
      // The large side from its scaling pass: measured the same way as the small side.
      const largeScaling = large.scaling_pass ?? large.scenarios;
      const p50 = (scenarios, name) => scenarios.find((s) => s.name === name)?.p50_ms ?? null;
      result.scaling = {
        small_n: small.customers,
        large_n: large.customers,
        rows: small.scenarios
          .filter((s) => !s.skipped)
          .map((s) => {
            const largeP50 = p50(largeScaling, s.name);
            return {
              name: s.name,
              small_p50_ms: s.p50_ms,
              large_p50_ms: largeP50,
              ratio: largeP50 === null || !s.p50_ms ? null : round(largeP50 / s.p50_ms, 3),
              small_rps: s.rps,
              large_rps: largeScaling.find((x) => x.name === s.name)?.rps ?? null,
            };
          }),
        small_import: small.import,
      };
    }
    result.storage = large.storage;
    result.targets = evaluateTargets(result, large, result.scaling);
    result.index_slices = large.index_slices;
    result.targets.push(...scaleTargets(result.scenarios, large.storage, large.index_slices));
    if (!options.skipEvents) {
      result.events = await runEvents({ projectDir: PROJECT_DIR, bundle, tmp, tag, options, say });
      result.targets.push(...eventTargets(result.events));
    }
    if (options.tenants) {
      result.tenants = await runTenants({ projectDir: PROJECT_DIR, bundle, tmp, tag, options, say });
      result.targets.push(...tenantTargets(result.tenants));
    }
    result.load_average = { before: loadBefore, after: os.loadavg() };
    result.total_seconds = round((performance.now() - began) / 1000, 1);

    const out = [];
    out.push("");
    out.push(
      `Roster bench — ${large.customers.toLocaleString("en-US")} customers, ${options.rounds} round(s) × ${options.durationSeconds} s, ${options.connections} connections (medians over rounds; ratios paired per round)`,
    );
    out.push("");
    out.push(scenarioTable(result.scenarios));
    for (const s of result.scenarios.filter((x) => Object.keys(x.reference_ratios ?? {}).length)) {
      const parts = Object.entries(s.reference_ratios).map(([name, ratio]) => `${name} ${fixed(ratio, 2)}`);
      out.push(`${s.name} vs reference floors: ${parts.join(", ")}`);
    }
    if (result.get_by_id_uncached_key_counts) {
      out.push(`get_by_id with an API key not cached yet: ${countsText(result.get_by_id_uncached_key_counts)}`);
    }
    if (result.import_of_3_counts) out.push(`import of 3 items: ${countsText(result.import_of_3_counts)}`);
    if (result.storage) {
      const st = result.storage;
      out.push(
        `storage (dbstat): ${st.bytes_per_customer_without_search} B per customer without the search index, ${st.bytes_per_customer_with_search} B with it; largest: ${st.by_btree
          .slice(0, 8)
          .map((x) => `${x.name} ${x.per_customer} B`)
          .join(", ")}`,
      );
    }
    out.push("");
    const imp = result.import;
    out.push(
      `import: ${imp.customers.toLocaleString("en-US")} customers in ${imp.seconds} s = ${imp.customers_per_second.toLocaleString("en-US")} customers/s (${imp.calls} calls of ${imp.batch_size}, ${imp.concurrency} in flight, p50 ${imp.call_p50_ms} ms per call)`,
    );
    const b = result.bundle;
    out.push(
      `bundle: ${b.wrangler_kib ?? b.kib} KiB, gzip ${b.wrangler_gzip_kib ?? "?"} KiB (wrangler) / ${b.gzip_kib} KiB (gzip -9); largest: ${b.composition
        .slice(0, 5)
        .map((c) => `${c.origin} ${c.kib} KiB`)
        .join(", ")}`,
    );
    const local = result.startup.local;
    out.push("");
    out.push(startupText(result.startup.check_startup));
    out.push(
      `Miniflare ready ${local.miniflare_ready_ms} ms (workerd + 3 Workers); first Roster request ${local.roster_first_request.first_ms} ms, second ${local.roster_first_request.second_ms} ms (GET /healthz)`,
    );
    if (result.scaling) {
      out.push("");
      out.push(scalingTable(result.scaling));
    }
    for (const profile of result.profiles ?? []) {
      out.push("");
      out.push(profileText(profile));
    }
    out.push("");
    if (result.events) {
      out.push(eventsText(result.events));
      out.push("");
    }
    if (result.tenants) {
      out.push(tenantsText(result.tenants));
      out.push("");
    }
    out.push("EXPLAIN QUERY PLAN:");
    out.push(plansText(result.query_plans));
    out.push("");
    out.push(targetTable(result.targets));
    out.push("");
    out.push(
      `load average before ${loadBefore.map((x) => x.toFixed(2)).join(" ")}, after ${result.load_average.after.map((x) => x.toFixed(2)).join(" ")}; total ${result.total_seconds} s`,
    );

    out.push(`written: ${await writeResult(result, startedAt)}`);
    console.log(out.join("\n"));

    const unexpected = result.scenarios.filter((s) => s.unexpected_statuses > 0);
    if (unexpected.length) {
      say(`\nunexpected statuses in: ${unexpected.map((s) => `${s.name} ${JSON.stringify(s.statuses)}`).join("; ")}`);
      process.exitCode = 1;
    }
  } finally {
    if (options.keepState) say(`state kept in ${tmp}`);
    else await rm(tmp, { recursive: true, force: true });
  }
}

await main();
// autocannon and undici can hold sockets open for a moment; nothing else is left to do.
process.exit(process.exitCode ?? 0);

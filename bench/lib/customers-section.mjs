// @ts-check
import { rm } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { countedColdKey, countedImport, countsOf } from "./counted-requests.mjs";
import {
  applyMigrations,
  BENCH_API_KEY,
  importCustomers,
  round,
  seededAlternativeId,
  seedOrganization,
  startEnvironment,
} from "./environment.mjs";
import { drive } from "./load.mjs";
import { EXTRA_QUERIES, explainStatements } from "./plans.mjs";
import { freePort, profileDuring } from "./profile.mjs";
import { measureIndexSlices, storageBytes } from "./scale.mjs";
import { cardsOnFile, probeIdempotency } from "./scenario-prerequisites.mjs";
import { summarizeScenarios } from "./scenario-summary.mjs";
import { defineScenarios, selectScenarios } from "./scenarios.mjs";

/**
 * The customers section: Roster and its floors at N seeded customers (the scenarios, their
 * counts and query plans, the search index's slices, the storage), and the scaling pass that
 * compares N with a small N measured the same way.
 */

const AUTH = { authorization: `Bearer ${BENCH_API_KEY}` };

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

/**
 * N customers on fresh state: seeded in one workerd, then measured in a fresh one (seeding's
 * D1 traffic grows workerd's memory, which would slow whatever ran after it in the same
 * process). With `scalingPass`, the scaling scenarios are measured once more on the same
 * state in another fresh workerd, exactly as the scaling base is, so p50s compare like with like.
 */
export async function runAtSize(n, { projectDir, options, bundle, tmp, scalingOnly, tag, say, scalingPass = false }) {
  const persistDir = path.join(tmp, `state-${n}`);
  say(`\n== ${n.toLocaleString("en-US")} customers (state: ${persistDir})`);
  try {
    const seeded = await seedAtSize(n, { projectDir, options, bundle, persistDir, say });
    // The seeded database's bytes, read from its file while no workerd has it open.
    const storage = scalingOnly ? null : await storageBytes(persistDir, n);
    const measured = await measureAtSize(n, seeded, { projectDir, options, bundle, persistDir, scalingOnly, tag, say });
    measured.storage = storage;
    if (scalingPass) {
      say(`   scaling pass: the scaling scenarios again, in a fresh workerd`);
      const pass = await measureAtSize(n, seeded, {
        projectDir,
        options,
        bundle,
        persistDir,
        scalingOnly: true,
        tag: `${tag}p`,
        say,
      });
      measured.scaling_pass = pass.scenarios;
    }
    return measured;
  } finally {
    if (!options.keepState) await rm(persistDir, { recursive: true, force: true });
  }
}

/** Migrations, the organization and N customers through the import endpoint (timed). */
async function seedAtSize(n, { projectDir, options, bundle, persistDir, say }) {
  const env = await startEnvironment({ projectDir, bundle, persistDir });
  try {
    const migrations = await applyMigrations(env.db, projectDir);
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
async function measureAtSize(n, seeded, { projectDir, options, bundle, persistDir, scalingOnly, tag, say }) {
  const { ids, importStats, deepSeq, filtersHash } = seeded;
  const inspectorPort = options.profile && !scalingOnly ? await freePort() : undefined;
  const env = await startEnvironment({ projectDir, bundle, persistDir, inspectorPort });
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

    const summary = summarizeScenarios(scenarios, { skipped, perRound, counts });
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

/**
 * p50 at the large N against the small N, per scaling scenario. The large side comes from its
 * scaling pass: measured the same way as the small side.
 */
export function scalingComparison(small, large) {
  const largeScaling = large.scaling_pass ?? large.scenarios;
  const p50 = (scenarios, name) => scenarios.find((s) => s.name === name)?.p50_ms ?? null;
  return {
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

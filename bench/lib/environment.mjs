// @ts-check
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/**
 * The Miniflare that wrangler itself runs (its own dependency, which matches its workerd),
 * not whatever other copy node_modules holds.
 */
async function loadMiniflare() {
  const fromWrangler = createRequire(require.resolve("wrangler/package.json"));
  return import(fromWrangler.resolve("miniflare"));
}

export const BENCH_ORG_ID = "org_bench";
export const BENCH_KEY_ID = "key_0000000000000000000000BENCH";
export const BENCH_API_KEY = "rk_bench_local_benchmark_key_0123456789";
/** Used once, so its lookup is a cache miss (the counts and plans of that path). */
export const BENCH_SECOND_API_KEY = "rk_bench_second_key_used_once_9876543210";
/** Far above anything this machine can send: the limiter still runs, it just never refuses. */
export const BENCH_RATE_LIMIT = 1_000_000_000;
/** The same for the import budget (items per minute), except where the tenants section measures it. */
const BENCH_IMPORT_ITEMS_PER_MINUTE = "1000000000";

const sha256Hex = (text) => createHash("sha256").update(text).digest("hex");

/**
 * One workerd with three Workers on the same D1 database and KV namespace:
 * - roster: the bundle, as wrangler.toml configures it, request logs off, rate limit raised;
 * - floor: bench/floor-worker.mjs, the bare storage work;
 * - roster_counted: the bundle behind bench/instrument-worker.mjs, for per-request counts.
 * Each listens on its own socket (no wrangler-dev proxy, no Miniflare entry worker).
 * roster consumes the event-delivery queues as wrangler.toml configures them (a queue has one
 * consumer: roster_counted only produces); `queueConsumers` overrides a consumer's settings.
 * The Workers' info-level log lines (one per delivery attempt) are counted, not printed.
 * `rosterWrapper` (a file name in bench/) serves roster's bundle behind that module, as
 * roster_counted is served behind instrument-worker.mjs. `deployedImportBudget` keeps wrangler.toml's
 * IMPORT_ITEMS_PER_MINUTE (otherwise raised, like the rate limits).
 * @param {{ projectDir: string, bundle: { modules: { path: string, contents: Buffer }[] }, persistDir: string, inspectorPort?: number, queueConsumers?: Record<string, { maxBatchSize?: number, maxBatchTimeout?: number }>, rosterWrapper?: string, deployedImportBudget?: boolean }} options
 */
export async function startEnvironment({
  projectDir,
  bundle,
  persistDir,
  inspectorPort,
  queueConsumers = {},
  rosterWrapper,
  deployedImportBudget = false,
}) {
  const wrangler = await import("wrangler");
  const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = await loadMiniflare();
  const { workerOptions } = wrangler.unstable_getMiniflareWorkerOptions(path.join(projectDir, "wrangler.toml"));
  // `assets` stays out: with it Miniflare puts its asset router (an RPC proxy, the router, the
  // asset worker's lookup) in front of every request on the direct socket, three more Workers on
  // the same thread that the floor does not pass through. In production Cloudflare routes
  // before the Worker runs, and none of the scenarios asks for an asset (Roster never reads the
  // ASSETS binding; only tests do).
  const { modulesRules: _, queueConsumers: configuredConsumers, assets: _assets, ...shared } = workerOptions;
  const consumers = Object.fromEntries(
    Object.entries(configuredConsumers ?? {}).map(([queue, config]) => [
      queue,
      { .../** @type {object} */ (config), ...queueConsumers[queue] },
    ]),
  );
  const workerLogs = { info: 0 };

  const limiter = Object.fromEntries(
    Object.entries(shared.ratelimits ?? {}).map(([name, config]) => [
      name,
      { ...config, simple: { ...config.simple, limit: BENCH_RATE_LIMIT } },
    ]),
  );
  const socket = [{ host: "127.0.0.1", port: 0 }];
  const rosterBindings = {
    .../** @type {Record<string, unknown>} */ (shared.bindings),
    LOG_REQUESTS: "false",
    ALTERNATIVE_ID_HASH_KEY: "bench-alternative-id-hash-key",
    GATEWAY_ENCRYPTION_KEY: "KIXWl7gfgvyz3RMSpAJH51xZD2S01TeFxbA87na/0Jg=",
    // The receivers run on this machine (wrangler.toml keeps loopback destinations off).
    ALLOW_HTTP_DESTINATIONS: "true",
    // Seeding imports millions of customers; only the tenants section measures at the real budget.
    ...(deployedImportBudget ? {} : { IMPORT_ITEMS_PER_MINUTE: BENCH_IMPORT_ITEMS_PER_MINUTE }),
  };
  const bundleModules = bundle.modules.map(({ path: modulePath, contents }) => ({
    type: "ESModule",
    path: modulePath,
    contents,
  }));
  const bundleDir = path.dirname(bundle.modules[0].path);
  const instrument = await readFile(path.join(BENCH_DIR, "instrument-worker.mjs"));
  const rosterModules = rosterWrapper
    ? [
        {
          type: "ESModule",
          path: path.join(bundleDir, `__bench_${rosterWrapper}`),
          contents: await readFile(path.join(BENCH_DIR, rosterWrapper)),
        },
        ...bundleModules,
      ]
    : bundleModules;
  const floor = await readFile(path.join(BENCH_DIR, "floor-worker.mjs"));
  const storage = { d1Databases: shared.d1Databases, kvNamespaces: shared.kvNamespaces };

  const started = performance.now();
  // This Miniflare takes the v4-shaped options wrangler produces through its converter.
  const options = {
    log: new Log(LogLevel.WARN),
    handleStructuredLogs: ({ level, message }) => {
      if (level === "error" || level === "warn") process.stderr.write(`${message}\n`);
      else workerLogs.info++;
    },
    cf: false,
    ...(inspectorPort ? { inspectorPort } : {}),
    resourcePersistencePath: persistDir,
    workers: [
      {
        ...shared,
        name: "roster",
        bindings: rosterBindings,
        ratelimits: limiter,
        queueConsumers: consumers,
        modules: rosterModules,
        modulesRoot: bundleDir,
        unsafeDirectSockets: socket,
      },
      {
        name: "floor",
        compatibilityDate: shared.compatibilityDate,
        compatibilityFlags: shared.compatibilityFlags,
        ...storage,
        bindings: { ORG_ID: BENCH_ORG_ID, KEY_HASH: sha256Hex(BENCH_API_KEY) },
        ratelimits: limiter,
        modules: [{ type: "ESModule", path: path.join(BENCH_DIR, "floor-worker.mjs"), contents: floor }],
        modulesRoot: BENCH_DIR,
        unsafeDirectSockets: socket,
      },
      {
        ...shared,
        name: "roster_counted",
        bindings: rosterBindings,
        ratelimits: limiter,
        modules: [
          { type: "ESModule", path: path.join(bundleDir, "__bench_instrument.mjs"), contents: instrument },
          ...bundleModules,
        ],
        modulesRoot: bundleDir,
        unsafeDirectSockets: socket,
      },
    ],
  };
  const mf = new Miniflare(convertV4MiniflareOptions ? convertV4MiniflareOptions(options) : options);
  await mf.ready;
  const readyMs = performance.now() - started;
  const urls = {
    roster: (await mf.unsafeGetDirectURL("roster")).href.replace(/\/$/, ""),
    floor: (await mf.unsafeGetDirectURL("floor")).href.replace(/\/$/, ""),
    counted: (await mf.unsafeGetDirectURL("roster_counted")).href.replace(/\/$/, ""),
  };

  // The first requests after ready: whatever workerd still does lazily shows up here.
  const firstResponse = async (url) => {
    const t0 = performance.now();
    const response = await fetch(url);
    await response.arrayBuffer();
    const first = performance.now() - t0;
    const t1 = performance.now();
    await (await fetch(url)).arrayBuffer();
    return { first_ms: round(first), second_ms: round(performance.now() - t1), status: response.status };
  };
  const startup = {
    miniflare_ready_ms: round(readyMs),
    roster_first_request: await firstResponse(`${urls.roster}/healthz`),
    floor_first_request: await firstResponse(`${urls.floor}/ok`),
  };

  const db = await mf.getD1Database("DB", "roster");
  return { mf, urls, db, startup, workerLogs, queueConsumers: consumers, dispose: () => mf.dispose() };
}

/** `value` to `digits` decimals; an unknown value (null, undefined) stays null. */
export const round = (value, digits = 2) => (value == null ? null : Math.round(value * 10 ** digits) / 10 ** digits);

/** migrations/*.sql in name order, each file one atomic batch. */
export async function applyMigrations(db, projectDir) {
  const { unstable_splitSqlQuery: splitSql } = await import("wrangler");
  const dir = path.join(projectDir, "migrations");
  const files = (await readdir(dir)).filter((file) => /^\d+.*\.sql$/.test(file)).sort();
  for (const file of files) {
    const statements = splitSql(await readFile(path.join(dir, file), "utf8")).filter((sql) => sql.trim());
    await db.batch(statements.map((sql) => db.prepare(sql)));
  }
  return files;
}

/** The benchmark's organization and API key, inserted directly (the key stored as its SHA-256). */
export async function seedOrganization(db) {
  const now = new Date().toISOString();
  await db.batch([
    db
      .prepare("INSERT INTO organizations (id, name, created_at) VALUES (?1, ?2, ?3)")
      .bind(BENCH_ORG_ID, "Benchmark", now),
    db
      .prepare("INSERT INTO api_keys (id, org_id, name, key_hash, prefix, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
      .bind(BENCH_KEY_ID, BENCH_ORG_ID, "bench", sha256Hex(BENCH_API_KEY), BENCH_API_KEY.slice(0, 7), now),
    db
      .prepare("INSERT INTO api_keys (id, org_id, name, key_hash, prefix, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
      .bind(
        "key_00000000000000000000BENCH2",
        BENCH_ORG_ID,
        "bench, used once",
        sha256Hex(BENCH_SECOND_API_KEY),
        BENCH_SECOND_API_KEY.slice(0, 7),
        now,
      ),
  ]);
}

/** A second organization (the tenants section's neighbour), inserted as the first is. */
export const NEIGHBOUR_ORG_ID = "org_bench_neighbour";
export const NEIGHBOUR_API_KEY = "rk_bench_neighbour_organization_key_01234";

export async function seedNeighbourOrganization(db) {
  const now = new Date().toISOString();
  await db.batch([
    db
      .prepare("INSERT INTO organizations (id, name, created_at) VALUES (?1, ?2, ?3)")
      .bind(NEIGHBOUR_ORG_ID, "Benchmark neighbour", now),
    db
      .prepare("INSERT INTO api_keys (id, org_id, name, key_hash, prefix, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
      .bind(
        "key_000000000000000000NEIGHBOUR",
        NEIGHBOUR_ORG_ID,
        "bench neighbour",
        sha256Hex(NEIGHBOUR_API_KEY),
        NEIGHBOUR_API_KEY.slice(0, 7),
        now,
      ),
  ]);
}

export const seededAlternativeId = (index) => `user-${index}`;
export const seededEmail = (index) => `u${index}@example.com`;

/**
 * Search's selectivity (spec section 12, issue 19) is set by the seed: every customer's name is
 * a word only it has (`g` and its index in 7 digits, so no other customer's word starts with it)
 * and one of ten surnames (index mod 10: each matches a tenth of the customers, and none is a
 * prefix of another word); its metadata `tier` is one of ten values (index / 10 mod 10, so the
 * tier is not the surname in disguise): a filter on it selects a tenth too.
 */
export const SEEDED_SURNAMES = [
  "lindqvist",
  "okafor",
  "tanaka",
  "moreau",
  "novak",
  "haddad",
  "castillo",
  "brennan",
  "sorensen",
  "kowalski",
];
export const SEEDED_TIERS = ["gold", "silver", "bronze", "iron", "jade", "onyx", "pearl", "ruby", "teal", "zinc"];
export const seededUniqueWord = (index) => `g${String(index).padStart(7, "0")}`;
export const seededName = (index) => `${seededUniqueWord(index)} ${SEEDED_SURNAMES[index % 10]}`;
export const seededTier = (index) => SEEDED_TIERS[Math.floor(index / 10) % 10];

/** The import item of seeded customer `index`. */
export const seededCustomer = (index) => ({
  alternative_id: seededAlternativeId(index),
  email: seededEmail(index),
  name: seededName(index),
  metadata: { tier: seededTier(index) },
});

/**
 * N customers through POST /v1/customers/import, 1,000 per call, `concurrency` calls in
 * flight. Returns every customer's id (index i ↔ alternative ID user-i) and the timing.
 * @param {string} rosterUrl
 * @param {number} count
 * `apiKey` and `itemOf` (index → import item) choose another organization and other items.
 * @param {{ concurrency?: number, batchSize?: number, apiKey?: string, itemOf?: (index: number) => object, onProgress?: (done: number, total: number, elapsedMs: number) => void }} [options]
 */
export async function importCustomers(
  rosterUrl,
  count,
  { concurrency = 2, batchSize = 1_000, apiKey = BENCH_API_KEY, itemOf = seededCustomer, onProgress } = {},
) {
  const ids = new Array(count);
  const callMs = [];
  let next = 0;
  let done = 0;
  const started = performance.now();
  async function worker() {
    while (next < count) {
      const from = next;
      const to = Math.min(count, from + batchSize);
      next = to;
      const customers = [];
      for (let index = from; index < to; index++) {
        customers.push(itemOf(index));
      }
      const t0 = performance.now();
      const response = await fetch(`${rosterUrl}/v1/customers/import`, {
        method: "POST",
        headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
        body: JSON.stringify({ customers }),
      });
      const text = await response.text();
      callMs.push(performance.now() - t0);
      if (response.status !== 200) throw new Error(`import answered ${response.status}: ${text.slice(0, 500)}`);
      const result = JSON.parse(text);
      if (result.created !== to - from) {
        const failed = result.results.find((item) => item.status !== "created");
        throw new Error(`import created ${result.created} of ${to - from}: ${JSON.stringify(failed).slice(0, 500)}`);
      }
      for (const item of result.results) ids[from + item.index] = item.id;
      done += to - from;
      onProgress?.(done, count, performance.now() - started);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  callMs.sort((a, b) => a - b);
  return {
    ids,
    stats: {
      customers: count,
      seconds: round(seconds),
      customers_per_second: Math.round(count / seconds),
      calls: callMs.length,
      batch_size: batchSize,
      concurrency,
      call_p50_ms: round(callMs[Math.floor(callMs.length * 0.5)] ?? 0),
      call_p99_ms: round(callMs[Math.min(callMs.length - 1, Math.floor(callMs.length * 0.99))] ?? 0),
    },
  };
}

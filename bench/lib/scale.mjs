// @ts-check
import { readdir } from "node:fs/promises";
import path from "node:path";
import { drive, median } from "./load.mjs";
import { fixed } from "./report.mjs";

/**
 * Issue 19's figures (spec section 12, docs/bench-scale.md): search and the metadata filter
 * against the reads they are priced by (p50, paired per round), the search index's share of a
 * create, and what the index costs in bytes per customer.
 */

/** Every `.sqlite` file under `dir` (Miniflare keeps one per D1 database in its persistence path). */
async function sqliteFiles(dir) {
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(".sqlite")) found.push(path.join(entry.parentPath, entry.name));
  }
  return found;
}

const SEARCH_STRUCTURES = /^customer_search_/;

/**
 * Bytes of the local D1 database by table and index (SQLite's `dbstat`: every page of each
 * b-tree, free space in it included), read from its file once workerd has closed it; per
 * customer, before the search index (every b-tree but `customer_search_*`) and with it.
 * Null when no D1 file is found.
 * @param {string} persistDir @param {number} customers
 */
export async function storageBytes(persistDir, customers) {
  const files = (await sqliteFiles(persistDir)).filter((file) => file.includes("D1"));
  if (files.length === 0) return null;
  // node:sqlite is experimental in Node 22 (a warning on stderr, nothing else).
  const { DatabaseSync } = await import("node:sqlite");
  /** @type {{ name: string, bytes: number }[]} */
  let best = [];
  for (const file of files) {
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      const rows = /** @type {{ name: string, bytes: number }[]} */ (
        /** @type {unknown} */ (db.prepare("SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name").all())
      );
      const hasCustomers = rows.some((row) => row.name === "customers");
      if (hasCustomers) best = rows;
    } finally {
      db.close();
    }
  }
  if (best.length === 0) return null;
  const total = best.reduce((sum, row) => sum + row.bytes, 0);
  const search = best.filter((row) => SEARCH_STRUCTURES.test(row.name)).reduce((sum, row) => sum + row.bytes, 0);
  const largest = [...best].sort((a, b) => b.bytes - a.bytes).slice(0, 12);
  return {
    customers,
    total_bytes: total,
    search_bytes: search,
    bytes_per_customer_without_search: Math.round((total - search) / customers),
    bytes_per_customer_with_search: Math.round(total / customers),
    search_bytes_per_customer: Math.round(search / customers),
    by_btree: largest.map((row) => ({
      name: row.name,
      bytes: row.bytes,
      per_customer: Math.round(row.bytes / customers),
    })),
  };
}

/**
 * The search index's share of a create: the floor's twin batch without and with the index's
 * statements gives what the index adds (its CPU per request in workerd, SQLite included; and
 * its service time, 1 / req/s, at the same concurrency); against Roster's create with the same
 * body less that addition (Roster's create as it would be without the index), per round.
 */
export function searchIndexShare(scenarios) {
  const find = (name) => scenarios.find((s) => s.name === name && !s.skipped);
  const plain = find("floor_insert_outbox_profile");
  const searched = find("floor_insert_outbox_profile_searched");
  const create = find("create_with_profile");
  if (!plain || !searched || !create) return null;
  const perRound = (value) =>
    create.rounds.map((round, i) => {
      const added = value(searched.rounds[i]) - value(plain.rounds[i]);
      return { added, share: added / (value(round) - added) };
    });
  const byCpu = perRound((x) => x.cpu_ms ?? Number.NaN);
  const byTime = perRound((x) => 1000 / x.rps);
  return {
    cpu_added_ms: median(byCpu.map((x) => x.added)),
    cpu_share: median(byCpu.map((x) => x.share)),
    time_added_ms: median(byTime.map((x) => x.added)),
    time_share: median(byTime.map((x) => x.share)),
    floor_ratio_rps: searched.compare_ratio,
  };
}

const INDEX_TRIO = ["floor_insert_outbox_profile", "floor_insert_outbox_profile_searched", "create_with_profile"];

/**
 * The search index's share of a create once more, in `slices` triples of 1 s runs (the two floor
 * twins and Roster's create with the same body, the order reversed every other triple): the
 * rounds put these runs a minute apart, and this machine's speed drifts by ±20 % over such spans,
 * more when other work shares its cores. Compared by totals: workerd CPU per answered request
 * (SQLite included, other processes not) and service time (seconds per answered request).
 * Null when the three scenarios are not all selected.
 * @param {{ name: string }[]} runnable
 * @param {(s: any) => string} urlOf @param {(s: any) => Record<string, string>} headersOf
 * @param {{ slices: number, connections: number }} options
 */
export async function measureIndexSlices(runnable, urlOf, headersOf, { slices, connections }) {
  const trio = INDEX_TRIO.map((name) => runnable.find((s) => s.name === name));
  if (slices < 1 || trio.some((s) => !s)) return null;
  const totals = Object.fromEntries(INDEX_TRIO.map((name) => [name, { requests: 0, cpu_ms: 0, seconds: 0 }]));
  for (let i = 0; i < slices; i++) {
    for (const s of i % 2 === 0 ? trio : [...trio].reverse()) {
      const run = await drive(urlOf(s), s, { durationSeconds: 1, connections, headers: headersOf(s) });
      const total = totals[/** @type {{ name: string }} */ (s).name];
      total.requests += run.requests;
      total.cpu_ms += (run.workerd_cpu_ms ?? Number.NaN) * run.requests;
      total.seconds += run.seconds;
    }
  }
  const per = (name, field) => totals[name][field] / totals[name].requests;
  const [plain, searched, create] = INDEX_TRIO;
  const cpuAdded = per(searched, "cpu_ms") - per(plain, "cpu_ms");
  const timeAdded = (per(searched, "seconds") - per(plain, "seconds")) * 1000;
  return {
    slices,
    cpu_ms_per_request: Object.fromEntries(INDEX_TRIO.map((name) => [name, per(name, "cpu_ms")])),
    ms_per_request: Object.fromEntries(INDEX_TRIO.map((name) => [name, per(name, "seconds") * 1000])),
    cpu_added_ms: cpuAdded,
    cpu_share: cpuAdded / (per(create, "cpu_ms") - cpuAdded),
    time_added_ms: timeAdded,
    time_share: timeAdded / (per(create, "seconds") * 1000 - timeAdded),
  };
}

/** A share as a signed percentage: +13.9 %, −2.0 %. */
const percent = (share) => `${share < 0 ? "−" : "+"}${fixed(Math.abs(share) * 100, 1)} %`;
const signedMs = (value) => `${value < 0 ? "−" : "+"}${fixed(Math.abs(value), 3)} ms`;

/** Targets of issue 19 (and issue 18's figures beside create), for the targets table. */
/**
 * @param {any[]} scenarios @param {Awaited<ReturnType<typeof storageBytes>>} storage
 * @param {Awaited<ReturnType<typeof measureIndexSlices>>} [slices]
 */
export function scaleTargets(scenarios, storage, slices = null) {
  const targets = [];
  for (const s of scenarios.filter((x) => x.p50_target && !x.skipped)) {
    const value = s.compare_p50_ratio;
    const known = value !== null && Number.isFinite(value);
    targets.push({
      name: `p50 ${s.name} vs ${s.compare}`,
      measured: known ? `${fixed(value, 2)}× (${fixed(s.p50_ms, 2)} / ${fixed(s.p50_ms / value, 2)} ms)` : "–",
      goal: `≤ ${s.p50_target}×`,
      value,
      met: known ? value <= s.p50_target : null,
    });
  }
  if (slices) {
    const known = Number.isFinite(slices.cpu_share);
    targets.push({
      name: `create with the search index vs without (CPU per create, ${slices.slices} sliced triples)`,
      measured: known
        ? `${percent(slices.cpu_share)} (${signedMs(slices.cpu_added_ms)} CPU; by service time ${percent(slices.time_share)})`
        : "–",
      goal: "≤ +15 %",
      value: slices.cpu_share,
      met: known ? slices.cpu_share <= 0.15 : null,
    });
  }
  const share = searchIndexShare(scenarios);
  if (share) {
    const known = Number.isFinite(share.cpu_share);
    targets.push({
      name: "create with the search index vs without (CPU per create, rounds)",
      measured: known
        ? `${percent(share.cpu_share)} (${signedMs(share.cpu_added_ms)} CPU; by service time ${percent(share.time_share)})`
        : "–",
      goal: "≤ +15 %",
      value: share.cpu_share,
      met: known ? share.cpu_share <= 0.15 : null,
    });
  }
  if (storage) {
    targets.push({
      name: "bytes per customer without / with the search index",
      measured: `${storage.bytes_per_customer_without_search} / ${storage.bytes_per_customer_with_search} B (index ${storage.search_bytes_per_customer} B)`,
      goal: "reported",
      value: storage.bytes_per_customer_with_search,
      met: null,
    });
  }
  const credit = scenarios.find((s) => s.name === "credit_from_payment_method");
  if (credit && !credit.skipped) {
    targets.push({
      name: "credit_from_payment_method (test gateway) vs create",
      measured: `${fixed(credit.rps, 0)} req/s, p50 ${fixed(credit.p50_ms, 2)} ms; ${fixed(credit.compare_ratio, 2)}× create's req/s, p50 ${fixed(credit.compare_p50_ratio, 2)}×`,
      goal: "reported",
      value: credit.compare_ratio,
      met: null,
    });
  }
  return targets;
}

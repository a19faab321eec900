// @ts-check
import { readFile } from "node:fs/promises";
import { SourceMap } from "node:module";
import path from "node:path";
import { wrangler } from "./build.mjs";

/**
 * Module start-up: `wrangler check startup` runs a Worker's startup phase (module evaluation,
 * top-level code) in local workerd under the CPU profiler. Roster (the bundle `buildBundle`
 * made, passed as --worker so the profile maps through its source map), a one-route Hono
 * Worker (bench/startup/) and a one-route `@hono/zod-openapi` Worker (bench/startup-openapi/,
 * the reference issues 18 and 20 set: ≤ 1.25×), each built by wrangler in its own folder, are
 * measured in rotating runs; "busy" is the profile's "Active" CPU time. The profiler samples about every 1–6 ms, so
 * a bare Worker's few milliseconds are near its resolution: read the ratio with that in mind.
 */

/**
 * @typedef {{ active_ms: number, gc_ms: number | null }} StartupSample
 * @typedef {{ ms: number, name: string }} Cost
 * @typedef {{
 *   runs: number,
 *   roster: StartupSample[], bare_hono: StartupSample[], one_route_openapi: StartupSample[],
 *   roster_ms: number | null, bare_hono_ms: number | null, ratio: number | null,
 *   one_route_openapi_ms: number | null, openapi_ratio: number | null,
 *   top_origins: Cost[], top_self: Cost[], top_inclusive: Cost[],
 * }} StartupResult
 */

/** @param {string} output */
function activeOf(output) {
  const active = /Active: ([\d.]+) ms(?: \(including ([\d.]+) ms garbage collection\))?/.exec(output);
  if (!active?.[1]) return null;
  return { active_ms: Number(active[1]), gc_ms: active[2] ? Number(active[2]) : null };
}

/** @param {number[]} values */
const median = (values) => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? null;
};

/**
 * @param {{ projectDir: string, workerForm: string, mapPath: string, outDir: string, runs: number }} options
 * @returns {Promise<StartupResult>}
 */
export async function measureStartup({ projectDir, workerForm, mapPath, outDir, runs }) {
  /** Reference Workers, each in its own folder: `check startup` builds the Worker of the working directory. */
  const references = {
    bare: path.join(projectDir, "bench", "startup"),
    openapi: path.join(projectDir, "bench", "startup-openapi"),
  };
  /** @type {StartupSample[]} */
  const roster = [];
  /** @type {StartupSample[]} */
  const bare = [];
  /** @type {StartupSample[]} */
  const openapi = [];
  const profiles = [];
  const order = ["roster", "bare", "openapi"];
  for (let run = 0; run < runs; run++) {
    // Rotate which side goes first, so machine drift does not favour one.
    const sides = [...order.slice(run % order.length), ...order.slice(0, run % order.length)];
    for (const side of sides) {
      if (side === "roster") {
        const outfile = path.join(outDir, `roster-startup-${run}.cpuprofile`);
        const output = await wrangler(
          ["check", "startup", "--worker", workerForm, "--outfile", outfile, "--config", "wrangler.toml", "--env", ""],
          projectDir,
        );
        const sample = activeOf(output);
        if (sample) roster.push(sample);
        profiles.push(outfile);
      } else {
        const name = side === "bare" ? "bare" : "openapi";
        const outfile = path.join(outDir, `${name}-startup-${run}.cpuprofile`);
        const sample = activeOf(await wrangler(["check", "startup", "--outfile", outfile], references[name]));
        if (sample) (name === "bare" ? bare : openapi).push(sample);
      }
    }
  }
  const rosterMs = median(roster.map((x) => x.active_ms));
  const bareMs = median(bare.map((x) => x.active_ms));
  const openapiMs = median(openapi.map((x) => x.active_ms));
  const costs = await startupCosts(profiles, mapPath);
  /** @param {number | null} reference */
  const ratioTo = (reference) =>
    rosterMs !== null && reference ? Math.round((rosterMs / reference) * 100) / 100 : null;
  return {
    runs,
    roster,
    bare_hono: bare,
    one_route_openapi: openapi,
    roster_ms: rosterMs,
    bare_hono_ms: bareMs,
    one_route_openapi_ms: openapiMs,
    ratio: ratioTo(bareMs),
    openapi_ratio: ratioTo(openapiMs),
    ...costs,
  };
}

/**
 * Where Roster's start-up CPU goes, averaged over the runs' profiles: self time by package or
 * src folder, self time by function, and inclusive time by function (each function counted
 * once per sample), frames mapped through the bundle's source map.
 * @param {string[]} files
 * @param {string} mapPath
 */
export async function startupCosts(files, mapPath) {
  /** @type {SourceMap | null} */
  let sourceMap = null;
  try {
    sourceMap = new SourceMap(JSON.parse(await readFile(mapPath, "utf8")));
  } catch {
    // no source map: bundle positions
  }
  /** @param {{ functionName: string, url: string, lineNumber: number, columnNumber: number }} frame */
  const nameOf = (frame) => {
    if (!frame.url) return frame.functionName || "(runtime)";
    const entry = sourceMap?.findEntry(frame.lineNumber, frame.columnNumber);
    if (!entry || !("originalSource" in entry))
      return `${path.basename(frame.url)} (bundle, unmapped: module evaluation)`;
    const source = entry.originalSource;
    const file = source.includes("node_modules/")
      ? source.replace(/^.*node_modules\//, "")
      : source.replace(/^.*?(?=src\/)/, "");
    const line = entry.originalLine + 1;
    const name = "name" in entry && typeof entry.name === "string" ? entry.name : frame.functionName;
    return `${file}:${line} ${name || "(module top level)"}`;
  };
  /** @param {string} name */
  const originOf = (name) => {
    const file = name.split(":")[0] ?? name;
    if (file.startsWith("src/"))
      return file
        .split("/")
        .slice(0, file.endsWith(".ts") && file.split("/").length === 2 ? 1 : 2)
        .join("/");
    if (file.startsWith("@")) return file.split("/").slice(0, 2).join("/");
    if (!file.includes("/")) return file;
    return file.split("/")[0] ?? file;
  };
  /** @type {Map<string, number>} */
  const self = new Map();
  /** @type {Map<string, number>} */
  const inclusive = new Map();
  /** @type {Map<string, number>} */
  const origins = new Map();
  /** @param {Map<string, number>} map @param {string} key @param {number} by */
  const add = (map, key, by) => map.set(key, (map.get(key) ?? 0) + by);
  let read = 0;
  for (const file of files) {
    /** @type {{ nodes: { id: number, callFrame: any, children?: number[] }[], samples: number[], timeDeltas: number[] }} */
    let profile;
    try {
      profile = JSON.parse(await readFile(file, "utf8"));
    } catch {
      continue;
    }
    read++;
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    /** @type {Map<number, number>} */
    const parents = new Map();
    for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
    profile.samples.forEach((nodeId, index) => {
      const delta = profile.timeDeltas[index + 1] ?? 0;
      const frame = nodes.get(nodeId)?.callFrame;
      if (!frame || frame.functionName === "(idle)") return;
      const name = nameOf(frame);
      add(self, name, delta);
      add(origins, frame.url && !name.includes("(bundle, unmapped") ? originOf(name) : name, delta);
      const seen = new Set();
      for (let id = /** @type {number | undefined} */ (nodeId); id !== undefined; id = parents.get(id)) {
        const node = nodes.get(id);
        if (!node || node.callFrame.functionName === "(root)") continue;
        const ancestor = nameOf(node.callFrame);
        if (seen.has(ancestor)) continue;
        seen.add(ancestor);
        add(inclusive, ancestor, delta);
      }
    });
  }
  /** @param {Map<string, number>} map @param {number} count @returns {Cost[]} */
  const top = (map, count) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, us]) => ({ name, ms: Math.round(us / Math.max(read, 1) / 100) / 10 }));
  return { top_origins: top(origins, 10), top_self: top(self, 12), top_inclusive: top(inclusive, 20) };
}

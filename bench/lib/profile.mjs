// @ts-check
import { readFile } from "node:fs/promises";
import { SourceMap } from "node:module";
import { createServer } from "node:net";

/**
 * A CPU profile of Roster's isolate over workerd's inspector protocol while a scenario runs,
 * its time bucketed by package / src folder through the bundle's source map. (Profiling the
 * isolates that serve D1, KV, the cache and the rate limiter locally as well slowed the run
 * about fivefold; their cost is what the floor scenarios measure instead.) Read the shares of
 * JS frames (hono, zod, src/…): those ran in Roster's isolate. The "busy" total is not Roster's
 * own CPU: local workerd runs every isolate on one thread, and time spent in the others while
 * a request waits is sampled as built-ins/program here (a bare Worker doing one D1 SELECT shows
 * ~85% "busy" the same way). The profiler also costs some throughput.
 */
class Inspector {
  #socket;
  #next = 1;
  #pending = new Map();

  static async connect(url) {
    const inspector = new Inspector();
    inspector.#socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      inspector.#socket.addEventListener("open", resolve, { once: true });
      inspector.#socket.addEventListener("error", reject, { once: true });
    });
    inspector.#socket.addEventListener("message", (event) => {
      const message = JSON.parse(String(event.data));
      const pending = message.id !== undefined ? inspector.#pending.get(message.id) : undefined;
      if (!pending) return;
      inspector.#pending.delete(message.id);
      if (message.error) pending.reject(new Error(message.error.message));
      else pending.resolve(message.result);
    });
    return inspector;
  }

  send(method, params = {}) {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#socket.send(JSON.stringify({ id, method, params }));
    });
  }

  close() {
    this.#socket.close();
  }
}

const INTERESTING = /^core:user:roster$/;

/** Which source a bundle position came from: "hono", "zod", "src/customers", … */
function originOf(source) {
  if (!source) return "(bundle, unmapped)";
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
  if (match) return match[1];
  const src = /(?:^|\/)src\/([^/]+)/.exec(source);
  if (src) return src[1].endsWith(".ts") ? "src" : `src/${src[1]}`;
  return source;
}

function summarize(profile, mapFrame, nameFrame) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const self = new Map();
  const selfByFunction = new Map();
  // Inclusive time per function of Roster's own source (a function counted once per sample).
  const inclusive = new Map();
  let total = 0;
  profile.samples.forEach((nodeId, index) => {
    const delta = profile.timeDeltas[index + 1] ?? 0;
    if (nameFrame) {
      const seen = new Set();
      for (let id = nodeId; id !== undefined; id = parents.get(id)) {
        const name = nameFrame(nodes.get(id).callFrame);
        if (name && !seen.has(name)) {
          seen.add(name);
          inclusive.set(name, (inclusive.get(name) ?? 0) + delta);
        }
      }
    }
    const frame = nodes.get(nodeId)?.callFrame;
    if (nameFrame && frame) {
      const name = nameFrame(frame, true) ?? `${frame.functionName || "(anonymous)"} ${frame.url || ""}`;
      selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + delta);
    }
    let bucket;
    if (!frame) bucket = "(unknown)";
    else if (frame.functionName.startsWith("(") && !frame.url) bucket = frame.functionName;
    else if (!frame.url) bucket = "(runtime built-ins)";
    else bucket = mapFrame ? mapFrame(frame) : frame.url;
    self.set(bucket, (self.get(bucket) ?? 0) + delta);
    total += delta;
  });
  const idle = self.get("(idle)") ?? 0;
  const busy = total - idle;
  const buckets = [...self]
    .filter(([bucket]) => bucket !== "(idle)")
    .sort((a, b) => b[1] - a[1])
    .map(([bucket, us]) => ({
      bucket,
      ms: Math.round(us / 100) / 10,
      share_of_busy: busy ? Math.round((us / busy) * 1000) / 1000 : 0,
    }));
  const functions = [...inclusive]
    .sort((a, b) => b[1] - a[1])
    .map(([name, us]) => ({ function: name, inclusive_ms: Math.round(us / 100) / 10 }));
  const selfFunctions = [...selfByFunction]
    .filter(([name]) => !name.startsWith("(idle)") && !name.startsWith("(program)"))
    .sort((a, b) => b[1] - a[1])
    .map(([name, us]) => ({ function: name, self_ms: Math.round(us / 100) / 10 }));
  return { sampled_ms: Math.round(total / 1000), busy_ms: Math.round(busy / 1000), buckets, functions, selfFunctions };
}

/**
 * Profiles every interesting isolate while `load()` runs; returns busy time per isolate and,
 * for Roster, where its JS time went. `requests` (from load()) turns busy time into µs/request.
 */
export async function profileDuring(inspectorPort, bundleMapPath, load, pattern = INTERESTING) {
  const listed = /** @type {{ id: string, webSocketDebuggerUrl: string }[]} */ (
    await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()
  );
  const targets = listed.filter((target) => pattern.test(target.id));
  /** @type {SourceMap | null} */
  let sourceMap = null;
  try {
    sourceMap = new SourceMap(JSON.parse(await readFile(bundleMapPath, "utf8")));
  } catch {
    // no source map: Roster's frames stay as bundle positions
  }
  /**
   * The source position of a bundle frame (empty when unmapped; `name` is there when the map has it).
   * @param {{ lineNumber: number, columnNumber: number }} frame
   * @returns {Partial<import("node:module").SourceMapping> & { name?: string }}
   */
  const entryOf = (frame) => sourceMap?.findEntry(frame.lineNumber, frame.columnNumber) ?? {};
  const mapFrame = (frame) => {
    if (!sourceMap || !/index\.js$/.test(frame.url)) return frame.url;
    const entry = entryOf(frame);
    return originOf(entry?.originalSource);
  };
  // "src/customers/customers.handlers.ts:42 getCustomer": Roster's own functions, by source line.
  const nameFrame = (frame, anySource = false) => {
    if (!sourceMap || !/index\.js$/.test(frame.url)) return null;
    const entry = entryOf(frame);
    const source = entry?.originalSource;
    if (anySource && source) {
      const file = source.includes("node_modules/")
        ? source.replace(/^.*node_modules\//, "")
        : source.replace(/^.*?(?=src\/)/, "");
      return `${file}:${(entry.originalLine ?? 0) + 1} ${entry.name ?? frame.functionName ?? ""}`;
    }
    if (!source || !/(?:^|\/)src\//.test(source)) return null;
    const name = entry.name ?? frame.functionName ?? "";
    return `${source.replace(/^.*?(?=src\/)/, "")}:${(entry.originalLine ?? 0) + 1} ${name}`;
  };
  const inspectors = [];
  for (const target of targets) {
    try {
      const inspector = await Inspector.connect(target.webSocketDebuggerUrl);
      await inspector.send("Profiler.enable");
      await inspector.send("Profiler.setSamplingInterval", { interval: 500 });
      inspectors.push({ target, inspector });
    } catch {
      // an isolate that will not be profiled is left out
    }
  }
  for (const { inspector } of inspectors) await inspector.send("Profiler.start");
  const result = await load();
  const isolates = [];
  for (const { target, inspector } of inspectors) {
    try {
      const { profile } = await inspector.send("Profiler.stop");
      const roster = target.id === "core:user:roster" || target.id === "core:user:floor";
      const summary = summarize(profile, roster ? mapFrame : null, roster ? nameFrame : null);
      isolates.push({
        isolate: target.id,
        busy_ms: summary.busy_ms,
        busy_us_per_request: result.requests ? Math.round((summary.busy_ms * 1000) / result.requests) : null,
        top: roster ? summary.buckets.slice(0, 12) : summary.buckets.slice(0, 3),
        ...(roster
          ? { src_functions: summary.functions.slice(0, 30), self_functions: summary.selfFunctions.slice(0, 40) }
          : {}),
      });
    } finally {
      inspector.close();
    }
  }
  isolates.sort((a, b) => b.busy_ms - a.busy_ms);
  return { requests: result.requests, rps: result.rps, isolates: isolates.filter((x) => x.busy_ms > 0) };
}

/** A TCP port free on 127.0.0.1 right now (for workerd's inspector). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

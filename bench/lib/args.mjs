// @ts-check
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";

const USAGE = `npm run bench [-- options]

  --quick                 short run: N = 2,000, 1.5 s per scenario, one round
  --customers N           customers to seed through the import endpoint (default 100000; 100k, 1m work)
  --scaling               also run the read scenarios at N = 1,000 on fresh state and compare p50
  --duration S            seconds per scenario per round (default 5, quick 1.5)
  --rounds R              alternating rounds; req/s, p50 and ratios are medians over rounds (default 3, quick 1)
  --connections C         concurrent connections from autocannon (default 10)
  --import-concurrency K  import calls in flight while seeding (default 2)
  --only a,b              run only these scenarios (and their floors)
  --profile               also CPU-profile workerd's isolates (Roster's by package, D1, KV, cache,
                          rate limiter) during GET by id and create, through the inspector
  --events-only           only the events section (create with one destination vs none, delivery
                          throughput, import of 1,000 with a destination); no start-up or other scenarios
  --skip-events           leave the events section out
  --index-slices K        triples of 1 s runs pricing the search index's share of a create (default 20,
                          quick 6; 0: none): the create's floor twins without and with the index, and
                          create_with_profile, when all three are selected
  --tenants               add the tenants section (spec section 7): events list pages of one organization
                          holding --tenant-events events, the heaviest requests' D1 time, a neighbour
                          organization's GET and create beside one hammering its limits
  --tenants-only          only the tenants section
  --tenant-events N       events in the tenants section's organization (default 300000, quick 6000)
  --event-batch-size B    override the delivery queue consumer's max_batch_size (default: wrangler.toml's)
  --event-batch-timeout S override its max_batch_timeout in seconds (default: wrangler.toml's)
  --keep-state            keep the local D1/KV state directory (its path is printed)
  --state-dir DIR         where the fresh local state goes (default /dev/shm when it exists, so disk
                          I/O of a shared machine stays out of the numbers; else the OS temp directory)
  --help`;

/** "100000", "100k", "1m", "1e6", "1_000_000" → a positive integer. */
export function parseCount(value) {
  const text = String(value).trim().toLowerCase().replaceAll("_", "").replaceAll(",", "");
  const match = /^(\d+(?:\.\d+)?(?:e\d+)?)([km]?)$/.exec(text);
  if (!match) throw new Error(`not a count: ${value}`);
  const scale = { "": 1, k: 1_000, m: 1_000_000 }[match[2]];
  const count = Math.round(Number(match[1]) * scale);
  if (!Number.isSafeInteger(count) || count < 1) throw new Error(`not a positive count: ${value}`);
  return count;
}

export function readOptions(argv = process.argv.slice(2)) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      customers: { type: "string" },
      scaling: { type: "boolean", default: false },
      duration: { type: "string" },
      rounds: { type: "string" },
      connections: { type: "string" },
      "import-concurrency": { type: "string" },
      only: { type: "string" },
      profile: { type: "boolean", default: false },
      "events-only": { type: "boolean", default: false },
      "skip-events": { type: "boolean", default: false },
      tenants: { type: "boolean", default: false },
      "index-slices": { type: "string" },
      "tenants-only": { type: "boolean", default: false },
      "tenant-events": { type: "string" },
      "event-batch-size": { type: "string" },
      "event-batch-timeout": { type: "string" },
      "keep-state": { type: "boolean", default: false },
      "state-dir": { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick;
  return {
    quick,
    customers: values.customers ? parseCount(values.customers) : quick ? 2_000 : 100_000,
    scaling: values.scaling,
    scalingBase: 1_000,
    durationSeconds: values.duration ? Number(values.duration) : quick ? 1.5 : 5,
    rounds: values.rounds ? parseCount(values.rounds) : quick ? 1 : 3,
    connections: values.connections ? parseCount(values.connections) : 10,
    importConcurrency: values["import-concurrency"] ? parseCount(values["import-concurrency"]) : 2,
    only: values.only ? values.only.split(",").map((name) => name.trim()) : null,
    profile: values.profile,
    eventsOnly: values["events-only"],
    skipEvents: values["skip-events"],
    indexSlices: values["index-slices"] ? Number(values["index-slices"]) : quick ? 6 : 20,
    tenants: values.tenants || values["tenants-only"],
    tenantsOnly: values["tenants-only"],
    tenantEvents: values["tenant-events"] ? parseCount(values["tenant-events"]) : quick ? 6_000 : 300_000,
    eventBatchSize: values["event-batch-size"] ? parseCount(values["event-batch-size"]) : null,
    eventBatchTimeout: values["event-batch-timeout"] ? Number(values["event-batch-timeout"]) : null,
    keepState: values["keep-state"],
    stateDir: values["state-dir"] ?? (existsSync("/dev/shm") ? "/dev/shm" : null),
  };
}

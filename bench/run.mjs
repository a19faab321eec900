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
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { readOptions } from "./lib/args.mjs";
import { buildBundle } from "./lib/build.mjs";
import { runAtSize, scalingComparison } from "./lib/customers-section.mjs";
import { round } from "./lib/environment.mjs";
import { runEvents } from "./lib/events.mjs";
import { eventsText, eventTargets } from "./lib/events-report.mjs";
import { mainReportText } from "./lib/main-report.mjs";
import { targetTable } from "./lib/report.mjs";
import { versions, writeResult } from "./lib/results-file.mjs";
import { scaleTargets } from "./lib/scale.mjs";
import { measureStartup } from "./lib/startup.mjs";
import { evaluateTargets } from "./lib/targets.mjs";
import { runTenants } from "./lib/tenants.mjs";
import { tenantsText, tenantTargets } from "./lib/tenants-report.mjs";

const PROJECT_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

const say = (message) => process.stderr.write(`${message}\n`);

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
      small = await runAtSize(options.scalingBase, {
        projectDir: PROJECT_DIR,
        options,
        bundle,
        tmp,
        scalingOnly: true,
        tag: `${tag}s`,
        say,
      });
    }
    const large = await runAtSize(options.customers, {
      projectDir: PROJECT_DIR,
      options,
      bundle,
      tmp,
      scalingOnly: false,
      tag,
      scalingPass: options.scaling,
      say,
    });
    result.startup.local = large.startup;
    result.import = large.import;
    result.scenarios = large.scenarios;
    result.query_plans = large.plans;
    result.import_of_3_counts = large.import_counts;
    result.get_by_id_uncached_key_counts = large.uncached_key_counts;
    if (large.profiles.length) result.profiles = large.profiles;
    if (small) result.scaling = scalingComparison(small, large);
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

    const text = mainReportText(result, { customers: large.customers, options });
    console.log(`${text}\nwritten: ${await writeResult(result, startedAt)}`);

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

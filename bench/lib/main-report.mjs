// @ts-check
import { eventsText } from "./events-report.mjs";
import {
  countsText,
  fixed,
  plansText,
  profileText,
  scalingTable,
  scenarioTable,
  startupText,
  targetTable,
} from "./report.mjs";
import { tenantsText } from "./tenants-report.mjs";

/**
 * The main run's text on stdout (everything but the `written:` line): the scenario table, the
 * counts, storage, import, bundle and start-up lines, the scaling table, the profiles, the
 * events and tenants sections, the query plans and the targets. `customers`: the measured N.
 */
export function mainReportText(result, { customers, options }) {
  const out = [];
  out.push("");
  out.push(
    `Roster bench — ${customers.toLocaleString("en-US")} customers, ${options.rounds} round(s) × ${options.durationSeconds} s, ${options.connections} connections (medians over rounds; ratios paired per round)`,
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
    `load average before ${result.load_average.before.map((x) => x.toFixed(2)).join(" ")}, after ${result.load_average.after.map((x) => x.toFixed(2)).join(" ")}; total ${result.total_seconds} s`,
  );
  return out.join("\n");
}

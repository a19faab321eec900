// @ts-check
const fixed = (value, digits) => (Number.isFinite(value) ? value.toFixed(digits) : "–");
const grouped = (value) => (Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "–");

function table(headers, rows) {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => String(row[column]).length)),
  );
  const line = (cells) =>
    cells
      .map((cell, column) =>
        column === 0 ? String(cell).padEnd(widths[column]) : String(cell).padStart(widths[column]),
      )
      .join("  ");
  return [line(headers), widths.map((width) => "-".repeat(width)).join("  "), ...rows.map(line)].join("\n");
}

export const countsText = (counts) => {
  if (!counts) return "–";
  const d1 = counts.d1_round_trips ?? 0;
  const kv = ["kv_get", "kv_getWithMetadata", "kv_put", "kv_delete", "kv_list"]
    .filter((name) => counts[name])
    .map((name) => `${name.slice(3)}×${counts[name]}`)
    .join(" ");
  const cache = ["cache_match", "cache_put", "cache_delete"]
    .filter((name) => counts[name])
    .map((name) => `${name}×${counts[name]}`)
    .join(" ");
  const limiter = counts.rate_limiter_limit ? `RL×${counts.rate_limiter_limit}` : "";
  return [`D1×${d1}`, kv && `KV ${kv}`, cache, limiter].filter(Boolean).join(", ");
};

export function scenarioTable(scenarios) {
  return table(
    [
      "scenario",
      "req/s",
      "p50 ms",
      "p99 ms",
      "vs floor",
      "ratio",
      "vs limited floor",
      "ratio",
      "vs",
      "ratio",
      "p50 ratio",
      "CPU ms/req",
      "platform calls per request",
    ],
    scenarios.map((s) => [
      s.skipped ? `${s.name} (${s.skipped})` : s.name,
      s.skipped ? "n/a" : grouped(s.rps),
      s.skipped ? "" : fixed(s.p50_ms, 2),
      s.skipped ? "" : fixed(s.p99_ms, 2),
      s.floor ?? "",
      s.floor ? fixed(s.floor_ratio, 2) : "",
      s.limited ?? "",
      s.limited ? fixed(s.limited_ratio, 2) : "",
      s.compare ?? "",
      s.compare ? fixed(s.compare_ratio, 2) : "",
      s.compare ? fixed(s.compare_p50_ratio, 2) : "",
      s.skipped ? "" : fixed(s.cpu_ms, 2),
      s.target === "roster" ? countsText(s.counts) : "",
    ]),
  );
}

/** The start-up section: Roster against a one-route Hono and a one-route zod-openapi Worker, and what Roster's start-up runs. */
export function startupText(startup) {
  if (!startup) return "start-up: n/a";
  const runs = (samples) => samples.map((x) => x.active_ms).join(", ");
  const lines = [
    table(
      ["start-up (wrangler check startup, busy CPU)", "Roster ms", "reference ms", "ratio"],
      [
        [
          `vs bare Hono, median of ${startup.runs} rotating runs`,
          fixed(startup.roster_ms, 1),
          fixed(startup.bare_hono_ms, 1),
          startup.ratio ? `${fixed(startup.ratio, 2)}×` : "– (bare Hono: 0 samples)",
        ],
        [
          "vs one-route @hono/zod-openapi",
          fixed(startup.roster_ms, 1),
          fixed(startup.one_route_openapi_ms, 1),
          startup.openapi_ratio ? `${fixed(startup.openapi_ratio, 2)}×` : "–",
        ],
      ],
    ),
    `runs: Roster ${runs(startup.roster)} ms; bare Hono ${runs(startup.bare_hono)} ms; one-route zod-openapi ${runs(startup.one_route_openapi ?? [])} ms`,
    "Roster's start-up by package / src folder (self time, ms per run):",
    ...startup.top_origins.map((cost) => `  ${fixed(cost.ms, 1).padStart(6)}  ${cost.name}`),
    "hottest functions (self ms per run):",
    ...startup.top_self.map((cost) => `  ${fixed(cost.ms, 1).padStart(6)}  ${cost.name}`),
    "inclusive (ms per run):",
    ...startup.top_inclusive.map((cost) => `  ${fixed(cost.ms, 1).padStart(6)}  ${cost.name}`),
  ];
  return lines.join("\n");
}

export function targetTable(targets) {
  return table(
    ["target", "measured", "goal", "result"],
    targets.map((t) => [t.name, t.measured, t.goal, t.met === null ? "n/a" : t.met ? "met" : "MISSED"]),
  );
}

export function scalingTable(scaling) {
  return table(
    [
      "scenario",
      `p50 ms @ ${scaling.small_n.toLocaleString("en-US")}`,
      `p50 ms @ ${scaling.large_n.toLocaleString("en-US")}`,
      "ratio",
    ],
    scaling.rows.map((row) => [row.name, fixed(row.small_p50_ms, 2), fixed(row.large_p50_ms, 2), fixed(row.ratio, 2)]),
  );
}

export function plansText(plans) {
  return plans
    .map((plan) => {
      const verdict = plan.ok ? "ok  " : "BAD ";
      const why = plan.ok ? "" : ` — ${(plan.problems ?? []).join("; ")}`;
      return `${verdict} ${plan.name}${why}\n${plan.steps.map((step) => `       ${step}`).join("\n")}`;
    })
    .join("\n");
}

export function profileText(profile) {
  const lines = [
    `CPU profile during ${profile.scenario}: ${grouped(profile.requests)} requests, ${grouped(profile.rps)} req/s; thread time sampled in the isolate (µs per request; shares of it below):`,
  ];
  for (const isolate of profile.isolates) {
    lines.push(`  ${isolate.isolate.padEnd(40)} ${String(isolate.busy_us_per_request).padStart(6)} µs`);
    if (isolate.isolate === "core:user:roster") {
      for (const bucket of isolate.top) {
        lines.push(`      ${bucket.bucket.padEnd(36)} ${(bucket.share_of_busy * 100).toFixed(1).padStart(5)} %`);
      }
      lines.push("    Hottest functions by self time (any source), µs per request:");
      for (const fn of (isolate.self_functions ?? []).slice(0, 12)) {
        const perRequest = profile.requests ? (fn.self_ms * 1000) / profile.requests : 0;
        lines.push(`      ${fn.function.slice(0, 70).padEnd(70)} ${perRequest.toFixed(0).padStart(6)}`);
      }
      lines.push("    Roster's own functions, inclusive µs per request:");
      for (const fn of (isolate.src_functions ?? []).slice(0, 15)) {
        const perRequest = profile.requests ? (fn.inclusive_ms * 1000) / profile.requests : 0;
        lines.push(`      ${fn.function.slice(0, 70).padEnd(70)} ${perRequest.toFixed(0).padStart(6)}`);
      }
    }
  }
  return lines.join("\n");
}

export { fixed, grouped };

// @ts-check

/** The tenants section (lib/tenants.mjs) as text and as targets. */

const ms = (value) => (value === null || value === undefined ? "–" : Number(value).toFixed(2));

/** The tenants section as text: the lists, the heaviest requests, the neighbour. */
export function tenantsText(tenants) {
  const lines = [
    `tenants: organization A with ${tenants.events.toLocaleString("en-US")} events (seeded in ${tenants.seed_seconds} s; time filters split at ${tenants.split_at}), consumer held`,
    "  events list page (limit 20)          req/s   p50 ms   p99 ms  p50 vs unfiltered",
  ];
  for (const x of tenants.lists) {
    lines.push(
      `  ${x.name.padEnd(34)} ${String(Math.round(x.rps)).padStart(7)} ${ms(x.p50_ms).padStart(8)} ${ms(x.p99_ms).padStart(8)} ${ms(x.p50_ratio).padStart(18)}`,
    );
  }
  lines.push(
    "  heaviest requests (one at a time): status, request ms, D1 wall ms (longest round trip), D1 SQL ms, round trips/statements",
  );
  for (const x of tenants.heaviest) {
    lines.push(
      `  ${x.name}: ${x.status}, ${x.request_ms} ms, D1 ${x.d1_wall_ms} ms (${x.d1_longest_round_trip_ms}), SQL ${x.d1_sql_ms} ms, ${x.d1_round_trips}/${x.d1_statements}; ${x.detail ?? ""}`,
    );
  }
  for (const x of tenants.neighbour) {
    lines.push(
      `  neighbour ${x.name}: alone ${Math.round(x.alone.rps)} req/s p50 ${ms(x.alone.p50_ms)} p99 ${ms(x.alone.p99_ms)}; beside A ${Math.round(x.beside_a.rps)} req/s p50 ${ms(x.beside_a.p50_ms)} p99 ${ms(x.beside_a.p99_ms)}; ratios p50 ${ms(x.p50_ratio)}× p99 ${ms(x.p99_ratio)}× req/s ${ms(x.rps_ratio)}×`,
    );
    const hammered = (label, h) =>
      `    ${label}: ${h.customers_imported.toLocaleString("en-US")} customers imported in ${h.seconds} s, import ${JSON.stringify(h.statuses.import)}, replay ${JSON.stringify(h.statuses.replay)}`;
    for (const h of x.a_hammering) lines.push(hammered("A meanwhile", h));
    const n = x.beside_a_no_fan_out;
    lines.push(
      `  neighbour ${x.name} beside A with its destinations disabled (no fan-out): ${Math.round(n.rps)} req/s p50 ${ms(n.p50_ms)} p99 ${ms(n.p99_ms)}; ratios to alone p50 ${ms(x.no_fan_out_p50_ratio)}× p99 ${ms(x.no_fan_out_p99_ratio)}×`,
    );
    for (const h of x.a_hammering_no_fan_out) lines.push(hammered("A meanwhile (no fan-out)", h));
  }
  return lines.join("\n");
}

/**
 * Issue 17's targets: filtered events pages against the unfiltered one; the neighbour's p99 beside
 * A at its limits against B alone (with A's fan-out: A's worst case); the worst D1 time reported.
 */
export function tenantTargets(tenants) {
  const targets = [];
  for (const name of ["events_type_customer", "events_created_gte"]) {
    const x = tenants.lists.find((l) => l.name === name);
    if (!x) continue;
    targets.push({
      name: `p50 ${name} vs unfiltered page @ ${tenants.events.toLocaleString("en-US")} events`,
      measured: `${ms(x.p50_ratio)}×`,
      goal: "≤ 2×",
      value: x.p50_ratio,
      met: x.p50_ratio === null ? null : x.p50_ratio <= 2,
    });
  }
  const worst = [...tenants.heaviest].sort((a, b) => (b.d1_wall_ms ?? 0) - (a.d1_wall_ms ?? 0))[0];
  if (worst) {
    targets.push({
      name: "worst D1 time of one request",
      measured: `${worst.d1_wall_ms} ms wall, ${worst.d1_sql_ms} ms SQL (${worst.name})`,
      goal: "reported",
      value: worst.d1_wall_ms,
      met: null,
    });
  }
  for (const x of tenants.neighbour) {
    targets.push({
      name: `neighbour ${x.name} beside A hammering vs alone`,
      measured: `p50 ${ms(x.p50_ratio)}×, p99 ${ms(x.p99_ratio)}× (no fan-out: p50 ${ms(x.no_fan_out_p50_ratio)}×, p99 ${ms(x.no_fan_out_p99_ratio)}×)`,
      goal: "≤ 2× p99",
      value: x.p99_ratio,
      met: x.p99_ratio === null ? null : x.p99_ratio <= 2,
    });
  }
  return targets;
}

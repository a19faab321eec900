// @ts-check
import { fixed, grouped } from "./report.mjs";

/** The events section of the printed report. */
export function eventsText(events) {
  const q = events.queue;
  const lines = [
    `Events (delivery queue consumer: max_batch_size ${q.max_batch_size}, max_batch_timeout ${q.max_batch_timeout} s, ${q.overridden ? "overridden by flags" : "as wrangler.toml"}; receiver: Node HTTP on 127.0.0.1, 204)`,
  ];
  if (events.note) lines.push(`  ${events.note}`);
  const c = events.create;
  lines.push(
    `  create, no destination:        ${grouped(c.without_rps)} req/s, p50 ${fixed(c.without_p50_ms, 2)} ms`,
    `  create, one destination selecting nothing a create emits: ${grouped(c.idle_rps)} req/s; ratio ${fixed(c.idle_ratio, 2)} (per round: ${c.rounds.map((x) => fixed(x.idle_ratio, 2)).join(", ")})`,
    `  create, one destination:       ${grouped(c.with_rps)} req/s, p50 ${fixed(c.with_p50_ms, 2)} ms; ratio ${fixed(c.ratio, 2)} (per round: ${c.rounds.map((x) => fixed(x.ratio, 2)).join(", ")})`,
  );
  for (const [i, r] of c.rounds.entries()) {
    if (r.drained === null) continue;
    lines.push(
      `    round ${i + 1}: ${grouped(r.delivered)} of ${grouped(r.created_with_destination)} events delivered, ${fixed(r.seconds_to_drain_after_run, 1)} s after the run; commit → 2xx p50 ${fixed(r.latency_p50_ms, 0)} ms, p99 ${fixed(r.latency_p99_ms, 0)} ms`,
    );
  }
  const t = events.throughput;
  if (t) {
    lines.push(
      `  delivery throughput: ${grouped(t.distinct_events)} of ${grouped(t.events)} events (import ${fixed(t.import_seconds, 1)} s, ${grouped(t.import_customers_per_second)}/s), first commit → last 2xx ${fixed(t.first_commit_to_last_2xx_seconds, 2)} s = ${grouped(t.events_per_second)} events/s (arrivals ${grouped(t.arrival_rate_per_second)}/s); commit → 2xx p50 ${fixed(t.latency_p50_ms, 0)} ms, p99 ${fixed(t.latency_p99_ms, 0)} ms; ${t.duplicates} duplicates`,
    );
  }
  const i = events.import_1000;
  if (i) {
    lines.push(
      `  import of 1,000 with a destination: call ${fixed(i.import_call_ms, 0)} ms; all ${grouped(i.distinct_events)} events delivered ${fixed(i.seconds_to_all_delivered, 2)} s after the call began (${fixed(i.seconds_after_answer, 2)} s after it answered); commit → 2xx p50 ${fixed(i.latency_p50_ms, 0)} ms, p99 ${fixed(i.latency_p99_ms, 0)} ms`,
    );
  }
  const r = events.replay_1000;
  if (r) {
    lines.push(
      `  replay of ${grouped(r.events)} kept events to a new destination (delivery alone): call ${fixed(r.replay_call_ms, 0)} ms; ${grouped(r.distinct_events)} delivered ${fixed(r.seconds_after_answer, 2)} s after it answered = ${grouped(r.events_per_second)} events/s`,
    );
  }
  const s = events.signatures;
  if (s) {
    lines.push(
      `  signatures (standardwebhooks): ${s.verified} of ${s.checked} sampled deliveries verify${s.failures.length ? `; ${s.failures.join("; ")}` : ""}`,
    );
  }
  lines.push(
    `  Worker info log lines (one per delivery attempt, not printed): ${grouped(events.worker_info_log_lines)}`,
  );
  return lines.join("\n");
}

/** The events' rows of the target table. */
export function eventTargets(events) {
  const c = events.create;
  const t = events.throughput;
  const s = events.signatures;
  const rows = [
    {
      name: "create with one event destination vs none",
      measured: events.recorded ? `${fixed(c.ratio, 2)}×` : `${fixed(c.ratio, 2)}× (${events.note})`,
      goal: "≥ 0.85×",
      value: c.ratio,
      met: events.recorded ? c.ratio >= 0.85 : null,
    },
    {
      name: "event delivery, commit → receiver's 2xx",
      measured: t ? `${grouped(t.events_per_second)} events/s${t.drained ? "" : " (not all delivered)"}` : "–",
      goal: "≥ 500 events/s",
      value: t?.events_per_second ?? null,
      met: t ? t.drained && t.events_per_second >= 500 : null,
    },
  ];
  if (s) {
    rows.push({
      name: "sampled deliveries verify (standardwebhooks)",
      measured: `${s.verified} of ${s.checked}`,
      goal: "all",
      value: s.verified,
      met: s.checked > 0 && s.verified === s.checked,
    });
  }
  return rows;
}

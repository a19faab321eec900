// @ts-check
import { fixed, grouped, profileText } from "./report.mjs";

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
    `  create, one destination, end to end (its deliveries consumed meanwhile, locally on the same thread and D1): ${grouped(c.with_rps)} req/s, p50 ${fixed(c.with_p50_ms, 2)} ms; ratio ${fixed(c.ratio, 2)} (per round: ${c.rounds.map((x) => fixed(x.ratio, 2)).join(", ")})`,
  );
  for (const [i, r] of c.rounds.entries()) {
    if (r.drained === null) continue;
    lines.push(
      `    round ${i + 1}: ${grouped(r.delivered)} of ${grouped(r.created_with_destination)} events delivered, ${fixed(r.seconds_to_drain_after_run, 1)} s after the run; commit → 2xx p50 ${fixed(r.latency_p50_ms, 0)} ms, p99 ${fixed(r.latency_p99_ms, 0)} ms`,
    );
  }
  lines.push(
    `  create, one destination, consumer held during the run (the create's own cost: outbox rows, fan-out, queue send): ${grouped(c.held_rps)} req/s, p50 ${fixed(c.held_p50_ms, 2)} ms; ratio ${fixed(c.held_ratio, 2)} (per round: ${c.rounds.map((x) => fixed(x.held_ratio, 2)).join(", ")})`,
  );
  for (const [i, r] of c.rounds.entries()) {
    const h = r.held;
    if (!h || h.drained === null) continue;
    lines.push(
      `    round ${i + 1}: ${grouped(h.delivered_while_held)} delivered during the run (${h.batches_at_gate} batch, ${h.messages_at_gate} messages waited at the gate); after release ${grouped(h.delivered_after)} of ${grouped(h.created)} delivered in ${fixed(h.seconds_to_drain_after_release, 1)} s`,
    );
  }
  if (c.held_cpu_ms !== null) {
    const rounds = (field) => c.rounds.map((x) => percent(x[field])).join(", ");
    lines.push(
      `  workerd CPU per create (every Worker in it and local D1; not moved by other processes): none ${fixed(c.without_cpu_ms, 3)} ms; consumer held ${fixed(c.held_cpu_ms, 3)} ms, ${percent(c.held_cpu_increase)} (per round: ${rounds("held_cpu_increase")}); idle destination ${percent(c.idle_cpu_increase)}; end to end ${fixed(c.with_cpu_ms, 3)} ms, ${percent(c.with_cpu_increase)} (the deliveries made during the run included)`,
    );
  }
  const p = events.paired;
  if (p) {
    lines.push(
      `  create, consumer held, ${p.pairs} pairs of ${p.slice_seconds} s slices, one destination disabled / enabled: ${grouped(p.none_rps)} vs ${grouped(p.held_rps)} req/s, ratio ${fixed(p.ratio, 2)} (pairs: median ${fixed(p.pair_ratio_median, 2)}, ${fixed(p.pair_ratio_min, 2)}–${fixed(p.pair_ratio_max, 2)}); workerd CPU per create ${fixed(p.none_cpu_ms, 3)} vs ${fixed(p.held_cpu_ms, 3)} ms, ${percent(p.cpu_increase)}; ${grouped(p.delivered_while_held)} delivered during the slices, ${grouped(p.delivered_after)} after release (answered creates while enabled ${grouped(p.created_enabled)}; deliveries in D1 ${grouped(p.deliveries)}, ${p.all_delivered ? "all succeeded and received" : "NOT all succeeded and received"}); answers other than 201: ${p.unexpected}`,
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
  for (const profile of events.profiles ?? []) lines.push("", eventsProfileText(profile));
  lines.push(
    `  Worker info log lines (not printed; LOG_REQUESTS is "false" here, as for every scenario, so delivery attempts log none): ${grouped(events.worker_info_log_lines)}`,
  );
  return lines.join("\n");
}

/** A profile of the events section: µs of Roster's isolate per create, or per delivered event. */
function eventsProfileText(profile) {
  const per = profile.per ?? "request";
  const [, ...body] = profileText(profile).split("\n");
  const rate = Number.isFinite(profile.rps) ? `, ${grouped(profile.rps)} req/s` : "";
  return [
    `  CPU profile during ${profile.scenario}: ${grouped(profile.requests)} × ${per}${rate}; thread time sampled in Roster's isolate, µs per ${per}:`,
    ...body.map((line) => line.replaceAll("per request", `per ${per}`)),
  ].join("\n");
}

/** An increase as a signed percentage: 0.062 → "+6.2 %". */
const percent = (value) =>
  Number.isFinite(value) ? `${value < 0 ? "−" : "+"}${fixed(Math.abs(value) * 100, 1)} %` : "–";

/** Why the paired slices cannot be judged, or null when they can. */
function pairedProblem(p) {
  if (p.unexpected > 0) return `${p.unexpected} answers other than 201`;
  if (p.delivered_while_held > 0) return `${p.delivered_while_held} delivered while held`;
  if (!p.all_delivered) return "not all delivered after";
  return null;
}

/** The events' rows of the target table. */
export function eventTargets(events) {
  const c = events.create;
  const t = events.throughput;
  const s = events.signatures;
  const p = events.paired;
  const problem = p ? pairedProblem(p) : null;
  const heldUnexpected = c.rounds.reduce((sum, x) => sum + x.unexpected, 0);
  const rows = [
    {
      name: "create with a destination vs none, own cost, 1 s paired slices (req/s)",
      measured: p ? `${fixed(p.ratio, 2)}×${problem ? ` (${problem})` : ""}` : "–",
      goal: "≥ 0.85×",
      value: p?.ratio ?? null,
      met: p ? problem === null && p.ratio >= 0.85 : null,
    },
    {
      name: "the same, workerd CPU per create over none",
      measured: p?.cpu_increase == null ? "–" : percent(p.cpu_increase),
      goal: "≤ +15 %",
      value: p?.cpu_increase ?? null,
      met: p && Number.isFinite(p.cpu_increase) ? problem === null && p.cpu_increase <= 0.15 : null,
    },
    {
      name: "the same in 5 s rounds (req/s, consumer held)",
      measured: events.recorded ? `${fixed(c.held_ratio, 2)}×` : `${fixed(c.held_ratio, 2)}× (${events.note})`,
      goal: "≥ 0.85×",
      value: c.held_ratio,
      met: events.recorded ? heldUnexpected === 0 && c.held_ratio >= 0.85 : null,
    },
    {
      name: "the same end to end, incl. the local consumer on the same thread",
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

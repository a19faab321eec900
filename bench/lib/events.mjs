// @ts-check
import path from "node:path";
import { performance } from "node:perf_hooks";
import { applyMigrations, BENCH_API_KEY, round, seedOrganization, startEnvironment } from "./environment.mjs";
import { drive, median, percentile } from "./load.mjs";
import { nowMs, startReceiver } from "./receiver.mjs";

const AUTH = { authorization: `Bearer ${BENCH_API_KEY}` };
const DELIVERY_QUEUE = "roster-event-deliveries";
/** How long a drain may take before the bench gives up on it: 30 s plus 20 ms per event (50/s). */
const drainTimeoutMs = (events) => 30_000 + events * 20;

/**
 * @param {string} baseUrl @param {string} method @param {string} urlPath @param {unknown} [body]
 * @returns {Promise<{ status: number, json: any }>}
 */
async function call(baseUrl, method, urlPath, body) {
  const response = await fetch(`${baseUrl}${urlPath}`, {
    method,
    headers: { ...AUTH, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

/**
 * A destination on the receiver's `inboxPath`, for every event type unless `eventTypes` says.
 * @param {string} rosterUrl @param {string} receiverUrl @param {string} inboxPath @param {string[]} [eventTypes]
 */
async function createDestination(rosterUrl, receiverUrl, inboxPath, eventTypes) {
  const { status, json } = await call(rosterUrl, "POST", "/v1/event_destinations", {
    url: `${receiverUrl}${inboxPath}`,
    description: `bench ${inboxPath}`,
    ...(eventTypes ? { event_types: eventTypes } : {}),
  });
  if (status !== 201) throw new Error(`creating a destination answered ${status}: ${JSON.stringify(json)}`);
  return { id: String(json.id), secret: String(json.secret), inboxPath };
}

async function deleteDestination(rosterUrl, id) {
  const { status } = await call(rosterUrl, "DELETE", `/v1/event_destinations/${id}`);
  if (status !== 200 && status !== 204) throw new Error(`deleting destination ${id} answered ${status}`);
}

/** One POST /v1/customers/import of `count` new customers; returns when it answered. */
async function importNew(rosterUrl, prefix, count) {
  const customers = Array.from({ length: count }, (_, i) => ({
    alternative_id: `${prefix}-${i}`,
    email: `${prefix}-${i}@example.com`,
  }));
  const { status, json } = await call(rosterUrl, "POST", "/v1/customers/import", { customers });
  if (status !== 200 || json.created !== count) {
    throw new Error(`import of ${count} answered ${status}, created ${json?.created}`);
  }
  return nowMs();
}

/** Does the import endpoint record events in this build? One imported customer, its events listed. */
async function importRecords(rosterUrl, tag) {
  const customers = [{ alternative_id: `probe-import-${tag}`, email: `probe-import-${tag}@example.com` }];
  const { json } = await call(rosterUrl, "POST", "/v1/customers/import", { customers });
  const id = json?.results?.[0]?.id;
  if (!id) throw new Error(`probe import answered ${JSON.stringify(json).slice(0, 300)}`);
  const events = await call(rosterUrl, "GET", `/v1/events?customer_id=${id}`);
  return Array.isArray(events.json?.data) && events.json.data.length > 0;
}

/** Commit-to-2xx latencies and arrival span of one inbox. */
function deliveryStats(inbox) {
  const latencies = [...inbox.latencies].sort((a, b) => a - b);
  return {
    deliveries: inbox.deliveries,
    distinct_events: inbox.ids.size,
    duplicates: inbox.deliveries - inbox.ids.size,
    latency_p50_ms: round(percentile(latencies, 0.5) ?? Number.NaN, 1),
    latency_p99_ms: round(percentile(latencies, 0.99) ?? Number.NaN, 1),
    first_arrival: inbox.arrivals[0] ?? null,
    last_arrival: inbox.arrivals.at(-1) ?? null,
  };
}

/**
 * Does this build record events and deliver them? One destination, one created customer: an
 * event in GET /v1/events and a delivery at the receiver within the queue's batch timeout + 10 s.
 */
async function probe(rosterUrl, receiver, maxBatchTimeout) {
  const destination = await createDestination(rosterUrl, receiver.url, "/probe");
  const created = await call(rosterUrl, "POST", "/v1/customers", { email: "probe@example.com" });
  if (created.status !== 201) throw new Error(`probe create answered ${created.status}`);
  const events = await call(rosterUrl, "GET", `/v1/events?customer_id=${created.json.id}`);
  const recorded = events.status === 200 && Array.isArray(events.json?.data) && events.json.data.length > 0;
  const delivered = recorded && (await receiver.waitFor("/probe", 1, maxBatchTimeout * 1000 + 10_000));
  await deleteDestination(rosterUrl, destination.id);
  return { recorded, delivered, destination };
}

/**
 * Create with one enabled destination against create with none, in alternating rounds on the
 * same organization. "with": a destination is created, creates are driven, then the bench
 * waits (outside the measured window) until every created customer's event reached the
 * receiver, and deletes the destination; so no delivery of one round runs in the next.
 * "idle": a destination that selects no type a create emits (`payment_method.deleted`): the
 * write path's fan-out runs and finds nothing to deliver, so with/idle separates the write
 * path's share of the cost from the delivery's (enqueueing and the consumer, same database).
 */
async function compareCreate(env, receiver, { rounds, durationSeconds, connections, tag, recorded, maxBatchTimeout }) {
  let created = 0;
  const scenario = {
    name: "create",
    expect: 201,
    request: () => {
      created++;
      const id = `ev-${tag}-${created}`;
      return {
        method: "POST",
        path: "/v1/customers",
        body: JSON.stringify({ alternative_id: id, email: `${id}@example.com` }),
      };
    },
  };
  const run = () => drive(env.urls.roster, scenario, { durationSeconds, connections, headers: AUTH });
  // Warm-up (the isolate's first requests, D1's first pages), as the other scenarios have.
  await drive(env.urls.roster, scenario, { durationSeconds: 1, connections, headers: AUTH });
  const results = [];
  for (let r = 0; r < rounds; r++) {
    const inboxPath = `/create-${r}`;
    const withDestination = async () => {
      const destination = await createDestination(env.urls.roster, receiver.url, inboxPath);
      const sentBefore = created;
      const result = await run();
      const answered = result.statuses[201] ?? 0;
      // Requests still in flight when the run ended were not counted but may have committed:
      // every answered create's event, then (briefly) those of the ones sent.
      const sent = created - sentBefore;
      const t0 = performance.now();
      const drained = recorded ? await receiver.waitFor(inboxPath, answered, drainTimeoutMs(answered)) : null;
      const drainSeconds = (performance.now() - t0) / 1000;
      if (drained) await receiver.waitFor(inboxPath, sent, maxBatchTimeout * 1000 + 2_000);
      await deleteDestination(env.urls.roster, destination.id);
      return { result, expected: answered, drained, drainSeconds, destination };
    };
    const withIdleDestination = async () => {
      const destination = await createDestination(env.urls.roster, receiver.url, `/idle-${r}`, [
        "payment_method.deleted",
      ]);
      const result = await run();
      await deleteDestination(env.urls.roster, destination.id);
      return result;
    };
    // Alternate the order (drift, warm-up, GC): none, idle, with; then with, idle, none.
    let without;
    let idle;
    let withOne;
    if (r % 2 === 0) {
      without = await run();
      idle = await withIdleDestination();
      withOne = await withDestination();
    } else {
      withOne = await withDestination();
      idle = await withIdleDestination();
      without = await run();
    }
    const inbox = deliveryStats(receiver.inbox(inboxPath));
    results.push({
      without_rps: round(without.rps, 1),
      without_p50_ms: round(without.p50, 2),
      with_rps: round(withOne.result.rps, 1),
      with_p50_ms: round(withOne.result.p50, 2),
      ratio: round(withOne.result.rps / without.rps, 3),
      idle_rps: round(idle.rps, 1),
      idle_ratio: round(idle.rps / without.rps, 3),
      unexpected: without.unexpected + idle.unexpected + withOne.result.unexpected,
      created_with_destination: withOne.expected,
      delivered: inbox.distinct_events,
      drained: withOne.drained,
      seconds_to_drain_after_run: round(withOne.drainSeconds, 2),
      latency_p50_ms: inbox.latency_p50_ms,
      latency_p99_ms: inbox.latency_p99_ms,
      inbox_path: inboxPath,
      secret: withOne.destination.secret,
    });
  }
  return {
    rounds: results,
    without_rps: round(median(results.map((x) => x.without_rps)), 1),
    with_rps: round(median(results.map((x) => x.with_rps)), 1),
    without_p50_ms: round(median(results.map((x) => x.without_p50_ms)), 2),
    with_p50_ms: round(median(results.map((x) => x.with_p50_ms)), 2),
    ratio: round(median(results.map((x) => x.ratio)), 3),
    idle_rps: round(median(results.map((x) => x.idle_rps)), 1),
    idle_ratio: round(median(results.map((x) => x.idle_ratio)), 3),
  };
}

/**
 * `count` customers through the import endpoint (1,000 per call, two calls in flight) with one
 * destination: events/s from the first commit (the first import call's answer) to the last
 * event's 2xx at the receiver.
 */
async function deliveryThroughput(env, receiver, count, tag) {
  const destination = await createDestination(env.urls.roster, receiver.url, "/throughput");
  const started = nowMs();
  const answers = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const from = next;
      next = Math.min(count, from + 1_000);
      answers.push(await importNew(env.urls.roster, `tp-${tag}-${from}`, next - from));
    }
  };
  await Promise.all([worker(), worker()]);
  const importSeconds = (nowMs() - started) / 1000;
  const drained = await receiver.waitFor("/throughput", count, drainTimeoutMs(count));
  const stats = deliveryStats(receiver.inbox("/throughput"));
  await deleteDestination(env.urls.roster, destination.id);
  const firstCommit = Math.min(...answers);
  const window = stats.last_arrival === null ? Number.NaN : (stats.last_arrival - firstCommit) / 1000;
  const span = stats.last_arrival === null ? Number.NaN : (stats.last_arrival - stats.first_arrival) / 1000;
  return {
    events: count,
    drained,
    import_seconds: round(importSeconds, 2),
    import_customers_per_second: Math.round(count / importSeconds),
    first_commit_to_last_2xx_seconds: round(window, 2),
    events_per_second: Math.round(stats.distinct_events / window),
    arrival_rate_per_second: Math.round((stats.distinct_events - 1) / span),
    ...stats,
    inbox_path: destination.inboxPath,
    secret: destination.secret,
  };
}

/** One import call of 1,000 new customers with a destination: until all 1,000 events arrived. */
async function importThousand(env, receiver, tag) {
  const destination = await createDestination(env.urls.roster, receiver.url, "/import-1000");
  const started = nowMs();
  const answered = await importNew(env.urls.roster, `imp-${tag}`, 1_000);
  const drained = await receiver.waitFor("/import-1000", 1_000, drainTimeoutMs(1_000));
  const stats = deliveryStats(receiver.inbox("/import-1000"));
  await deleteDestination(env.urls.roster, destination.id);
  return {
    events: 1_000,
    drained,
    import_call_ms: round(answered - started, 1),
    seconds_to_all_delivered: stats.last_arrival === null ? null : round((stats.last_arrival - started) / 1000, 2),
    seconds_after_answer: stats.last_arrival === null ? null : round((stats.last_arrival - answered) / 1000, 2),
    ...stats,
    inbox_path: destination.inboxPath,
    secret: destination.secret,
  };
}

/**
 * Delivery alone: `POST /v1/event_destinations/{id}/replay` of the kept events since `since`
 * (at most 1,000 per call) to a fresh destination, from the replay's answer (its delivery rows
 * committed) to the last 2xx. Prices the queue and the consumer without the write paths.
 * @param {{ urls: { roster: string } }} env
 * @param {Awaited<ReturnType<typeof startReceiver>>} receiver
 * @param {string} since
 */
export async function replayKept(env, receiver, since) {
  const destination = await createDestination(env.urls.roster, receiver.url, "/replay");
  const started = nowMs();
  const { status, json } = await call(env.urls.roster, "POST", `/v1/event_destinations/${destination.id}/replay`, {
    since,
  });
  if (status !== 200 && status !== 202) throw new Error(`replay answered ${status}: ${JSON.stringify(json)}`);
  const answered = nowMs();
  const count = Number(json.deliveries_created);
  const drained = await receiver.waitFor("/replay", count, drainTimeoutMs(count));
  const stats = deliveryStats(receiver.inbox("/replay"));
  await deleteDestination(env.urls.roster, destination.id);
  const window = stats.last_arrival === null ? Number.NaN : (stats.last_arrival - answered) / 1000;
  return {
    events: count,
    drained,
    replay_call_ms: round(answered - started, 1),
    seconds_after_answer: round(window, 2),
    events_per_second: Math.round(stats.distinct_events / window),
    ...stats,
    // A replayed event keeps its created_at: its commit-to-2xx latency says nothing here.
    latency_p50_ms: null,
    latency_p99_ms: null,
    inbox_path: destination.inboxPath,
    secret: destination.secret,
  };
}

/**
 * The events section on its own fresh state and workerd: create with one destination against
 * none, delivery throughput, import of 1,000 with a destination, and the receiver's sampled
 * signatures verified with `standardwebhooks`. The delivery queue's consumer settings are
 * wrangler.toml's unless `queueBatchSize`/`queueBatchTimeout` override them.
 * @param {{ projectDir: string, bundle: any, tmp: string, tag: string, options: any, say: (message: string) => void }} context
 */
export async function runEvents({ projectDir, bundle, tmp, tag, options, say }) {
  const receiver = await startReceiver();
  const override = {
    ...(options.eventBatchSize ? { maxBatchSize: options.eventBatchSize } : {}),
    ...(options.eventBatchTimeout !== null ? { maxBatchTimeout: options.eventBatchTimeout } : {}),
  };
  const env = await startEnvironment({
    projectDir,
    bundle,
    persistDir: path.join(tmp, "state-events"),
    queueConsumers: { [DELIVERY_QUEUE]: override },
  });
  try {
    await applyMigrations(env.db, projectDir);
    await seedOrganization(env.db);
    const consumer = env.queueConsumers[DELIVERY_QUEUE] ?? {};
    const queue = {
      max_batch_size: consumer.maxBatchSize ?? null,
      max_batch_timeout: consumer.maxBatchTimeout ?? null,
      overridden: Object.keys(override).length > 0,
    };
    say(
      `\n== events (queue consumer: batch ${queue.max_batch_size}, timeout ${queue.max_batch_timeout} s${queue.overridden ? ", overridden" : ", as wrangler.toml"}; receiver ${receiver.url})`,
    );
    const probed = await probe(env.urls.roster, receiver, queue.max_batch_timeout ?? 1);
    const recorded = probed.recorded && probed.delivered;
    const note = recorded
      ? null
      : probed.recorded
        ? "an event was recorded but never reached the receiver"
        : "n/a: the write paths record no events in this build";
    if (note) say(`   ${note}`);

    // At least four rounds, each side first in half of them: one pair of 1.5 s runs on this
    // shared machine varies by ±30 %.
    const rounds = Math.max(options.rounds, 4);
    say(`   create with one destination vs none: ${rounds} round(s) × 2 × ${options.durationSeconds} s`);
    const create = await compareCreate(env, receiver, {
      rounds,
      durationSeconds: options.durationSeconds,
      connections: options.connections,
      tag,
      recorded,
      maxBatchTimeout: queue.max_batch_timeout ?? 1,
    });
    /** @type {Awaited<ReturnType<typeof deliveryThroughput>> | null} */
    let throughput = null;
    /** @type {Awaited<ReturnType<typeof importThousand>> | null} */
    let importOfThousand = null;
    /** @type {Awaited<ReturnType<typeof replayKept>> | null} */
    let replay = null;
    /** @type {{ checked: number, verified: number, failures: string[] } | null} */
    let signatures = null;
    const importRecorded = recorded && (await importRecords(env.urls.roster, tag));
    if (recorded && !importRecorded)
      say("   n/a: import records no events in this build (throughput, import of 1,000)");
    if (importRecorded) {
      const count = options.quick ? 2_000 : 10_000;
      say(`   delivery throughput: import of ${count.toLocaleString("en-US")} customers with one destination`);
      throughput = await deliveryThroughput(env, receiver, count, tag);
      say("   import of 1,000 customers with one destination: until all 1,000 events are delivered");
      const since = new Date().toISOString();
      importOfThousand = await importThousand(env, receiver, tag);
      say("   replay of those 1,000 events to a new destination: delivery alone");
      replay = await replayKept(env, receiver, since);
    }
    if (recorded) {
      const checks = [
        receiver.verifySamples("/probe", probed.destination.secret),
        ...create.rounds.map((x) => receiver.verifySamples(x.inbox_path, x.secret)),
        ...[throughput, importOfThousand, replay]
          .filter((part) => part !== null)
          .map((part) => receiver.verifySamples(part.inbox_path, part.secret)),
      ];
      signatures = {
        checked: checks.reduce((sum, x) => sum + x.checked, 0),
        verified: checks.reduce((sum, x) => sum + x.verified, 0),
        failures: checks.flatMap((x) => x.failures).slice(0, 5),
      };
    }
    // The secrets were for the check above; the results file does not keep them.
    const withoutSecret = (part) => {
      if (!part) return part;
      const { secret: _, ...rest } = part;
      return rest;
    };
    return {
      queue,
      recorded,
      import_recorded: importRecorded,
      note: note ?? (importRecorded ? null : "n/a: import records no events in this build"),
      create: { ...create, rounds: create.rounds.map(withoutSecret) },
      throughput: withoutSecret(throughput),
      import_1000: withoutSecret(importOfThousand),
      replay_1000: withoutSecret(replay),
      signatures,
      worker_info_log_lines: env.workerLogs.info,
    };
  } finally {
    await env.dispose();
    await receiver.close();
  }
}

// @ts-check
import path from "node:path";
import { applyMigrations, round, seedOrganization, startEnvironment } from "./environment.mjs";
import { call, createDestination, deleteDestination, deliveryStats, drainTimeoutMs } from "./events-api.mjs";
import { compareCreate } from "./events-create.mjs";
import { pairedCreateCost } from "./events-paired.mjs";
import { profileEvents } from "./events-profile.mjs";
import { freePort } from "./profile.mjs";
import { nowMs, startReceiver } from "./receiver.mjs";

const DELIVERY_QUEUE = "roster-event-deliveries";

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
  const inspectorPort = options.profile ? await freePort() : undefined;
  const env = await startEnvironment({
    projectDir,
    bundle,
    persistDir: path.join(tmp, "state-events"),
    queueConsumers: { [DELIVERY_QUEUE]: override },
    // The consumer can be held back for the "consumer held" variant of create (open otherwise).
    rosterWrapper: "deliveries-gate-worker.mjs",
    inspectorPort,
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

    // At least eight rounds (four with --quick), each side first in half of them: one pair of
    // runs on this shared machine varies by ±30 %, and a round's CPU per create by ±15 %.
    const rounds = Math.max(options.rounds, options.quick ? 4 : 8);
    say(
      `   create with one destination (end to end, and consumer held) vs none: ${rounds} round(s) × 4 × ${options.durationSeconds} s`,
    );
    const create = await compareCreate(env, receiver, {
      rounds,
      durationSeconds: options.durationSeconds,
      connections: options.connections,
      tag,
      recorded,
      maxBatchTimeout: queue.max_batch_timeout ?? 1,
    });
    const pairs = options.quick ? 10 : 30;
    /** @type {Awaited<ReturnType<typeof pairedCreateCost>> | null} */
    let paired = null;
    if (recorded) {
      say(`   the same, consumer held, in ${pairs} pairs of 1 s slices (destination disabled / enabled)`);
      paired = await pairedCreateCost(env, receiver, {
        pairs,
        sliceSeconds: 1,
        connections: options.connections,
        tag,
      });
    }
    /** @type {any[] | null} */
    let profiles = null;
    if (inspectorPort && recorded) {
      say(
        `   profiling: create with one destination, consumer held, then its drain; end to end (${options.durationSeconds} s each)`,
      );
      profiles = await profileEvents(env, receiver, {
        inspectorPort,
        mapPath: bundle.mapPath,
        durationSeconds: options.durationSeconds,
        connections: options.connections,
        tag,
        maxBatchTimeout: queue.max_batch_timeout ?? 1,
      });
    }
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
        ...create.rounds.map((x) => receiver.verifySamples(x.held.inbox_path, x.held.secret)),
        ...(paired ? [receiver.verifySamples(paired.inbox_path, paired.secret)] : []),
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
      create: { ...create, rounds: create.rounds.map((x) => ({ ...withoutSecret(x), held: withoutSecret(x.held) })) },
      paired: withoutSecret(paired),
      throughput: withoutSecret(throughput),
      import_1000: withoutSecret(importOfThousand),
      replay_1000: withoutSecret(replay),
      signatures,
      ...(profiles ? { profiles } : {}),
      worker_info_log_lines: env.workerLogs.info,
    };
  } finally {
    await env.dispose();
    await receiver.close();
  }
}

// @ts-check
import { performance } from "node:perf_hooks";
import { round } from "./environment.mjs";
import {
  AUTH,
  createDestination,
  deleteDestination,
  deliveryGate,
  deliveryStats,
  drainTimeoutMs,
} from "./events-api.mjs";
import { drive, median } from "./load.mjs";

/** A create scenario with a unique alternative ID per request; `created()` counts what was sent. */
export function createScenario(tag) {
  let sent = 0;
  return {
    created: () => sent,
    scenario: {
      name: "create",
      expect: 201,
      request: () => {
        sent++;
        const id = `ev-${tag}-${sent}`;
        return {
          method: "POST",
          path: "/v1/customers",
          body: JSON.stringify({ alternative_id: id, email: `${id}@example.com` }),
        };
      },
    },
  };
}

/**
 * One measured run of creates with one enabled destination on `inboxPath`, then, outside the
 * measured window, the drain: every answered create's event (then, briefly, those of requests
 * still in flight when the run ended) at the receiver, and the destination deleted. With
 * `holdConsumer`, the delivery queue's consumer is held at the gate for the run, so nothing is
 * delivered during it (checked: `delivered_while_held`), and released before the drain.
 * `during(run)` wraps the run and `duringDrain(drain, events)` the drain (a profiler).
 * @param {any} env @param {any} receiver @param {() => Promise<any>} run @param {() => number} created
 * @param {{ inboxPath: string, holdConsumer: boolean, recorded: boolean, maxBatchTimeout: number,
 *   during?: (run: () => Promise<any>) => Promise<any>,
 *   duringDrain?: (drain: () => Promise<boolean>, events: number) => Promise<boolean> }} options
 */
export async function createWithDestination(env, receiver, run, created, options) {
  const { inboxPath, holdConsumer, recorded, maxBatchTimeout } = options;
  const during = options.during ?? ((load) => load());
  const duringDrain = options.duringDrain ?? ((drain, _events) => drain());
  const destination = await createDestination(env.urls.roster, receiver.url, inboxPath);
  if (holdConsumer) await deliveryGate(env.urls.roster, receiver, "hold");
  const sentBefore = created();
  const result = await during(run);
  const answered = result.statuses[201] ?? 0;
  // Requests still in flight when the run ended were not counted but may have committed.
  const sent = created() - sentBefore;
  const deliveredWhileHeld = holdConsumer ? receiver.inbox(inboxPath).ids.size : null;
  const gate = holdConsumer ? await deliveryGate(env.urls.roster, receiver, "release") : null;
  const t0 = performance.now();
  const drain = () => receiver.waitFor(inboxPath, answered, drainTimeoutMs(answered));
  const drained = recorded ? await duringDrain(drain, answered) : null;
  const drainSeconds = (performance.now() - t0) / 1000;
  if (drained) await receiver.waitFor(inboxPath, sent, maxBatchTimeout * 1000 + 2_000);
  await deleteDestination(env.urls.roster, destination.id);
  return {
    result,
    expected: answered,
    drained,
    drainSeconds,
    destination,
    deliveredWhileHeld,
    heldBatches: gate?.held_batches ?? null,
    heldMessages: gate?.held_messages ?? null,
  };
}

/**
 * Create with one enabled destination against create with none, in alternating rounds on the
 * same organization, four variants per round:
 * - "none": no destination;
 * - "idle": a destination that selects no type a create emits (`payment_method.deleted`): the
 *   fan-out runs and finds nothing to deliver (the outbox rows' share of the cost);
 * - "with" (end to end): a delivering destination, its deliveries consumed as they come, by the
 *   consumer that locally runs on the same workerd thread and local D1 as the creates;
 * - "held" (the create's own cost): the same, with the consumer held back during the run
 *   (deliveries-gate-worker.mjs): the fan-out and the queue send after the commit are in the
 *   window, the consumer's work is not; every event is delivered after it (checked).
 * Each delivering variant drains before the next starts, so no round's deliveries run in
 * another's window.
 */
export async function compareCreate(
  env,
  receiver,
  { rounds, durationSeconds, connections, tag, recorded, maxBatchTimeout },
) {
  const { created, scenario } = createScenario(tag);
  const run = () => drive(env.urls.roster, scenario, { durationSeconds, connections, headers: AUTH });
  // Warm-up (the isolate's first requests, D1's first pages), as the other scenarios have.
  await drive(env.urls.roster, scenario, { durationSeconds: 1, connections, headers: AUTH });
  const results = [];
  for (let r = 0; r < rounds; r++) {
    const delivering = (inboxPath, holdConsumer) =>
      createWithDestination(env, receiver, run, created, { inboxPath, holdConsumer, recorded, maxBatchTimeout });
    const withIdleDestination = async () => {
      const destination = await createDestination(env.urls.roster, receiver.url, `/idle-${r}`, [
        "payment_method.deleted",
      ]);
      const result = await run();
      await deleteDestination(env.urls.roster, destination.id);
      return result;
    };
    /** @type {Record<string, () => Promise<any>>} */
    const variants = {
      without: run,
      idle: withIdleDestination,
      withOne: () => delivering(`/create-${r}`, false),
      held: () => delivering(`/held-${r}`, true),
    };
    // Alternate the order (drift, warm-up, GC): none, idle, with, held; then the reverse.
    const order = Object.keys(variants);
    if (r % 2 === 1) order.reverse();
    /** @type {Record<string, any>} */
    const got = {};
    for (const name of order) got[name] = await variants[name]();
    const { without, idle, withOne, held } = got;
    const inbox = deliveryStats(receiver.inbox(withOne.destination.inboxPath));
    const heldInbox = deliveryStats(receiver.inbox(held.destination.inboxPath));
    results.push({
      without_rps: round(without.rps, 1),
      without_p50_ms: round(without.p50, 2),
      with_rps: round(withOne.result.rps, 1),
      with_p50_ms: round(withOne.result.p50, 2),
      ratio: round(withOne.result.rps / without.rps, 3),
      held_rps: round(held.result.rps, 1),
      held_p50_ms: round(held.result.p50, 2),
      held_ratio: round(held.result.rps / without.rps, 3),
      idle_rps: round(idle.rps, 1),
      idle_ratio: round(idle.rps / without.rps, 3),
      // workerd's CPU per answered create (all its Workers and local D1), and the increase over none.
      without_cpu_ms: round(without.workerd_cpu_ms, 3),
      with_cpu_ms: round(withOne.result.workerd_cpu_ms, 3),
      held_cpu_ms: round(held.result.workerd_cpu_ms, 3),
      idle_cpu_ms: round(idle.workerd_cpu_ms, 3),
      held_cpu_increase: increase(held.result.workerd_cpu_ms, without.workerd_cpu_ms),
      with_cpu_increase: increase(withOne.result.workerd_cpu_ms, without.workerd_cpu_ms),
      idle_cpu_increase: increase(idle.workerd_cpu_ms, without.workerd_cpu_ms),
      unexpected: without.unexpected + idle.unexpected + withOne.result.unexpected + held.result.unexpected,
      created_with_destination: withOne.expected,
      delivered: inbox.distinct_events,
      drained: withOne.drained,
      seconds_to_drain_after_run: round(withOne.drainSeconds, 2),
      latency_p50_ms: inbox.latency_p50_ms,
      latency_p99_ms: inbox.latency_p99_ms,
      inbox_path: withOne.destination.inboxPath,
      secret: withOne.destination.secret,
      held: {
        created: held.expected,
        delivered_while_held: held.deliveredWhileHeld,
        batches_at_gate: held.heldBatches,
        messages_at_gate: held.heldMessages,
        delivered_after: heldInbox.distinct_events,
        drained: held.drained,
        seconds_to_drain_after_release: round(held.drainSeconds, 2),
        inbox_path: held.destination.inboxPath,
        secret: held.destination.secret,
      },
    });
  }
  return {
    rounds: results,
    without_rps: round(median(results.map((x) => x.without_rps)), 1),
    with_rps: round(median(results.map((x) => x.with_rps)), 1),
    held_rps: round(median(results.map((x) => x.held_rps)), 1),
    without_p50_ms: round(median(results.map((x) => x.without_p50_ms)), 2),
    with_p50_ms: round(median(results.map((x) => x.with_p50_ms)), 2),
    held_p50_ms: round(median(results.map((x) => x.held_p50_ms)), 2),
    ratio: round(median(results.map((x) => x.ratio)), 3),
    held_ratio: round(median(results.map((x) => x.held_ratio)), 3),
    idle_rps: round(median(results.map((x) => x.idle_rps)), 1),
    idle_ratio: round(median(results.map((x) => x.idle_ratio)), 3),
    without_cpu_ms: round(median(results.map((x) => x.without_cpu_ms)), 3),
    with_cpu_ms: round(median(results.map((x) => x.with_cpu_ms)), 3),
    held_cpu_ms: round(median(results.map((x) => x.held_cpu_ms)), 3),
    idle_cpu_ms: round(median(results.map((x) => x.idle_cpu_ms)), 3),
    held_cpu_increase: round(median(results.map((x) => x.held_cpu_increase)), 3),
    with_cpu_increase: round(median(results.map((x) => x.with_cpu_increase)), 3),
    idle_cpu_increase: round(median(results.map((x) => x.idle_cpu_increase)), 3),
  };
}

/** How much more `cost` is than `base` (0.1 = 10 % more), or null when either is unknown. */
export const increase = (cost, base) => (cost == null || base == null || base === 0 ? null : round(cost / base - 1, 3));

// @ts-check
import { round } from "./environment.mjs";
import { AUTH, call, createDestination, deleteDestination, deliveryGate, drainTimeoutMs } from "./events-api.mjs";
import { createScenario, increase } from "./events-create.mjs";
import { drive, median } from "./load.mjs";

/**
 * The create's own cost once more, in short paired slices: the rounds of `compareCreate` put
 * 5 s runs of each variant up to a minute apart, and this shared machine's speed drifts by
 * ±20 % over such spans (CPU per create too, not only req/s). Here one destination takes every
 * event type with the consumer held (nothing is delivered during the slices), and is switched
 * between `disabled` — its fan-out then selects nothing, so a create costs what one without a
 * destination costs — and `enabled` every `sliceSeconds`, in alternating order, so each pair
 * of slices sees the same moment. The sides are compared by their totals over all slices
 * (creates answered per second; workerd CPU per answered create) and by the median of the
 * pairs' req/s ratios. Afterwards, outside the slices, the consumer is released and every
 * event of the enabled slices' answered creates must reach the receiver.
 * @param {any} env @param {any} receiver
 * @param {{ pairs: number, sliceSeconds: number, connections: number, tag: string }} options
 */
/**
 * Waits (up to 10 s) until every delivery D1 has for the destination succeeded and the receiver
 * holds as many distinct events: `allDelivered`, with the number of deliveries.
 * @param {any} db @param {string} destinationId @param {() => number} receivedEvents
 */
async function everyDeliverySucceeded(db, destinationId, receivedEvents) {
  const count = () =>
    db
      .prepare(
        "SELECT count(*) AS total, coalesce(sum(status = 'succeeded'), 0) AS succeeded FROM event_deliveries WHERE destination_id = ?1",
      )
      .bind(destinationId)
      .first();
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { total, succeeded } = await count();
    const allDelivered = total === succeeded && receivedEvents() === total;
    if (allDelivered || Date.now() > deadline) return { total, allDelivered };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function pairedCreateCost(env, receiver, { pairs, sliceSeconds, connections, tag }) {
  const { scenario } = createScenario(`${tag}pair`);
  const slice = () => drive(env.urls.roster, scenario, { durationSeconds: sliceSeconds, connections, headers: AUTH });
  const inboxPath = "/paired";
  await slice(); // warm-up, before the destination exists
  const destination = await createDestination(env.urls.roster, receiver.url, inboxPath);
  const setStatus = async (status) => {
    const { status: answered } = await call(env.urls.roster, "PATCH", `/v1/event_destinations/${destination.id}`, {
      status,
    });
    if (answered !== 200) throw new Error(`switching the destination ${status} answered ${answered}`);
  };
  await deliveryGate(env.urls.roster, receiver, "hold");
  /** @type {any[]} */ const none = [];
  /** @type {any[]} */ const held = [];
  for (let pair = 0; pair < pairs; pair++) {
    const order = pair % 2 === 0 ? ["none", "held"] : ["held", "none"];
    for (const side of order) {
      await setStatus(side === "held" ? "enabled" : "disabled");
      (side === "held" ? held : none).push(await slice());
    }
  }
  const deliveredWhileHeld = receiver.inbox(inboxPath).ids.size;
  // Enabled again before the consumer sees the deliveries: it fails those of a disabled one.
  await setStatus("enabled");
  await deliveryGate(env.urls.roster, receiver, "release");
  // Every answered create of an enabled slice committed before the switch that followed it;
  // creates still in flight at a switch may have made deliveries too, so D1 has the full count.
  const answered = held.reduce((sum, run) => sum + (run.statuses[201] ?? 0), 0);
  const drained = await receiver.waitFor(inboxPath, answered, drainTimeoutMs(answered));
  const deliveries = drained
    ? await everyDeliverySucceeded(env.db, destination.id, () => receiver.inbox(inboxPath).ids.size)
    : null;
  await deleteDestination(env.urls.roster, destination.id);

  const rps = (runs) =>
    runs.reduce((sum, run) => sum + run.requests, 0) / runs.reduce((sum, run) => sum + run.seconds, 0);
  const cpuMs = (runs) => {
    if (runs.some((run) => run.workerd_cpu_ms === null)) return null;
    const requests = runs.reduce((sum, run) => sum + run.requests, 0);
    return runs.reduce((sum, run) => sum + run.workerd_cpu_ms * run.requests, 0) / requests;
  };
  const noneCpu = cpuMs(none);
  const heldCpu = cpuMs(held);
  const pairRatios = held.map((run, i) => run.rps / none[i].rps);
  return {
    pairs,
    slice_seconds: sliceSeconds,
    none_rps: round(rps(none), 1),
    held_rps: round(rps(held), 1),
    ratio: round(rps(held) / rps(none), 3),
    pair_ratio_median: round(median(pairRatios), 3),
    pair_ratio_min: round(Math.min(...pairRatios), 3),
    pair_ratio_max: round(Math.max(...pairRatios), 3),
    none_cpu_ms: round(noneCpu, 3),
    held_cpu_ms: round(heldCpu, 3),
    cpu_increase: increase(heldCpu, noneCpu),
    unexpected: [...none, ...held].reduce((sum, run) => sum + run.unexpected, 0),
    created_enabled: answered,
    delivered_while_held: deliveredWhileHeld,
    delivered_after: receiver.inbox(inboxPath).ids.size,
    drained,
    deliveries: deliveries?.total ?? null,
    all_delivered: deliveries?.allDelivered ?? false,
    inbox_path: inboxPath,
    secret: destination.secret,
  };
}

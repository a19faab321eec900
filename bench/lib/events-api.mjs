// @ts-check
import { BENCH_API_KEY, round } from "./environment.mjs";
import { percentile } from "./load.mjs";

/** What the events section sends Roster: its public routes, and the bench's delivery gate. */

export const AUTH = { authorization: `Bearer ${BENCH_API_KEY}` };

/** How long a drain may take before the bench gives up on it: 30 s plus 20 ms per event (50/s). */
export const drainTimeoutMs = (events) => 30_000 + events * 20;

/**
 * @param {string} baseUrl @param {string} method @param {string} urlPath @param {unknown} [body]
 * @returns {Promise<{ status: number, json: any }>}
 */
export async function call(baseUrl, method, urlPath, body) {
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
export async function createDestination(rosterUrl, receiverUrl, inboxPath, eventTypes) {
  const { status, json } = await call(rosterUrl, "POST", "/v1/event_destinations", {
    url: `${receiverUrl}${inboxPath}`,
    description: `bench ${inboxPath}`,
    ...(eventTypes ? { event_types: eventTypes } : {}),
  });
  if (status !== 201) throw new Error(`creating a destination answered ${status}: ${JSON.stringify(json)}`);
  return { id: String(json.id), secret: String(json.secret), inboxPath };
}

export async function deleteDestination(rosterUrl, id) {
  const { status } = await call(rosterUrl, "DELETE", `/v1/event_destinations/${id}`);
  if (status !== 200 && status !== 204) throw new Error(`deleting destination ${id} answered ${status}`);
}

/**
 * Holds or releases the delivery queue's consumer (bench/deliveries-gate-worker.mjs, in front of
 * Roster's `queue()`): a held batch waits on the receiver's gate URL, answered on release.
 * Answers how many batches and messages waited at the gate while held.
 * @param {string} rosterUrl @param {{ gateUrl: string, holdGate: () => void, openGate: () => void }} receiver
 * @param {"hold" | "release"} action
 * @returns {Promise<{ held: boolean, held_batches: number, held_messages: number }>}
 */
export async function deliveryGate(rosterUrl, receiver, action) {
  if (action === "hold") receiver.holdGate();
  const query = action === "hold" ? `?wait=${encodeURIComponent(receiver.gateUrl)}` : "";
  const response = await fetch(`${rosterUrl}/__bench/deliveries/${action}${query}`, { method: "POST" });
  if (response.status !== 200) throw new Error(`delivery gate ${action} answered ${response.status}`);
  if (action === "release") receiver.openGate();
  return /** @type {any} */ (await response.json());
}

/** Commit-to-2xx latencies and arrival span of one inbox. */
export function deliveryStats(inbox) {
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

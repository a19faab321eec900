// @ts-check
import { createServer } from "node:http";
import { performance } from "node:perf_hooks";
import { Webhook } from "standardwebhooks";

/** Deliveries kept whole (headers and body) per path, to verify their signatures afterwards. */
const SAMPLES_PER_PATH = 20;

const GATE_PATH = "/__gate";

/** Wall-clock milliseconds with sub-millisecond resolution (comparable to an event's created_at). */
export const nowMs = () => performance.timeOrigin + performance.now();

/**
 * @typedef {{ headers: Record<string, string>, body: string, receivedAt: number }} Sample
 * @typedef {{
 *   deliveries: number,
 *   ids: Set<string>,
 *   arrivals: number[],
 *   latencies: number[],
 *   samples: Sample[],
 *   waiters: { count: number, resolve: () => void }[],
 * }} Inbox
 */

/**
 * The events' receiver: a Node HTTP server on 127.0.0.1 that answers every POST with 204 once
 * its body has arrived. Each path is one inbox (one destination URL per measurement): it counts
 * deliveries and distinct event ids (a delivery is at least once), keeps each arrival time and
 * each event's commit-to-arrival latency (arrival − the event's `created_at`), and keeps the
 * first deliveries whole, whose signatures are verified afterwards with `standardwebhooks`
 * (not in the hot loop: the receiver must not be the bottleneck it measures).
 */
export async function startReceiver() {
  /** @type {Map<string, Inbox>} */
  const inboxes = new Map();
  const inboxOf = (path) => {
    let inbox = inboxes.get(path);
    if (!inbox) {
      inbox = { deliveries: 0, ids: new Set(), arrivals: [], latencies: [], samples: [], waiters: [] };
      inboxes.set(path, inbox);
    }
    return inbox;
  };

  // The delivery gate's wait (see bench/deliveries-gate-worker.mjs): a GET of GATE_PATH is
  // answered at once while the gate is open, else when it opens.
  let gateHeld = false;
  /** @type {import("node:http").ServerResponse[]} */
  let gateWaiters = [];

  const server = createServer((request, response) => {
    if (request.url === GATE_PATH) {
      request.resume();
      if (gateHeld) gateWaiters.push(response);
      else response.writeHead(204).end();
      return;
    }
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      const arrived = nowMs();
      response.writeHead(204).end();
      const inbox = inboxOf(request.url ?? "/");
      const body = Buffer.concat(chunks).toString("utf8");
      inbox.deliveries++;
      inbox.arrivals.push(arrived);
      const id = String(request.headers["webhook-id"] ?? "");
      inbox.ids.add(id);
      try {
        const created = Date.parse(JSON.parse(body).created_at);
        if (Number.isFinite(created)) inbox.latencies.push(arrived - created);
      } catch {
        // not an event: the signature check of the samples reports it
      }
      if (inbox.samples.length < SAMPLES_PER_PATH) {
        const headers = Object.fromEntries(
          ["webhook-id", "webhook-timestamp", "webhook-signature"].map((name) => [
            name,
            String(request.headers[name] ?? ""),
          ]),
        );
        inbox.samples.push({ headers, body, receivedAt: Date.now() });
      }
      inbox.waiters = inbox.waiters.filter((waiter) => {
        if (inbox.ids.size < waiter.count) return true;
        waiter.resolve();
        return false;
      });
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());

  return {
    url: `http://127.0.0.1:${port}`,
    /** Where a held delivery batch waits until `openGate()`. */
    gateUrl: `http://127.0.0.1:${port}${GATE_PATH}`,
    holdGate() {
      gateHeld = true;
    },
    openGate() {
      gateHeld = false;
      for (const waiter of gateWaiters) waiter.writeHead(204).end();
      gateWaiters = [];
    },
    /** @param {string} path */
    inbox: (path) => inboxOf(path),
    /**
     * Resolves once `count` distinct events reached `path`, or after `timeoutMs`; true if they did.
     * @param {string} path @param {number} count @param {number} timeoutMs
     */
    waitFor(path, count, timeoutMs) {
      const inbox = inboxOf(path);
      if (inbox.ids.size >= count) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        inbox.waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(true);
          },
        });
      });
    },
    /**
     * The kept deliveries of `path` checked against the destination's secret.
     * @param {string} path @param {string} secret
     */
    verifySamples(path, secret) {
      const webhook = new Webhook(secret);
      const samples = inboxOf(path).samples;
      const failures = [];
      const realNow = Date.now;
      for (const sample of samples) {
        // As the receiver would have verified it on arrival: the library checks the timestamp
        // against its clock (±5 minutes), and the section runs longer than that.
        Date.now = () => sample.receivedAt;
        try {
          webhook.verify(sample.body, sample.headers);
        } catch (error) {
          failures.push(`${sample.headers["webhook-id"]}: ${error instanceof Error ? error.message : error}`);
        } finally {
          Date.now = realNow;
        }
      }
      return { checked: samples.length, verified: samples.length - failures.length, failures };
    },
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}

// @ts-check
/**
 * Roster's own bundle with a gate in front of its queue consumer, for the events section: while
 * the gate is held, a batch the local queue hands to the consumer waits before Roster's
 * `queue()` sees it (and Miniflare's queue hands out no other batch while one is in flight, so
 * the rest wait in the queue); once released, every waiting batch goes through Roster's
 * consumer unchanged. Requests go to Roster's `fetch()` unchanged, except the bench's control
 * path: `POST /__bench/deliveries/hold`, `POST /__bench/deliveries/release`, each answering
 * how many batches and messages the gate held. Open unless held, so every other measurement
 * sees the consumer exactly as wrangler.toml configures it.
 */
// @ts-expect-error -- Roster's bundle, written beside this file when the bench runs.
import roster from "./index.js";

const CONTROL = "/__bench/deliveries/";
/** How often a held batch looks whether the gate opened. */
const POLL_MS = 10;

// Plain module state, polled: a promise resolved by the control request would belong to that
// request's I/O context, and workerd does not wake a queue invocation waiting on it (it hangs).
let held = false;
let heldBatches = 0;
let heldMessages = 0;

export default {
  /** @param {Request} request @param {Env} env @param {ExecutionContext} ctx */
  fetch(request, env, ctx) {
    if (request.method === "POST" && request.url.includes(CONTROL)) {
      const action = new URL(request.url).pathname.slice(CONTROL.length);
      if (action === "hold" && !held) {
        held = true;
        heldBatches = 0;
        heldMessages = 0;
      } else if (action === "release") held = false;
      else if (action !== "hold") return new Response("unknown gate action", { status: 404 });
      return Response.json({ held, held_batches: heldBatches, held_messages: heldMessages });
    }
    return roster.fetch(request, env, ctx);
  },
  /** @param {MessageBatch<unknown>} batch @param {Env} env @param {ExecutionContext} ctx */
  async queue(batch, env, ctx) {
    if (held) {
      heldBatches++;
      heldMessages += batch.messages.length;
      while (held) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return roster.queue(batch, env, ctx);
  },
  /** @param {ScheduledController} controller @param {Env} env @param {ExecutionContext} ctx */
  scheduled(controller, env, ctx) {
    return roster.scheduled(controller, env, ctx);
  },
};

// @ts-check
/**
 * Roster's own bundle with a gate in front of its queue consumer, for the events section: while
 * the gate is held, a batch the local queue hands to the consumer waits before Roster's
 * `queue()` sees it (and Miniflare's queue hands out no other batch while one is in flight, so
 * the rest wait in the queue); once released, every waiting batch goes through Roster's
 * consumer unchanged. Requests go to Roster's `fetch()` unchanged, except the bench's control
 * path: `POST /__bench/deliveries/hold?wait=<url>` and `POST /__bench/deliveries/release`,
 * each answering how many batches and messages the gate held. Open unless held, so every other
 * measurement sees the consumer exactly as wrangler.toml configures it.
 *
 * A held batch waits on a GET of the bench's `wait` URL, which the bench answers on release:
 * no CPU while waiting (polling a timer cost the measured window), and no promise shared
 * between requests (workerd does not wake one request's wait resolved from another's context).
 */
// @ts-expect-error -- Roster's bundle, written beside this file when the bench runs.
import roster from "./index.js";

const CONTROL = "/__bench/deliveries/";

/** @type {string | null} where a held batch waits, while the gate is held */
let waitUrl = null;
let heldBatches = 0;
let heldMessages = 0;

export default {
  /** @param {Request} request @param {Env} env @param {ExecutionContext} ctx */
  fetch(request, env, ctx) {
    if (request.method === "POST" && request.url.includes(CONTROL)) {
      const url = new URL(request.url);
      const action = url.pathname.slice(CONTROL.length);
      if (action === "hold") {
        const wait = url.searchParams.get("wait");
        if (!wait) return new Response("hold needs ?wait=<url>", { status: 400 });
        waitUrl = wait;
        heldBatches = 0;
        heldMessages = 0;
      } else if (action === "release") waitUrl = null;
      else return new Response("unknown gate action", { status: 404 });
      return Response.json({ held: waitUrl !== null, held_batches: heldBatches, held_messages: heldMessages });
    }
    return roster.fetch(request, env, ctx);
  },
  /** @param {MessageBatch<unknown>} batch @param {Env} env @param {ExecutionContext} ctx */
  async queue(batch, env, ctx) {
    if (waitUrl !== null) {
      heldBatches++;
      heldMessages += batch.messages.length;
      const opened = await fetch(waitUrl);
      await opened.arrayBuffer();
    }
    return roster.queue(batch, env, ctx);
  },
  /** @param {ScheduledController} controller @param {Env} env @param {ExecutionContext} ctx */
  scheduled(controller, env, ctx) {
    return roster.scheduled(controller, env, ctx);
  },
};

import { fetchLazily } from "./lazy-app";

export type { AppType } from "./app";

// Each handler loads its modules on its first call (src/lazy-app.ts says why): a cold start
// for a request pays for neither the queue consumer nor the Cron cleanups, and the reverse.
export default {
  fetch: fetchLazily,
  scheduled: async (controller, env) => (await import("./scheduled")).scheduled(controller, env),
  // Event deliveries (wrangler.toml [[queues.consumers]]): the queue and its dead-letter queue.
  queue: async (batch, env) => {
    const deliveries = await import("./event-deliveries");
    return deliveries.isDeadLetterQueue(batch.queue)
      ? deliveries.consumeDeadLetters(batch, env)
      : deliveries.consumeDeliveries(batch, env);
  },
} satisfies ExportedHandler<Env>;

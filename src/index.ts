import { consumeDeadLetters, consumeDeliveries, isDeadLetterQueue } from "./event-deliveries";
import { fetchLazily } from "./lazy-app";
import { scheduled } from "./scheduled";

export type { AppType } from "./app";

export default {
  fetch: fetchLazily,
  scheduled,
  // Event deliveries (wrangler.toml [[queues.consumers]]): the queue and its dead-letter queue.
  queue: (batch, env) =>
    isDeadLetterQueue(batch.queue) ? consumeDeadLetters(batch, env) : consumeDeliveries(batch, env),
} satisfies ExportedHandler<Env>;

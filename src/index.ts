import { app } from "./app";
import { scheduled } from "./scheduled";

export type { AppType } from "./app";

export default {
  fetch: app.fetch,
  scheduled,
} satisfies ExportedHandler<Env>;

/**
 * The start-up reference issues 18 and 20 name: a one-route `@hono/zod-openapi` Worker (a zod
 * schema, a `createRoute`, its handler), built and profiled exactly as Roster is (`wrangler check
 * startup`). Roster loads its resources lazily, so its start-up is compared with this one.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";

const Greeting = z.object({ message: z.string() }).openapi("Greeting");

const app = new OpenAPIHono();
app.openapi(
  createRoute({
    method: "get",
    path: "/",
    responses: { 200: { content: { "application/json": { schema: Greeting } }, description: "A greeting" } },
  }),
  (c) => c.json({ message: "ok" }, 200),
);

export default app;

/**
 * The start-up reference: a one-route Hono Worker, built and profiled exactly as Roster is
 * (`wrangler check startup`), so the bench can report Roster's module start-up as a ratio of it.
 */
import { Hono } from "hono";

const app = new Hono();
app.get("/", (c) => c.text("ok"));

export default app;

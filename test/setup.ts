import { applyD1Migrations, reset } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach } from "vitest";

// The Worker loads each handler's and each path prefix's modules on first use (src/index.ts,
// src/lazy-app.ts). Here Vite transforms every module as it loads, ~1.5 s for them all, which
// would land inside whichever test runs first: load them before any test instead.
await Promise.all([import("../src/app"), import("../src/scheduled"), import("../src/event-deliveries")]);

// Every test starts from empty storage with the schema applied: no test sees another's data.
beforeEach(async () => {
  await reset();
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
});

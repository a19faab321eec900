import { execFileSync } from "node:child_process";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// The static assets (public/, the API reference renderer) are generated: build them as
// `wrangler dev` and `wrangler deploy` do ([build] in wrangler.toml), so tests serve them too.
execFileSync(process.execPath, ["scripts/build-assets.mjs"], { stdio: "inherit" });

const migrations = await readD1Migrations("./migrations");

/** The Worker as wrangler.toml configures it, plus test bindings; `miniflare` overrides per project. */
function worker(miniflare: Record<string, unknown> = {}) {
  return cloudflareTest({
    wrangler: { configPath: "./wrangler.toml" },
    miniflare: {
      bindings: {
        TEST_MIGRATIONS: migrations,
        ADMIN_TOKEN: "test-admin-token",
        ALTERNATIVE_ID_HASH_KEY: "test-alternative-id-hash-key",
        // 32 bytes in base64 (the console's session cookies).
        CONSOLE_SESSION_KEY: "cm9zdGVyLWNvbnNvbGUtdGVzdC1zZXNzaW9uLWtleSE=",
        // 32 bytes, base64: the money routes' key for gateway secrets at rest (a test value).
        GATEWAY_ENCRYPTION_KEY: "vsv4Dqc979nau09PBIagbaHOC7i0rQ4JqzTKbrPLWGA=",
        LOG_REQUESTS: "false",
        // Event destinations on the loopback receivers the tests mock.
        ALLOW_HTTP_DESTINATIONS: "true",
      },
      // wrangler.toml's event-delivery consumers, with a short batch timeout so a test sees a
      // queued message consumed quickly.
      queueConsumers: {
        "roster-event-deliveries": {
          maxBatchSize: 10,
          maxBatchTimeout: 0.05,
          maxRetries: 20,
          retryDelay: 60,
          deadLetterQueue: "roster-event-deliveries-dlq",
        },
        "roster-event-deliveries-dlq": { maxBatchSize: 10, maxBatchTimeout: 0.05, maxRetries: 5, retryDelay: 60 },
      },
      // Nothing in the tests may reach the network: an unmocked outbound fetch fails loudly.
      outboundService: (request: Request) => {
        throw new Error(`Unexpected outbound request in a test: ${request.method} ${request.url}`);
      },
      ...miniflare,
    },
  });
}

/** The [[ratelimits]] bindings as wrangler.toml has them, or lower to hit them in a test. */
const ratelimits = ({ perKey = 1000, perOrganization = 3000, failures = 100 } = {}) => ({
  RATE_LIMITER: { namespace_id: "1001", simple: { limit: perKey, period: 10 } },
  ORG_RATE_LIMITER: { namespace_id: "1003", simple: { limit: perOrganization, period: 10 } },
  FAILURE_LIMITER: { namespace_id: "1002", simple: { limit: failures, period: 60 } },
});

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [worker()],
        test: {
          name: "worker",
          setupFiles: ["./test/setup.ts"],
          include: ["test/**/*.test.ts"],
          exclude: ["test/rate-limit.test.ts", "test/failure-limit.test.ts"],
        },
      },
      {
        // The same Worker with rate limits low enough to hit in a test.
        plugins: [worker({ ratelimits: ratelimits({ perKey: 3, perOrganization: 5 }) })],
        test: { name: "rate-limit", setupFiles: ["./test/setup.ts"], include: ["test/rate-limit.test.ts"] },
      },
      {
        // The same Worker with a per-IP failure limit low enough to hit in a test.
        plugins: [worker({ ratelimits: ratelimits({ failures: 3 }) })],
        test: { name: "failure-limit", setupFiles: ["./test/setup.ts"], include: ["test/failure-limit.test.ts"] },
      },
    ],
  },
});

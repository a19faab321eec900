import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

const migrations = await readD1Migrations("./migrations");

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: { TEST_MIGRATIONS: migrations, ADMIN_TOKEN: "test-admin-token", LOG_REQUESTS: "false" },
        // Nothing in the tests may reach the network: an unmocked outbound fetch fails loudly.
        outboundService: (request: Request) => {
          throw new Error(`Unexpected outbound request in a test: ${request.method} ${request.url}`);
        },
      },
    }),
  ],
  test: {
    setupFiles: ["./test/setup.ts"],
    include: ["test/**/*.test.ts"],
  },
});

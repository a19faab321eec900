import { describe, expect, it } from "vitest";
import wranglerToml from "../wrangler.toml?raw";

// What a plain `wrangler deploy` (top level) and `wrangler deploy --env production` run with,
// read from wrangler.toml itself: the tests run with their own bindings (vitest.config.ts sets
// ALLOW_HTTP_DESTINATIONS to "true" for the loopback receivers), so only the file can say.

/** The `name = "value"` lines of one [section] of wrangler.toml (up to the next section). */
function varsOf(section: string): Map<string, string> {
  const lines = wranglerToml.split("\n");
  const start = lines.findIndex((line) => line.trim() === `[${section}]`);
  if (start < 0) throw new Error(`wrangler.toml has no [${section}]`);
  const vars = new Map<string, string>();
  for (const line of lines.slice(start + 1)) {
    if (line.trim().startsWith("[")) break;
    const match = /^\s*([A-Z_]+)\s*=\s*"([^"]*)"/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) vars.set(match[1], match[2]);
  }
  return vars;
}

describe("the deployed configuration (spec section 7)", () => {
  it.each(["vars", "env.production.vars"])("[%s] never allows loopback destinations", (section) => {
    expect(varsOf(section).get("ALLOW_HTTP_DESTINATIONS")).toBe("false");
  });

  it.each(["vars", "env.production.vars"])("[%s] deploys the import budget", (section) => {
    expect(varsOf(section).get("IMPORT_ITEMS_PER_MINUTE")).toBe("6000");
  });
});

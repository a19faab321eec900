import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { altPath, type CustomerObject, call, countingD1, createCustomer, newOrganization } from "./helpers";
import type { ImportResult } from "./response-types";
import { d1WithSessions } from "./storage-doubles";

// Import applies items in order: a value one item frees can be taken by a later item, in the
// same bounded number of D1 round trips.

const importCall = (key: string, customers: unknown[], options: { env?: Env } = {}) =>
  call<ImportResult>("POST", "/v1/customers/import", { key, body: { customers }, ...options });

describe("import order", () => {
  it("a later item creates a customer with the email an earlier item moved away", async () => {
    const { key } = await newOrganization();
    const a = await createCustomer(key, { alternative_id: "a", email: "x@example.com" });
    const response = await importCall(key, [
      { alternative_id: "a", email: "a-new@example.com" },
      { alternative_id: "b", email: "x@example.com" },
    ]);
    expect(response.body).toMatchObject({ created: 1, updated: 1, failed: 0 });
    expect((await call<CustomerObject>("GET", `/v1/customers/${a.id}`, { key })).body.email).toBe("a-new@example.com");
    expect((await call<CustomerObject>("GET", altPath("b"), { key })).body.email).toBe("x@example.com");
  });

  it("a later item takes the alternative ID an earlier item released, and values move along a chain", async () => {
    const { key } = await newOrganization();
    await createCustomer(key, { id: "one", alternative_id: "alt-1", username: "u1" });
    await createCustomer(key, { id: "two", alternative_id: "alt-2", username: "u2" });
    const d1 = countingD1(env.DB);
    const response = await importCall(
      key,
      [
        { id: "two", alternative_id: "alt-3", username: "u3" },
        { id: "one", alternative_id: "alt-2", username: "u2" },
        { id: "new", alternative_id: "alt-1", username: "u1" },
      ],
      { env: { ...env, DB: d1.db } },
    );
    expect(response.body).toMatchObject({ created: 1, updated: 2, failed: 0 });
    // the import budget's claim, one batch of reads, one batch of writes (the key is known already)
    expect(d1.roundTrips()).toBeLessThanOrEqual(3);
    expect((await call("GET", altPath("alt-1"), { key })).body).toMatchObject({ id: "new", username: "u1" });
    expect((await call("GET", altPath("alt-2"), { key })).body).toMatchObject({ id: "one", username: "u2" });
    expect((await call("GET", altPath("alt-3"), { key })).body).toMatchObject({ id: "two", username: "u3" });
  });

  it("an update whose customer changed meanwhile keeps its old unique values (nothing half-written)", async () => {
    const { key } = await newOrganization();
    await createCustomer(key, { id: "moving", email: "m@example.com", alternative_id: "m" });
    // Bump the version behind the import's back after its lookups: the write must skip it whole.
    let bumped = false;
    const racing = d1WithSessions(env.DB, (target, name) =>
      name === "batch"
        ? async (statements: D1PreparedStatement[]) => {
            if (!bumped && statements.length > 0) {
              const results = await target.batch(statements);
              bumped = true;
              await env.DB.prepare("UPDATE customers SET version = version + 1 WHERE id = 'moving'").run();
              return results;
            }
            return target.batch(statements);
          }
        : undefined,
    );
    const response = await importCall(key, [{ id: "moving", email: "n@example.com", alternative_id: "n" }], {
      env: { ...env, DB: racing },
    });
    expect(response.body.results[0]).toMatchObject({ status: "failed", error: { code: "storage_unavailable" } });
    const row = await env.DB.prepare("SELECT email, alternative_id FROM customers WHERE id = 'moving'").first();
    expect(row).toEqual({ email: "m@example.com", alternative_id: "m" });
  });
});

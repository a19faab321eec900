import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { changesOf, firstRowOf, resultOf, rowsOf, runBatch } from "../src/lib/batch";

// Batch results are found by the statement that produced them, not by counting places
// (src/lib/batch.ts): statements added before or after cannot shift what is read.
describe("results by statement", () => {
  it("finds each statement's rows and changes wherever it stands in the batch", async () => {
    await env.DB.prepare("CREATE TABLE IF NOT EXISTS batch_probe (id TEXT PRIMARY KEY, n INTEGER)").run();
    const insert = env.DB.prepare("INSERT INTO batch_probe (id, n) VALUES ('a', 1), ('b', 2) RETURNING id");
    const update = env.DB.prepare("UPDATE batch_probe SET n = n + 10 WHERE id = 'b'");
    const read = env.DB.prepare("SELECT id, n FROM batch_probe ORDER BY id");
    const padding = () => env.DB.prepare("SELECT 1 AS one");
    const batch = await runBatch(env.DB, [padding(), insert, padding(), update, read, padding()]);

    expect(rowsOf<{ id: string }>(batch, insert).map((row) => row.id)).toEqual(["a", "b"]);
    expect(changesOf(batch, update)).toBe(1);
    expect(firstRowOf(batch, read)).toEqual({ id: "a", n: 1 });
    expect(rowsOf(batch, read)).toEqual([
      { id: "a", n: 1 },
      { id: "b", n: 12 },
    ]);
  });

  it("a statement the batch did not run has no result", async () => {
    const batch = await runBatch(env.DB, [env.DB.prepare("SELECT 1 AS one")]);
    const other = env.DB.prepare("SELECT 1 AS one");
    expect(resultOf(batch, other)).toBeUndefined();
    expect(firstRowOf(batch, other)).toBeNull();
    expect(changesOf(batch, undefined)).toBe(0);
    expect(rowsOf(batch, other)).toEqual([]);
  });
});

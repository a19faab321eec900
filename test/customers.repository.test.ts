import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { type CustomerProfile, EMPTY_PROFILE } from "../src/customer-records/customer-columns";
import * as repo from "../src/customers/customers.repository";

const NOW = "2026-11-22T15:04:05.123Z";
const ORG = "org_test";
const OTHER_ORG = "org_other";

const profile = (fields: Partial<CustomerProfile> = {}): CustomerProfile => ({ ...EMPTY_PROFILE, ...fields });

beforeEach(async () => {
  await env.DB.batch([
    env.DB.prepare("INSERT INTO organizations (id, name, created_at) VALUES (?1, 'Test', ?2)").bind(ORG, NOW),
    env.DB.prepare("INSERT INTO organizations (id, name, created_at) VALUES (?1, 'Other', ?2)").bind(OTHER_ORG, NOW),
  ]);
});

// Each write as the services make it: its statement, run by insertCustomer / writeCustomer.
const insert = async (orgId: string, id: string, fields: CustomerProfile, now = NOW) =>
  (await repo.insertCustomer(env.DB, repo.insertStatement(env.DB, orgId, id, fields, now), {})).row;
const updateProfile = async (orgId: string, seq: number, version: number, fields: CustomerProfile) =>
  (await repo.writeCustomer(env.DB, repo.updateProfileStatement(env.DB, orgId, seq, version, fields, NOW), {})).row;
const archive = async (seq: number, version: number) =>
  (await repo.writeCustomer(env.DB, repo.archiveStatement(env.DB, ORG, seq, version, NOW, null), {})).row;

async function violation(write: Promise<unknown>): Promise<string> {
  try {
    await write;
  } catch (error) {
    if (error instanceof repo.UniqueViolation) return error.field;
    throw error;
  }
  throw new Error("expected a unique violation");
}

describe("customers repository", () => {
  it("stores and reads back a profile, metadata as JSON and booleans as 0/1", async () => {
    const row = await insert(
      ORG,
      "c1",
      profile({ email: "A@x.io", mail_marketing: true, metadata: { k: "v", n: 2 } }),
      NOW,
    );
    expect(row).toMatchObject({ org_id: ORG, id: "c1", email: "A@x.io", mail_marketing: 1, version: 1 });
    expect(JSON.parse(row.metadata)).toEqual({ k: "v", n: 2 });
    expect(await repo.findById(env.DB, ORG, "c1")).toEqual(row);
    expect(await repo.findById(env.DB, OTHER_ORG, "c1")).toBeNull();
  });

  it.each([
    ["id", { id: "same" }, { id: "same" }],
    ["alternative_id", { alternative_id: "alt" }, { alternative_id: "alt" }],
    ["email", { email: "Jenny@Example.com" }, { email: "jenny@example.COM" }],
    ["username", { username: "Jenny" }, { username: "jenny" }],
  ])("names the unique field %s that a write violates", async (field, first, second) => {
    const { id: firstId = "first", ...firstProfile } = first as Partial<CustomerProfile> & { id?: string };
    const { id: secondId = "second", ...secondProfile } = second as Partial<CustomerProfile> & { id?: string };
    await insert(ORG, firstId, profile(firstProfile), NOW);
    expect(await violation(insert(ORG, secondId, profile(secondProfile), NOW))).toBe(field);
    // Uniqueness is per organization.
    await expect(insert(OTHER_ORG, secondId, profile(secondProfile), NOW)).resolves.toBeTruthy();
  });

  it("frees unique values once a customer is archived, but never its id", async () => {
    const row = await insert(ORG, "c1", profile({ alternative_id: "a", email: "e@x.io" }), NOW);
    const archived = await archive(row.seq, row.version);
    expect(archived).toMatchObject({ archived_at: NOW, alternative_id: null, email: null, version: 2 });
    await insert(ORG, "c2", profile({ alternative_id: "a", email: "e@x.io" }), NOW);
    expect(await violation(insert(ORG, "c1", profile(), NOW))).toBe("id");
  });

  it("updates only at the expected version (optimistic concurrency)", async () => {
    const row = await insert(ORG, "c1", profile({ name: "v1" }), NOW);
    const updated = await updateProfile(ORG, row.seq, row.version, profile({ name: "v2" }));
    expect(updated).toMatchObject({ name: "v2", version: 2 });
    const stale = await updateProfile(ORG, row.seq, row.version, profile({ name: "v3" }));
    expect(stale).toBeNull();
    expect((await repo.findById(env.DB, ORG, "c1"))?.name).toBe("v2");
    // Another organization's seq never matches.
    expect(await updateProfile(OTHER_ORG, row.seq, 2, profile({ name: "x" }))).toBeNull();
  });

  it("unarchives only archived customers, at the version read", async () => {
    const unarchive = async (version: number) =>
      (await repo.writeCustomer(env.DB, repo.markUnarchivedStatement(env.DB, ORG, row.seq, version, NOW), {})).row;
    const row = await insert(ORG, "c1", profile(), NOW);
    expect(await unarchive(1)).toBeNull();
    await archive(row.seq, row.version);
    expect(await unarchive(1)).toBeNull();
    expect(await unarchive(2)).toMatchObject({ archived_at: null, version: 3 });
  });

  it("lists live customers newest first in keyset pages with filters", async () => {
    const rows = [];
    for (let i = 0; i < 5; i++) {
      rows.push(await insert(ORG, `c${i}`, profile({ email: `u${i}@x.io` }), `2026-01-0${i + 1}T00:00:00.000Z`));
    }
    await archive(rows[2]!.seq, 1);
    const ids = async (...args: Parameters<typeof repo.listLive> extends [unknown, unknown, ...infer R] ? R : never) =>
      (await repo.listLive(env.DB, ORG, ...args)).map((row) => row.id);
    expect(await ids({}, null, 10)).toEqual(["c4", "c3", "c1", "c0"]);
    expect(await ids({}, rows[3]!.seq, 10)).toEqual(["c1", "c0"]);
    expect(await ids({ email: "U1@X.IO" }, null, 10)).toEqual(["c1"]);
    expect(
      await ids({ createdGte: "2026-01-02T00:00:00.000Z", createdLt: "2026-01-05T00:00:00.000Z" }, null, 10),
    ).toEqual(["c3", "c1"]);
    expect(await repo.listLive(env.DB, OTHER_ORG, {}, null, 10)).toEqual([]);
  });

  it("finds live customers by alternative ID only", async () => {
    const row = await insert(ORG, "c1", profile({ alternative_id: "alt" }), NOW);
    expect((await repo.findLiveByAlternativeId(env.DB, ORG, "alt"))?.id).toBe("c1");
    expect(await repo.findLiveByAlternativeId(env.DB, OTHER_ORG, "alt")).toBeNull();
    await archive(row.seq, row.version);
    expect(await repo.findLiveByAlternativeId(env.DB, ORG, "alt")).toBeNull();
  });

  it.each([
    ["by id", "SELECT * FROM customers WHERE org_id = ?1 AND id = ?2", ["o", "i"]],
    [
      "by alternative ID",
      "SELECT * FROM customers WHERE org_id = ?1 AND alternative_id = ?2 AND archived_at IS NULL",
      ["o", "a"],
    ],
    [
      "a list page",
      "SELECT * FROM customers WHERE org_id = ? AND archived_at IS NULL AND seq < ? ORDER BY seq DESC LIMIT ?",
      ["o", 100, 21],
    ],
    [
      "a list filtered by email",
      "SELECT * FROM customers WHERE org_id = ? AND archived_at IS NULL AND email IS NOT NULL AND lower(email) = lower(?) ORDER BY seq DESC LIMIT ?",
      ["o", "e@x.io", 21],
    ],
  ])("uses an index, never a scan, for %s", async (_name, sql, params) => {
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .bind(...params)
      .all<{ detail: string }>();
    const plan = results.map((row) => row.detail).join(" | ");
    expect(plan).toMatch(/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/);
    expect(plan).not.toMatch(/^SCAN customers$|SCAN customers(?! USING)/);
    expect(plan).not.toContain("TEMP B-TREE");
  });
});

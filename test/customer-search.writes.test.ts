import { describe, expect, it } from "vitest";
import { customerWith, found, search, searchRowsOf } from "./customer-search-helpers";
import { archive, type CustomerObject, call, customerPath, newOrganization } from "./helpers";
import { deliver, provisionEvent, setup } from "./webhooks-helpers";

/**
 * The search index follows every customer change in its own batch (spec section 12): found by
 * the new values and no longer by the old ones with the write's Roster-Bookmark, never after
 * archive, and nothing of an archived customer left in any search table.
 */

const BOOKMARK = "Roster-Bookmark";

/** Searches `q` with the bookmark of `write`, as a caller reading its own write would. */
async function foundAfter(key: string, write: { headers: Headers }, q: string): Promise<string[]> {
  const bookmark = write.headers.get(BOOKMARK);
  expect(bookmark).toBeTruthy();
  const response = await search(key, { q, limit: 100 }, { [BOOKMARK]: bookmark ?? "" });
  expect(response.status, response.text).toBe(200);
  return response.body.data.map((customer) => customer.id);
}

describe("customer search: every write path indexes in its batch", () => {
  it("create, PATCH, PUT and a metadata-key DELETE: found by the new values, not the old", async () => {
    const { key } = await newOrganization();
    const created = await call<CustomerObject>("POST", "/v1/customers", {
      key,
      body: { name: "Alice Anders", metadata: { tier: "gold" } },
    });
    const id = created.body.id;
    expect(await foundAfter(key, created, "alice")).toEqual([id]);

    const patched = await call("PATCH", customerPath(id), { key, body: { name: "Beatrice Brown" } });
    expect(patched.status).toBe(200);
    expect(await foundAfter(key, patched, "beatrice")).toEqual([id]);
    expect(await foundAfter(key, patched, "alice")).toEqual([]);

    const put = await call("PUT", customerPath(id), {
      key,
      body: { company: "Carbon Co", metadata: { tier: "gold" } },
    });
    expect(put.status).toBe(200);
    expect(await foundAfter(key, put, "carbon")).toEqual([id]);
    expect(await foundAfter(key, put, "beatrice")).toEqual([]);

    const withTier = await search(key, { "metadata[tier]": "gold" });
    expect(withTier.body.data.map((customer) => customer.id)).toEqual([id]);
    const removed = await call("DELETE", `${customerPath(id)}/metadata/tier`, { key });
    expect(removed.status).toBe(200);
    const afterRemoval = await search(
      key,
      { "metadata[tier]": "gold" },
      { [BOOKMARK]: removed.headers.get(BOOKMARK) ?? "" },
    );
    expect(afterRemoval.body.data).toEqual([]);
  });

  it("provision (create, then update) and import (create and update)", async () => {
    const { key } = await newOrganization();
    const provisioned = await call<{ customer: CustomerObject }>("POST", "/v1/customers/provision", {
      key,
      body: { alternative_id: "p-1", name: "Dora Diaz" },
    });
    expect(provisioned.status).toBe(201);
    const id = provisioned.body.customer.id;
    expect(await foundAfter(key, provisioned, "dora")).toEqual([id]);
    const reprovisioned = await call("POST", "/v1/customers/provision", {
      key,
      body: { alternative_id: "p-1", name: "Edna Ellis" },
    });
    expect(reprovisioned.status).toBe(200);
    expect(await foundAfter(key, reprovisioned, "edna")).toEqual([id]);
    expect(await foundAfter(key, reprovisioned, "dora")).toEqual([]);

    const imported = await call<{ results: { id: string }[] }>("POST", "/v1/customers/import", {
      key,
      body: {
        customers: [
          { alternative_id: "p-1", name: "Fiona Fox" },
          { alternative_id: "i-2", name: "Gina Gold", phone: "+44 20 7946 0958", metadata: { seats: 3 } },
        ],
      },
    });
    expect(imported.status).toBe(200);
    const gina = imported.body.results[1]?.id ?? "";
    expect(await foundAfter(key, imported, "fiona")).toEqual([id]);
    expect(await foundAfter(key, imported, "edna")).toEqual([]);
    expect(await foundAfter(key, imported, "gina gold")).toEqual([gina]);
    expect(await foundAfter(key, imported, "7946-0958")).toEqual([gina]);
    expect((await search(key, { "metadata[seats]": "3" })).body.data.map((c) => c.id)).toEqual([gina]);
  });

  it("an import whose words outgrow one statement's parameter indexes every customer", async () => {
    const { key } = await newOrganization();
    // 120 one-letter words per name: each customer's entries are ~1.4 KB of JSON, 400 of them
    // more than one chunk (CHUNK_CHARACTERS).
    const name = Array.from({ length: 120 }, (_, index) => String.fromCharCode(97 + (index % 26))).join(" ");
    const customers = Array.from({ length: 400 }, (_, index) => ({ alternative_id: `bulk-${index}`, name }));
    const imported = await call<{ created: number }>("POST", "/v1/customers/import", { key, body: { customers } });
    expect(imported.status, imported.text).toBe(200);
    expect(imported.body.created).toBe(400);
    for (const index of [0, 200, 399]) {
      const [id] = await found(key, `bulk-${index}`);
      expect((await searchRowsOf(id ?? "")).length).toBe(120 + 2);
    }
    const page = await search(key, { q: "x.y.z", limit: 100 });
    expect(page.body.data.length).toBe(100);
    expect(page.body.has_more).toBe(true);
  });

  it("webhook intake: a provision event indexes, an archive event erases", async () => {
    const { key, endpoint } = await setup();
    const delivered = await deliver(endpoint, provisionEvent({ alternative_id: "hook-1", name: "Hilda Hook" }));
    expect(delivered.status, delivered.text).toBe(200);
    const [id] = await found(key, "hilda");
    expect(id).toEqual(expect.any(String));
    await deliver(endpoint, { type: "customer.archive", data: { alternative_id: "hook-1" } });
    expect(await found(key, "hilda")).toEqual([]);
    expect(await searchRowsOf(id ?? "")).toEqual([]);
  });

  it("archive erases every row of the customer; unarchive brings back its metadata only", async () => {
    const { key } = await newOrganization();
    const id = await customerWith(key, {
      name: "Ingrid Iverson",
      email: "ingrid@example.com",
      username: "ingrid_i",
      phone: "+1 111-867-5309",
      company: "Ice Corp",
      alternative_id: "ingrid-alt",
      metadata: { plan: "pro", seats: 2, beta: true },
    });
    expect((await searchRowsOf(id)).length).toBeGreaterThan(8);
    await archive(key, id);
    // Down to the storage rows: nothing of it in any search table.
    expect(await searchRowsOf(id)).toEqual([]);
    for (const q of ["ingrid", "5309", "ice", "ingrid-alt"]) expect(await found(key, q)).toEqual([]);
    expect((await search(key, { "metadata[plan]": "pro" })).body.data).toEqual([]);

    const unarchived = await call("POST", `${customerPath(id)}/unarchive`, { key, body: {} });
    expect(unarchived.status).toBe(200);
    expect(await foundAfter(key, unarchived, "ingrid")).toEqual([]);
    const byMetadata = await search(
      key,
      { "metadata[plan]": "pro" },
      { [BOOKMARK]: unarchived.headers.get(BOOKMARK) ?? "" },
    );
    expect(byMetadata.body.data.map((customer) => customer.id)).toEqual([id]);
    expect((await searchRowsOf(id)).length).toBe(3);
  });
});

describe("customer search: tenancy", () => {
  it("never finds another organization's customers, by words, phone or metadata", async () => {
    const acme = await newOrganization("Acme");
    const globex = await newOrganization("Globex");
    const mine = await customerWith(acme.key, { name: "Jenny Doe", phone: "+1 555 0100", metadata: { k: "v" } });
    const theirs = await customerWith(globex.key, { name: "Jenny Doe", phone: "+1 555 0100", metadata: { k: "v" } });
    expect(await found(acme.key, "jenny")).toEqual([mine]);
    expect(await found(globex.key, "jenny")).toEqual([theirs]);
    expect(await found(acme.key, "5550100")).toEqual([mine]);
    expect((await search(globex.key, { "metadata[k]": "v" })).body.data.map((c) => c.id)).toEqual([theirs]);
    const list = await call<{ data: { id: string }[] }>("GET", "/v1/customers?metadata[k]=v", { key: acme.key });
    expect(list.body.data.map((c) => c.id)).toEqual([mine]);
    await archive(globex.key, theirs);
    expect(await found(acme.key, "jenny")).toEqual([mine]);
  });
});

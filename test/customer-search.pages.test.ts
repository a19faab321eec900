import { describe, expect, it } from "vitest";
import { customerWith, found, search, walkSearch } from "./customer-search-helpers";
import { archive, type CustomerList, call, ids, newOrganization } from "./helpers";

/** Search results as a list (spec section 12): newest first, keyset pages stable under writes, filters. */

describe("customer search: pages", () => {
  it("is newest first by insertion and pages with a cursor", async () => {
    const { key } = await newOrganization();
    const created: string[] = [];
    for (let index = 0; index < 7; index++) created.push(await customerWith(key, { name: `Pat ${index}` }));
    await customerWith(key, { name: "Someone Else" });
    const pages = await walkSearch(key, { q: "pat", limit: 3 });
    expect(pages.map((page) => page.body.data.length)).toEqual([3, 3, 1]);
    expect(pages.map((page) => page.body.has_more)).toEqual([true, true, false]);
    expect(pages.flatMap(ids)).toEqual([...created].reverse());
  });

  it("never serves a customer twice nor skips one that matched throughout, while others change", async () => {
    const { key } = await newOrganization();
    const stay: string[] = [];
    const leave: string[] = [];
    for (let index = 0; index < 6; index++) {
      stay.push(await customerWith(key, { name: `Quinn Stay ${index}` }));
      leave.push(await customerWith(key, { name: `Quinn Leave ${index}` }));
    }
    const served: string[] = [];
    let cursor: string | null = null;
    let round = 0;
    do {
      const page = await search(key, { q: "quinn", limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.status, page.text).toBe(200);
      served.push(...ids(page));
      cursor = page.body.next_cursor;
      // Between pages: a new match, and an archive of one not yet served.
      await customerWith(key, { name: `Quinn New ${round}` });
      const gone = leave[round];
      if (gone) await archive(key, gone);
      round++;
    } while (cursor !== null);
    expect(new Set(served).size).toBe(served.length);
    for (const id of stay) expect(served).toContain(id);
  });

  it("filters by created_gte and created_lt, and expands", async () => {
    const { key } = await newOrganization();
    const first = await customerWith(key, { name: "Rita One" });
    const middle = await call<{ created_at: string; id: string }>("POST", "/v1/customers", {
      key,
      body: { name: "Rita Two" },
    });
    const last = await customerWith(key, { name: "Rita Three" });
    const at = middle.body.created_at;
    const since = await found(key, "rita", { created_gte: at });
    const before = await found(key, "rita", { created_lt: at });
    expect(since).toEqual(expect.arrayContaining([last, middle.body.id]));
    expect(before).not.toContain(middle.body.id);
    // The two ranges split the matches.
    expect([...since, ...before].sort()).toEqual([first, middle.body.id, last].sort());
    const expanded = await search(key, { q: "rita", expand: "addresses", limit: 1 });
    expect(expanded.body.data[0]).toMatchObject({ id: last, addresses: [] });
  });
});

describe("metadata filters", () => {
  it("match the value's string form exactly, on search and on the list, ANDed with q", async () => {
    const { key } = await newOrganization();
    const three = await customerWith(key, { name: "Sam", metadata: { seats: 3, beta: true, plan: "Gold" } });
    const threeText = await customerWith(key, { name: "Sue", metadata: { seats: "3", beta: false } });
    const other = await customerWith(key, { name: "Sam Other", metadata: { seats: 30, plan: "gold" } });
    const metadataIds = async (params: Record<string, string>) => {
      const response = await search(key, { ...params, limit: 100 });
      expect(response.status, response.text).toBe(200);
      return ids(response);
    };
    expect(await metadataIds({ "metadata[seats]": "3" })).toEqual([threeText, three]);
    expect(await metadataIds({ "metadata[beta]": "true" })).toEqual([three]);
    expect(await metadataIds({ "metadata[beta]": "false" })).toEqual([threeText]);
    expect(await metadataIds({ "metadata[plan]": "gold" })).toEqual([other]);
    expect(await metadataIds({ "metadata[plan]": "Gold", "metadata[seats]": "3" })).toEqual([three]);
    expect(await metadataIds({ "metadata[seats]": "3", q: "sam" })).toEqual([three]);
    expect(await metadataIds({ "metadata[nope]": "3" })).toEqual([]);

    const list = (query: string) => call<CustomerList>("GET", `/v1/customers?${query}`, { key });
    expect(ids(await list("metadata[seats]=3"))).toEqual([threeText, three]);
    expect(ids(await list("metadata[seats]=3&metadata[beta]=true"))).toEqual([three]);
    expect(ids(await list("metadata[plan]=gold&email=nobody@example.com"))).toEqual([]);
    const firstPage = await list("metadata[seats]=3&limit=1");
    expect(ids(firstPage)).toEqual([threeText]);
    const next = await list(`metadata[seats]=3&limit=1&cursor=${firstPage.body.next_cursor}`);
    expect(ids(next)).toEqual([three]);
    expect((await list(`limit=1&cursor=${firstPage.body.next_cursor}`)).status).toBe(400);
  });
});

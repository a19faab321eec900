import { describe, expect, it } from "vitest";
import { customerWith, found, search } from "./customer-search-helpers";
import { call, customerPath, expectProblem, expectValidationFailed, newOrganization } from "./helpers";

/** GET /v1/customers/search: what q may be, and that nothing in it is query syntax (spec section 12). */

const refusedQ = async (key: string, q: string) => {
  const response = await search(key, { q });
  expectValidationFailed(response, ["#/query/q"]);
};

describe("customer search: nothing in q is query syntax", () => {
  it("searches quotes, *, -, :, parentheses, OR and NEAR as text or separators", async () => {
    const { key } = await newOrganization();
    const tom = await customerWith(key, { name: 'Tom "Quote" O\'Neil', company: "Orwell Near Ltd" });
    const zed = await customerWith(key, { name: "Zed Name", email: "zn@example.org" });
    expect(await found(key, '"quote"')).toEqual([tom]);
    expect(await found(key, '"tom')).toEqual([tom]);
    expect(await found(key, "tom*")).toEqual([tom]);
    expect(await found(key, "(tom)")).toEqual([tom]);
    // A leading '-' is no negation, ':' no field selector.
    expect(await found(key, "-tom")).toEqual([tom]);
    expect(await found(key, "-zed")).toEqual([zed]);
    expect(await found(key, "name:zed")).toEqual([]);
    expect(await found(key, "zn@example")).toEqual([zed]);
    // OR and NEAR are words to match (prefixes of Orwell, Near), never operators.
    expect(await found(key, "tom OR")).toEqual([tom]);
    expect(await found(key, "zed OR tom")).toEqual([]);
    expect(await found(key, "NEAR")).toEqual([tom]);
    expect(await found(key, "NEAR(tom, zed)")).toEqual([]);
    expect(await found(key, "o'neil")).toEqual([tom]);
    // SQL and LIKE/GLOB metacharacters are text too.
    expect(await found(key, "to%")).toEqual([tom]);
    expect(await found(key, "t_m")).toEqual([]);
    expect(await found(key, "zed';DROP TABLE customers;--")).toEqual([]);
    expect(await found(key, "ze[d]")).toEqual([]);
    expect(await found(key, "zed")).toEqual([zed]);
  });

  it("finds letters of any script, and refuses a term of symbols only", async () => {
    const { key } = await newOrganization();
    const tokyo = await customerWith(key, { company: "日本語 株式会社" });
    const greek = await customerWith(key, { name: "Σωκράτης" });
    expect(await found(key, "日本")).toEqual([tokyo]);
    expect(await found(key, "σωκ")).toEqual([greek]);
    expect(await found(key, "ΣΩΚΡΆ")).toEqual([greek]);
    await refusedQ(key, "🙂🙂");
    await refusedQ(key, "tom --");
  });

  it("takes 200 characters and 10 terms, refuses 201 and 11", async () => {
    const { key } = await newOrganization();
    const long = await customerWith(key, { name: "x".repeat(200) });
    expect(await found(key, "x".repeat(200))).toEqual([long]);
    await refusedQ(key, "x".repeat(201));
    const tenTerms = Array.from({ length: 10 }, (_, index) => `xx${index}`).join(" ");
    expect(await found(key, tenTerms)).toEqual([]);
    await refusedQ(key, `${tenTerms} xx`);
  });

  it("refuses a term under 2 characters or without a letter or digit, an empty q, and no q without a filter", async () => {
    const { key } = await newOrganization();
    for (const q of ["a", "tom a", "é", "--", "()", '""', "tom **", " "]) await refusedQ(key, q);
    expectValidationFailed(await search(key, { q: "" }), ["#/query/q"]);
    expectValidationFailed(await search(key, {}), ["#/query/q"]);
    expectValidationFailed(await search(key, { limit: 5 }), ["#/query/q"]);
    // 2 characters, one a letter: a term.
    expect((await search(key, { q: "a." })).status).toBe(200);
  });

  it("answers hostile long phrases and the most parameters a query can bind", async () => {
    const { key } = await newOrganization();
    const match = await customerWith(key, {
      name: "1 2 3456",
      phone: "+1 222 333 3456",
      metadata: Object.fromEntries(Array.from({ length: 10 }, (_, index) => [`k${index}`, index])),
    });
    // One term of 100 one-letter words.
    const phrase = Array.from({ length: 100 }, () => "a").join(".");
    expect(await found(key, phrase.slice(0, 199))).toEqual([]);
    // Ten phrase-and-phone terms and ten metadata filters, on a second page: every parameter at once.
    const params: Record<string, string | number> = { q: Array(10).fill("1-2-3456").join(" ") };
    for (let index = 0; index < 10; index++) params[`metadata[k${index}]`] = String(index);
    const first = await search(key, {
      ...params,
      limit: 1,
      created_gte: "2000-01-01T00:00:00Z",
      created_lt: "2100-01-01T00:00:00Z",
    });
    expect(first.status, first.text).toBe(200);
    expect(first.body.data.map((customer) => customer.id)).toEqual([match]);
  });
});

describe("customer search: parameters", () => {
  it("refuses unknown parameters, bad metadata filters and more than 10 of them", async () => {
    const { key } = await newOrganization();
    expectValidationFailed(await search(key, { q: "tom", sort: "name" }), ["#/query/sort"]);
    expectValidationFailed(await search(key, { "metadata[a[b]": "1" }), ["#/query/metadata/a[b"]);
    expectValidationFailed(await search(key, { "metadata[]": "1" }), ["#/query/metadata/"]);
    expectValidationFailed(await search(key, { "metadata[k]": "v".repeat(501) }), ["#/query/metadata/k"]);
    expectValidationFailed(await search(key, { metadata: "x" }), ["#/query/metadata"]);
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, index) => [`metadata[k${index}]`, "1"]));
    expectValidationFailed(await search(key, eleven), ["#/query/metadata"]);
    expectValidationFailed(await search(key, { q: "tom", limit: 101 }), ["#/query/limit"]);
    expectValidationFailed(await search(key, { q: "tom", expand: "friends" }), ["#/query/expand"]);
    expectValidationFailed(await search(key, { q: "tom", created_gte: "yesterday" }), ["#/query/created_gte"]);
  });

  it("refuses a repeated metadata filter", async () => {
    const { key } = await newOrganization();
    const response = await call("GET", "/v1/customers/search?metadata[k]=1&metadata[k]=2", { key });
    expectValidationFailed(response, ["#/query/metadata/k"]);
  });

  it("refuses a cursor with another query or other filters", async () => {
    const { key } = await newOrganization();
    for (let index = 0; index < 3; index++)
      await customerWith(key, { name: `Tom ${index}`, metadata: { tier: "gold" } });
    const page = await search(key, { q: "tom", limit: 1 });
    const cursor = page.body.next_cursor ?? "";
    expect(cursor).not.toBe("");
    expect((await search(key, { q: "tom", limit: 1, cursor })).status).toBe(200);
    expectValidationFailed(await search(key, { q: "to", limit: 1, cursor }), ["#/query/cursor"]);
    expectValidationFailed(await search(key, { q: "tom", "metadata[tier]": "gold", cursor }), ["#/query/cursor"]);
    const listPage = await call<{ next_cursor: string }>("GET", "/v1/customers?limit=1", { key });
    expectValidationFailed(await search(key, { q: "tom", cursor: listPage.body.next_cursor }), ["#/query/cursor"]);
  });

  it("needs an API key", async () => {
    expectProblem(await search("", { q: "tom" }), 401, "unauthorized");
  });
});

describe("customer search: the route among the customer routes", () => {
  it("is matched before /v1/customers/{id}; other methods are 405 with its own Allow", async () => {
    const { key } = await newOrganization();
    expect((await call("GET", "/v1/customers/search?q=tom", { key })).status).toBe(200);
    for (const method of ["POST", "PATCH", "PUT", "DELETE"]) {
      const response = await call(method, "/v1/customers/search", { key, body: {} });
      expectProblem(response, 405, "method_not_allowed");
      expect(response.headers.get("Allow")).toBe("GET, HEAD");
    }
    // Unchanged elsewhere: a customer id still allows its methods.
    const id = await customerWith(key, {});
    const post = await call("POST", customerPath(id), { key, body: {} });
    expectProblem(post, 405, "method_not_allowed");
    expect(post.headers.get("Allow")).toBe("DELETE, GET, HEAD, PATCH, PUT");
  });

  it("'search' is a reserved id", async () => {
    const { key } = await newOrganization();
    const response = await call("POST", "/v1/customers", { key, body: { id: "search" } });
    expectValidationFailed(response, ["/id"]);
  });
});

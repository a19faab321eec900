import { describe, expect, it } from "vitest";
import {
  altPath,
  archive,
  type Called,
  type CustomerList,
  type CustomerObject,
  call,
  createCustomer,
  expectProblem,
  ids,
  newOrganization,
} from "./helpers";

/** Uniqueness among live customers under concurrency (spec §1 error table, §2 field rules, §3 archive). */

const N = 20;

const listAll = async (key: string, query = "") => {
  const response = await call<CustomerList>("GET", `/v1/customers?limit=100${query}`, { key });
  expect(response.status, response.text).toBe(200);
  expect(response.body.has_more).toBe(false);
  return response;
};

/** The `code` of a problem body; "" for any other body (a success). */
function problemCode(response: Called<unknown>): string {
  const { body } = response;
  return typeof body === "object" && body !== null && "code" in body ? String(body.code) : "";
}

/** The same string with its letters' case flipped by the bits of `n` (n = 0 leaves it as is). */
function caseVariant(value: string, n: number): string {
  let bit = 0;
  return [...value]
    .map((character) => {
      if (character.toLowerCase() === character.toUpperCase()) return character;
      const flip = (n >> bit++) & 1;
      return flip
        ? character === character.toLowerCase()
          ? character.toUpperCase()
          : character.toLowerCase()
        : character;
    })
    .join("");
}

/** Splits concurrent results into the one 201 and the others; fails unless exactly one won. */
function oneWinner(responses: Called<CustomerObject>[], winnerStatus = 201) {
  const statuses = responses.map((response) => response.status).sort();
  expect(statuses).toEqual([winnerStatus, ...Array(responses.length - 1).fill(409)]);
  const winnerIndex = responses.findIndex((response) => response.status === winnerStatus);
  return {
    winner: responses[winnerIndex]!,
    winnerIndex,
    losers: responses.filter((_, index) => index !== winnerIndex),
  };
}

describe("concurrent creates with one contested unique field", () => {
  const emailVariants = Array.from({ length: N }, (_, n) => caseVariant("race.winner@example.com", n));
  const usernameVariants = Array.from({ length: N }, (_, n) => caseVariant("race_user", n));

  it("the case variants really differ", () => {
    expect(new Set(emailVariants).size).toBe(N);
    expect(new Set(usernameVariants).size).toBe(N);
  });

  it.each([
    {
      field: "alternative_id",
      contested: () => ({ alternative_id: "race/ü 42" }),
      code: "alternative_id_taken",
    },
    {
      field: "email (different letter cases)",
      contested: (n: number) => ({ email: emailVariants[n] }),
      code: "email_taken",
    },
    {
      field: "username (different letter cases)",
      contested: (n: number) => ({ username: usernameVariants[n] }),
      code: "username_taken",
    },
  ] as const)("$field: one 201, nineteen 409 $code, one customer stored", async ({ field, contested, code }) => {
    const { key } = await newOrganization();
    // Each request also carries identifiers of its own, which must not survive a refused create.
    const bodies = Array.from({ length: N }, (_, n) => ({
      ...(field === "alternative_id" ? { email: `own${n}@example.com` } : { alternative_id: `own-${n}` }),
      name: `request ${n}`,
      ...contested(n),
    }));
    const responses = await Promise.all(
      bodies.map((body) => call<CustomerObject>("POST", "/v1/customers", { key, body })),
    );
    const { winner, winnerIndex, losers } = oneWinner(responses);
    const pointer = `/${field.split(" ")[0]}`;
    for (const loser of losers) expectProblem(loser, 409, code, pointer);

    expect(winner.body).toMatchObject(bodies[winnerIndex]!);
    expect(winner.headers.get("Location")).toBe(`/v1/customers/${winner.body.id}`);

    // Exactly one customer stored: the winner.
    expect((await listAll(key)).body.data).toEqual([winner.body]);
    if (field === "alternative_id") {
      const byAlt = await call<CustomerObject>("GET", altPath("race/ü 42"), { key });
      expect(byAlt.status).toBe(200);
      expect(byAlt.body).toEqual(winner.body);
      expect(ids(await listAll(key, `&alternative_id=${encodeURIComponent("race/ü 42")}`))).toEqual([winner.body.id]);
      for (let n = 0; n < N; n++) {
        const expected = n === winnerIndex ? [winner.body.id] : [];
        expect(ids(await listAll(key, `&email=own${n}@example.com`))).toEqual(expected);
      }
    } else {
      for (let n = 0; n < N; n++) {
        const byAlt = await call<CustomerObject>("GET", altPath(`own-${n}`), { key });
        expect(byAlt.status, `own-${n}`).toBe(n === winnerIndex ? 200 : 404);
        if (n === winnerIndex) expect(byAlt.body.id).toBe(winner.body.id);
      }
    }
    if (field.startsWith("email")) {
      expect(ids(await listAll(key, "&email=RACE.WINNER@EXAMPLE.COM"))).toEqual([winner.body.id]);
      expect(winner.body.email).toBe(emailVariants[winnerIndex]);
    }
  });

  it("the same caller-chosen id: one 201, nineteen 409 customer_exists", async () => {
    const { key } = await newOrganization();
    const responses = await Promise.all(
      Array.from({ length: N }, (_, n) =>
        call<CustomerObject>("POST", "/v1/customers", { key, body: { id: "cus_race", alternative_id: `own-${n}` } }),
      ),
    );
    const { winner, winnerIndex, losers } = oneWinner(responses);
    for (const loser of losers) expectProblem(loser, 409, "customer_exists", "/id");
    expect(winner.body.id).toBe("cus_race");
    expect(winner.body.alternative_id).toBe(`own-${winnerIndex}`);
    const byId = await call<CustomerObject>("GET", "/v1/customers/cus_race", { key });
    expect(byId.status).toBe(200);
    expect(byId.body).toEqual(winner.body);
    expect((await listAll(key)).body.data).toEqual([winner.body]);
    for (let n = 0; n < N; n++) {
      expect((await call<CustomerObject>("GET", altPath(`own-${n}`), { key })).status, `own-${n}`).toBe(
        n === winnerIndex ? 200 : 404,
      );
    }
  });

  it("the same id in two organizations is no conflict", async () => {
    const a = await newOrganization("A");
    const b = await newOrganization("B");
    const [inA, inB] = await Promise.all([
      call<CustomerObject>("POST", "/v1/customers", {
        key: a.key,
        body: { id: "shared", email: "same@example.com", username: "same" },
      }),
      call<CustomerObject>("POST", "/v1/customers", {
        key: b.key,
        body: { id: "shared", email: "same@example.com", username: "same" },
      }),
    ]);
    expect([inA.status, inB.status]).toEqual([201, 201]);
  });
});

describe("archived customers' identifiers", () => {
  it("creating with an archived customer's id is 409 customer_id_archived, also concurrently, and writes nothing", async () => {
    const { key } = await newOrganization();
    await createCustomer(key, { id: "gone-1", alternative_id: "gone-alt" });
    await archive(key, "gone-1");
    const single = await call<CustomerObject>("POST", "/v1/customers", {
      key,
      body: { id: "gone-1", alternative_id: "try-0" },
    });
    expectProblem(single, 409, "customer_id_archived", "/id");
    const responses = await Promise.all(
      Array.from({ length: 5 }, (_, n) =>
        call<CustomerObject>("POST", "/v1/customers", { key, body: { id: "gone-1", alternative_id: `try-${n + 1}` } }),
      ),
    );
    for (const response of responses) expectProblem(response, 409, "customer_id_archived", "/id");
    const get = await call<CustomerObject>("GET", "/v1/customers/gone-1", { key });
    expectProblem(get, 410, "customer_archived");
    expect((await listAll(key)).body.data).toEqual([]);
    for (let n = 0; n <= 5; n++)
      expect((await call<CustomerObject>("GET", altPath(`try-${n}`), { key })).status).toBe(404);
  });

  it("a live customer's id is customer_exists, not customer_id_archived", async () => {
    const { key } = await newOrganization();
    await createCustomer(key, { id: "live-1" });
    expectProblem(
      await call<CustomerObject>("POST", "/v1/customers", { key, body: { id: "live-1" } }),
      409,
      "customer_exists",
      "/id",
    );
  });

  it("after archiving, its alternative_id, email and username are free at once", async () => {
    const { key } = await newOrganization();
    const old = await createCustomer(key, {
      alternative_id: "reused alt/ä",
      email: "Reused@Example.com",
      username: "Reused_User",
    });
    // Taken while it is live ...
    for (const [body, code] of [
      [{ alternative_id: "reused alt/ä" }, "alternative_id_taken"],
      [{ email: "reused@example.com" }, "email_taken"],
      [{ username: "reused_user" }, "username_taken"],
    ] as const) {
      expectProblem(await call<CustomerObject>("POST", "/v1/customers", { key, body }), 409, code);
    }
    // ... the KV cache knows the old owner ...
    expect((await call<CustomerObject>("GET", altPath("reused alt/ä"), { key })).body.id).toBe(old.id);
    await archive(key, old.id);
    // ... and free right after the archive, all three in one new customer (other letter case).
    const fresh = await createCustomer(key, {
      alternative_id: "reused alt/ä",
      email: "REUSED@example.com",
      username: "REUSED_USER",
    });
    expect(fresh.id).not.toBe(old.id);
    const byAlt = await call<CustomerObject>("GET", altPath("reused alt/ä"), { key });
    expect(byAlt.status).toBe(200);
    expect(byAlt.body.id).toBe(fresh.id);
    expect(ids(await listAll(key, "&email=reused@example.com"))).toEqual([fresh.id]);
    expect(ids(await listAll(key))).toEqual([fresh.id]);
  });

  it("after archiving, concurrent creates reclaiming the alternative ID still have one winner", async () => {
    const { key } = await newOrganization();
    const old = await createCustomer(key, { alternative_id: "reclaim" });
    await archive(key, old.id);
    const responses = await Promise.all(
      Array.from({ length: N }, () =>
        call<CustomerObject>("POST", "/v1/customers", { key, body: { alternative_id: "reclaim" } }),
      ),
    );
    const { winner, losers } = oneWinner(responses);
    for (const loser of losers) expectProblem(loser, 409, "alternative_id_taken", "/alternative_id");
    expect((await call<CustomerObject>("GET", altPath("reclaim"), { key })).body.id).toBe(winner.body.id);
    expect(ids(await listAll(key))).toEqual([winner.body.id]);
  });
});

describe("concurrent PATCHes", () => {
  it.each([5, 10, N])("%i concurrent PATCHes of different metadata keys all land (no lost update)", async (count) => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key, { alternative_id: "meta", metadata: { base: "kept" } });
    const before = await call<CustomerObject>("GET", `/v1/customers/${customer.id}`, { key });
    const responses = await Promise.all(
      Array.from({ length: count }, (_, n) =>
        call<CustomerObject>("PATCH", `/v1/customers/${customer.id}`, { key, body: { metadata: { [`k${n}`]: n } } }),
      ),
    );
    const after = await call<CustomerObject>("GET", `/v1/customers/${customer.id}`, { key });
    // Never a silent lost update: every key a 200 confirmed is in the final metadata.
    responses.forEach((response, n) => {
      if (response.status !== 200) return;
      expect(response.body.metadata[`k${n}`]).toBe(n);
      expect(response.body.metadata.base).toBe("kept");
      expect(after.body.metadata[`k${n}`], `k${n} was confirmed, then lost`).toBe(n);
    });
    // And every PATCH lands: none is refused because the others were writing at the same time.
    const statuses = responses.map((response) => `${response.status} ${problemCode(response)}`.trim());
    expect(statuses).toEqual(Array(count).fill("200"));
    const expected: Record<string, string | number> = { base: "kept" };
    for (let n = 0; n < count; n++) expected[`k${n}`] = n;
    expect(after.body.metadata).toEqual(expected);
    expect(after.headers.get("ETag")).not.toBe(before.headers.get("ETag"));
    // every response reflects a distinct version
    expect(new Set(responses.map((response) => response.headers.get("ETag"))).size).toBe(count);
  });

  it("concurrent PATCHes of different fields all land", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key, { name: "Before", metadata: { a: 1 } });
    const patches = [
      { name: "After" },
      { company: "Acme Inc." },
      { phone: "+1 111-867-5309" },
      { language: "pt-br" },
      { timezone: "Europe/Paris" },
      { mail_marketing: true },
      { metadata: { b: 2 } },
      { metadata: { a: null } },
      { coupon_id: "SAVE10" },
      { display_name: "jenny" },
    ];
    const responses = await Promise.all(
      patches.map((body) => call<CustomerObject>("PATCH", `/v1/customers/${customer.id}`, { key, body })),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(patches.length).fill(200));
    const after = await call<CustomerObject>("GET", `/v1/customers/${customer.id}`, { key });
    expect(after.body).toMatchObject({
      name: "After",
      company: "Acme Inc.",
      phone: "+1 111-867-5309",
      language: "pt-BR",
      timezone: "Europe/Paris",
      mail_marketing: true,
      tele_marketing: false,
      coupon_id: "SAVE10",
      display_name: "jenny",
      metadata: { b: 2 },
    });
  });

  it.each([
    { field: "email", value: "TAKEN@example.com", code: "email_taken" as const },
    { field: "alternative_id", value: "taken-alt", code: "alternative_id_taken" as const },
    { field: "username", value: "TAKEN_USER", code: "username_taken" as const },
  ])("PATCH $field to another live customer's → 409 $code and nothing changes", async ({ field, value, code }) => {
    const { key } = await newOrganization();
    const owner = await createCustomer(key, {
      email: "taken@example.com",
      alternative_id: "taken-alt",
      username: "taken_user",
    });
    const target = await createCustomer(key, {
      email: "mine@example.com",
      alternative_id: "mine-alt",
      username: "mine_user",
      name: "Unchanged",
      metadata: { keep: true },
    });
    const before = await call<CustomerObject>("GET", `/v1/customers/${target.id}`, { key });
    const response = await call<CustomerObject>("PATCH", `/v1/customers/${target.id}`, {
      key,
      body: { [field]: value, name: "Changed", metadata: { touched: true } },
    });
    expectProblem(response, 409, code, `/${field}`);
    const after = await call<CustomerObject>("GET", `/v1/customers/${target.id}`, { key });
    expect(after.body).toEqual(before.body);
    expect(after.headers.get("ETag")).toBe(before.headers.get("ETag"));
    expect((await call<CustomerObject>("GET", `/v1/customers/${owner.id}`, { key })).body).toEqual(owner);
    expect((await call<CustomerObject>("GET", altPath("mine-alt"), { key })).body.id).toBe(target.id);
    expect((await call<CustomerObject>("GET", altPath("taken-alt"), { key })).body.id).toBe(owner.id);
  });

  it("PATCH to an archived customer's email, username and alternative ID succeeds", async () => {
    const { key } = await newOrganization();
    const old = await createCustomer(key, { email: "free@example.com", alternative_id: "free", username: "free" });
    const target = await createCustomer(key, {});
    await archive(key, old.id);
    const response = await call<CustomerObject>("PATCH", `/v1/customers/${target.id}`, {
      key,
      body: { email: "FREE@example.com", alternative_id: "free", username: "FREE" },
    });
    expect(response.status, response.text).toBe(200);
    expect((await call<CustomerObject>("GET", altPath("free"), { key })).body.id).toBe(target.id);
  });

  it("20 customers PATCHed concurrently to one alternative ID: one 200, nineteen 409", async () => {
    const { key } = await newOrganization();
    const customers: { id: string }[] = await Promise.all(
      Array.from({ length: N }, (_, n) => createCustomer(key, { alternative_id: `start-${n}` })),
    );
    const responses = await Promise.all(
      customers.map((customer) =>
        call<CustomerObject>("PATCH", `/v1/customers/${customer.id}`, { key, body: { alternative_id: "contested" } }),
      ),
    );
    const { winner, winnerIndex, losers } = oneWinner(responses, 200);
    for (const loser of losers) expectProblem(loser, 409, "alternative_id_taken", "/alternative_id");
    expect(winner.body.id).toBe(customers[winnerIndex]!.id);
    expect((await call<CustomerObject>("GET", altPath("contested"), { key })).body.id).toBe(winner.body.id);
    expect(ids(await listAll(key, "&alternative_id=contested"))).toEqual([winner.body.id]);
    for (let n = 0; n < N; n++) {
      const status = (await call<CustomerObject>("GET", altPath(`start-${n}`), { key })).status;
      expect(status, `start-${n}`).toBe(n === winnerIndex ? 404 : 200);
    }
  });
});

import { describe, expect, it } from "vitest";
import { consolePath, fetchConsole, formFields, getPage, postForm, signIn, submit } from "./console-helpers";
import { call, createCustomer, getCustomer, newOrganization } from "./helpers";

/** The console's customer pages and actions (spec section 13), through the API's services. */

const HOSTILE = "<img src=x onerror=alert(1)>";

type EventList = { data: { type: string; data: { previous_attributes?: Record<string, unknown> } }[] };

const eventsOf = async (key: string, customerId: string) =>
  (await call<EventList>("GET", `/v1/events?customer_id=${customerId}`, { key })).body.data;

describe("customers list", () => {
  it("shows each customer's name, email, alternative ID, id and creation time, newest first", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const older = await createCustomer(key, { name: "Older", email: "older@example.com", alternative_id: "alt-1" });
    const newer = await createCustomer(key, { name: "Newer" });
    const page = await getPage("/console/customers", cookie);
    expect(page.status).toBe(200);
    for (const text of ["Older", "older@example.com", "alt-1", older.id, older.created_at.slice(0, 10)]) {
      expect(page.html).toContain(text);
    }
    expect(page.html.indexOf(newer.id)).toBeLessThan(page.html.indexOf(older.id));
  });

  it("finds a customer by email and by alternative ID, and filters by metadata", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const jenny = await createCustomer(key, { email: "jenny@example.com", metadata: { tier: "gold" } });
    const other = await createCustomer(key, { alternative_id: "user/42", metadata: { tier: "silver" } });
    const byEmail = await getPage("/console/customers?q=JENNY%40example.com", cookie);
    expect(byEmail.html).toContain(jenny.id);
    expect(byEmail.html).not.toContain(other.id);
    const byAlternativeId = await getPage(`/console/customers?q=${encodeURIComponent("user/42")}`, cookie);
    expect(byAlternativeId.html).toContain(other.id);
    expect(byAlternativeId.html).not.toContain(jenny.id);
    const byMetadata = await getPage("/console/customers?mk=tier&mv=silver", cookie);
    expect(byMetadata.html).toContain(other.id);
    expect(byMetadata.html).not.toContain(jenny.id);
  });

  it("searches as GET /v1/customers/search does: word prefixes, without accents; a too-short term is said", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const jose = await createCustomer(key, { name: "José Álvarez", email: "jose.alvarez@example.com" });
    const other = await createCustomer(key, { name: "Jenny Doe" });
    const found = await getPage("/console/customers?q=jose%20alv", cookie);
    expect(found.status).toBe(200);
    expect(found.html).toContain(jose.id);
    expect(found.html).not.toContain(other.id);
    const tooShort = await getPage("/console/customers?q=j", cookie);
    expect(tooShort.status).toBe(400);
    expect(tooShort.html).toContain("Search:");
    expect(tooShort.html).not.toContain(jose.id);
  });

  it("pages forward and back with a stack of cursors in the URL", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const created: string[] = [];
    for (let i = 0; i < 25; i++) created.push((await createCustomer(key, { name: `C${i}` })).id);
    const first = await getPage("/console/customers", cookie);
    expect(first.html).toContain(created[24]);
    expect(first.html).not.toContain(created[4]);
    const next = /href="(\/console\/customers\?cursor=[^"]+)">Next/.exec(first.html)?.[1]?.replaceAll("&amp;", "&");
    if (!next) throw new Error("no Next link");
    const second = await getPage(next, cookie);
    expect(second.html).toContain(created[4]);
    expect(second.html).toContain(created[0]);
    expect(second.html).not.toContain(created[24]);
    expect(second.html).not.toMatch(/href="[^"]*">Next/);
    const previous = /href="([^"]+)">← Previous/.exec(second.html)?.[1]?.replaceAll("&amp;", "&");
    expect(previous).toBe("/console/customers");
    const again = await getPage(previous ?? "", cookie);
    expect(again.html).toContain(created[24]);
    expect(again.html).not.toContain(created[4]);
  });
});

describe("a customer's page", () => {
  it("shows a hostile name as text, everywhere", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const customer = await createCustomer(key, { name: HOSTILE, metadata: { [`k${"<b>"}`]: HOSTILE } });
    for (const page of [await getPage("/console/customers", cookie), await getPage(consolePath(customer.id), cookie)]) {
      expect(page.status).toBe(200);
      expect(page.html).not.toContain("<img");
      expect(page.html).not.toContain("<b>");
      expect(page.html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    }
  });

  it("shows the profile, metadata, records and the event timeline with old → new values", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const customer = await createCustomer(key, { name: "Ada", email: "ada@example.com", metadata: { plan: "pro" } });
    await call("PATCH", `/v1/customers/${customer.id}`, { key, body: { name: "Ada Lovelace" } });
    await call("POST", `/v1/customers/${customer.id}/subscriptions`, { key, body: { plan_id: "gold" } });
    await call("POST", `/v1/customers/${customer.id}/addresses`, {
      key,
      body: { type: "billing", line1: "1 Main St", country: "GB" },
    });
    const page = await getPage(consolePath(customer.id), cookie);
    for (const text of ["Ada Lovelace", "ada@example.com", "plan", "gold", "1 Main St", "customer.updated"]) {
      expect(page.html).toContain(text);
    }
    expect(page.html).toContain(
      '<td class="old">&quot;Ada&quot;</td><td aria-hidden="true">→</td><td class="new">&quot;Ada Lovelace&quot;</td>',
    );
    expect(page.html).toContain("<summary>Event data</summary>");
  });

  it("says when there is no such customer", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const page = await getPage(consolePath("cus_nobody"), cookie);
    expect(page.status).toBe(404);
    expect(page.html).toContain("No such customer");
  });
});

describe("editing the profile", () => {
  it("saves the changed fields through the API's service (one customer.updated event)", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const customer = await createCustomer(key, { name: "Old", phone: "+1 555 0100" });
    const saved = await submit(cookie, consolePath(customer.id), `${consolePath(customer.id)}/edit`, {
      name: "New",
      metadata_key: "source",
      metadata_value: "console",
    });
    expect(saved.status).toBe(303);
    expect(saved.location).toBe(`${consolePath(customer.id)}?notice=updated`);
    const after = (await getCustomer(key, customer.id)).body;
    expect(after).toMatchObject({ name: "New", phone: "+1 555 0100", metadata: { source: "console" } });
    const updates = (await eventsOf(key, customer.id)).filter((event) => event.type === "customer.updated");
    expect(updates).toHaveLength(1);
    expect(updates[0]?.data.previous_attributes).toEqual({ name: "Old", metadata: {} });
  });

  it("acts once when the same form is submitted twice", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const customer = await createCustomer(key, { name: "Once" });
    const page = await getPage(consolePath(customer.id), cookie);
    const action = `${consolePath(customer.id)}/edit`;
    const fields = { ...formFields(page.html, action), name: "Twice?" };
    const first = await postForm(action, cookie, fields);
    const second = await postForm(action, cookie, fields);
    expect(first.status).toBe(303);
    expect(second.status).toBe(303);
    expect(second.location).toBe(first.location);
    expect(second.headers.get("Idempotent-Replayed")).toBe("true");
    const updates = (await eventsOf(key, customer.id)).filter((event) => event.type === "customer.updated");
    expect(updates).toHaveLength(1);
    // The same form with other values is refused, not run.
    const changed = await postForm(action, cookie, { ...fields, name: "Other" });
    expect(changed.status).toBe(409);
    expect((await getCustomer(key, customer.id)).body.name).toBe("Twice?");
  });

  it("never overwrites a change made meanwhile: the form comes back with the fresh values", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const customer = await createCustomer(key, { name: "Mine" });
    const page = await getPage(consolePath(customer.id), cookie);
    const action = `${consolePath(customer.id)}/edit`;
    const fields = formFields(page.html, action);
    await call("PATCH", `/v1/customers/${customer.id}`, { key, body: { name: "Theirs" } });
    const conflict = await postForm(action, cookie, { ...fields, name: "Overwrite" });
    expect(conflict.status).toBe(412);
    expect(conflict.html).toContain("Someone else changed this customer");
    expect(formFields(conflict.html, action).name).toBe("Theirs");
    // What was typed is said, not lost.
    expect(conflict.html).toContain("<li>Name: Overwrite</li>");
    expect((await getCustomer(key, customer.id)).body.name).toBe("Theirs");
  });

  it("refuses invalid input as the API does, naming the field and keeping what was typed", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const customer = await createCustomer(key, { name: "Valid" });
    const action = `${consolePath(customer.id)}/edit`;
    const refused = await submit(cookie, consolePath(customer.id), action, { email: "not an email", name: "Typed" });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain("<code>/email</code>");
    expect(formFields(refused.html, action)).toMatchObject({ email: "not an email", name: "Typed" });
    expect((await getCustomer(key, customer.id)).body.name).toBe("Valid");
  });
});

describe("other customer actions", () => {
  it("removes a metadata key and cancels a subscription", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const customer = await createCustomer(key, { metadata: { a: "1", b: "2" } });
    const subscription = await call<{ id: string }>("POST", `/v1/customers/${customer.id}/subscriptions`, {
      key,
      body: { plan_id: "basic" },
    });
    const removed = await submit(cookie, consolePath(customer.id), `${consolePath(customer.id)}/metadata/remove`);
    expect(removed.status).toBe(303);
    expect((await getCustomer(key, customer.id)).body.metadata).toEqual({ b: "2" });
    const cancelAction = `${consolePath(customer.id)}/subscriptions/${subscription.body.id}/cancel`;
    const canceled = await submit(cookie, consolePath(customer.id), cancelAction);
    expect(canceled.location).toBe(`${consolePath(customer.id)}?notice=subscription_canceled`);
    const after = await call<{ status: string }>(
      "GET",
      `/v1/customers/${customer.id}/subscriptions/${subscription.body.id}`,
      {
        key,
      },
    );
    expect(after.body.status).toBe("canceled");
  });

  it("archives only when the typed id matches, says what archiving erases, and unarchives", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const customer = await createCustomer(key, { name: "Leaving", email: "leaving@example.com" });
    const action = `${consolePath(customer.id)}/archive`;
    const page = await getPage(consolePath(customer.id), cookie);
    expect(page.html).toContain("Archiving erases this customer");
    const mistyped = await postForm(action, cookie, { ...formFields(page.html, action), confirm_id: "cus_other" });
    expect(mistyped.status).toBe(400);
    expect((await getCustomer(key, customer.id)).status).toBe(200);
    const archived = await submit(cookie, consolePath(customer.id), action, { confirm_id: customer.id });
    expect(archived.status).toBe(303);
    expect((await getCustomer(key, customer.id)).status).toBe(410);
    const archivedPage = await getPage(consolePath(customer.id), cookie);
    expect(archivedPage.html).toContain("Archived");
    expect(archivedPage.html).not.toContain("leaving@example.com");
    const back = await submit(cookie, consolePath(customer.id), `${consolePath(customer.id)}/unarchive`);
    expect(back.location).toBe(`${consolePath(customer.id)}?notice=unarchived`);
    expect((await getCustomer(key, customer.id)).body).toMatchObject({ id: customer.id, name: null });
  });
});

describe("API keys and event destinations", () => {
  it("creates a key whose secret is shown once, and revokes it", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const page = await getPage("/console/api-keys", cookie);
    const fields = { ...formFields(page.html, "/console/api-keys"), name: "ci" };
    const created = await postForm("/console/api-keys", cookie, fields);
    expect(created.status).toBe(200);
    const secret = /value="(rk_[A-Za-z0-9]+)"/.exec(created.html)?.[1] ?? "";
    expect((await call("GET", "/v1/customers", { key: secret })).status).toBe(200);
    // Sent again: the list, not the secret (which is kept nowhere).
    const again = await postForm("/console/api-keys", cookie, fields);
    expect(again.status).toBe(303);
    expect(again.location).toBe("/console/api-keys");
    const id = /<code>(key_[A-Za-z0-9]+)<\/code>/.exec(created.html.slice(created.html.indexOf("<tbody>")))?.[1] ?? "";
    const revoke = await submit(cookie, "/console/api-keys", `/console/api-keys/${id}/revoke`);
    expect(revoke.status).toBe(303);
    expect((await call("GET", "/v1/customers", { key: secret })).status).toBe(401);
  });

  it("lists destinations, disables and enables one, and refuses a replay to a disabled one", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const destination = await call<{ id: string }>("POST", "/v1/event_destinations", {
      key,
      body: { url: "http://127.0.0.1:9999/hook" },
    });
    const path = `/console/event-destinations/${destination.body.id}`;
    const disabled = await submit(cookie, "/console/event-destinations", `${path}/status`);
    expect(disabled.location).toBe("/console/event-destinations?notice=destination_disabled");
    const page = await getPage("/console/event-destinations", cookie);
    expect(page.html).toContain("http://127.0.0.1:9999/hook");
    expect(page.html).toContain("status-disabled");
    const replay = await postForm(`${path}/replay`, cookie, {
      ...formFields(page.html, `${path}/replay`),
      since: "2026-01-01T00:00",
    });
    expect(replay.status).toBe(409);
    expect(replay.html).toContain("disabled");
    const enabled = await submit(cookie, "/console/event-destinations", `${path}/status`);
    expect(enabled.location).toBe("/console/event-destinations?notice=destination_enabled");
    const replayed = await submit(cookie, "/console/event-destinations", `${path}/replay`, {
      since: "2026-01-01T00:00",
    });
    expect(replayed.location).toBe("/console/event-destinations?notice=replayed");
  });
});

it("shows and changes nothing of another organization's customers", async () => {
  const mine = await newOrganization("Mine");
  const theirs = await newOrganization("Theirs");
  const cookie = await signIn(mine.key);
  const customer = await createCustomer(theirs.key, { name: "Not yours" });
  const page = await getPage(consolePath(customer.id), cookie);
  expect(page.status).toBe(404);
  expect(page.html).not.toContain("Not yours");
  const customers = await getPage("/console/customers", cookie);
  expect(customers.html).not.toContain(customer.id);
  const ownPage = await getPage("/console/customers", cookie);
  const tokens = formFields(ownPage.html, "/console/sign-out");
  const archive = await postForm(`${consolePath(customer.id)}/archive`, cookie, {
    ...tokens,
    form_token: "aaaaaaaaaaaaaaaaaaaaaa",
    confirm_id: customer.id,
  });
  expect(archive.status).toBe(404);
  expect((await getCustomer(theirs.key, customer.id)).body.name).toBe("Not yours");
});

it("answers an unknown console path with 404", async () => {
  expect((await fetchConsole("/console/nothing")).status).toBe(404);
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EMPTY_PROFILE } from "../src/customer-records/customer-columns";
import { insertStatement } from "../src/customers/customers.repository";
import {
  archiveCommittedGuard,
  bothGuards,
  customerEventSequenceGuard,
  customerVersionGuard,
  recordCreationEventStatements,
  recordEventSeriesStatements,
  recordEventStatements,
  recordEventsStatements,
  redactCustomerEventsStatement,
} from "../src/events/events.repository";
import { bareCustomer, createDestination, deliveriesOf, recordEvent } from "./events-helpers";
import { newOrganization } from "./helpers";

type StoredEvent = { id: string; type: string; customer_id: string; sequence: number; data: string };

async function eventsOf(orgId: string, customerId?: string): Promise<StoredEvent[]> {
  const { results } = await env.DB.prepare(
    "SELECT * FROM events WHERE org_id = ?1 AND (?2 IS NULL OR customer_id = ?2) ORDER BY seq",
  )
    .bind(orgId, customerId ?? null)
    .all<StoredEvent>();
  return results;
}

const eventSequence = async (orgId: string, customerId: string) =>
  (
    await env.DB.prepare("SELECT event_sequence FROM customers WHERE org_id = ?1 AND id = ?2")
      .bind(orgId, customerId)
      .first<{ event_sequence: number }>()
  )?.event_sequence;

describe("recordEventStatements (the outbox)", () => {
  it("records exactly one event, with the customer's next sequence, when the guard holds", async () => {
    const { orgId } = await newOrganization();
    const customer = await bareCustomer(orgId, { email: "a@example.com" });
    const recorded = recordEventStatements(env.DB, {
      orgId,
      customerId: customer.id,
      type: "customer.updated",
      object: { object: "customer", id: customer.id, email: "b@example.com" },
      previousAttributes: { email: "a@example.com" },
      requestId: "req_1",
      createdAt: "2026-11-27T10:00:00.000Z",
      guard: customerVersionGuard(orgId, customer.id, 1),
    });
    await env.DB.batch(recorded.statements);

    const events = await eventsOf(orgId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ id: recorded.eventIds[0], type: "customer.updated", sequence: 1 });
    expect(JSON.parse(events[0]!.data)).toEqual({
      object: { object: "customer", id: customer.id, email: "b@example.com" },
      previous_attributes: { email: "a@example.com" },
    });
    expect(await eventSequence(orgId, customer.id)).toBe(1);
  });

  it("records nothing and bumps nothing when the guard is false (the change did not commit)", async () => {
    const { orgId, key } = await newOrganization();
    const customer = await bareCustomer(orgId);
    const recorded = recordEventStatements(env.DB, {
      orgId,
      customerId: customer.id,
      type: "customer.updated",
      object: { object: "customer", id: customer.id },
      requestId: null,
      createdAt: new Date().toISOString(),
      guard: customerVersionGuard(orgId, customer.id, 99),
    });
    await createDestination(key);
    await env.DB.batch(recorded.statements);

    expect(await eventsOf(orgId)).toEqual([]);
    expect(await deliveriesOf(recorded.eventIds[0]!)).toEqual([]);
    expect(await eventSequence(orgId, customer.id)).toBe(0);
  });

  it("grows the sequence per customer, independently of other customers", async () => {
    const { orgId } = await newOrganization();
    const first = await bareCustomer(orgId);
    const second = await bareCustomer(orgId);
    await recordEvent(orgId, first.id, "customer.created");
    await recordEvent(orgId, second.id, "customer.created");
    await recordEvent(orgId, first.id);
    await recordEvent(orgId, first.id);

    expect((await eventsOf(orgId, first.id)).map((event) => event.sequence)).toEqual([1, 2, 3]);
    expect((await eventsOf(orgId, second.id)).map((event) => event.sequence)).toEqual([1]);
  });

  it("creates one pending delivery per enabled destination whose event_types select the type", async () => {
    const { orgId, key } = await newOrganization();
    const other = await newOrganization("Other");
    const customer = await bareCustomer(orgId);
    const everything = await createDestination(key);
    const customers = await createDestination(key, { event_types: ["customer.*"] });
    const exact = await createDestination(key, { event_types: ["customer.updated"] });
    await createDestination(key, { event_types: ["customer.created", "address.*"] });
    const disabled = await createDestination(key);
    await env.DB.prepare("UPDATE event_destinations SET status = 'disabled' WHERE id = ?1").bind(disabled.id).run();
    await createDestination(other.key);

    const eventId = await recordEvent(orgId, customer.id, "customer.updated");

    const deliveries = await deliveriesOf(eventId);
    expect(deliveries.map((row) => row.destination_id).sort()).toEqual([everything.id, customers.id, exact.id].sort());
    for (const row of deliveries) {
      expect(row).toMatchObject({ org_id: orgId, status: "pending", attempts: 0 });
      expect(row.next_attempt_at).not.toBeNull();
    }
  });
});

describe("recordEventsStatements (set-based, for import)", () => {
  it("records every guarded event in three statements, consecutive sequences per customer in order", async () => {
    const { orgId, key } = await newOrganization();
    const first = await bareCustomer(orgId);
    const second = await bareCustomer(orgId);
    await recordEvent(orgId, first.id, "customer.created");
    await createDestination(key, { event_types: ["address.*"] });
    const recorded = recordEventsStatements(env.DB, {
      orgId,
      requestId: "req_import",
      createdAt: new Date().toISOString(),
      events: [
        { customerId: first.id, customerVersion: 1, type: "customer.updated", object: { id: first.id } },
        { customerId: second.id, customerVersion: 1, type: "customer.updated", object: { id: second.id } },
        { customerId: first.id, customerVersion: 1, type: "address.created", object: { id: "adr_1" } },
        // Its change did not commit (the customer is not at version 5): no event.
        { customerId: second.id, customerVersion: 5, type: "address.created", object: { id: "adr_2" } },
      ],
    });
    expect(recorded.statements).toHaveLength(3);
    await env.DB.batch(recorded.statements);

    const firstEvents = await eventsOf(orgId, first.id);
    expect(firstEvents.map((event) => [event.type, event.sequence])).toEqual([
      ["customer.created", 1],
      ["customer.updated", 2],
      ["address.created", 3],
    ]);
    expect((await eventsOf(orgId, second.id)).map((event) => [event.type, event.sequence])).toEqual([
      ["customer.updated", 1],
    ]);
    expect(await eventSequence(orgId, first.id)).toBe(3);
    expect(await eventSequence(orgId, second.id)).toBe(1);
    expect(await deliveriesOf(recorded.eventIds[2]!)).toHaveLength(1);
    expect(await deliveriesOf(recorded.eventIds[0]!)).toHaveLength(0);
    expect(await deliveriesOf(recorded.eventIds[3]!)).toHaveLength(0);
  });
});

describe("recordEventSeriesStatements (several events of one change: the archive)", () => {
  /**
   * A series around a stand-in for the change (it bumps the version, as the archive does), both
   * guarded by the version and event sequence read, in the order the archive uses.
   */
  async function recordAroundChange(orgId: string, customerId: string, eventSequence: number) {
    const guard = bothGuards(
      customerVersionGuard(orgId, customerId, 1),
      customerEventSequenceGuard(orgId, customerId, eventSequence),
    );
    const series = recordEventSeriesStatements(env.DB, {
      orgId,
      customerId,
      requestId: "req_archive",
      createdAt: "2026-11-27T10:00:00.000Z",
      guard,
      events: [
        { type: "subscription.canceled", object: { id: "sub_1" } },
        { type: "address.deleted", object: { id: "adr_1" } },
        { type: "customer.archived", object: { id: customerId } },
      ],
    });
    const change = env.DB.prepare(
      `UPDATE customers SET version = version + 1 WHERE org_id = ? AND id = ? AND (${guard.sql})`,
    ).bind(orgId, customerId, ...guard.params);
    const results = await env.DB.batch([series.insert, change, ...series.afterChange]);
    return { series, changed: results[1]?.meta.changes ?? 0 };
  }

  it("inserts the events before the change with consecutive sequences, the last the highest; bumps by their count", async () => {
    const { orgId, key } = await newOrganization();
    const customer = await bareCustomer(orgId);
    await recordEvent(orgId, customer.id, "address.created");
    await createDestination(key, { event_types: ["subscription.*"] });
    const { series, changed } = await recordAroundChange(orgId, customer.id, 1);

    expect(changed).toBe(1);
    expect(series.statements).toHaveLength(3);
    const events = await eventsOf(orgId, customer.id);
    expect(events.map((event) => [event.type, event.sequence])).toEqual([
      ["address.created", 1],
      ["subscription.canceled", 2],
      ["address.deleted", 3],
      ["customer.archived", 4],
    ]);
    expect(events.slice(1).map((event) => event.id)).toEqual(series.eventIds);
    expect(JSON.parse(events[1]!.data)).toEqual({ object: { id: "sub_1" } });
    expect(await eventSequence(orgId, customer.id)).toBe(4);
    expect(await deliveriesOf(series.eventIds[0]!)).toHaveLength(1);
    expect(await deliveriesOf(series.eventIds[2]!)).toHaveLength(0);
  });

  it("records, bumps and delivers nothing when the event sequence moved since it was read", async () => {
    const { orgId, key } = await newOrganization();
    const customer = await bareCustomer(orgId);
    await createDestination(key);
    // Read at 0; a change to one of its records (an event) moved it to 1 since.
    await recordEvent(orgId, customer.id, "address.created");
    const { series, changed } = await recordAroundChange(orgId, customer.id, 0);

    expect(changed).toBe(0);
    expect((await eventsOf(orgId, customer.id)).map((event) => event.type)).toEqual(["address.created"]);
    expect(await eventSequence(orgId, customer.id)).toBe(1);
    for (const id of series.eventIds) expect(await deliveriesOf(id)).toEqual([]);
  });
});

describe("redactCustomerEventsStatement (the archive batch)", () => {
  const PII = ["email", "name", "phone"];

  it("nulls the PII fields in data.object and data.previous_attributes of the customer's events only", async () => {
    const { orgId } = await newOrganization();
    const customer = await bareCustomer(orgId);
    const bystander = await bareCustomer(orgId);
    const pii = { email: "jenny@example.com", name: "Jenny", phone: "+1 555" };
    await recordEvent(orgId, customer.id, "customer.created", { object: { id: customer.id, ...pii, language: "en" } });
    await recordEvent(orgId, customer.id, "customer.updated", {
      object: { id: customer.id, ...pii, language: "de" },
      previousAttributes: { email: "old@example.com", language: "en" },
    });
    await recordEvent(orgId, bystander.id, "customer.created", { object: { id: bystander.id, ...pii } });
    const archivedAt = new Date().toISOString();
    await env.DB.prepare("UPDATE customers SET archived_at = ?3 WHERE org_id = ?1 AND id = ?2")
      .bind(orgId, customer.id, archivedAt)
      .run();

    await env.DB.batch([
      redactCustomerEventsStatement(
        env.DB,
        orgId,
        customer.id,
        PII,
        archiveCommittedGuard(orgId, customer.id, archivedAt),
      ),
    ]);

    const [created, updated] = (await eventsOf(orgId, customer.id)).map((event) => JSON.parse(event.data));
    expect(created).toEqual({ object: { id: customer.id, email: null, name: null, phone: null, language: "en" } });
    expect(updated).toEqual({
      object: { id: customer.id, email: null, name: null, phone: null, language: "de" },
      previous_attributes: { email: null, language: "en" },
    });
    const stored = JSON.stringify(await eventsOf(orgId, customer.id));
    for (const value of [...Object.values(pii), "old@example.com"]) expect(stored).not.toContain(value);
    const [untouched] = await eventsOf(orgId, bystander.id);
    expect(JSON.parse(untouched!.data).object.email).toBe("jenny@example.com");
  });

  it("changes nothing when the archive did not commit", async () => {
    const { orgId } = await newOrganization();
    const customer = await bareCustomer(orgId);
    await recordEvent(orgId, customer.id, "customer.created", { object: { id: customer.id, email: "a@example.com" } });
    await env.DB.batch([
      redactCustomerEventsStatement(
        env.DB,
        orgId,
        customer.id,
        PII,
        archiveCommittedGuard(orgId, customer.id, new Date().toISOString()),
      ),
    ]);
    const [event] = await eventsOf(orgId, customer.id);
    expect(JSON.parse(event!.data).object.email).toBe("a@example.com");
  });
});

describe("recordCreationEventStatements (customer.created beside its insert)", () => {
  const creation = (orgId: string, customerId: string) =>
    recordCreationEventStatements(env.DB, {
      orgId,
      customerId,
      type: "customer.created",
      object: { object: "customer", id: customerId },
      requestId: "req_create",
      createdAt: "2026-11-27T10:00:00.000Z",
    });
  const insert = (orgId: string, customerId: string) =>
    insertStatement(env.DB, orgId, customerId, EMPTY_PROFILE, "2026-11-27T10:00:00.000Z");

  it("takes sequence 1 from the insert and fans out to a selecting destination", async () => {
    const { orgId, key } = await newOrganization();
    const selecting = await createDestination(key, { event_types: ["customer.*"] });
    await createDestination(key, { event_types: ["subscription.*"] });
    const recorded = creation(orgId, "cus_new");
    await env.DB.batch([insert(orgId, "cus_new"), ...recorded.statements]);

    const events = await eventsOf(orgId, "cus_new");
    expect(events.map((event) => [event.id, event.type, event.sequence])).toEqual([
      [recorded.eventIds[0], "customer.created", 1],
    ]);
    expect(await eventSequence(orgId, "cus_new")).toBe(1);
    const deliveries = await deliveriesOf(recorded.eventIds[0]!);
    expect(deliveries.map((each) => each.destination_id)).toEqual([selecting.id]);
  });

  it("records nothing when the insert fails the batch (a taken id)", async () => {
    const { orgId } = await newOrganization();
    await env.DB.batch([insert(orgId, "cus_taken"), ...creation(orgId, "cus_taken").statements]);
    const second = creation(orgId, "cus_taken");
    await expect(env.DB.batch([insert(orgId, "cus_taken"), ...second.statements])).rejects.toThrow(/UNIQUE/);

    expect((await eventsOf(orgId, "cus_taken")).map((event) => event.id)).not.toContain(second.eventIds[0]);
    expect(await eventsOf(orgId, "cus_taken")).toHaveLength(1);
  });
});

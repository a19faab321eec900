import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import { type CustomerProfile, EMPTY_PROFILE } from "../src/customer-records/customer-columns";
import { insertCustomer, insertStatement } from "../src/customers/customers.repository";
import type { EventType } from "../src/events/event-types";
import { customerVersionGuard, recordEventStatements } from "../src/events/events.repository";
import worker from "../src/index";
import { newId } from "../src/lib/ids";
import { call, newOrganization } from "./helpers";
import type { EventDestinationWithSecret } from "./response-types";

/** Shared by the events, destinations and delivery tests. */

export const RECEIVER_URL = "http://127.0.0.1:9999/roster-events";
export const DELIVERY_QUEUE = "roster-event-deliveries";
export const DEAD_LETTER_QUEUE = "roster-event-deliveries-dlq";

/** Creates an event destination and returns its body (with the full secret); fails the test on anything but 201. */
export async function createDestination(
  key: string,
  body: Record<string, unknown> = {},
): Promise<EventDestinationWithSecret & { secret: string }> {
  const response = await call<EventDestinationWithSecret>("POST", "/v1/event_destinations", {
    key,
    body: { url: RECEIVER_URL, ...body },
  });
  const { secret } = response.body;
  // A first create shows the secret; only an Idempotency-Key replay answers it as null.
  if (response.status !== 201 || secret === null) {
    throw new Error(`destination create failed (${response.status}): ${response.text}`);
  }
  return { ...response.body, secret };
}

/**
 * A customer straight into D1, recording no event: through the API a create records its own
 * customer.created, which tests of the events machinery itself do not expect.
 */
/**
 * A customers row with no event recorded about it yet (its counter at 0), to drive the recording
 * API directly. The insert starts the counter at 1 for the `customer.created` a create records
 * beside it; this fixture records none, so it puts the counter back in the same batch.
 */
export async function bareCustomer(orgId: string, fields: Partial<CustomerProfile> = {}) {
  const profile = { ...EMPTY_PROFILE, ...fields };
  const id = newId("cus");
  const insert = insertStatement(env.DB, orgId, id, profile, new Date().toISOString());
  const noEventYet = env.DB.prepare("UPDATE customers SET event_sequence = 0 WHERE org_id = ?1 AND id = ?2").bind(
    orgId,
    id,
  );
  return (await insertCustomer(env.DB, insert, { after: [noEventYet] })).row;
}

async function customerVersion(orgId: string, customerId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT version FROM customers WHERE org_id = ?1 AND id = ?2")
    .bind(orgId, customerId)
    .first<{ version: number }>();
  if (!row) throw new Error(`no customer ${customerId}`);
  return row.version;
}

/**
 * Records one event about a customer through the recording API, guarded by the customer's
 * current version (what a write path does with the version its change left). Returns its id.
 */
export async function recordEvent(
  orgId: string,
  customerId: string,
  type: EventType = "customer.updated",
  options: { object?: Record<string, unknown>; previousAttributes?: Record<string, unknown>; createdAt?: string } = {},
): Promise<string> {
  const version = await customerVersion(orgId, customerId);
  const recorded = recordEventStatements(env.DB, {
    orgId,
    customerId,
    type,
    object: options.object ?? { object: "customer", id: customerId },
    previousAttributes: options.previousAttributes,
    requestId: "req_test",
    createdAt: options.createdAt ?? new Date().toISOString(),
    guard: customerVersionGuard(orgId, customerId, version),
  });
  await env.DB.batch(recorded.statements);
  const [id] = recorded.eventIds;
  if (!id) throw new Error("no event id");
  return id;
}

export type DeliveryRecord = {
  id: string;
  org_id: string;
  destination_id: string;
  event_id: string;
  status: string;
  attempts: number;
  last_response_status: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
};

export async function deliveriesOf(eventId: string): Promise<DeliveryRecord[]> {
  const { results } = await env.DB.prepare("SELECT * FROM event_deliveries WHERE event_id = ?1 ORDER BY seq")
    .bind(eventId)
    .all<DeliveryRecord>();
  return results;
}

export async function delivery(id: string): Promise<DeliveryRecord> {
  const row = await env.DB.prepare("SELECT * FROM event_deliveries WHERE id = ?1").bind(id).first<DeliveryRecord>();
  if (!row) throw new Error(`no delivery ${id}`);
  return row;
}

/**
 * A stand-in for the delivery queue's producer binding that keeps what was sent, and how many
 * messages each call carried (one entry per `send`/`sendBatch`).
 */
export function capturingQueue(): {
  queue: Queue;
  sent: { org_id: string; delivery_id: string }[];
  calls: number[];
} {
  const sent: { org_id: string; delivery_id: string }[] = [];
  const calls: number[] = [];
  const queue = {
    send: async (body: { org_id: string; delivery_id: string }) => {
      sent.push(body);
      calls.push(1);
    },
    sendBatch: async (messages: Iterable<{ body: { org_id: string; delivery_id: string } }>) => {
      const bodies = [...messages].map((message) => message.body);
      // As the real binding: at most 100 messages per sendBatch.
      if (bodies.length > 100) throw new Error(`sendBatch of ${bodies.length} messages (at most 100)`);
      sent.push(...bodies);
      calls.push(bodies.length);
    },
  } as unknown as Queue;
  return { queue, sent, calls };
}

let messageCounter = 0;

/** Runs the Worker's queue handler on one batch, as the queue would; returns the acks and retries. */
export async function consume(
  deliveries: { id: string; org_id: string }[],
  options: { queue?: string; attempts?: number } = {},
) {
  const batch = createMessageBatch(
    options.queue ?? DELIVERY_QUEUE,
    deliveries.map((entry) => ({
      id: `msg-${++messageCounter}`,
      timestamp: new Date(),
      attempts: options.attempts ?? 1,
      body: { org_id: entry.org_id, delivery_id: entry.id },
    })),
  );
  // getQueueResult reports which messages were retried, not with what delay: record it here.
  const retryDelays: (number | undefined)[] = [];
  for (const message of batch.messages) {
    const retry = message.retry.bind(message);
    vi.spyOn(message, "retry").mockImplementation((options) => {
      retryDelays.push(options?.delaySeconds);
      retry(options);
    });
  }
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return { ...(await getQueueResult(batch, ctx)), retryDelays };
}

export type Received = { url: string; headers: Headers; body: string; init: RequestInit | undefined };

/**
 * Mocks outbound fetch (the receivers): each call is recorded and answered by `respond`
 * (a status, or a thrown error for a timeout or a refused connection).
 */
export function mockReceiver(respond: (index: number) => number | Error) {
  const received: Received[] = [];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    received.push({ url: request.url, headers: request.headers, body: await request.text(), init });
    const answer = respond(received.length - 1);
    if (answer instanceof Error) throw answer;
    return new Response(answer === 204 ? null : "receiver body", { status: answer });
  });
  return { received, spy };
}

export const timeoutError = () => new DOMException("The operation was aborted due to timeout", "TimeoutError");

export const DESTINATIONS = "/v1/event_destinations";
export const destinationPath = (id: string) => `${DESTINATIONS}/${id}`;

/** A capturing queue and the bindings that use it as the delivery queue. */
export function withQueue() {
  const captured = capturingQueue();
  return { ...captured, env: { ...env, EVENT_DELIVERIES: captured.queue } };
}

/** An organization with one destination and one customer.updated event delivered to it (pending). */
export async function orgWithDelivery() {
  const org = await newOrganization();
  const destination = await createDestination(org.key);
  const customer = await bareCustomer(org.orgId);
  const eventId = await recordEvent(org.orgId, customer.id);
  const [row] = await deliveriesOf(eventId);
  if (!row) throw new Error("no delivery");
  return { ...org, destination, customer, eventId, row };
}

import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { consumeDeliveries } from "../src/event-deliveries";
import { recordingD1 } from "./d1-spy";
import {
  createDestination,
  DELIVERY_QUEUE,
  type DeliveryRecord,
  deliveriesOf,
  delivery,
  RECEIVER_URL,
  recordEvent,
} from "./events-helpers";
import { call, countingD1, createCustomer, newOrganization } from "./helpers";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Mocks the receivers: each URL path answers with its own status; returns the paths POSTed to. */
function receiversByPath(statusOf: (path: string) => number): string[] {
  const posted: string[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    const path = new URL(request.url).pathname;
    posted.push(path);
    await request.arrayBuffer();
    const status = statusOf(path);
    return new Response(status === 204 ? null : "receiver body", { status });
  });
  return posted;
}

let messageCounter = 0;

/** Runs the delivery consumer on one batch with a D1 binding that counts round trips and statements. */
async function consumeCounting(rows: { id: string; org_id: string }[], vars: Partial<Env> = {}) {
  const batch = createMessageBatch(
    DELIVERY_QUEUE,
    rows.map((row) => ({
      id: `batch-msg-${++messageCounter}`,
      timestamp: new Date(),
      attempts: 1,
      body: { org_id: row.org_id, delivery_id: row.id },
    })),
  );
  const counting = countingD1(env.DB);
  const recording = recordingD1(counting.db);
  const ctx = createExecutionContext();
  await consumeDeliveries(batch, { ...env, ...vars, DB: recording.db });
  return {
    roundTrips: counting.roundTrips(),
    statements: recording.statements,
    result: await getQueueResult(batch, ctx),
  };
}

/** `count` events about one customer, each delivered to every given destination. */
async function deliveriesFor(orgId: string, customerId: string, count: number): Promise<DeliveryRecord[]> {
  const rows: DeliveryRecord[] = [];
  for (let index = 0; index < count; index++) rows.push(...(await deliveriesOf(await recordEvent(orgId, customerId))));
  return rows;
}

describe("the delivery consumer, per batch", () => {
  it("costs the same three D1 round trips and statements for a batch of 1 and of 10 messages", async () => {
    const { key, orgId } = await newOrganization();
    const customer = await createCustomer(key);
    await createDestination(key);
    const rows = await deliveriesFor(orgId, customer.id, 11);
    const posted = receiversByPath(() => 204);

    const one = await consumeCounting(rows.slice(0, 1));
    const ten = await consumeCounting(rows.slice(1));

    expect(posted).toHaveLength(11);
    expect(one.roundTrips).toBe(3);
    expect(ten.roundTrips).toBe(3);
    // Claim, read and drop the deliveries of deleted destinations (one batch), the events as the
    // attempts start (section 10), and one set-based UPDATE recording every outcome (none per delivery).
    expect(one.statements).toHaveLength(5);
    expect(ten.statements).toHaveLength(5);
    expect(ten.result.explicitAcks).toHaveLength(10);
    for (const row of rows) expect(await delivery(row.id)).toMatchObject({ status: "succeeded", attempts: 1 });
  });

  it("records a batch's mixed outcomes together: success, retry, 410 (destination disabled), gone rows", async () => {
    const { key, orgId } = await newOrganization();
    const customer = await createCustomer(key);
    const ok = await createDestination(key, { url: `${RECEIVER_URL}/ok` });
    const flaky = await createDestination(key, { url: `${RECEIVER_URL}/flaky` });
    const gone = await createDestination(key, { url: `${RECEIVER_URL}/gone` });
    const rows = await deliveriesFor(orgId, customer.id, 2);
    const posted = receiversByPath((path) => (path.endsWith("/ok") ? 204 : path.endsWith("/flaky") ? 503 : 410));
    const of = (destinationId: string) => rows.filter((row) => row.destination_id === destinationId);
    const [firstGone, secondGone] = of(gone.id);
    const other = await newOrganization("Other");

    const { roundTrips, result } = await consumeCounting([
      ...of(ok.id),
      ...of(flaky.id),
      firstGone!,
      firstGone!,
      { id: secondGone!.id, org_id: other.orgId },
      { id: "evd_NOSUCHDELIVERY0000000000", org_id: orgId },
    ]);

    expect(roundTrips).toBe(3);
    // Two copies of one message share one attempt; another organization's reference sends nothing.
    expect(posted.filter((path) => path.endsWith("/gone"))).toHaveLength(1);
    expect(posted).toHaveLength(5);
    expect(result.retryMessages).toHaveLength(2);
    expect(result.explicitAcks).toHaveLength(6);
    for (const row of of(ok.id)) expect(await delivery(row.id)).toMatchObject({ status: "succeeded", attempts: 1 });
    for (const row of of(flaky.id)) {
      expect(await delivery(row.id)).toMatchObject({
        status: "pending",
        attempts: 1,
        last_response_status: 503,
        last_error: "http_status",
      });
    }
    expect(await delivery(firstGone!.id)).toMatchObject({ status: "failed", attempts: 1, last_response_status: 410 });
    expect(await delivery(secondGone!.id)).toMatchObject({ status: "pending", attempts: 0 });
    const destination = await call("GET", `/v1/event_destinations/${gone.id}`, { key });
    expect(destination.body).toMatchObject({ status: "disabled", disabled_reason: "endpoint_gone" });
  });

  it("logs one line per attempt where LOG_REQUESTS is true, none where it is false (the rows keep the outcome)", async () => {
    const { key, orgId } = await newOrganization();
    const customer = await createCustomer(key);
    await createDestination(key);
    const rows = await deliveriesFor(orgId, customer.id, 2);
    receiversByPath(() => 204);
    const logged = vi.spyOn(console, "log");
    const attemptLines = () => logged.mock.calls.filter(([line]) => String(line).includes("event delivery attempt"));

    await consumeCounting(rows.slice(0, 1), { LOG_REQUESTS: "true" });
    expect(attemptLines()).toHaveLength(1);
    await consumeCounting(rows.slice(1), { LOG_REQUESTS: "false" });
    expect(attemptLines()).toHaveLength(1);

    for (const row of rows) expect(await delivery(row.id)).toMatchObject({ status: "succeeded", attempts: 1 });
  });
});

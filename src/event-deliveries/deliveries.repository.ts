import type { EventRow } from "../events/events-reading.repository";
import { rowsOf, runBatch } from "../lib/batch";
import type { Db } from "../lib/db";
import { clearExpiredPreviousSecretsIn } from "../lib/previous-secrets";

/** Every SQL statement about sending event deliveries (the outbox's consumer side). */

export type DeliveryStatus = "pending" | "succeeded" | "failed";

export type DeliveryFailure =
  | "timeout"
  | "network_error"
  | "http_status"
  | "destination_disabled"
  | "url_not_allowed"
  | "dead_lettered";

export type DeliveryRow = {
  seq: number;
  id: string;
  org_id: string;
  destination_id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  last_response_status: number | null;
  last_error: DeliveryFailure | null;
  next_attempt_at: string | null;
  created_at: string;
  updated_at: string;
};

/** A delivery with what sending it needs: the event and the destination's URL and secrets. */
export type DeliveryToSend = {
  delivery_id: string;
  org_id: string;
  delivery_status: DeliveryStatus;
  destination_id: string;
  destination_status: "enabled" | "disabled";
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: string | null;
  event: EventRow;
};

export type DeliveryMessageRef = { id: string; org_id: string };

/** The pending, never-attempted deliveries of these events (what a commit's enqueue sends). */
export async function newDeliveriesOfEvents(db: Db, orgId: string, eventIds: string[]): Promise<DeliveryMessageRef[]> {
  // `+org_id` keeps SQLite from walking the organization's deliveries through the
  // by-destination index (org_id first): the event index finds the few rows of these events.
  const { results } = await db
    .prepare(
      `SELECT id, org_id FROM event_deliveries
       WHERE event_id IN (SELECT value FROM json_each(?2)) AND +org_id = ?1 AND status = 'pending' AND attempts = 0`,
    )
    .bind(orgId, JSON.stringify(eventIds))
    .all<DeliveryMessageRef>();
  return results;
}

/**
 * Every delivery of these events to a destination that still exists (a page of one customer's
 * timeline, in the console), newest first: a deleted destination's deliveries wait for the
 * housekeeping's purge, unseen. Found through the deliveries' event index: the cost is the
 * deliveries of these events, whatever the organization holds.
 */
export async function deliveriesOfEvents(db: Db, orgId: string, eventIds: string[]): Promise<DeliveryRow[]> {
  if (eventIds.length === 0) return [];
  const { results } = await db
    .prepare(
      `SELECT * FROM event_deliveries
       WHERE event_id IN (SELECT value FROM json_each(?2)) AND +org_id = ?1
         AND EXISTS (SELECT 1 FROM event_destinations d WHERE d.org_id = ?1 AND d.id = event_deliveries.destination_id)
       ORDER BY seq DESC`,
    )
    .bind(orgId, JSON.stringify(eventIds))
    .all<DeliveryRow>();
  return results;
}

/** A delivery a queue message names: the message's organization must own it. */
export type DeliveryRef = { orgId: string; deliveryId: string };

/**
 * A delivery with what sending it needs, and the number of the attempt this claim started
 * (null when none was started: no longer pending, or its destination is disabled).
 */
export type ClaimedDelivery = DeliveryToSend & { attempt: number | null };

/**
 * The rows behind a batch's messages (by the JSON list ?1 of {org_id, delivery_id}), each with
 * its destination and event; a reference to another organization's delivery matches nothing.
 */
const CLAIM_ROWS = `FROM json_each(?1) AS m
  JOIN event_deliveries v ON v.id = json_extract(m.value, '$.delivery_id') AND v.org_id = json_extract(m.value, '$.org_id')
  JOIN event_destinations d ON d.org_id = v.org_id AND d.id = v.destination_id
  JOIN events e ON e.org_id = v.org_id AND e.id = v.event_id`;

/**
 * One round trip for a whole batch of messages: counts an attempt on each referenced delivery
 * that is pending and whose destination is enabled and not held (`heldDestinationIds`: slow
 * receivers, slow-destinations.ts), and reads every referenced delivery with its destination and
 * event. Deliveries gone (expired with their event) or whose destination was deleted are absent
 * from the result; the latter are also dropped here, so a pending one ends with this message
 * instead of coming back with every sweep until the housekeeping purges it (event-destinations/cleanup.ts).
 */
export async function claimDeliveriesToSend(
  db: Db,
  refs: DeliveryRef[],
  now: string,
  heldDestinationIds: string[] = [],
): Promise<ClaimedDelivery[]> {
  if (refs.length === 0) return [];
  const list = JSON.stringify(refs.map((ref) => ({ org_id: ref.orgId, delivery_id: ref.deliveryId })));
  const start = db
    .prepare(
      `UPDATE event_deliveries SET attempts = attempts + 1, updated_at = ?2
       WHERE seq IN (SELECT v.seq ${CLAIM_ROWS} WHERE v.status = 'pending' AND d.status = 'enabled'
         AND d.id NOT IN (SELECT value FROM json_each(?3)))
       RETURNING id, attempts`,
    )
    .bind(list, now, JSON.stringify(heldDestinationIds));
  const read = db
    .prepare(
      `SELECT v.id AS delivery_id, v.org_id, v.status AS delivery_status, d.id AS destination_id,
         d.status AS destination_status, d.url, d.secret, d.previous_secret, d.previous_secret_expires_at,
         e.seq, e.id, e.type, e.customer_id, e.sequence, e.data, e.request_id, e.created_at
       ${CLAIM_ROWS}`,
    )
    .bind(list);
  // A delivery whose destination was deleted (its rows wait for the housekeeping's purge) is
  // never sent: it goes here, so the sweep does not queue it again.
  const dropOrphans = db
    .prepare(
      `DELETE FROM event_deliveries WHERE seq IN (
         SELECT v.seq FROM json_each(?1) AS m
         JOIN event_deliveries v ON v.id = json_extract(m.value, '$.delivery_id') AND v.org_id = json_extract(m.value, '$.org_id')
         WHERE NOT EXISTS (SELECT 1 FROM event_destinations d WHERE d.org_id = v.org_id AND d.id = v.destination_id))`,
    )
    .bind(list);
  const claimed = await runBatch(db, [start, read, dropOrphans]);
  const attempts = new Map(
    rowsOf<{ id: string; attempts: number }>(claimed, start).map((row) => [row.id, row.attempts]),
  );
  const rows = rowsOf<Omit<DeliveryToSend, "event"> & Omit<EventRow, "org_id">>(claimed, read);
  return rows.map(({ seq, id, type, customer_id, sequence, data, request_id, created_at, ...delivery }) => ({
    ...delivery,
    event: { seq, id, org_id: delivery.org_id, type, customer_id, sequence, data, request_id, created_at },
    attempt: attempts.get(delivery.delivery_id) ?? null,
  }));
}

/** Where an event is kept: its organization and id. */
export const eventKey = (orgId: string, eventId: string) => JSON.stringify([orgId, eventId]);

/**
 * The events of these deliveries as they are now (by `eventKey`), in one round trip: what
 * attempts send, read when they start, so an archive committed since the claim is reflected.
 * An event gone (expired) is absent.
 */
export async function readEventsToSend(
  db: Db,
  deliveries: { org_id: string; event: { id: string } }[],
): Promise<Map<string, EventRow>> {
  if (deliveries.length === 0) return new Map();
  const list = JSON.stringify(deliveries.map((each) => ({ org_id: each.org_id, event_id: each.event.id })));
  const { results } = await db
    .prepare(
      `SELECT e.* FROM json_each(?1) AS m
       JOIN events e ON e.id = json_extract(m.value, '$.event_id') AND e.org_id = json_extract(m.value, '$.org_id')`,
    )
    .bind(list)
    .all<EventRow>();
  return new Map(results.map((event) => [eventKey(event.org_id, event.id), event]));
}

/** An attempt's outcome to record on a delivery; `nextAttemptAt` null with a failure makes it `failed`. */
export type DeliveryOutcome = {
  deliveryId: string;
  status: DeliveryStatus;
  responseStatus: number | null;
  error: DeliveryFailure | null;
  nextAttemptAt: string | null;
  at: string;
  /** The receiver answered 410: the destination is disabled with the delivery's failure. */
  disableDestination?: { orgId: string; destinationId: string };
};

/**
 * Records outcomes in one round trip, atomic: one set-based UPDATE for every delivery (the
 * outcomes travel as one JSON parameter, each row found by its unique id), plus one statement
 * per destination a 410 disables (rare). Only a delivery still pending is written, so a copy
 * of a message that already recorded success or failure changes nothing; a destination is
 * disabled only while enabled, keeping its first reason.
 */
export async function recordOutcomes(db: Db, outcomes: DeliveryOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  const rows = outcomes.map((outcome) => ({
    id: outcome.deliveryId,
    status: outcome.status,
    response_status: outcome.responseStatus,
    error: outcome.error,
    next_attempt_at: outcome.nextAttemptAt,
    at: outcome.at,
  }));
  const deliveries = db
    .prepare(
      `UPDATE event_deliveries
       SET status = json_extract(o.value, '$.status'),
         last_response_status = coalesce(json_extract(o.value, '$.response_status'), last_response_status),
         last_error = json_extract(o.value, '$.error'),
         next_attempt_at = json_extract(o.value, '$.next_attempt_at'),
         updated_at = json_extract(o.value, '$.at')
       FROM json_each(?1) AS o
       WHERE event_deliveries.id = json_extract(o.value, '$.id') AND event_deliveries.status = 'pending'`,
    )
    .bind(JSON.stringify(rows));
  const destinations = outcomes.flatMap(({ disableDestination, at }) =>
    disableDestination
      ? [
          db
            .prepare(
              `UPDATE event_destinations SET status = 'disabled', disabled_reason = 'endpoint_gone', updated_at = ?3
               WHERE org_id = ?1 AND id = ?2 AND status = 'enabled'`,
            )
            .bind(disableDestination.orgId, disableDestination.destinationId, at),
        ]
      : [],
  );
  await db.batch([deliveries, ...destinations]);
}

/**
 * Pending deliveries put back on the queue without an attempt (their destination is held):
 * due again at `until`, so the sweep does not send them a second time meanwhile.
 */
export async function postponeDeliveries(db: Db, deliveryIds: string[], until: string): Promise<void> {
  if (deliveryIds.length === 0) return;
  await db
    .prepare(
      `UPDATE event_deliveries SET next_attempt_at = ?2
       WHERE id IN (SELECT value FROM json_each(?1)) AND status = 'pending'`,
    )
    .bind(JSON.stringify(deliveryIds), until)
    .run();
}

/**
 * Pending deliveries whose attempt was due before `overdueBefore` (their queue message was
 * lost), up to `limit`, the organizations in turn: the oldest overdue of each organization, then
 * the second oldest of each, and so on, so one organization's backlog never goes before another's
 * deliveries. They get `next_attempt_at = leaseUntil`, so the next sweep leaves them alone while
 * the re-sent message is on its way, and are returned for sending. Reads at most `limit` rows per
 * organization, each through its own range of `event_deliveries_due_by_org`.
 */
export async function claimOverdueDeliveries(
  db: Db,
  overdueBefore: string,
  leaseUntil: string,
  limit: number,
): Promise<DeliveryMessageRef[]> {
  const { results } = await db
    .prepare(
      `WITH due AS (
         SELECT v.seq, v.org_id, v.next_attempt_at FROM organizations o, event_deliveries v
         WHERE v.seq IN (SELECT seq FROM event_deliveries INDEXED BY event_deliveries_due_by_org
                         WHERE org_id = o.id AND status = 'pending' AND next_attempt_at < ?1
                         ORDER BY next_attempt_at LIMIT ?3)
       ), in_turns AS (
         SELECT seq, next_attempt_at, row_number() OVER (PARTITION BY org_id ORDER BY next_attempt_at, seq) AS turn
         FROM due
       )
       UPDATE event_deliveries SET next_attempt_at = ?2
       WHERE seq IN (SELECT seq FROM in_turns ORDER BY turn, next_attempt_at, seq LIMIT ?3)
       RETURNING id, org_id`,
    )
    .bind(overdueBefore, leaseUntil, limit)
    .all<DeliveryMessageRef>();
  return results;
}

/** Newest first, below `beforeSeq` when given. */
export async function listDeliveries(
  db: Db,
  orgId: string,
  destinationId: string,
  beforeSeq: number | null,
  limit: number,
): Promise<DeliveryRow[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM event_deliveries WHERE org_id = ?1 AND destination_id = ?2 AND seq < ?3
       ORDER BY seq DESC LIMIT ?4`,
    )
    .bind(orgId, destinationId, beforeSeq ?? Number.MAX_SAFE_INTEGER, limit)
    .all<DeliveryRow>();
  return results;
}

/**
 * Drops destinations' previous secrets whose 24 hours are over (signing already ignores them);
 * returns how many.
 */
export const clearExpiredDestinationSecrets = (db: Db, now: string) =>
  clearExpiredPreviousSecretsIn(db, "event_destinations", now);

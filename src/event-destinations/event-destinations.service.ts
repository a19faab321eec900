import { type DeliveryRow, deliveriesOfEvents, listDeliveries } from "../event-deliveries/deliveries.repository";
import { sendDeliveryMessages } from "../event-deliveries/queue";
import {
  insertReplayDeliveries,
  type ReplayAnswer,
  replayAnswerSql,
  replayClaimed,
} from "../event-deliveries/replay.repository";
import { ALL_EVENT_TYPES } from "../events/event-types";
import type { Background } from "../lib/background";
import type { Db } from "../lib/db";
import { destinationUrlProblem } from "../lib/destination-url";
import { ApiError } from "../lib/errors";
import { newId, randomToken } from "../lib/ids";
import { type KeepAnswer, keepNothing } from "../lib/kept-answer";
import { filtersKey, pageBody, readPage } from "../lib/pages";
import { previousSecretExpiresAt } from "../lib/previous-secrets";
import type { SqlExpression } from "../lib/sql-guard";
import { maskedSecret, newSigningSecret } from "../lib/standard-webhooks";
import {
  type DestinationPatch,
  type DestinationRow,
  deleteDestination,
  destinationExists,
  destinationIs,
  findDestination,
  insertDestination,
  listDestinations,
  MAX_DESTINATIONS_PER_ORGANIZATION,
  newDestinationRow,
  rotateDestinationSecret,
  updateDestination,
} from "./event-destinations.repository";

/** A replay queues this many deliveries per call (and the rest of the last one's instant); `next_since` continues it. */
export const REPLAY_LIMIT = 1000;
/** … but never more than this many in one call (spec §7), whatever one instant holds. */
export const MAX_REPLAY_DELIVERIES = 10_000;
/** A destination is replayed at most once in this many seconds (spec §7). */
export const REPLAY_INTERVAL_SECONDS = 60;

const notFound = () => new ApiError("not_found", "No event destination with this id in this organization.");

/** The deployment settings destinations depend on. */
type DestinationSettings = Pick<Env, "ALLOW_HTTP_DESTINATIONS">;

/**
 * The deployment's rules on top of the URL's shape (lib/destination-url.ts): no address inside
 * a private network in any spelling, `http://` only to loopback, loopback only where allowed.
 */
export function checkDestinationUrl(env: DestinationSettings, value: string): void {
  const detail = destinationUrlProblem(value, env);
  if (detail) throw new ApiError("validation_failed", `url ${detail}.`, { errors: [{ pointer: "/url", detail }] });
}

/** The destination object; `secret` is the full secret where one was just issued, else the mask. */
export const toDestinationObject = (row: DestinationRow, secret = maskedSecret(row.secret_last4)) => ({
  object: "event_destination" as const,
  id: row.id,
  url: row.url,
  event_types: JSON.parse(row.event_types) as string[],
  description: row.description,
  status: row.status,
  disabled_reason: row.disabled_reason,
  secret,
  previous_secret_expires_at: row.previous_secret_expires_at,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

export const toDeliveryObject = (row: DeliveryRow) => ({
  object: "event_delivery" as const,
  id: row.id,
  destination_id: row.destination_id,
  event_id: row.event_id,
  event_type: row.event_type,
  status: row.status,
  attempts: row.attempts,
  last_response_status: row.last_response_status,
  last_error: row.last_error,
  next_attempt_at: row.next_attempt_at,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

const unique = (values: string[]) => [...new Set(values)];

export type DestinationObject = ReturnType<typeof toDestinationObject>;

/**
 * Creates a destination; its answer (the object, with its secret this once) is kept with the
 * insert (`keep`, lib/kept-answer.ts).
 */
export async function createDestination(
  db: Db,
  env: DestinationSettings,
  orgId: string,
  input: { url: string; event_types?: string[]; description?: string | null },
  keep: KeepAnswer<DestinationObject> = keepNothing,
) {
  checkDestinationUrl(env, input.url);
  const secret = newSigningSecret();
  const destination = {
    id: newId("ed"),
    orgId,
    url: input.url,
    eventTypes: unique(input.event_types ?? [ALL_EVENT_TYPES]),
    description: input.description ?? null,
    secret,
    createdAt: new Date().toISOString(),
  };
  const predicted = newDestinationRow(destination);
  const row = await insertDestination(
    db,
    destination,
    keep(toDestinationObject(predicted, secret), destinationIs(predicted)),
  );
  if (!row) {
    throw new ApiError(
      "destination_limit_reached",
      `This organization already has ${MAX_DESTINATIONS_PER_ORGANIZATION} event destinations; delete one first.`,
    );
  }
  return toDestinationObject(row, secret);
}

export async function listAll(db: Db, orgId: string) {
  return (await listDestinations(db, orgId)).map((row) => toDestinationObject(row));
}

export async function getDestination(db: Db, orgId: string, id: string) {
  const row = await findDestination(db, orgId, id);
  if (!row) throw notFound();
  return toDestinationObject(row);
}

export async function patchDestination(
  db: Db,
  env: DestinationSettings,
  orgId: string,
  id: string,
  input: { url?: string; event_types?: string[]; description?: string | null; status?: "enabled" | "disabled" },
  keep: KeepAnswer<DestinationObject> = keepNothing,
) {
  if (input.url !== undefined) checkDestinationUrl(env, input.url);
  const patch: DestinationPatch = {
    url: input.url,
    eventTypes: input.event_types === undefined ? undefined : unique(input.event_types),
    description: input.description,
    status: input.status,
  };
  // Read first: the kept answer is the row the update leaves, kept only if it left exactly that.
  const current = await findDestination(db, orgId, id);
  if (!current) throw notFound();
  const now = new Date().toISOString();
  const predicted = patchedRow(current, patch, now);
  const row = await updateDestination(
    db,
    orgId,
    id,
    patch,
    now,
    keep(toDestinationObject(predicted), destinationIs(predicted)),
  );
  if (!row) throw notFound();
  return toDestinationObject(row);
}

/** The row `updateDestination` leaves when it applies `patch` at `now` to `row`. */
function patchedRow(row: DestinationRow, patch: DestinationPatch, now: string): DestinationRow {
  const disabledReason =
    patch.status === "enabled"
      ? null
      : patch.status === "disabled" && row.status !== "disabled"
        ? "manual"
        : row.disabled_reason;
  return {
    ...row,
    url: patch.url ?? row.url,
    event_types: patch.eventTypes === undefined ? row.event_types : JSON.stringify(patch.eventTypes),
    description: patch.description === undefined ? row.description : patch.description,
    status: patch.status ?? row.status,
    disabled_reason: disabledReason,
    updated_at: now,
  };
}

/**
 * Deletes a destination; its answer is kept with the delete (`keep`, given the destination's
 * id). Its deliveries are left to the housekeeping (`purgeDeletedDestinations`), so the request
 * holds D1 for two short statements whatever the destination's history.
 */
export async function removeDestination(
  db: Db,
  orgId: string,
  id: string,
  keep: KeepAnswer<string> = keepNothing,
): Promise<void> {
  const kept = keep(id, destinationExists(orgId, id));
  if (!(await deleteDestination(db, orgId, id, new Date().toISOString(), kept))) throw notFound();
}

/** A new signing secret (shown this once); the answer is kept with the rotation. */
export async function rotateSecret(
  db: Db,
  orgId: string,
  id: string,
  keep: KeepAnswer<DestinationObject> = keepNothing,
) {
  const secret = newSigningSecret();
  const now = Date.now();
  const previousExpiresAt = previousSecretExpiresAt(now);
  const current = await findDestination(db, orgId, id);
  if (!current) throw notFound();
  const updatedAt = new Date(now).toISOString();
  const predicted: DestinationRow = {
    ...current,
    secret_last4: secret.slice(-4),
    previous_secret_expires_at: previousExpiresAt,
    updated_at: updatedAt,
  };
  const kept = keep(toDestinationObject(predicted, secret), destinationIs(predicted));
  const row = await rotateDestinationSecret(db, orgId, id, secret, previousExpiresAt, updatedAt, kept);
  if (!row) throw notFound();
  return toDestinationObject(row, secret);
}

export async function listDestinationDeliveries(
  db: Db,
  orgId: string,
  id: string,
  query: { limit?: number; cursor?: string },
) {
  if (!(await findDestination(db, orgId, id))) throw notFound();
  const key = filtersKey(["deliveries", id]);
  const { limit, rows } = await readPage(query, key, (beforeSeq, count) =>
    listDeliveries(db, orgId, id, beforeSeq, count),
  );
  return pageBody(rows, limit, key, toDeliveryObject);
}

/** Every delivery of these events, to any destination, newest first (the console's customer timeline). */
export async function listDeliveriesOfEvents(db: Db, orgId: string, eventIds: string[]) {
  return (await deliveriesOfEvents(db, orgId, eventIds)).map(toDeliveryObject);
}

/**
 * New deliveries of every kept event since `since` that the destination selects (oldest first,
 * REPLAY_LIMIT plus the rest of the last one's instant, at most MAX_REPLAY_DELIVERIES), queued
 * after they are stored. At most one replay per destination per REPLAY_INTERVAL_SECONDS, decided
 * in D1 in the same batch as the deliveries (429 with Retry-After). A disabled destination is
 * refused: its deliveries would only fail.
 */
export async function replay(
  db: Db,
  queue: Queue,
  orgId: string,
  id: string,
  since: string,
  background: Background,
  keep: KeepAnswer<SqlExpression> = keepNothing,
): Promise<ReplayAnswer> {
  const sinceUtc = new Date(since).toISOString();
  const now = Date.now();
  const claimId = randomToken(16);
  // Its answer is known only to its batch: kept from there (spec section 5).
  const kept = keep(replayAnswerSql(orgId, id, sinceUtc, claimId), replayClaimed(orgId, id, claimId));
  const result = await insertReplayDeliveries(
    db,
    orgId,
    id,
    { since: sinceUtc, limit: REPLAY_LIMIT, cap: MAX_REPLAY_DELIVERIES },
    {
      id: claimId,
      now: new Date(now).toISOString(),
      lastReplayBefore: new Date(now - REPLAY_INTERVAL_SECONDS * 1000).toISOString(),
    },
    kept,
  );
  if (result.outcome === "not_found") throw notFound();
  if (result.outcome === "disabled") {
    throw new ApiError(
      "destination_disabled",
      "This event destination is disabled; enable it (PATCH) before a replay.",
    );
  }
  if (result.outcome === "too_soon") {
    const nextAllowed = Date.parse(result.lastReplayAt) + REPLAY_INTERVAL_SECONDS * 1000;
    const retryAfter = Math.min(REPLAY_INTERVAL_SECONDS, Math.max(1, Math.ceil((nextAllowed - now) / 1000)));
    throw new ApiError(
      "rate_limited",
      `This event destination was replayed less than ${REPLAY_INTERVAL_SECONDS} seconds ago; retry in ${retryAfter} seconds.`,
      { headers: { "Retry-After": String(retryAfter) } },
    );
  }
  // Stored deliveries are safe: if queueing fails, the sweep sends them once overdue.
  background(sendDeliveryMessages(queue, result.deliveries));
  return result.answer;
}

import { eventRangeSql, selectionsFor, selectionValue } from "../events/events-reading.repository";
import { INSERT_DELIVERIES, NEW_DELIVERY_ID } from "../events/fan-out.repository";
import { firstRowOf, rowsOf, runBatch } from "../lib/batch";
import type { Db } from "../lib/db";
import { GO_ROUND, retryWhileChanging } from "../lib/retry";
import type { SqlExpression, SqlGuard } from "../lib/sql-guard";
import type { DeliveryMessageRef } from "./deliveries.repository";

/** The replay's SQL (`POST /v1/event_destinations/{id}/replay`): one capped, claimed page at a time. */

/** What a replay did: its deliveries and where the next page starts, or why it wrote nothing. */
export type ReplayResult =
  | { outcome: "replayed"; deliveries: DeliveryMessageRef[]; answer: ReplayAnswer }
  | { outcome: "not_found" }
  | { outcome: "disabled" }
  | { outcome: "too_soon"; lastReplayAt: string };

/** The replay's answer (`EventDestinationReplay` in the OpenAPI document), as its batch built it. */
export type ReplayAnswer = {
  object: "event_destination_replay";
  destination_id: string;
  since: string;
  deliveries_created: number;
  has_more: boolean;
  next_since: string | null;
};

export type ReplayPage = {
  since: string;
  /** The page's size: this many events, plus the rest of the last one's instant … */
  limit: number;
  /** … but never more than this many deliveries. */
  cap: number;
};

export type ReplayClaim = {
  /** This replay's own id: its deliveries are written only if it claimed the destination. */
  id: string;
  now: string;
  /** The destination was last replayed at or before this, or this replay is refused. */
  lastReplayBefore: string;
};

/** The replay's answer (`EventDestinationReplay`) as JSON text, from the destination row its batch left. */
const ANSWER_JSON = `json_object('object', 'event_destination_replay', 'destination_id', id, 'since', ?,
  'deliveries_created', last_replay_deliveries,
  'has_more', json(CASE WHEN last_replay_next_since IS NULL THEN 'false' ELSE 'true' END),
  'next_since', last_replay_next_since)`;

/** True once replay `claimId` claimed the destination (its deliveries were written). */
export const replayClaimed = (orgId: string, destinationId: string, claimId: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM event_destinations WHERE org_id = ? AND id = ? AND last_replay_id = ?)",
  params: [orgId, destinationId, claimId],
});

/** Replay `claimId`'s answer, as the body its batch keeps for an Idempotency-Key (null if it claimed nothing). */
export const replayAnswerSql = (
  orgId: string,
  destinationId: string,
  since: string,
  claimId: string,
): SqlExpression => ({
  sql: `SELECT ${ANSWER_JSON} FROM event_destinations WHERE org_id = ? AND id = ? AND last_replay_id = ?`,
  params: [since, orgId, destinationId, claimId],
});

/** Greater than every stored `created_at` (ISO 8601 text): "no upper bound" as a range the index can use. */
const NO_END = "~";

/**
 * One replay page, in one atomic batch: the replay claims the destination (enabled, its
 * selectors as read, and last replayed at or before `claim.lastReplayBefore`: once a minute),
 * then inserts new pending deliveries of the kept events created at or after `since` that it
 * selects, only if its claim holds, oldest first (created_at, then insertion order). A page is
 * the first `limit` of them plus every other one created at the instant of the last of them, so
 * that it never ends inside an instant; unless that would pass `cap` deliveries: then it ends
 * before that instant (the next page starts there), or, when one instant alone holds more than
 * `cap` (several imports in one millisecond), it takes the first `cap` of that instant and the
 * rest of it is not replayed. `nextSince` is the first instant after the page (null when none is
 * left): following it replays each event once.
 *
 * The events are read as one index range per selected type or group (`selectionsFor`), merged
 * in time order, so a page reads about what it inserts, whatever else the organization holds.
 * The count and `nextSince` are recorded on the destination in the same batch and the answer is
 * built from them there, so that `after` (a kept answer, see `replayAnswerSql`) can keep it in
 * the batch. Nothing is written for another organization's destination, a disabled one, or one
 * replayed too recently (the answer says which).
 */
export async function insertReplayDeliveries(
  db: Db,
  orgId: string,
  destinationId: string,
  page: ReplayPage,
  claim: ReplayClaim,
  after: D1PreparedStatement[] = [],
): Promise<ReplayResult> {
  return retryWhileChanging({ record: "event destination", change: "replay" }, async () => {
    const stored = await db
      .prepare("SELECT event_types FROM event_destinations WHERE org_id = ?1 AND id = ?2")
      .bind(orgId, destinationId)
      .first<{ event_types: string }>();
    if (!stored) return { outcome: "not_found" };
    const result = await replayPage(db, orgId, destinationId, stored.event_types, page, claim, after);
    // The selectors changed between the read and the batch: nothing was written; read them again.
    if (result !== "selectors_changed") return result;
    return GO_ROUND;
  });
}

async function replayPage(
  db: Db,
  orgId: string,
  destinationId: string,
  eventTypes: string,
  page: ReplayPage,
  claim: ReplayClaim,
  after: D1PreparedStatement[],
): Promise<ReplayResult | "selectors_changed"> {
  // ?1 org, ?2 destination, ?3 since, ?4 limit, ?5 now, ?6 the replay's id, ?7 cap; the
  // selections' values (a type, a group; none for all) from ?8 on.
  const selections = selectionsFor(JSON.parse(eventTypes) as string[]);
  const values: string[] = [];
  const numbers = selections.map((selection) => {
    const value = selectionValue(selection);
    if (value === null) return null;
    values.push(value);
    return 7 + values.length;
  });
  // The selected events since `since` that match `extra`, as merged index ranges in (created_at,
  // seq) order, each read only as far as the merge needs; none unless this replay claimed the
  // destination (an empty selection reads nothing).
  const claimed = "EXISTS (SELECT 1 FROM event_destinations WHERE org_id = ?1 AND id = ?2 AND last_replay_id = ?6)";
  const selected = (columns: string, extra: string, tail: string) =>
    selections.length === 0
      ? `SELECT ${columns} FROM events WHERE 0`
      : `${selections
          .map((selection, i) =>
            eventRangeSql(selection, numbers[i] ?? null, columns, `created_at >= ?3 AND ${extra} AND ${claimed}`),
          )
          .join(" UNION ALL ")} ORDER BY created_at, seq ${tail}`;
  const count = (extra: string, most: string) =>
    `(SELECT COUNT(*) FROM (${selected("created_at, seq", extra, `LIMIT ${most}`)}))`;
  const firstAfter = (instant: string) =>
    `(SELECT created_at FROM (${selected("created_at, seq", `created_at > ${instant}`, "LIMIT 1")}))`;
  // Where the page ends, computed once per statement: `last`, when the limit-th selected event was
  // created (NULL when fewer are selected: `all` fit); `first`, the first one's instant;
  // `upto_last`, how many are selected up to the end of `last`'s instant (counted no further
  // than the cap). `mode`: `to_last` when those fit under the cap, else `before_last` (the page
  // stops before that instant), else `first_only` (one instant alone holds more than the cap).
  // The page is then the range `created_at <= le AND created_at < lt`, at most cap of it.
  const pageSql = `WITH bounds AS MATERIALIZED (
      SELECT (SELECT created_at FROM (${selected("created_at, seq", "1", "LIMIT 1 OFFSET ?4 - 1")})) AS last,
             (SELECT created_at FROM (${selected("created_at, seq", "1", "LIMIT 1")})) AS first
    ), counted AS MATERIALIZED (
      SELECT last, first, ${count("created_at <= (SELECT last FROM bounds)", "?7 + 1")} AS upto_last FROM bounds
    ), page AS MATERIALIZED (
      SELECT last, first, mode,
        CASE mode WHEN 'all' THEN '${NO_END}' WHEN 'first_only' THEN first ELSE last END AS le,
        CASE mode WHEN 'before_last' THEN last ELSE '${NO_END}' END AS lt
      FROM (SELECT last, first, CASE
          WHEN last IS NULL THEN 'all'
          WHEN upto_last <= ?7 THEN 'to_last'
          WHEN last > first THEN 'before_last'
          ELSE 'first_only'
        END AS mode FROM counted)
    )`;
  const inPage = "created_at <= (SELECT le FROM page) AND created_at < (SELECT lt FROM page)";
  const bind = (sql: string) =>
    db.prepare(sql).bind(orgId, destinationId, page.since, page.limit, claim.now, claim.id, page.cap, ...values);
  const claimDestination = db
    .prepare(
      `UPDATE event_destinations SET last_replay_at = ?3, last_replay_id = ?4,
         last_replay_deliveries = NULL, last_replay_next_since = NULL
       WHERE org_id = ?1 AND id = ?2 AND status = 'enabled' AND event_types = ?6
         AND (last_replay_at IS NULL OR last_replay_at <= ?5)`,
    )
    .bind(orgId, destinationId, claim.now, claim.id, claim.lastReplayBefore, eventTypes);
  const insertDeliveries = bind(
    `${pageSql} ${INSERT_DELIVERIES}
     SELECT ${NEW_DELIVERY_ID}, ?1, ?2, id, type, ?5, ?5, ?5
     FROM (${selected("created_at, seq, id, type", inPage, "LIMIT ?7")})
     RETURNING id, org_id`,
  );
  // What the insert above wrote, counted over the same range (the batch is one transaction:
  // the same events are selected), and where the next page starts.
  const recordPage = bind(
    `${pageSql} UPDATE event_destinations SET
       last_replay_deliveries = ${count(inPage, "?7")},
       last_replay_next_since = (SELECT CASE mode
         WHEN 'all' THEN NULL
         WHEN 'to_last' THEN ${firstAfter("(SELECT last FROM page)")}
         WHEN 'before_last' THEN last
         ELSE ${firstAfter("(SELECT first FROM page)")}
       END FROM page)
     WHERE org_id = ?1 AND id = ?2 AND last_replay_id = ?6`,
  );
  const readDestination = db
    .prepare(
      `SELECT status, event_types, last_replay_at, last_replay_id, ${ANSWER_JSON} AS answer
       FROM event_destinations WHERE org_id = ? AND id = ?`,
    )
    .bind(page.since, orgId, destinationId);
  const written = await runBatch(db, [claimDestination, insertDeliveries, recordPage, readDestination, ...after]);
  const state = firstRowOf<{
    status: "enabled" | "disabled";
    event_types: string;
    last_replay_at: string | null;
    last_replay_id: string | null;
    answer: string;
  }>(written, readDestination);
  if (!state) return { outcome: "not_found" };
  if (state.status === "disabled") return { outcome: "disabled" };
  if (state.last_replay_id !== claim.id) {
    if (state.event_types !== eventTypes) return "selectors_changed";
    return { outcome: "too_soon", lastReplayAt: state.last_replay_at ?? claim.now };
  }
  return {
    outcome: "replayed",
    deliveries: rowsOf<DeliveryMessageRef>(written, insertDeliveries),
    answer: JSON.parse(state.answer) as ReplayAnswer,
  };
}

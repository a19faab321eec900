import { selectsSql } from "../events/event-types";
import { INSERT_DELIVERIES, NEW_DELIVERY_ID } from "../events/fan-out.repository";
import type { Db } from "../lib/db";
import type { SqlGuard } from "../lib/sql-guard";
import type { DeliveryMessageRef } from "./deliveries.repository";

/** The replay's SQL (`POST /v1/event_destinations/{id}/replay`): one capped, claimed page at a time. */

/** What a replay did: its deliveries and where the next page starts, or why it wrote nothing. */
export type ReplayResult =
  | { outcome: "replayed"; deliveries: DeliveryMessageRef[]; nextSince: string | null }
  | { outcome: "not_found" }
  | { outcome: "disabled" }
  | { outcome: "too_soon"; lastReplayAt: string };

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

/**
 * One replay page, in one atomic batch: the replay claims the destination (enabled, and last
 * replayed at or before `claim.lastReplayBefore`: once a minute), then inserts new pending
 * deliveries of the kept events created at or after `since` that it selects, only if its claim
 * holds, oldest first (created_at, then insertion order). A page is the first `limit` of them
 * plus every other one created at the instant of the last of them, so that it never ends
 * inside an instant; unless that would pass `cap` deliveries: then it ends before that instant
 * (the next page starts there), or, when one instant alone holds more than `cap` (several
 * imports in one millisecond), it takes the first `cap` of that instant and the rest of it is
 * not replayed. `nextSince` is the first instant after the page (null when none is left):
 * following it replays each event once. Nothing is written for another organization's
 * destination, a disabled one, or one replayed too recently (the answer says which). `keptAnswer`
 * joins the batch last (a kept answer guarded by `replayClaimed`).
 */
export async function insertReplayDeliveries(
  db: Db,
  orgId: string,
  destinationId: string,
  page: ReplayPage,
  claim: ReplayClaim,
  keptAnswer: D1PreparedStatement[] = [],
): Promise<ReplayResult> {
  // ?1 org, ?2 destination, ?3 since, ?4 limit, ?5 now, ?6 the replay's id, ?7 cap.
  const selected = (alias: string) =>
    `FROM events ${alias} JOIN event_destinations d
       ON d.org_id = ${alias}.org_id AND d.id = ?2 AND d.status = 'enabled' AND d.last_replay_id = ?6
     WHERE ${alias}.org_id = ?1 AND ${alias}.created_at >= ?3 AND ${selectsSql("d.event_types", `${alias}.type`)}`;
  // Where the page ends, computed once per statement (one materialized row): `last`, when the
  // limit-th selected event was created (NULL when fewer are selected: `all` fit); `first`, the
  // first one's instant; `mode`: `to_last` when everything up to the end of `last`'s instant
  // fits under the cap (counted no further than the cap), else `before_last` (the page stops
  // before that instant), else `first_only` (one instant alone holds more than the cap).
  const pageSql = `WITH bounds AS (
      SELECT (SELECT b.created_at ${selected("b")} ORDER BY b.created_at, b.seq LIMIT 1 OFFSET ?4 - 1) AS last,
             (SELECT MIN(b.created_at) ${selected("b")}) AS first
    ), page AS MATERIALIZED (
      SELECT last, first, CASE
          WHEN last IS NULL THEN 'all'
          WHEN (SELECT COUNT(*) FROM (SELECT 1 ${selected("b")} AND b.created_at <= last LIMIT ?7 + 1)) <= ?7 THEN 'to_last'
          WHEN last > first THEN 'before_last'
          ELSE 'first_only'
        END AS mode
      FROM bounds
    )`;
  const after = (instant: string) => `(SELECT MIN(e.created_at) ${selected("e")} AND e.created_at > ${instant})`;
  const bind = (sql: string) =>
    db.prepare(sql).bind(orgId, destinationId, page.since, page.limit, claim.now, claim.id, page.cap);
  const [, inserted, next, destination] = await db.batch([
    db
      .prepare(
        `UPDATE event_destinations SET last_replay_at = ?3, last_replay_id = ?4
         WHERE org_id = ?1 AND id = ?2 AND status = 'enabled'
           AND (last_replay_at IS NULL OR last_replay_at <= ?5)`,
      )
      .bind(orgId, destinationId, claim.now, claim.id, claim.lastReplayBefore),
    bind(
      `${pageSql} ${INSERT_DELIVERIES}
       SELECT ${NEW_DELIVERY_ID}, e.org_id, d.id, e.id, e.type, ?5, ?5, ?5
       ${selected("e")} AND CASE (SELECT mode FROM page)
         WHEN 'all' THEN 1
         WHEN 'to_last' THEN e.created_at <= (SELECT last FROM page)
         WHEN 'before_last' THEN e.created_at < (SELECT last FROM page)
         ELSE e.created_at = (SELECT first FROM page)
       END
       ORDER BY e.created_at, e.seq
       LIMIT ?7
       RETURNING id, org_id`,
    ),
    bind(
      `${pageSql} SELECT CASE mode
         WHEN 'all' THEN NULL
         WHEN 'to_last' THEN ${after("page.last")}
         WHEN 'before_last' THEN last
         ELSE ${after("page.first")}
       END AS created_at FROM page`,
    ),
    db
      .prepare("SELECT status, last_replay_at, last_replay_id FROM event_destinations WHERE org_id = ?1 AND id = ?2")
      .bind(orgId, destinationId),
    ...keptAnswer,
  ]);
  const state = destination?.results[0] as
    | { status: "enabled" | "disabled"; last_replay_at: string | null; last_replay_id: string | null }
    | undefined;
  if (!state) return { outcome: "not_found" };
  if (state.status === "disabled") return { outcome: "disabled" };
  if (state.last_replay_id !== claim.id)
    return { outcome: "too_soon", lastReplayAt: state.last_replay_at ?? claim.now };
  return {
    outcome: "replayed",
    deliveries: (inserted?.results ?? []) as DeliveryMessageRef[],
    nextSince: (next?.results[0] as { created_at: string | null } | undefined)?.created_at ?? null,
  };
}

/** True, in the replay's batch, exactly when the replay `replayId` claimed the destination (its page was written). */
export const replayClaimed = (orgId: string, destinationId: string, replayId: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM event_destinations WHERE org_id = ? AND id = ? AND last_replay_id = ?)",
  params: [orgId, destinationId, replayId],
});

/**
 * What Roster asks of D1: prepared statements and atomic batches. Both a `D1Database` and a
 * `D1DatabaseSession` (read replication) have them, so code written against this type runs
 * unchanged whichever the request was given. The request's handle is `c.get("db")`, set once
 * in `createApp`; code with no request (the Cron cleanups) takes `env.DB` explicitly.
 */
export type Db = Pick<D1Database, "prepare" | "batch">;

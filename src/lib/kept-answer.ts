import type { RequestContext } from "./background";
import type { SqlExpression, SqlGuard } from "./sql-guard";

/**
 * A write's answer as a value: what the handler sends, and what an Idempotency-Key keeps for
 * replays. Built before the change commits, from the result the change will have (its batch is
 * guarded, so that result is known exactly), so that the key's answer can commit with it.
 */
export type Answer<Body = unknown, Status extends number = number> = {
  status: Status;
  body: Body;
  /** Location and ETag, when the answer has them; Content-Type when it is not `application/json` (a problem). */
  headers?: Record<string, string>;
  /**
   * For an answer only the change's own batch knows (a replay's count and where it stopped):
   * an SQL expression giving the body's JSON text, evaluated in that batch after the change.
   * What is kept is that text; the caller must be sent the same JSON.
   */
  bodySql?: SqlExpression;
};

/**
 * Given by the idempotency middleware to a request that holds an Idempotency-Key lock: the
 * statements a change appends to its own atomic batch so that the key's answer commits with it
 * (spec section 5). They refuse the whole batch if the lock is no longer this request's, and
 * keep `answer` only where `committed` holds (the change landed).
 */
export type AnswerKeeper = (answer: Answer, committed: SqlGuard) => D1PreparedStatement[];

/**
 * What a write path takes to keep its answer in its batch: the statements for the result it is
 * about to commit (`predicted`), to append after the statements that `committed` depends on.
 * Without an Idempotency-Key it gives none.
 */
export type KeepAnswer<R> = (predicted: R, committed: SqlGuard) => D1PreparedStatement[];

export const keepNothing: KeepAnswer<unknown> = () => [];

/**
 * The request's KeepAnswer for a write whose result `present` turns into the answer. The handler
 * presents the committed result with the same `present`, so the answer sent and the one kept are
 * the same value.
 */
export function keepAnswer<R>(c: RequestContext, present: (result: R) => Answer): KeepAnswer<R> {
  const keeper = c.get("answerKeeper");
  return keeper ? (predicted, committed) => keeper(present(predicted), committed) : keepNothing;
}

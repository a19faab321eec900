import type { SessionStart } from "./consistency";

/**
 * What Roster asks of D1: prepared statements and atomic batches. Both a `D1Database` and a
 * `D1DatabaseSession` (read replication) have them, so code written against this type runs
 * unchanged on whichever session it is given.
 */
export type Db = Pick<D1Database, "prepare" | "batch">;

/** The one call of `withSession` in Roster: every D1 access runs in a session opened here. */
export function openSession(binding: D1Database, start: SessionStart): D1DatabaseSession {
  return binding.withSession(start);
}

/** A session for work that writes with no request behind it (background tasks, Cron cleanups). */
export const primarySession = (binding: D1Database): Db => openSession(binding, "first-primary");

/**
 * A request's D1 handle (`c.get("db")`, made once per request by `createApp`). The session is
 * opened at the first statement, where `start` is asked where it begins (and may refuse the
 * request's headers with a 400); a request that never reaches D1 opens none. Every statement
 * and batch of the request then runs in that one session.
 */
export class RequestDb implements Db {
  readonly #binding: D1Database;
  readonly #start: () => SessionStart;
  #session: D1DatabaseSession | null = null;

  constructor(binding: D1Database, start: () => SessionStart) {
    this.#binding = binding;
    this.#start = start;
  }

  prepare(query: string): D1PreparedStatement {
    return this.#opened().prepare(query);
  }

  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
    return this.#opened().batch<T>(statements);
  }

  /**
   * The session's latest bookmark once the request has used D1 (prepared a statement or sent a
   * batch); null when it never did, or when its only query failed before D1 gave a bookmark.
   */
  bookmark(): string | null {
    return this.#session?.getBookmark() ?? null;
  }

  /**
   * A separate session on the primary for work that runs after the response: it must not move
   * the request's session after its bookmark was sent, and what it decides needs the latest state.
   */
  forBackground(): Db {
    return primarySession(this.#binding);
  }

  #opened(): D1DatabaseSession {
    this.#session ??= openSession(this.#binding, this.#start());
    return this.#session;
  }
}

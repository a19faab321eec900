/**
 * Storage bindings that fail on purpose, to show what Roster answers when KV or one D1
 * statement fails after (or in the middle of) a change. Everything else passes through to the
 * real binding.
 */

/** A KV namespace whose deletes throw while `failing()` says so (reads and puts still work). */
export function kvWithFailingDeletes(kv: KVNamespace, failing: () => boolean = () => true) {
  let attempts = 0;
  const wrapped = new Proxy(kv, {
    get(target, name) {
      if (name === "delete") {
        return async (key: string) => {
          attempts++;
          if (failing()) throw new Error("KV delete failed (test double)");
          return target.delete(key);
        };
      }
      const member = Reflect.get(target, name);
      return typeof member === "function" ? member.bind(target) : member;
    },
  });
  return { kv: wrapped, deleteAttempts: () => attempts };
}

/**
 * A D1 binding (and any session taken from it) whose statements that write into `table` fail
 * when run (the table name is swapped for one that does not exist, so D1 itself reports the
 * failure). In a batch the whole batch then fails, as D1's does.
 */
export function d1FailingWritesTo(db: D1Database, table: string): D1Database {
  const target = new RegExp(`\\b(INSERT INTO|UPDATE) ${table}\\b`, "g");
  const rewrite = (sql: string) => sql.replace(target, "$1 no_such_table_in_test_double");
  return d1WithSessions(db, (inner, name) =>
    name === "prepare" ? (sql: string) => inner.prepare(rewrite(sql)) : undefined,
  );
}

/**
 * A D1 binding whose members `override` may replace (it returns undefined to keep one), on the
 * binding and on every session taken from it: requests run their statements in a session
 * (lib/db.ts), so a double of the binding alone would never see them.
 */
export function d1WithSessions(
  db: D1Database,
  override: (inner: D1Database | D1DatabaseSession, name: string | symbol) => unknown,
): D1Database {
  const wrap = <T extends D1Database | D1DatabaseSession>(target: T): T =>
    new Proxy(target, {
      get(inner, name) {
        if (name === "withSession" && "withSession" in inner) {
          return (start?: string) => wrap(inner.withSession(start));
        }
        const replaced = override(inner, name);
        if (replaced !== undefined) return replaced;
        const member = Reflect.get(inner, name);
        return typeof member === "function" ? member.bind(inner) : member;
      },
    });
  return wrap(db);
}

/**
 * A D1 binding that "dies" right after a batch whose SQL matches `commit` committed: from then
 * on every prepare and batch throws, as if the Worker had been killed between the change and
 * anything it would write afterwards. `died()` tells whether it happened.
 */
export function d1DyingAfterCommit(db: D1Database, commit: RegExp) {
  let dead = false;
  const sqlOf = new WeakMap<D1PreparedStatement, string>();
  // Each bound statement is a new object: remember the SQL of those too.
  const tracked = (statement: D1PreparedStatement, sql: string): D1PreparedStatement => {
    sqlOf.set(statement, sql);
    const bind = statement.bind.bind(statement);
    statement.bind = (...values: unknown[]) => tracked(bind(...values), sql);
    return statement;
  };
  const killed = () => new Error("Network connection lost.");
  const binding = d1WithSessions(db, (inner, name) => {
    if (name === "prepare") {
      return (sql: string) => {
        if (dead) throw killed();
        return tracked(inner.prepare(sql), sql);
      };
    }
    if (name === "batch") {
      return async (statements: D1PreparedStatement[]) => {
        if (dead) throw killed();
        const results = await inner.batch(statements);
        if (statements.some((statement) => commit.test(sqlOf.get(statement) ?? ""))) dead = true;
        return results;
      };
    }
    return undefined;
  });
  return { db: binding, died: () => dead };
}

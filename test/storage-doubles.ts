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

/**
 * A D1 binding that records the SQL of every statement prepared on it (statements pass
 * through to the real binding), and one that fails every call: for tests that need to know
 * whether, or which, storage was touched.
 */
export function recordingD1(db: D1Database): { db: D1Database; statements: string[] } {
  const statements: string[] = [];
  // Sessions (every request opens one) record like the binding itself.
  const recording = <T extends D1Database | D1DatabaseSession>(inner: T): T =>
    new Proxy(inner, {
      get(target, name) {
        if (name === "prepare") {
          return (sql: string) => {
            statements.push(sql);
            return target.prepare(sql);
          };
        }
        if (name === "withSession" && "withSession" in target) {
          return (start?: string) => recording(target.withSession(start));
        }
        const member = Reflect.get(target, name);
        return typeof member === "function" ? member.bind(target) : member;
      },
    });
  const recorded = recording(db);
  return { db: recorded, statements };
}

/** A D1 binding whose every use throws: a request that reaches storage fails loudly. */
export function unreachableD1(db: D1Database): D1Database {
  return new Proxy(db, {
    get() {
      throw new Error("storage was touched");
    },
  });
}

/** A random key of a minted key's shape that no organization has. */
export function randomWellFormedKey(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(40));
  return `rk_${Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join("")}`;
}

import { env } from "cloudflare:workers";

/**
 * The test environment with a D1 binding that records where every session starts (the
 * argument of each `withSession` call). Statements pass through to the real database.
 */
export function recordingSessions(): { env: Env; starts: string[] } {
  const starts: string[] = [];
  const db = new Proxy(env.DB, {
    get(target, name) {
      if (name === "withSession") {
        return (start: string) => {
          starts.push(start);
          return target.withSession(start);
        };
      }
      const member = Reflect.get(target, name);
      return typeof member === "function" ? member.bind(target) : member;
    },
  });
  return { env: { ...env, DB: db }, starts };
}

/** The shape of a D1 bookmark (8-8-8-32 lowercase hex). */
export const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;

// @ts-check
/**
 * Roster's own bundle behind a thin wrapper that counts what one request costs in storage:
 * D1 round trips (a statement run on its own, or a whole batch) and statements, KV and
 * Cache API operations, rate-limiter calls, and the D1 time of the request: `d1_wall_ms` (each
 * round trip's wall time, summed; `d1_wall_max_ms` the longest one) and `d1_sql_ms` (the
 * `meta.duration` D1 reports for its statements, summed: SQLite's own time, which in production
 * is what holds the database's one writer). The counts come back in `X-Bench-Counts`, and
 * the SQL of the last request (with its parameters) at `GET /__bench/statements`, so the
 * query plans checked are those of the statements Roster really runs.
 * Used one request at a time (counters are per isolate), never for throughput.
 */
// @ts-expect-error -- Roster's bundle, written beside this file when the bench runs.
import roster from "./index.js";

/** @type {Record<string, number> | null} */
let counts = null;
/** @type {{ sql: string, params: unknown[] }[]} */
let statements = [];
const bump = (name, by = 1) => {
  if (counts) counts[name] = (counts[name] ?? 0) + by;
};

const STATEMENT_RUNS = new Set(["first", "all", "run", "raw"]);

/**
 * A D1 call's time, once it settles: its wall time (workerd's clock advances across the I/O)
 * and the durations D1 reports in its results' `meta` (absent for `first` and `raw`).
 */
function timed(promise) {
  const started = performance.now();
  return promise.then((result) => {
    const wall = performance.now() - started;
    bump("d1_wall_ms", wall);
    if (counts) counts.d1_wall_max_ms = Math.max(counts.d1_wall_max_ms ?? 0, wall);
    for (const each of Array.isArray(result) ? result : [result]) {
      const duration = each?.meta?.duration;
      if (typeof duration === "number") bump("d1_sql_ms", duration);
    }
    return result;
  });
}

function countingStatement(statement, sql, params = []) {
  return new Proxy(statement, {
    get(target, name) {
      const member = Reflect.get(target, name);
      if (name === "bind") return (...args) => countingStatement(member.apply(target, args), sql, args);
      if (STATEMENT_RUNS.has(String(name))) {
        return (...args) => {
          bump("d1_round_trips");
          bump("d1_statements");
          statements.push({ sql, params });
          return timed(member.apply(target, args));
        };
      }
      if (name === "__bench_sql") return { sql, params };
      return typeof member === "function" ? member.bind(target) : member;
    },
  });
}

function countingD1(db) {
  return new Proxy(db, {
    get(target, name) {
      const member = Reflect.get(target, name);
      if (name === "prepare") return (sql, ...rest) => countingStatement(member.call(target, sql, ...rest), sql);
      if (name === "batch") {
        return (batch, ...rest) => {
          bump("d1_round_trips");
          bump("d1_statements", batch.length);
          for (const statement of batch) if (statement.__bench_sql) statements.push(statement.__bench_sql);
          return timed(member.call(target, batch, ...rest));
        };
      }
      // Every request runs in a session (lib/db.ts): count the session's statements too.
      if (name === "withSession") return (...args) => countingD1(member.apply(target, args));
      if (name === "exec") {
        return (...args) => {
          bump("d1_round_trips");
          return member.apply(target, args);
        };
      }
      return typeof member === "function" ? member.bind(target) : member;
    },
  });
}

function countingMethods(binding, prefix, methods) {
  return new Proxy(binding, {
    get(target, name) {
      const member = Reflect.get(target, name);
      if (typeof member !== "function") return member;
      if (methods.includes(String(name))) {
        return (...args) => {
          bump(`${prefix}_${String(name)}`);
          return member.apply(target, args);
        };
      }
      return member.bind(target);
    },
  });
}

// The Cache API is a global, not a binding: count it at the prototype.
if (typeof Cache === "function") {
  for (const method of ["match", "put", "delete"]) {
    const original = Cache.prototype[method];
    try {
      Cache.prototype[method] = function (...args) {
        bump(`cache_${method}`);
        return original.apply(this, args);
      };
    } catch {
      // not patchable here: Cache API operations go uncounted
    }
  }
}

export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/__bench/statements") return Response.json(statements);
    counts = {};
    statements = [];
    const wrapped = {
      ...env,
      DB: countingD1(env.DB),
      KV: countingMethods(env.KV, "kv", ["get", "getWithMetadata", "put", "delete", "list"]),
      RATE_LIMITER: countingMethods(env.RATE_LIMITER, "rate_limiter", ["limit"]),
      ORG_RATE_LIMITER: countingMethods(env.ORG_RATE_LIMITER, "rate_limiter", ["limit"]),
    };
    const started = performance.now();
    const response = await roster.fetch(request, wrapped, ctx);
    const body = await response.arrayBuffer();
    counts.request_wall_ms = performance.now() - started;
    const headers = new Headers(response.headers);
    headers.set("X-Bench-Counts", JSON.stringify(counts));
    counts = null;
    return new Response(body, { status: response.status, headers });
  },
};

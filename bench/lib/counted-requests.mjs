// @ts-check
import { BENCH_API_KEY, BENCH_SECOND_API_KEY, seededAlternativeId } from "./environment.mjs";

/**
 * Requests through the counting wrapper (instrument-worker.mjs): the platform calls one request
 * makes (the table's last column), and every statement it ran, collected for the query-plan
 * check (plans.mjs).
 */

const AUTH = { authorization: `Bearer ${BENCH_API_KEY}` };

/**
 * What one request of the scenario costs in storage operations, through the counting wrapper
 * (the second of two requests: steady state, e.g. the API key already cached), and the SQL
 * both requests ran, for the query-plan check.
 */
export async function countsOf(countedUrl, scenario, statements) {
  let last = null;
  /** @type {{ method: string, path: string, body?: string, headers?: Record<string, string> } | null} */
  let first = null;
  for (let attempt = 0; attempt < 2; attempt++) {
    // A read repeats itself (a lookup's second time is its steady state); a write cannot.
    const request = first?.method === "GET" ? first : scenario.request();
    first ??= request;
    const response = await fetch(`${countedUrl}${request.path}`, {
      method: request.method,
      headers: { ...AUTH, ...(request.body ? { "content-type": "application/json" } : {}), ...request.headers },
      body: request.body,
    });
    await response.arrayBuffer();
    last = { status: response.status, ...JSON.parse(response.headers.get("x-bench-counts") ?? "{}") };
    await collectStatements(countedUrl, scenario.name, statements);
  }
  return last;
}

/** Adds the counting wrapper's last request's statements to `into` (SQL text → sources). */
async function collectStatements(countedUrl, source, into) {
  const ran = /** @type {{ sql: string, params: unknown[] }[]} */ (
    await (await fetch(`${countedUrl}/__bench/statements`)).json()
  );
  for (const { sql, params } of ran) {
    const known = into.get(sql);
    if (known) {
      if (!known.sources.includes(source)) known.sources.push(source);
    } else into.set(sql, { sql, params, sources: [source] });
  }
}

/** GET by id with a key no request has used yet: the API-key lookup as it runs on a cache miss. */
export async function countedColdKey(countedUrl, id, statements) {
  const response = await fetch(`${countedUrl}/v1/customers/${id}`, {
    headers: { authorization: `Bearer ${BENCH_SECOND_API_KEY}` },
  });
  await response.arrayBuffer();
  await collectStatements(countedUrl, "API key not cached yet", statements);
  return { status: response.status, ...JSON.parse(response.headers.get("x-bench-counts") ?? "{}") };
}

/** A small import through the counting wrapper: one new customer, one update, one subscription. */
export async function countedImport(countedUrl, tag, statements) {
  const response = await fetch(`${countedUrl}/v1/customers/import`, {
    method: "POST",
    headers: { ...AUTH, "content-type": "application/json" },
    body: JSON.stringify({
      customers: [
        { alternative_id: `plan-${tag}`, email: `plan-${tag}@example.com` },
        { alternative_id: seededAlternativeId(0), name: `Plan ${tag}` },
        { alternative_id: seededAlternativeId(1), subscription: { plan_id: "plan-bench" } },
      ],
    }),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`counted import answered ${response.status}: ${text.slice(0, 300)}`);
  await collectStatements(countedUrl, "import", statements);
  return { status: response.status, ...JSON.parse(response.headers.get("x-bench-counts") ?? "{}") };
}

// @ts-check
/**
 * EXPLAIN QUERY PLAN for the SQL Roster really runs: every statement the counting wrapper saw
 * during the scenarios' sample requests and a small import (with their own parameters), plus
 * the filtered list shapes no scenario sends. A statement passes when no step
 * - SCANs a table (a virtual table such as json_each, holding the request's items, is walked by
 *   design, and so is a subquery the same plan materialized from them);
 * - SEARCHes a table by organization alone, `(org_id=?)`: with one big tenant that walks every
 *   customer, unless the statement is an ordered page that stops at its LIMIT, or the table is
 *   one the contract caps per organization (event destinations: 16);
 * - sorts rows with a temporary B-tree, unless the statement is driven by the request's own
 *   items (json_each: at most an import's 1,000), whose rows it sorts, or it is a customer
 *   search collecting a term's matching seqs (their number is the term's index entries, which
 *   spec section 12 lets a page cost; docs/search.md).
 */
export const EXTRA_QUERIES = [
  {
    sql: "SELECT * FROM customers WHERE org_id = ? AND archived_at IS NULL AND email IS NOT NULL AND lower(email) = lower(?) ORDER BY seq DESC LIMIT ?",
    params: ["org_bench", "u1@example.com", 21],
    sources: ["list filtered by email"],
  },
  {
    sql: "SELECT * FROM customers WHERE org_id = ? AND archived_at IS NULL AND alternative_id IS NOT NULL AND alternative_id = ? ORDER BY seq DESC LIMIT ?",
    params: ["org_bench", "user-1", 21],
    sources: ["list filtered by alternative ID"],
  },
];

/**
 * Indexes over tables the contract caps per organization: searching one by org_id is bounded.
 * payment_gateways' primary key is org_id itself (one gateway per organization).
 */
const BOUNDED_PER_ORGANIZATION = new Set(["event_destinations_by_org", "sqlite_autoindex_payment_gateways_1"]);

/** Why a plan step is a problem for this query, or null. `built`: subqueries this plan materialized. */
function problemOf(detail, sql, built) {
  const pageLimited = /ORDER BY[\s\S]*\bLIMIT\b/i.test(sql);
  const itemsDriven = /json_each\(/i.test(sql);
  const searchTermSet = /FROM customer_search_words AS w INDEXED BY/.test(sql);
  const scanned = /^SCAN (\(?[\w-]+\)?)/.exec(detail)?.[1];
  const walksItems = /^SCAN \w+( EXISTS)? VIRTUAL TABLE\b/.test(detail) || /^SCAN (item|CONSTANT ROW)\b/.test(detail);
  if (scanned && !walksItems && !built.has(scanned)) return "scans a table";
  const byOrg = /^SEARCH \w+ USING (COVERING )?INDEX (\w+) \(org_id=\?\)$/.exec(detail);
  if (byOrg && !pageLimited && !BOUNDED_PER_ORGANIZATION.has(byOrg[2] ?? "")) {
    return "walks the whole organization (index searched by org_id only)";
  }
  if (/TEMP B-TREE/.test(detail) && !itemsDriven && !searchTermSet && !/UNION USING TEMP B-TREE/.test(detail)) {
    return "sorts rows";
  }
  return null;
}

/** Subqueries a plan materializes or runs as co-routines (`MATERIALIZE x`, `CO-ROUTINE (subquery-1)`). */
function builtSubqueries(steps) {
  const built = new Set();
  for (const step of steps) {
    const match = /^(?:MATERIALIZE|CO-ROUTINE) (\(?[\w-]+\)?)/.exec(step);
    if (match?.[1]) built.add(match[1]);
  }
  return built;
}

const oneLine = (sql) => sql.replace(/\s+/g, " ").trim();

/** `statements`: [{ sql, params, sources }], one per distinct SQL text. */
export async function explainStatements(db, statements) {
  const plans = [];
  for (const statement of statements) {
    const name = `${statement.sources.join(", ")}: ${oneLine(statement.sql).slice(0, 90)}`;
    try {
      const { results } = await db
        .prepare(`EXPLAIN QUERY PLAN ${statement.sql}`)
        .bind(...statement.params)
        .all();
      const steps = results.map((row) => row.detail);
      const built = builtSubqueries(steps);
      const problems = steps.map((step) => problemOf(step, statement.sql, built)).filter(Boolean);
      plans.push({
        name,
        sources: statement.sources,
        sql: oneLine(statement.sql),
        steps,
        problems,
        ok: problems.length === 0,
      });
    } catch (error) {
      plans.push({
        name,
        sources: statement.sources,
        sql: oneLine(statement.sql),
        steps: [],
        problems: [`error: ${error instanceof Error ? error.message : String(error)}`],
        ok: false,
      });
    }
  }
  return plans;
}

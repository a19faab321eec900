// @ts-check
/**
 * EXPLAIN QUERY PLAN for the SQL Roster really runs: every statement the counting wrapper saw
 * during the scenarios' sample requests and a small import (with their own parameters), plus
 * the filtered list shapes no scenario sends. A statement passes when no step
 * - SCANs a table (json_each, a table-valued function holding the request's items, is walked
 *   by design);
 * - SEARCHes a table by organization alone, `(org_id=?)`: with one big tenant that walks every
 *   customer, unless the statement is an ordered page that stops at its LIMIT;
 * - sorts rows with a temporary B-tree, unless what it sorts is the request's own items.
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

/** Why a plan step is a problem for this query, or null. */
function problemOf(detail, sql) {
  const pageLimited = /ORDER BY[\s\S]*\bLIMIT\b/i.test(sql);
  const sortsItems = /ORDER BY\s+item\./i.test(sql);
  if (/\bSCAN\b/.test(detail) && !/\bSCAN (json_each|item|CONSTANT ROW)\b/.test(detail)) return "scans a table";
  if (/^SEARCH \w+ USING (COVERING )?INDEX \w+ \(org_id=\?\)$/.test(detail) && !pageLimited) {
    return "walks the whole organization (index searched by org_id only)";
  }
  if (/TEMP B-TREE/.test(detail) && !sortsItems && !/UNION USING TEMP B-TREE/.test(detail)) return "sorts rows";
  return null;
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
      const problems = steps.map((step) => problemOf(step, statement.sql)).filter(Boolean);
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

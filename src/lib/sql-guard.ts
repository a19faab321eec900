/**
 * An SQL condition with its own bound values, true only if the change it accompanies
 * committed, e.g. `EXISTS (SELECT 1 FROM customers WHERE org_id = ? AND id = ? AND version = ?)`.
 * It must use anonymous `?` placeholders (its values are appended after the statement's own)
 * and read only stored state: it is evaluated by more than one statement of the batch, so
 * `changes()` or anything the guarded statements themselves change cannot serve.
 */
export type SqlGuard = SqlExpression;

/** An SQL expression with its own bound values (anonymous `?` placeholders, appended in order). */
export type SqlExpression = { sql: string; params: unknown[] };

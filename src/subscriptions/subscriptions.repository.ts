import { ARCHIVE_COMMITTED, customerIsLive, customerRecords } from "../customer-records/customer-records.repository";
import {
  type NewSubscription,
  SUBSCRIPTION_COLUMNS,
  type SubscriptionRow,
  storedSubscriptionColumns,
  storedSubscriptionValues,
} from "../customer-records/subscription-columns";
import { changesOf, firstRowOf, runBatch, type WrittenBatch, type WrittenRow } from "../lib/batch";
import type { Db } from "../lib/db";
import { newId } from "../lib/ids";

export type { NewSubscription, SubscriptionRow };

/** The insert's column list: every column of `SUBSCRIPTION_SPEC`, between the ids and created_at. */
const INSERT_COLUMNS = `id, org_id, customer_id, ${SUBSCRIPTION_COLUMNS.join(", ")}, created_at`;

const ACTIVE_MATCH = `org_id = ?1 AND customer_id = ?2 AND plan_id = ?3 AND ifnull(resource_id, '') = ifnull(?4, '')
  AND status = 'active'`;

/** `cancel_reason` of the subscriptions an archive cancels. */
export const CANCELED_ON_ARCHIVE = "customer_archived";

/**
 * Part of the archive batch: cancels the customer's active subscriptions and keeps them.
 * Guarded by the archive's own timestamp, so it acts only if that archive committed.
 */
export function cancelSubscriptionsOnArchiveStatement(
  db: Db,
  orgId: string,
  customerId: string,
  archivedAt: string,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE subscriptions SET status = 'canceled', cancel_reason = ?4, canceled_at = ?3
       WHERE org_id = ?1 AND customer_id = ?2 AND status = 'active'
         AND ${ARCHIVE_COMMITTED}`,
    )
    .bind(orgId, customerId, archivedAt, CANCELED_ON_ARCHIVE);
}

/**
 * Active subscriptions of the customers these ids and (live) alternative IDs name: what an
 * import needs to decide reuse, in the same batch as its customer lookups. UNION ALL, not
 * UNION: SQLite would otherwise merge the arms and walk every customer of the organization.
 */
export function activeSubscriptionsOfIdentitiesStatement(
  db: Db,
  orgId: string,
  ids: string[],
  alternativeIds: string[],
): D1PreparedStatement {
  return db
    .prepare(
      `SELECT * FROM subscriptions WHERE org_id = ?1 AND status = 'active' AND customer_id IN (
         SELECT id FROM customers WHERE org_id = ?1 AND id IN (SELECT value FROM json_each(?2))
         UNION ALL
         SELECT id FROM customers WHERE org_id = ?1 AND archived_at IS NULL
           AND alternative_id IN (SELECT value FROM json_each(?3)))`,
    )
    .bind(orgId, JSON.stringify(ids), JSON.stringify(alternativeIds));
}

/** The active subscriptions of these customers (the import reads which plan/resource pairs they cover). */
export function activeSubscriptionKeysStatement(db: Db, orgId: string, customerIds: string[]): D1PreparedStatement {
  return db
    .prepare(
      `SELECT * FROM subscriptions WHERE org_id = ?1 AND status = 'active'
         AND customer_id IN (SELECT value FROM json_each(?2))`,
    )
    .bind(orgId, JSON.stringify(customerIds));
}

export type ImportSubscription = NewSubscription & { id: string; customer_id: string; customer_version: number };

/**
 * Creates an import's new subscriptions in one statement. Each row lands only if its customer
 * is at the version this import left it at (so a subscription never outlives a customer write
 * that a concurrent change made this import skip), and never beside a matching active one.
 */
export function importSubscriptionsStatement(
  db: Db,
  orgId: string,
  subscriptions: ImportSubscription[],
  now: string,
): D1PreparedStatement {
  const rows = subscriptions.map((subscription) => ({
    id: subscription.id,
    customer_id: subscription.customer_id,
    customer_version: subscription.customer_version,
    ...storedSubscriptionColumns(subscription),
  }));
  const field = (name: string) => `json_extract(item.value, '$.${name}')`;
  return db
    .prepare(
      `INSERT INTO subscriptions (${INSERT_COLUMNS})
       SELECT ${field("id")}, ?1, ${field("customer_id")}, ${SUBSCRIPTION_COLUMNS.map(field).join(", ")}, ?3
       FROM json_each(?2) AS item
       WHERE EXISTS (SELECT 1 FROM customers AS c WHERE c.org_id = ?1 AND c.id = ${field("customer_id")}
         AND c.archived_at IS NULL AND c.version = ${field("customer_version")})
       ORDER BY item.key
       ON CONFLICT DO NOTHING
       RETURNING id`,
    )
    .bind(orgId, JSON.stringify(rows), now);
}

const subscriptionRecords = customerRecords<SubscriptionRow>("subscriptions");
/** A customer's subscriptions, active and canceled, in insertion order (rows are never deleted). */
export const listSubscriptions = subscriptionRecords.list;
export const findSubscription = subscriptionRecords.find;
export const subscriptionsOfCustomersStatement = subscriptionRecords.ofCustomersStatement;

/** Why a subscription the caller cancels through the API was canceled. */
export const CANCELED_BY_REQUEST = "canceled_by_request";

export type CreateSubscriptionOutcome =
  | { status: "created"; row: SubscriptionRow }
  /** An active subscription for the same plan and resource already exists. */
  | { status: "exists"; row: SubscriptionRow }
  /** The customer was archived (or never live) when the batch ran. */
  | { status: "customer_gone" };

/** The row `createSubscriptionStatements` inserts, as D1 will return it. */
export function newSubscriptionRow(
  orgId: string,
  customerId: string,
  id: string,
  subscription: NewSubscription,
  now: string,
): SubscriptionRow {
  return {
    id,
    org_id: orgId,
    customer_id: customerId,
    ...storedSubscriptionColumns(subscription),
    status: "active",
    cancel_reason: null,
    canceled_at: null,
    created_at: now,
  };
}

/**
 * The two statements that create an active subscription (under `id`) unless one for the same plan and
 * resource exists (the partial unique index decides, also between concurrent requests), and
 * read whichever is active afterwards (`readCreated` interprets their results). The insert
 * lands only while the customer is live and, when `customerVersion` is given, at that
 * version: a provision puts them in the batch of its own customer write, which they must
 * follow (the version that write leaves), so both commit or neither does.
 */
export function createSubscriptionStatements(
  db: Db,
  orgId: string,
  customerId: string,
  subscription: NewSubscription,
  now: string,
  customerVersion: number | null = null,
  id: string = newId("sub"),
): CreateSubscriptionStatements {
  const values = storedSubscriptionValues(subscription);
  // ?1 id, ?2 org, ?3 customer, then the spec's columns, then created_at and the customer's version.
  const placeholders = values.map((_, index) => `?${index + 4}`).join(", ");
  const createdAt = `?${values.length + 4}`;
  const version = `?${values.length + 5}`;
  return {
    insert: db
      .prepare(
        `INSERT INTO subscriptions (${INSERT_COLUMNS})
         SELECT ?1, ?2, ?3, ${placeholders}, ${createdAt}
         WHERE ${customerIsLive("?2", "?3")}
           AND (${version} IS NULL OR EXISTS (SELECT 1 FROM customers WHERE org_id = ?2 AND id = ?3 AND version = ${version}))
         ON CONFLICT DO NOTHING
         RETURNING *`,
      )
      .bind(id, orgId, customerId, ...values, now, customerVersion),
    active: db
      .prepare(`SELECT * FROM subscriptions WHERE ${ACTIVE_MATCH}`)
      .bind(orgId, customerId, subscription.plan_id, subscription.resource_id),
  };
}

/** The statements of `createSubscriptionStatements`, by name: a batch runs `insert` before `active`. */
export type CreateSubscriptionStatements = { insert: D1PreparedStatement; active: D1PreparedStatement };

/** What `created`'s results in `batch` say happened. */
export function readCreated(batch: WrittenBatch, created: CreateSubscriptionStatements): CreateSubscriptionOutcome {
  const inserted = firstRowOf<SubscriptionRow>(batch, created.insert);
  if (inserted) return { status: "created", row: inserted };
  const existing = firstRowOf<SubscriptionRow>(batch, created.active);
  return existing ? { status: "exists", row: existing } : { status: "customer_gone" };
}

/**
 * Creates an active subscription unless one for the same plan and resource exists, only while
 * the customer is live (and at `customerVersion`, when given). An existing one is reported.
 */
export async function createSubscription(
  db: Db,
  orgId: string,
  customerId: string,
  subscription: NewSubscription,
  now: string,
  customerVersion: number | null = null,
): Promise<CreateSubscriptionOutcome> {
  const created = createSubscriptionStatements(db, orgId, customerId, subscription, now, customerVersion);
  return readCreated(await runBatch(db, [created.insert, created.active]), created);
}

/**
 * Cancels the subscription if it still is exactly as `guard` (SqlGuard: SQL with anonymous `?`
 * and its values) says it was read, with `before` (its event) in the same batch; then reads it
 * as it now is. `canceled` tells whether this batch canceled it.
 */
export async function cancelSubscription(
  db: Db,
  orgId: string,
  customerId: string,
  subscriptionId: string,
  now: string,
  together: { before: D1PreparedStatement[]; guard: { sql: string; params: unknown[] }; after?: D1PreparedStatement[] },
): Promise<WrittenRow<SubscriptionRow> & { canceled: boolean }> {
  const cancel = db
    .prepare(
      `UPDATE subscriptions SET status = 'canceled', cancel_reason = ?4, canceled_at = ?5
       WHERE org_id = ?1 AND customer_id = ?2 AND id = ?3 AND status = 'active' AND ${together.guard.sql}`,
    )
    .bind(orgId, customerId, subscriptionId, CANCELED_BY_REQUEST, now, ...together.guard.params);
  const reread = db
    .prepare("SELECT * FROM subscriptions WHERE org_id = ?1 AND customer_id = ?2 AND id = ?3")
    .bind(orgId, customerId, subscriptionId);
  const written = await runBatch(db, [...together.before, cancel, reread, ...(together.after ?? [])]);
  return { ...written, row: firstRowOf<SubscriptionRow>(written, reread), canceled: changesOf(written, cancel) > 0 };
}

import { cancelSubscriptionsOnArchiveStatement } from "../subscriptions/subscriptions.repository";

/**
 * Everything archiving a customer does besides erasing its PII, as statements that run in
 * the archive's own atomic batch. Each is guarded by `archivedAt` (the archive's timestamp),
 * so it acts only when that archive committed.
 */
export function archiveCascadeStatements(
  db: D1Database,
  orgId: string,
  customerId: string,
  archivedAt: string,
): D1PreparedStatement[] {
  return [cancelSubscriptionsOnArchiveStatement(db, orgId, customerId, archivedAt)];
}

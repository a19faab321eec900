import { insertApiKeyStatement, type NewApiKey } from "../api-keys/api-keys.repository";
import type { Db } from "../lib/db";

export type OrganizationRow = { id: string; name: string; created_at: string };

/** The organization and its first key, in one atomic batch. */
export async function insertOrganizationWithKey(db: Db, organization: OrganizationRow, key: NewApiKey): Promise<void> {
  await db.batch([
    db
      .prepare("INSERT INTO organizations (id, name, created_at) VALUES (?1, ?2, ?3)")
      .bind(organization.id, organization.name, organization.created_at),
    insertApiKeyStatement(db, key),
  ]);
}

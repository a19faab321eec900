import { mintApiKey } from "../api-keys/api-keys.repository";
import type { Db } from "../lib/db";
import { nowIso } from "../lib/fields";
import { newId } from "../lib/ids";
import { insertOrganizationWithKey } from "./organizations.repository";

/** A new organization and its first API key (`default`), written together. */
export async function createOrganization(db: Db, name: string) {
  const now = nowIso();
  const organization = { id: newId("org"), name, created_at: now };
  const key = await mintApiKey(organization.id, "default", now);
  await insertOrganizationWithKey(db, organization, key);
  return { organization, key };
}

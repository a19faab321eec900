import type { Db } from "../lib/db";
import { ApiError } from "../lib/errors";
import { findById, type UniqueField, type UniqueViolation } from "./customers.repository";

/**
 * Every problem a customer route answers with, built here only, so the `{id}` and
 * alternative-ID routes, provision and every import item word them alike. No PII is echoed
 * (alternative IDs, emails, usernames): only Roster's customer ids. By id, "not found" is
 * `customerNotFound` (customer-records), which sub-resource routes share.
 */

export { customerNotFound } from "../customer-records/customer-records.repository";

export const alternativeIdNotFound = () =>
  new ApiError("customer_not_found", "No live customer with this alternative ID in this organization.");

export const customerArchived = (id: string, archivedAt: string) =>
  new ApiError("customer_archived", `Customer '${id}' was archived at ${archivedAt}.`, {
    extensions: { archived_at: archivedAt },
  });

export const preconditionFailed = (currentEtag: string) =>
  new ApiError("precondition_failed", `If-Match does not match the current ETag ${currentEtag}.`);

export const customerIdArchived = (id: string) =>
  new ApiError("customer_id_archived", `Customer id '${id}' belonged to an archived customer and cannot be reused.`, {
    errors: [{ pointer: "/id", detail: "belongs to an archived customer" }],
  });

export const customerExists = (id: string) =>
  new ApiError("customer_exists", `A customer with id '${id}' already exists.`, {
    errors: [{ pointer: "/id", detail: "already in use" }],
  });

export const identityConflict = (detail: string) =>
  new ApiError("customer_identity_conflict", detail, {
    errors: [
      { pointer: "/id", detail: "identifies a different customer than alternative_id" },
      { pointer: "/alternative_id", detail: "identifies a different customer than id" },
    ],
  });

/**
 * Names the field, never its value: the value belongs to the other customer, and a 409 kept
 * under an Idempotency-Key (or an import result) would otherwise keep it after that customer
 * is archived, where no redaction reaches (the kept body is not about that customer).
 */
export function fieldTaken(field: Exclude<UniqueField, "id">): ApiError {
  return new ApiError(`${field}_taken`, `Another customer in this organization already has this ${field}.`, {
    errors: [{ pointer: `/${field}`, detail: "already in use" }],
  });
}

/**
 * The 409 for a unique index a write hit. A create whose requested id is taken names the id,
 * whichever index SQLite happened to report first: that is the conflict a retrying caller
 * needs to see.
 */
export async function conflictError(db: Db, orgId: string, violation: UniqueViolation, id?: string): Promise<ApiError> {
  const existing = id ? await findById(db, orgId, id) : null;
  if (id && existing?.archived_at) return customerIdArchived(id);
  if (id && existing) return customerExists(id);
  // Ids are never deleted, so an id violation has found its holder above.
  return violation.field === "id" ? customerExists(id ?? "") : fieldTaken(violation.field);
}

import { ApiError } from "../lib/errors";
import { type CustomerProfile, findCustomerById, type UniqueViolation } from "./customers.repository";

/**
 * The 409 for a unique index a write hit; only the alternative ID is echoed (as the caller
 * sent it). A create whose requested id is taken names the id, whichever index SQLite
 * happened to report first: that is the conflict a retrying caller needs to see.
 */
export async function conflictError(
  db: D1Database,
  orgId: string,
  violation: UniqueViolation,
  profile: CustomerProfile,
  id?: string,
): Promise<ApiError> {
  const existing = id ? await findCustomerById(db, orgId, id) : null;
  if (existing?.archived_at) {
    return new ApiError(
      "customer_id_archived",
      `Customer id '${id}' belonged to an archived customer and cannot be reused.`,
      {
        errors: [{ pointer: "/id", detail: "belongs to an archived customer" }],
      },
    );
  }
  if (existing) {
    return new ApiError("customer_exists", `A customer with id '${id}' already exists.`, {
      errors: [{ pointer: "/id", detail: "already in use" }],
    });
  }
  switch (violation.field) {
    case "alternative_id":
      return new ApiError(
        "alternative_id_taken",
        `Another customer in this organization already has alternative_id '${profile.alternative_id}'.`,
        { errors: [{ pointer: "/alternative_id", detail: "already in use" }] },
      );
    case "email":
      return new ApiError("email_taken", "Another customer in this organization already has this email.", {
        errors: [{ pointer: "/email", detail: "already in use" }],
      });
    case "username":
      return new ApiError("username_taken", "Another customer in this organization already has this username.", {
        errors: [{ pointer: "/username", detail: "already in use" }],
      });
    case "id":
      // Ids are never deleted, so the lookup above finds the holder; this only satisfies the switch.
      return new ApiError("customer_exists", `A customer with id '${id}' already exists.`, {
        errors: [{ pointer: "/id", detail: "already in use" }],
      });
  }
}

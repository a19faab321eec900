import { z } from "@hono/zod-openapi";
import { IdParams } from "../customers/customers.params";

/**
 * Schemas shared by the records that live under a customer (`/v1/customers/{id}/…`):
 * addresses, subscriptions, payment methods.
 */

/** These routes take no query parameters; sending one is a 400 like any unknown field. */
export const NoQuery = z.strictObject({});

/**
 * `{id}` plus the record's own id. The record id is only shape-checked (so a path cannot
 * smuggle anything odd); an id of the right shape that names nothing is a 404 `not_found`.
 */
export function recordParams<N extends string>(name: N, idPrefix: string) {
  const recordId = z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 characters of A-Z a-z 0-9 _ -")
    .openapi({ param: { name, in: "path" }, example: `${idPrefix}_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R` });
  return IdParams.extend({ [name]: recordId } as { [K in N]: typeof recordId });
}

import { z } from "@hono/zod-openapi";
import { pageQuery } from "../lib/pages";

/**
 * Path parameters of every route under `/v1/customers/{id}`: the customer routes and the
 * records that live under a customer (addresses, subscriptions, payment methods) share them.
 */

/** Route words under /v1/customers and the dot segments URLs normalize away. */
export const RESERVED_CUSTOMER_IDS = new Set([
  "provision",
  "import",
  "alternative-id",
  "credit_from_payment_method",
  ".",
  "..",
]);

export const customerId = z
  .string()
  .regex(/^[A-Za-z0-9_\-.:@]{1,255}$/, "must be 1–255 characters of A-Z a-z 0-9 _ - . : @")
  .refine((id) => !RESERVED_CUSTOMER_IDS.has(id), "is reserved (a route word or a dot segment)")
  .openapi({
    example: "cus_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R",
    minLength: 1,
    maxLength: 255,
    // The refine above is invisible to the generator: tools learn the reserved words from this.
    not: { enum: [...RESERVED_CUSTOMER_IDS] },
  });

export const IdParams = z.object({ id: customerId.openapi({ param: { name: "id", in: "path" } }) });

/** A customer's records are listed a page at a time, as customers are (keyset, oldest first). */
export const PageQuery = z.strictObject(pageQuery);
export type PageQuery = z.infer<typeof PageQuery>;

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

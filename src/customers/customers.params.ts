import { z } from "@hono/zod-openapi";
import { alternativeId } from "./customers.fields";

/** The alternative-ID twin of `IdParams` (customer-records.params), for `/v1/customers/alternative-id/…`. */
export const AlternativeIdParams = z.object({
  alternative_id: alternativeId.openapi({ param: { name: "alternative_id", in: "path" } }),
});

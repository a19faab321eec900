import { z } from "@hono/zod-openapi";
import { alternativeId, customerId } from "./customers.fields";

/** Path parameters naming a customer; sub-resources share them, so they stand apart from the schemas. */
export const IdParams = z.object({ id: customerId.openapi({ param: { name: "id", in: "path" } }) });

export const AlternativeIdParams = z.object({
  alternative_id: alternativeId.openapi({ param: { name: "alternative_id", in: "path" } }),
});

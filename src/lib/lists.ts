import { z } from "@hono/zod-openapi";

/**
 * The shapes of the lists that are not paginated (a customer's records, API keys, webhook
 * endpoints: short by nature) and of deletion receipts, schema and body side by side.
 */

export function listOf<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      object: z.literal("list"),
      data: z.array(item),
      has_more: z.literal(false).openapi({ description: "Always false: the list is not paginated." }),
      next_cursor: z.null(),
    })
    .openapi(name);
}

export const listBody = <T>(data: T[]) => ({
  object: "list" as const,
  data,
  has_more: false as const,
  next_cursor: null,
});

export function deletedOf<O extends string>(object: O, name: string) {
  return z.object({ object: z.literal(object), id: z.string(), deleted: z.literal(true) }).openapi(name);
}

export const deletedBody = <O extends string>(object: O, id: string) => ({ object, id, deleted: true as const });

import { z } from "@hono/zod-openapi";

/**
 * The shapes of lists (paginated ones, and those that are not: API keys, webhook endpoints,
 * short by nature) and of deletion receipts, schema and body side by side.
 */

/** A keyset-paginated list (a customer's records): `next_cursor` fetches the next page. */
export function paginatedListOf<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      object: z.literal("list"),
      data: z.array(item),
      has_more: z.boolean().openapi({ description: "True when more items follow this page." }),
      next_cursor: z
        .string()
        .nullable()
        .openapi({ description: "Send as `cursor` for the next page; null on the last page." }),
    })
    .openapi(name);
}

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

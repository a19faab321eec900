import { z } from "@hono/zod-openapi";

/**
 * The shape of every list, schema and body side by side: `object: "list"`, the items in `data`,
 * and the paging fields `has_more` and `next_cursor`. Keyset-paginated lists (lib/pages.ts)
 * fill those from the rows read; the others (API keys, webhook endpoints: short by nature)
 * are always the whole list. Deletion receipts live here too.
 */

/** Every list schema: its items, and how its paging fields are described. */
export function listSchema<T extends z.ZodType, Paging extends { has_more: z.ZodType; next_cursor: z.ZodType }>(
  item: T,
  name: string,
  paging: Paging,
) {
  return z.object({ object: z.literal("list"), data: z.array(item), ...paging }).openapi(name);
}

/** A list that is never paginated: one body holds all of it. */
export function listOf<T extends z.ZodType>(item: T, name: string) {
  return listSchema(item, name, {
    has_more: z.literal(false).openapi({ description: "Always false: the list is not paginated." }),
    next_cursor: z.null(),
  });
}

type Paging = { has_more: boolean; next_cursor: string | null };
const WHOLE_LIST = { has_more: false, next_cursor: null } as const;

/** Every list body: the items, and the paging fields (by default: the whole list, nothing more). */
export function listBody<T>(data: T[]): { object: "list"; data: T[] } & typeof WHOLE_LIST;
export function listBody<T>(data: T[], paging: Paging): { object: "list"; data: T[] } & Paging;
export function listBody<T>(data: T[], paging: Paging = WHOLE_LIST) {
  return { object: "list" as const, data, has_more: paging.has_more, next_cursor: paging.next_cursor };
}

export function deletedOf<O extends string>(object: O, name: string) {
  return z.object({ object: z.literal(object), id: z.string(), deleted: z.literal(true) }).openapi(name);
}

export const deletedBody = <O extends string>(object: O, id: string) => ({ object, id, deleted: true as const });

import { z } from "@hono/zod-openapi";
import { encodeCursor } from "./cursor";
import { fnv1a } from "./hash";

/**
 * Keyset pagination for lists ordered newest first by an internal insertion sequence: the
 * cursor (lib/cursor.ts) is the last row's sequence and a fingerprint of the filters it was
 * issued for, so a cursor sent with other filters is refused instead of silently paging another list.
 */

/** The fingerprint a cursor carries: any JSON-serialisable description of the filters. */
export const filtersKey = (filters: unknown) => fnv1a(JSON.stringify(filters));

/** One page from `limit + 1` rows read: the page, and the cursor for the next one. */
export function pageBody<Row extends { seq: number }, Item>(
  rows: Row[],
  limit: number,
  filters: string,
  toItem: (row: Row) => Item,
) {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const hasMore = rows.length > limit;
  return {
    object: "list" as const,
    data: page.map(toItem),
    has_more: hasMore,
    next_cursor: hasMore && last ? encodeCursor(last.seq, filters) : null,
  };
}

export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      object: z.literal("list"),
      data: z.array(item),
      has_more: z.boolean(),
      next_cursor: z
        .string()
        .nullable()
        .openapi({ description: "Send as `cursor` for the next page; null on the last." }),
    })
    .openapi(name);
}

const LIMIT_PROBLEM = "must be an integer from 1 to 100";

/** The `limit` and `cursor` query parameters every paginated list takes. */
export const pageQuery = {
  limit: z.coerce
    .number({ error: LIMIT_PROBLEM })
    .int({ error: LIMIT_PROBLEM })
    .min(1, { error: LIMIT_PROBLEM })
    .max(100, { error: LIMIT_PROBLEM })
    .optional()
    .openapi({ description: "1–100, default 20." }),
  cursor: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .openapi({ description: "Opaque; the `next_cursor` of the previous page." }),
};

export const DEFAULT_PAGE_SIZE = 20;

import { z } from "@hono/zod-openapi";
import { decodeCursor, encodeCursor } from "./cursor";
import { fnv1a } from "./hash";
import { listBody, listSchema } from "./lists";

/**
 * Keyset pagination for lists ordered by an internal position (an insertion sequence or a
 * rowid): the cursor (lib/cursor.ts) is the last served row's position and a fingerprint of the
 * filters it was issued for, so a cursor sent with other filters is refused instead of silently
 * paging another list.
 */

/** The page size of every paginated list when the request sends no `limit`. */
export const DEFAULT_PAGE_SIZE = 20;

/** The fingerprint a cursor carries: any JSON-serialisable description of the filters. */
export const filtersKey = (filters: unknown) => fnv1a(JSON.stringify(filters));

/**
 * The read behind one page: the page size (`limit`, default DEFAULT_PAGE_SIZE) and `limit + 1`
 * rows from `read`, after the position the cursor holds (none: from the start). The cursor must
 * have been issued for `scope` (else a 400 on `#/query/cursor`); the extra row only tells
 * whether more follow (`pageBodyBy`).
 */
export async function readPage<Row>(
  query: { limit?: number; cursor?: string },
  scope: string,
  read: (afterPosition: number | null, count: number) => Promise<Row[]>,
): Promise<{ limit: number; rows: Row[] }> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const position = query.cursor === undefined ? null : decodeCursor(query.cursor, scope);
  return { limit, rows: await read(position, limit + 1) };
}

/** The rows a page serves out of the `limit + 1` read: the extra one only tells that more follow. */
export const servedRows = <Row>(rows: Row[], limit: number) => rows.slice(0, limit);

/**
 * Every paginated list body, from the `limit + 1` rows read: the served rows as items, and the
 * cursor after the last of them (`cursorAfter`) unless this is the last page.
 */
export function pageBodyBy<Row, Item>(
  rows: Row[],
  limit: number,
  cursorAfter: (last: Row) => string,
  toItem: (row: Row) => Item,
) {
  const page = servedRows(rows, limit);
  const last = page.at(-1);
  const hasMore = rows.length > limit;
  return listBody(page.map(toItem), {
    has_more: hasMore,
    next_cursor: hasMore && last ? cursorAfter(last) : null,
  });
}

/** `pageBodyBy` for rows that carry their position as `seq`, with cursors issued for `filters`. */
export const pageBody = <Row extends { seq: number }, Item>(
  rows: Row[],
  limit: number,
  filters: string,
  toItem: (row: Row) => Item,
) => pageBodyBy(rows, limit, (last) => encodeCursor(last.seq, filters), toItem);

/** Every paginated list schema (`pageBodyBy` builds its bodies). */
export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return listSchema(item, name, {
    has_more: z.boolean().openapi({ description: "True when more items follow this page." }),
    next_cursor: z
      .string()
      .nullable()
      .openapi({ description: "Send as `cursor` for the next page; null on the last page." }),
  });
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
    .openapi({ description: `1–100, default ${DEFAULT_PAGE_SIZE}.` }),
  cursor: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .openapi({ description: "Opaque; the `next_cursor` of the previous page." }),
};

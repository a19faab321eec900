import { z } from "@hono/zod-openapi";
import { MAX_QUERY_LENGTH, MAX_TERMS, termsOf } from "../customer-search/search-text";
import { timestamp } from "../lib/fields";
import { metadataKeyParam } from "../lib/metadata";
import { pageQuery } from "../lib/pages";
import { expandParam } from "./expand";

/**
 * The query of `GET /v1/customers/search`, and the `metadata[<key>]=<value>` filters it shares
 * with `GET /v1/customers` (spec section 12).
 */

export const MAX_METADATA_FILTERS = 10;

/**
 * A query schema that reads `metadata[…]` parameters (`nestMetadataFilters` first). A pipe from
 * a transform: the OpenAPI generator lists the object's properties as the parameters.
 */
export const withMetadataFilters = <T extends z.ZodObject>(schema: T) => z.transform(nestMetadataFilters).pipe(schema);

const METADATA_PARAMETER = /^metadata\[(.*)\]$/s;

/**
 * The query string arrives flat (`metadata[seats]` is one parameter name): its `metadata[…]`
 * parameters become one `metadata` object, as OpenAPI's deepObject style describes them, before
 * the schema reads it. Anything else is left for the schema (an unknown name is a 400).
 */
export function nestMetadataFilters(query: unknown): unknown {
  if (typeof query !== "object" || query === null) return query;
  const rest: [string, unknown][] = [];
  const filters: [string, unknown][] = [];
  for (const [name, value] of Object.entries(query)) {
    const key = METADATA_PARAMETER.exec(name)?.[1];
    if (key === undefined) rest.push([name, value]);
    else filters.push([key, value]);
  }
  // A bare `metadata` parameter stays, and is refused as not an object.
  if (filters.length > 0 && !rest.some(([name]) => name === "metadata"))
    rest.push(["metadata", Object.fromEntries(filters)]);
  return Object.fromEntries(rest);
}

export const metadataFilters = z
  .record(metadataKeyParam, z.string().max(500, "must be at most 500 characters"))
  .refine(
    (filters) => Object.keys(filters).length <= MAX_METADATA_FILTERS,
    `must be at most ${MAX_METADATA_FILTERS} filters`,
  )
  .optional()
  .openapi({
    param: { style: "deepObject", explode: true },
    description: `\`metadata[<key>]=<value>\`, 0–${MAX_METADATA_FILTERS} of them: customers whose metadata has \`key\` with exactly this string form (\`metadata[seats]=3\` finds the number 3 and the string "3", \`metadata[beta]=true\` the boolean true). Keys follow the metadata key rules; one value per key.`,
    example: { plan_source: "signup" },
  });

const q = z
  .string()
  .superRefine((value, ctx) => {
    const terms = termsOf(value);
    if ("problem" in terms) ctx.addIssue({ code: "custom", message: terms.problem });
  })
  .optional()
  .openapi({
    description: `1–${MAX_QUERY_LENGTH} characters, 1–${MAX_TERMS} terms separated by whitespace, each at least 2 characters with a letter or digit. Every term must match: as a prefix of a word (a run of letters and digits) of name, first_name, last_name, display_name, company, username, email or alternative_id, case- and diacritic-insensitively; a term with other characters as its words in a row in one field, the last as a prefix; a term of digits and \`+ - . ( )\` with at least 4 digits also as the last digits of the phone. Nothing is query syntax.`,
    example: "jenny.doe@exa",
  });

export const SearchCustomersQuery = withMetadataFilters(
  z
    .strictObject({
      q,
      metadata: metadataFilters,
      ...pageQuery,
      created_gte: timestamp.optional(),
      created_lt: timestamp.optional(),
      expand: expandParam,
    })
    .superRefine((query, ctx) => {
      if (query.q === undefined && query.metadata === undefined) {
        ctx.addIssue({ code: "custom", path: ["q"], message: "is required unless a metadata[<key>] filter is sent" });
      }
    }),
);

export type SearchCustomersQuery = z.infer<typeof SearchCustomersQuery>;

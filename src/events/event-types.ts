/** Every event type Roster records (spec section 10). */
export const EVENT_TYPES = [
  "customer.created",
  "customer.updated",
  "customer.archived",
  "customer.unarchived",
  "subscription.created",
  "subscription.canceled",
  "address.created",
  "address.updated",
  "address.deleted",
  "payment_method.created",
  "payment_method.deleted",
  "charge.succeeded",
  "charge.failed",
  "balance_transaction.created",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** The resources the types are about: `customer.*` selects every `customer.…` type. */
export const EVENT_TYPE_PREFIXES = [...new Set(EVENT_TYPES.map((type) => type.split(".")[0]))].map(
  (resource) => `${resource}.*`,
);

/** Every type, including types added later. */
export const ALL_EVENT_TYPES = "*";

/** What a destination's `event_types` may hold: a type, a prefix or `*`. */
export const EVENT_TYPE_SELECTORS = [...EVENT_TYPES, ...EVENT_TYPE_PREFIXES, ALL_EVENT_TYPES];

const SELECTORS = new Set<string>(EVENT_TYPE_SELECTORS);

export const isEventTypeSelector = (value: string) => SELECTORS.has(value);

/** Whether a selector (`customer.updated`, `customer.*` or `*`) picks `type`. */
export function selects(selector: string, type: string): boolean {
  if (selector === ALL_EVENT_TYPES) return true;
  if (selector.endsWith(".*")) return type.startsWith(selector.slice(0, -1));
  return selector === type;
}

/**
 * SQL condition, the same rule as `selects`: one of the selectors in the JSON array
 * `selectorsJson` picks the type `typeSql` (both SQL expressions).
 */
export const selectsSql = (selectorsJson: string, typeSql: string) =>
  `EXISTS (SELECT 1 FROM json_each(${selectorsJson}) s WHERE s.value = '*' OR s.value = ${typeSql}
     OR (substr(s.value, -2) = '.*' AND substr(${typeSql}, 1, length(s.value) - 1) = substr(s.value, 1, length(s.value) - 1)))`;

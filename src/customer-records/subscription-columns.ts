import { withColumnDefaults } from "./column-defaults";

/**
 * The subscription columns a caller sets, written once: how each is stored, its value on a
 * create that leaves it out (none: required), and whether archiving erases it (PII). The
 * new-subscription and row types, the columns an insert writes (in this order, for the
 * route's create and the import's), a create's defaults and the stored values are derived from
 * this table; it sits in `customer-records/` beside the other records' column tables.
 *
 * No column is PII, and the table's type refuses one: an archive keeps its canceled
 * subscriptions (it does not delete them, as it does addresses and payment methods), so a PII
 * column would first need the archive cascade to erase it from the row, then `erased-fields.ts`
 * to list it. The lifecycle columns (status, cancel_reason, canceled_at) are Roster's, not the
 * caller's: a subscription is created active and only cancelled after.
 *
 * Kinds: `text` a required TEXT; `optionalText` TEXT or NULL; `billingPeriod` `monthly`,
 * `annually` or NULL; `addons`, `billableFeatures` and `metadata` JSON text.
 */
export const SUBSCRIPTION_SPEC = {
  plan_id: { kind: "text", pii: false },
  resource_id: { kind: "optionalText", pii: false, default: null },
  billing_period: { kind: "billingPeriod", pii: false, default: null },
  addons: { kind: "addons", pii: false, default: [] },
  billable_features: { kind: "billableFeatures", pii: false, default: [] },
  promotion_code: { kind: "optionalText", pii: false, default: null },
  billing_country_code: { kind: "optionalText", pii: false, default: null },
  metadata: { kind: "metadata", pii: false, default: {} },
} as const satisfies Record<string, { kind: SubscriptionColumnKind; pii: false; default?: unknown }>;

type SubscriptionColumnKind = keyof DecodedValue;
type Spec = typeof SUBSCRIPTION_SPEC;
export type SubscriptionColumn = keyof Spec;

type DecodedValue = {
  text: string;
  optionalText: string | null;
  billingPeriod: "monthly" | "annually" | null;
  addons: { addon_id: string; quantity: number }[];
  billableFeatures: { feature_id: string; quantity: number }[];
  metadata: Record<string, string | number | boolean>;
};
const JSON_KINDS: readonly SubscriptionColumnKind[] = ["addons", "billableFeatures", "metadata"];
type StoredValue = Omit<DecodedValue, "addons" | "billableFeatures" | "metadata"> & {
  addons: string;
  billableFeatures: string;
  metadata: string;
};

/** A subscription as a create decides it, column for column. */
export type NewSubscription = { [C in SubscriptionColumn]: DecodedValue[Spec[C]["kind"]] };

/** A subscriptions row as D1 returns it (arrays and metadata as JSON text). */
export type SubscriptionRow = {
  id: string;
  org_id: string;
  customer_id: string;
  status: "active" | "canceled";
  cancel_reason: string | null;
  canceled_at: string | null;
  created_at: string;
} & { [C in SubscriptionColumn]: StoredValue[Spec[C]["kind"]] };

/** The columns an insert writes beside the ids and created_at, in the table's order. */
export const SUBSCRIPTION_COLUMNS = Object.keys(SUBSCRIPTION_SPEC) as SubscriptionColumn[];

type DefaultedColumn = {
  [C in SubscriptionColumn]: Spec[C] extends { default: unknown } ? C : never;
}[SubscriptionColumn];

/** A create's decided input: the required columns, and any of the defaulted ones (absent or null: the default). */
export type SubscriptionValues = Omit<NewSubscription, DefaultedColumn> & {
  [C in DefaultedColumn]?: NewSubscription[C] | null;
};

/** The new subscription these values decide: every column left out (or null) takes its default. */
export const newSubscriptionWithDefaults = (values: SubscriptionValues): NewSubscription =>
  withColumnDefaults(SUBSCRIPTION_SPEC, values) as NewSubscription;

/** A new subscription's columns as stored (JSON kinds as text), by column name. */
export function storedSubscriptionColumns(subscription: NewSubscription): {
  [C in SubscriptionColumn]: StoredValue[Spec[C]["kind"]];
} {
  const stored: Record<string, unknown> = {};
  for (const column of SUBSCRIPTION_COLUMNS) {
    const value = subscription[column];
    stored[column] = JSON_KINDS.includes(SUBSCRIPTION_SPEC[column].kind) ? JSON.stringify(value) : value;
  }
  return stored as { [C in SubscriptionColumn]: StoredValue[Spec[C]["kind"]] };
}

/** A new subscription's values as an insert binds them, in `SUBSCRIPTION_COLUMNS` order. */
export const storedSubscriptionValues = (subscription: NewSubscription): unknown[] => {
  const stored = storedSubscriptionColumns(subscription);
  return SUBSCRIPTION_COLUMNS.map((column) => stored[column]);
};

import type { Metadata } from "../lib/metadata";

/**
 * The customer profile, written once: every column a caller can set, how it is stored, and
 * whether archiving erases it. The row and profile types, the column lists, the empty profile
 * and the conversions between stored and decoded values are all derived from this table, and
 * so is the `Customer` object's schema (customers.schemas.ts). A new profile field is one
 * line here (plus its validator in `profileFields`, which the compiler then asks for).
 *
 * Kinds: `text` is TEXT or NULL; `boolean` is INTEGER 0/1; `json` is TEXT holding a JSON object.
 */
export const PROFILE_SPEC = {
  alternative_id: { kind: "text", pii: true },
  email: { kind: "text", pii: true },
  name: { kind: "text", pii: true },
  first_name: { kind: "text", pii: true },
  last_name: { kind: "text", pii: true },
  display_name: { kind: "text", pii: true },
  username: { kind: "text", pii: true },
  phone: { kind: "text", pii: true },
  company: { kind: "text", pii: true },
  language: { kind: "text", pii: false },
  timezone: { kind: "text", pii: false },
  mail_marketing: { kind: "boolean", pii: false },
  tele_marketing: { kind: "boolean", pii: false },
  coupon_id: { kind: "text", pii: false },
  metadata: { kind: "json", pii: false },
} as const satisfies Record<string, { kind: ColumnKind; pii: boolean }>;

export type ColumnKind = "text" | "boolean" | "json";

type Spec = typeof PROFILE_SPEC;
export type ProfileColumn = keyof Spec;

/** A value as the program uses it, and as D1 stores it, per kind. */
type DecodedValue = { text: string | null; boolean: boolean; json: Metadata };
type StoredValue = { text: string | null; boolean: number; json: string };

/** Columns of `PROFILE_SPEC` of one kind. */
export type ColumnsOfKind<K extends ColumnKind> = {
  [C in ProfileColumn]: Spec[C]["kind"] extends K ? C : never;
}[ProfileColumn];

/** The stored profile: what create, PATCH and PUT decide, column for column. */
export type CustomerProfile = { [C in ProfileColumn]: DecodedValue[Spec[C]["kind"]] };

/** A customers row as D1 returns it. */
export type CustomerRow = {
  seq: number;
  org_id: string;
  id: string;
  has_payment_method: number;
  version: number;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
  last_event_at: string | null;
  archived_alternative_id_hash: string | null;
} & BillingColumns & { [C in ProfileColumn]: StoredValue[Spec[C]["kind"]] };

/**
 * The customer's link to the organization's payment gateway and the state of its background
 * sync (migrations/0022): read-only for callers, shown as `billing`.
 */
export type BillingColumns = {
  billing_gateway: "stripe" | "test" | null;
  billing_gateway_id: string | null;
  billing_customer_reference: string | null;
  billing_sync_status: "synced" | "pending" | "failed" | null;
  billing_synced_at: string | null;
  billing_sync_generation: number;
  billing_sync_due_at: string | null;
  billing_sync_attempts: number;
};

/** A customer that was never linked. */
export const NO_BILLING: BillingColumns = {
  billing_gateway: null,
  billing_gateway_id: null,
  billing_customer_reference: null,
  billing_sync_status: null,
  billing_synced_at: null,
  billing_sync_generation: 0,
  billing_sync_due_at: null,
  billing_sync_attempts: 0,
};

/** The billing columns of a row (so a predicted row carries them on). */
export const billingColumnsOf = (row: BillingColumns): BillingColumns => ({
  billing_gateway: row.billing_gateway,
  billing_gateway_id: row.billing_gateway_id,
  billing_customer_reference: row.billing_customer_reference,
  billing_sync_status: row.billing_sync_status,
  billing_synced_at: row.billing_synced_at,
  billing_sync_generation: row.billing_sync_generation,
  billing_sync_due_at: row.billing_sync_due_at,
  billing_sync_attempts: row.billing_sync_attempts,
});

/**
 * The profile fields the gateway customer mirrors (spec section 11): a change to one of them
 * on a linked customer marks the link's sync pending, in the change's own batch.
 */
export const SYNCED_PROFILE_COLUMNS = [
  "name",
  "email",
  "phone",
  "language",
] as const satisfies readonly ProfileColumn[];

const columnsWhere = <C extends ProfileColumn>(test: (column: ProfileColumn) => boolean) =>
  (Object.keys(PROFILE_SPEC) as ProfileColumn[]).filter(test) as C[];

/** Every profile column, in the table's order (the order of SQL column lists and of the API object). */
export const PROFILE_COLUMNS = columnsWhere((): boolean => true);

/** Columns of `PROFILE_SPEC` that are PII. */
export type PiiColumn = { [C in ProfileColumn]: Spec[C]["pii"] extends true ? C : never }[ProfileColumn];

/** The columns archiving erases: every piece of PII, the alternative ID included. */
export const PII_COLUMNS = columnsWhere<PiiColumn>((column) => PROFILE_SPEC[column].pii);

/** What archiving leaves in the PII columns: null, every one. */
export const ERASED_PII = Object.fromEntries(PII_COLUMNS.map((column) => [column, null])) as {
  [C in PiiColumn]: null;
};

/** Profile columns stored as text (`kind: "text"`). */
export const TEXT_COLUMNS = columnsWhere<ColumnsOfKind<"text">>((column) => PROFILE_SPEC[column].kind === "text");

const EMPTY_VALUE: { [K in ColumnKind]: () => DecodedValue[K] } = {
  text: () => null,
  boolean: () => false,
  json: () => ({}),
};

const decode: { [K in ColumnKind]: (stored: StoredValue[K]) => DecodedValue[K] } = {
  text: (stored) => stored,
  boolean: (stored) => stored === 1,
  json: (stored) => JSON.parse(stored) as Metadata,
};

const encode: { [K in ColumnKind]: (value: DecodedValue[K]) => StoredValue[K] } = {
  text: (value) => value,
  boolean: (value) => (value ? 1 : 0),
  json: (value) => JSON.stringify(value),
};

/** Builds a profile column by column; the one place the mapped type is asserted. */
function profileFrom(columnValue: <C extends ProfileColumn>(column: C) => CustomerProfile[C]): CustomerProfile {
  // A plain loop: this runs for every customer a response returns.
  const profile: Partial<Record<ProfileColumn, unknown>> = {};
  for (const column of PROFILE_COLUMNS) profile[column] = columnValue(column);
  return profile as CustomerProfile;
}

/** The profile with nothing set (booleans false, metadata empty). */
export const EMPTY_PROFILE: CustomerProfile = profileFrom(
  (column) => EMPTY_VALUE[PROFILE_SPEC[column].kind]() as CustomerProfile[typeof column],
);

/** The profile a row holds, decoded. */
export function profileOf(row: CustomerRow): CustomerProfile {
  return profileFrom((column) => {
    const kind: ColumnKind = PROFILE_SPEC[column].kind;
    return (decode[kind] as (stored: unknown) => unknown)(row[column]) as CustomerProfile[typeof column];
  });
}

/** The values to bind for `PROFILE_COLUMNS`, in that order. */
export function storedValues(profile: CustomerProfile): (string | number | null)[] {
  return PROFILE_COLUMNS.map((column) => {
    const kind: ColumnKind = PROFILE_SPEC[column].kind;
    return (encode[kind] as (value: unknown) => string | number | null)(profile[column]);
  });
}

/** The profile as the row's columns hold it. */
export function storedProfile(profile: CustomerProfile): Pick<CustomerRow, ProfileColumn> {
  const values = storedValues(profile);
  return Object.fromEntries(PROFILE_COLUMNS.map((column, index) => [column, values[index]])) as Pick<
    CustomerRow,
    ProfileColumn
  >;
}

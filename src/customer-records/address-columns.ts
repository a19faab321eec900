import { withColumnDefaults } from "./column-defaults";

/**
 * The address columns a caller sets, written once: how each is stored, its value on a create
 * that leaves it out (none: required), and whether archiving erases it (PII). The new-address
 * and row types, the columns a PATCH may change, a create's defaults and the address PII that
 * `erased-fields.ts` lists are all derived from this table. It sits in `customer-records/`
 * beside the customer's own column table, so erasure can read it without importing `addresses/`.
 *
 * Kinds: `addressType` is `billing` or `shipping`; `text` a required TEXT; `optionalText` TEXT
 * or NULL; `boolean` an INTEGER 0/1.
 */
export const ADDRESS_SPEC = {
  type: { kind: "addressType", pii: false, default: "billing" },
  line1: { kind: "text", pii: true },
  line2: { kind: "optionalText", pii: true, default: null },
  city: { kind: "optionalText", pii: true, default: null },
  state: { kind: "optionalText", pii: true, default: null },
  postal_code: { kind: "optionalText", pii: true, default: null },
  country: { kind: "text", pii: false },
  is_default: { kind: "boolean", pii: false, default: false },
} as const satisfies Record<string, { kind: AddressColumnKind; pii: boolean; default?: unknown }>;

type AddressColumnKind = "addressType" | "text" | "optionalText" | "boolean";
type Spec = typeof ADDRESS_SPEC;
export type AddressColumn = keyof Spec;

type DecodedValue = {
  addressType: "billing" | "shipping";
  text: string;
  optionalText: string | null;
  boolean: boolean;
};
type StoredValue = Omit<DecodedValue, "boolean"> & { boolean: number };

/** An address as a create decides it, column for column. */
export type NewAddress = { [C in AddressColumn]: DecodedValue[Spec[C]["kind"]] };

/** An addresses row as D1 returns it. */
export type AddressRow = {
  id: string;
  org_id: string;
  customer_id: string;
  created_at: string;
  updated_at: string;
} & { [C in AddressColumn]: StoredValue[Spec[C]["kind"]] };

const columns = Object.keys(ADDRESS_SPEC) as AddressColumn[];

/** The columns a PATCH may set: every column of the table (changes are written only through this list). */
export const CHANGEABLE_ADDRESS_COLUMNS: readonly AddressColumn[] = columns;

/** The address columns that are PII: an archive deletes the address and erases them from every copy. */
export const ADDRESS_PII_COLUMNS = columns.filter((column) => ADDRESS_SPEC[column].pii);

type DefaultedColumn = { [C in AddressColumn]: Spec[C] extends { default: unknown } ? C : never }[AddressColumn];

/** A create's input: the required columns, and any of the defaulted ones (absent: the default). */
export type AddressInput = Omit<NewAddress, DefaultedColumn> & Partial<Pick<NewAddress, DefaultedColumn>>;

/** The new address a create's input decides: every column left out takes its default. */
export const newAddressFrom = (input: AddressInput): NewAddress =>
  withColumnDefaults(ADDRESS_SPEC, input) as NewAddress;

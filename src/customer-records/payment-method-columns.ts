import { withColumnDefaults } from "./column-defaults";

/**
 * The payment method columns a caller sets, written once: how each is stored, its value on a
 * create that leaves it out (none: required), and whether archiving erases it (PII). The
 * new-payment-method and row types, the columns an insert writes (in this order), a create's
 * defaults and the payment-method PII that `erased-fields.ts` lists are all derived from this
 * table. It sits in `customer-records/` beside the customer's and the address's column tables,
 * so erasure can read it without importing `payment-methods/`.
 *
 * Kinds: `text` a required TEXT; `optionalText` TEXT or NULL; `optionalInteger` INTEGER or
 * NULL; `boolean` an INTEGER 0/1. A payment method is never changed, only added and deleted.
 */
export const PAYMENT_METHOD_SPEC = {
  gateway: { kind: "optionalText", pii: false, default: null },
  gateway_reference: { kind: "text", pii: true },
  brand: { kind: "optionalText", pii: true, default: null },
  last4: { kind: "optionalText", pii: true, default: null },
  exp_month: { kind: "optionalInteger", pii: true, default: null },
  exp_year: { kind: "optionalInteger", pii: true, default: null },
  is_default: { kind: "boolean", pii: false, default: false },
} as const satisfies Record<string, { kind: PaymentMethodColumnKind; pii: boolean; default?: unknown }>;

type PaymentMethodColumnKind = "text" | "optionalText" | "optionalInteger" | "boolean";
type Spec = typeof PAYMENT_METHOD_SPEC;
export type PaymentMethodColumn = keyof Spec;

type DecodedValue = { text: string; optionalText: string | null; optionalInteger: number | null; boolean: boolean };
type StoredValue = Omit<DecodedValue, "boolean"> & { boolean: number };

/** A payment method as a create decides it, column for column. */
export type NewPaymentMethod = { [C in PaymentMethodColumn]: DecodedValue[Spec[C]["kind"]] };

/** A payment_methods row as D1 returns it. */
export type PaymentMethodRow = {
  id: string;
  org_id: string;
  customer_id: string;
  created_at: string;
} & { [C in PaymentMethodColumn]: StoredValue[Spec[C]["kind"]] };

/** The columns an insert writes beside id, org_id, customer_id and created_at, in the table's order. */
export const PAYMENT_METHOD_COLUMNS = Object.keys(PAYMENT_METHOD_SPEC) as PaymentMethodColumn[];

/** The payment method columns that are PII: an archive deletes the payment method and erases them from every copy. */
export const PAYMENT_METHOD_PII_COLUMNS = PAYMENT_METHOD_COLUMNS.filter((column) => PAYMENT_METHOD_SPEC[column].pii);

type DefaultedColumn = {
  [C in PaymentMethodColumn]: Spec[C] extends { default: unknown } ? C : never;
}[PaymentMethodColumn];

/** A create's input: the required columns, and any of the defaulted ones (absent or null: the default). */
export type PaymentMethodInput = Omit<NewPaymentMethod, DefaultedColumn> & {
  [C in DefaultedColumn]?: NewPaymentMethod[C] | null;
};

/** The new payment method a create's input decides: every column left out takes its default. */
export const newPaymentMethodFrom = (input: PaymentMethodInput): NewPaymentMethod =>
  withColumnDefaults(PAYMENT_METHOD_SPEC, input) as NewPaymentMethod;

/** A new payment method's values as the insert binds them, in `PAYMENT_METHOD_COLUMNS` order. */
export const storedPaymentMethodValues = (paymentMethod: NewPaymentMethod): unknown[] =>
  PAYMENT_METHOD_COLUMNS.map((column) => {
    const value = paymentMethod[column];
    return typeof value === "boolean" ? (value ? 1 : 0) : value;
  });

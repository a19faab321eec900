import { z } from "@hono/zod-openapi";
import { toAddressObject } from "../addresses/addresses.object";
import { type AddressRow, addressesOfCustomersStatement } from "../addresses/addresses.repository";
import { Address } from "../addresses/addresses.schemas";
import type { CustomerRow } from "../customer-records/customer-columns";
import { rowsOf, runBatch } from "../lib/batch";
import type { Db } from "../lib/db";
import { toPaymentMethodObject } from "../payment-methods/payment-methods.object";
import {
  type PaymentMethodRow,
  paymentMethodsOfCustomersStatement,
} from "../payment-methods/payment-methods.repository";
import { PaymentMethod } from "../payment-methods/payment-methods.schemas";
import { toSubscriptionObject } from "../subscriptions/subscriptions.object";
import { type SubscriptionRow, subscriptionsOfCustomersStatement } from "../subscriptions/subscriptions.repository";
import { Subscription } from "../subscriptions/subscriptions.schemas";

const EXPANDABLE = ["addresses", "subscriptions", "payment_methods", "default_payment_method"] as const;
type Expandable = (typeof EXPANDABLE)[number];

/** One expandable name, with the whitespace around it that the parser trims (`\s` is what trim() removes). */
const EXPAND_NAME = `\\s*(?:${EXPANDABLE.join("|")})\\s*`;

/** What each name reads: `default_payment_method` is picked from the payment methods. */
type Read = "addresses" | "subscriptions" | "payment_methods";
const READS: Record<Expandable, Read> = {
  addresses: "addresses",
  subscriptions: "subscriptions",
  payment_methods: "payment_methods",
  default_payment_method: "payment_methods",
};

/** `expand=addresses,subscriptions,payment_methods,default_payment_method`: any subset, comma-separated. */
export const expandParam = z
  .string()
  .superRefine((value, ctx) => {
    const unknown = value.split(",").filter((name) => !(EXPANDABLE as readonly string[]).includes(name.trim()));
    if (unknown.length) {
      ctx.addIssue({
        code: "custom",
        message: `unknown name${unknown.length > 1 ? "s" : ""} ${unknown.map((name) => `'${name}'`).join(", ")}; expandable: ${EXPANDABLE.join(", ")}`,
      });
    }
  })
  .optional()
  .openapi({
    description: `Comma-separated: adds these to each customer. Any of ${EXPANDABLE.join(", ")} (\`default_payment_method\`: the payment method marked \`is_default\`, or null).`,
    example: "addresses,subscriptions",
    pattern: `^${EXPAND_NAME}(?:,${EXPAND_NAME})*$`,
  });

/** The arrays `expand` may add to a customer object (present only when asked for). */
export const expandedFields = {
  addresses: z.array(Address).optional().openapi({ description: "With `expand=addresses`." }),
  subscriptions: z.array(Subscription).optional().openapi({ description: "With `expand=subscriptions`." }),
  payment_methods: z.array(PaymentMethod).optional().openapi({ description: "With `expand=payment_methods`." }),
  default_payment_method: PaymentMethod.nullable().optional().openapi({
    description: "With `expand=default_payment_method`: the payment method marked `is_default`, or null.",
  }),
};

export function parseExpand(value: string | undefined): Set<Expandable> {
  const names = new Set((value ?? "").split(",").map((name) => name.trim()));
  return new Set(EXPANDABLE.filter((kind) => names.has(kind)));
}

export type Expansion = {
  addresses?: z.infer<typeof Address>[];
  subscriptions?: z.infer<typeof Subscription>[];
  payment_methods?: z.infer<typeof PaymentMethod>[];
  default_payment_method?: z.infer<typeof PaymentMethod> | null;
};

const groupBy = <R extends { customer_id: string }, O>(rows: R[], map: (row: R) => O) => {
  const groups = new Map<string, O[]>();
  for (const row of rows) groups.set(row.customer_id, [...(groups.get(row.customer_id) ?? []), map(row)]);
  return groups;
};

/**
 * The requested arrays for every customer of a page in one D1 round trip: one statement per
 * expanded kind, each with two bound parameters however many customers there are.
 */
export async function expandCustomers(
  db: Db,
  orgId: string,
  rows: CustomerRow[],
  expand: Set<Expandable>,
): Promise<(customerId: string) => Expansion> {
  if (expand.size === 0 || rows.length === 0) return () => ({});
  const ids = rows.map((row) => row.id);
  const kinds = [...new Set(EXPANDABLE.filter((kind) => expand.has(kind)).map((kind) => READS[kind]))];
  const statements = {
    addresses: () => addressesOfCustomersStatement(db, orgId, ids),
    subscriptions: () => subscriptionsOfCustomersStatement(db, orgId, ids),
    payment_methods: () => paymentMethodsOfCustomersStatement(db, orgId, ids),
  };
  const reads = new Map(kinds.map((kind) => [kind, statements[kind]()]));
  const batch = await runBatch(db, [...reads.values()]);
  const found = <Row>(kind: Read) => rowsOf<Row>(batch, reads.get(kind));
  const addresses = groupBy(found<AddressRow>("addresses"), toAddressObject);
  const subscriptions = groupBy(found<SubscriptionRow>("subscriptions"), toSubscriptionObject);
  const paymentMethods = groupBy(found<PaymentMethodRow>("payment_methods"), toPaymentMethodObject);
  return (customerId) => ({
    ...(expand.has("addresses") && { addresses: addresses.get(customerId) ?? [] }),
    ...(expand.has("subscriptions") && { subscriptions: subscriptions.get(customerId) ?? [] }),
    ...(expand.has("payment_methods") && { payment_methods: paymentMethods.get(customerId) ?? [] }),
    ...(expand.has("default_payment_method") && {
      default_payment_method: paymentMethods.get(customerId)?.find((method) => method.is_default) ?? null,
    }),
  });
}

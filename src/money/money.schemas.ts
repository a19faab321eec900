import { z } from "@hono/zod-openapi";
import { customerId } from "../customer-records/customer-records.params";
import { alternativeId } from "../customers/customers.fields";
import { isoTimestamp, text } from "../lib/fields";
import { pageOf, pageQuery } from "../lib/pages";

/** Minor units (cents; whole units for zero-decimal currencies), spec section 11. */
export const MAX_AMOUNT = 99_999_999;

const AMOUNT_PROBLEM = `must be an integer from 1 to ${MAX_AMOUNT} (minor units)`;

const amount = z
  .number({ error: AMOUNT_PROBLEM })
  .int({ error: AMOUNT_PROBLEM })
  .min(1, { error: AMOUNT_PROBLEM })
  .max(MAX_AMOUNT, { error: AMOUNT_PROBLEM })
  .openapi({
    description: "In the currency's minor unit (cents; whole units for zero-decimal currencies).",
    example: 1000,
  });

const ADJUSTMENT_PROBLEM = `must be a non-zero integer from -${MAX_AMOUNT} to ${MAX_AMOUNT} (minor units)`;

const signedAmount = z
  .number({ error: ADJUSTMENT_PROBLEM })
  .int({ error: ADJUSTMENT_PROBLEM })
  .min(-MAX_AMOUNT, { error: ADJUSTMENT_PROBLEM })
  .max(MAX_AMOUNT, { error: ADJUSTMENT_PROBLEM })
  .refine((value) => value !== 0, { error: ADJUSTMENT_PROBLEM })
  .openapi({ description: "Positive credits the balance, negative debits it (never below zero).", example: -250 });

// The runtime's ISO 4217 list, where it has one (workerd does).
const KNOWN_CURRENCIES: ReadonlySet<string> | null =
  typeof Intl.supportedValuesOf === "function" ? new Set(Intl.supportedValuesOf("currency")) : null;

/** Three letters of an ISO 4217 code, any case, answered lowercase. */
export const currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, "must be a three-letter ISO 4217 currency code")
  .refine((value) => KNOWN_CURRENCIES?.has(value.toUpperCase()) ?? true, "is not an ISO 4217 currency code")
  .transform((value) => value.toLowerCase())
  .openapi({ description: "ISO 4217, lowercase (uppercase is accepted).", example: "usd" });

const description = text(500).nullable().optional().openapi({
  description: "Free text for your records, at most 500 characters. Kept after archive: never put PII here.",
});

const paymentMethodId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 characters of A-Z a-z 0-9 _ -")
  .openapi({
    description: "Roster's id (`pm_…`) of one of this customer's payment methods.",
    example: "pm_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R",
  });

export const CreditBody = z
  .strictObject({
    customer_id: customerId.optional().openapi({ description: "The customer; or send `alternative_id`." }),
    alternative_id: alternativeId
      .optional()
      .openapi({ description: "The customer by alternative ID; or send `customer_id`." }),
    payment_method_id: paymentMethodId,
    amount,
    currency,
    description,
  })
  .superRefine((body, ctx) => {
    if ((body.customer_id === undefined) === (body.alternative_id === undefined)) {
      for (const field of ["customer_id", "alternative_id"]) {
        ctx.addIssue({ code: "custom", path: [field], message: "send exactly one of customer_id and alternative_id" });
      }
    }
  })
  .openapi("CreditFromPaymentMethod");

export type CreditBody = z.infer<typeof CreditBody>;

export const AdjustmentBody = z
  .strictObject({ amount: signedAmount, currency, description })
  .openapi("CreateBalanceAdjustment");

export const Charge = z
  .object({
    object: z.literal("charge"),
    id: z.string().openapi({ example: "ch_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R" }),
    customer_id: z.string(),
    payment_method_id: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    status: z.enum(["pending", "succeeded", "failed"]).openapi({
      description:
        "`pending` until Roster knows the gateway's outcome (it keeps asking with the same idempotency key).",
    }),
    failure_code: z.string().nullable().openapi({ example: "card_declined" }),
    decline_code: z.string().nullable().openapi({ example: "insufficient_funds" }),
    failure_message: z.string().nullable(),
    gateway: z.enum(["stripe", "test"]),
    gateway_reference: z
      .string()
      .nullable()
      .openapi({ description: "The gateway's payment (`pi_…`).", example: "pi_3MtwBwLkdIwHu7ix28a3tqPa" }),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .openapi("Charge");

export type ChargeObject = z.infer<typeof Charge>;

export const BalanceTransaction = z
  .object({
    object: z.literal("balance_transaction"),
    id: z.string().openapi({ example: "cbt_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R" }),
    customer_id: z.string(),
    type: z.enum(["credit_from_payment_method", "adjustment"]),
    amount: z.number().int().openapi({ description: "Signed: a debit is negative." }),
    currency: z.string(),
    ending_balance: z
      .number()
      .int()
      .openapi({ description: "The balance in this currency right after this transaction." }),
    charge: Charge.nullable().openapi({
      description: "The charge a credit from a payment method came from; null for adjustments.",
    }),
    description: z.string().nullable(),
    created_at: isoTimestamp,
  })
  .openapi("BalanceTransaction");

export type BalanceTransactionObject = z.infer<typeof BalanceTransaction>;

export const CustomerBalance = z
  .object({
    object: z.literal("customer_balance"),
    customer_id: z.string(),
    balances: z.record(z.string(), z.number().int()).openapi({
      description: "Every currency the customer ever held, zero included, in minor units.",
      example: { usd: 1000 },
    }),
    updated_at: isoTimestamp
      .nullable()
      .openapi({ description: "The latest change to any of them; null when none ever changed." }),
  })
  .openapi("CustomerBalance");

export const ChargeList = pageOf(Charge, "ChargeList");
export const BalanceTransactionList = pageOf(BalanceTransaction, "BalanceTransactionList");

export const ChargeListQuery = z.strictObject(pageQuery);
export type ChargeListQuery = z.infer<typeof ChargeListQuery>;

export const BalanceTransactionListQuery = z.strictObject({
  ...pageQuery,
  currency: currency.optional().openapi({ description: "Only this currency's transactions." }),
});
export type BalanceTransactionListQuery = z.infer<typeof BalanceTransactionListQuery>;

export const ChargeParams = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 characters of A-Z a-z 0-9 _ -")
    .openapi({ param: { name: "id", in: "path" }, example: "ch_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R" }),
});

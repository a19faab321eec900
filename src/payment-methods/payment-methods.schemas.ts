import { z } from "@hono/zod-openapi";
import { IdParams, recordParams } from "../customer-records/customer-records.params";
import { isoTimestamp, text } from "../lib/fields";
import { deletedOf } from "../lib/lists";
import { pageOf } from "../lib/pages";

export const MIN_EXP_YEAR = 2000;
export const MAX_EXP_YEAR = 2100;

/** When `field` is sent and not null, `other` must be sent and not null. */
const expiryDependency = (field: string, other: string) => ({
  anyOf: [
    { properties: { [field]: { type: "null" } } },
    { required: [other], properties: { [other]: { type: "integer" } } },
  ],
});

export const CreatePaymentMethodBody = z
  .strictObject({
    gateway: text(64)
      .nullable()
      .optional()
      .openapi({ description: "The payment gateway that stores the instrument.", example: "stripe" }),
    gateway_reference: text(255).openapi({
      description: "The gateway's id for the stored instrument (e.g. a Stripe PaymentMethod id). Never a card number.",
      example: "pm_1MqLiJLkdIwHu7ixUEgbFdYF",
    }),
    brand: text(32).nullable().optional().openapi({ example: "visa" }),
    last4: z
      .string()
      .regex(/^\d{4}$/, "must be exactly 4 digits")
      .nullable()
      .optional()
      .openapi({ example: "4242" }),
    exp_month: z.number().int("must be a whole number").min(1).max(12).nullable().optional().openapi({ example: 12 }),
    exp_year: z
      .number()
      .int("must be a whole number")
      .min(MIN_EXP_YEAR)
      .max(MAX_EXP_YEAR)
      .nullable()
      .optional()
      .openapi({ example: 2030, description: `Four digits, ${MIN_EXP_YEAR}–${MAX_EXP_YEAR}.` }),
    is_default: z.boolean().optional().openapi({
      description:
        "Default false. Setting it clears the previous default in the same step; at most one payment method is the default.",
    }),
  })
  .superRefine((body, ctx) => {
    // An expiry month without its year (or the reverse) names no date.
    if ((body.exp_month ?? null) === null && (body.exp_year ?? null) !== null) {
      ctx.addIssue({ code: "custom", path: ["exp_month"], message: "send exp_month together with exp_year" });
    }
    if ((body.exp_year ?? null) === null && (body.exp_month ?? null) !== null) {
      ctx.addIssue({ code: "custom", path: ["exp_year"], message: "send exp_year together with exp_month" });
    }
  })
  .openapi("CreatePaymentMethod", {
    // The rule above for the document: a month that is set needs a year that is set, and the reverse.
    ...({
      dependentSchemas: {
        exp_month: expiryDependency("exp_month", "exp_year"),
        exp_year: expiryDependency("exp_year", "exp_month"),
      },
    } as object),
  });

export type CreatePaymentMethodBody = z.infer<typeof CreatePaymentMethodBody>;

export const PaymentMethod = z
  .object({
    object: z.literal("payment_method"),
    id: z.string().openapi({ example: "pm_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R" }),
    customer_id: z.string(),
    gateway: z.string().nullable(),
    gateway_reference: z.string(),
    brand: z.string().nullable(),
    last4: z.string().nullable(),
    exp_month: z.number().int().nullable(),
    exp_year: z.number().int().nullable(),
    is_default: z.boolean(),
    created_at: isoTimestamp,
  })
  .openapi("PaymentMethod");

export type PaymentMethodObject = z.infer<typeof PaymentMethod>;

export const PaymentMethodList = pageOf(PaymentMethod, "PaymentMethodList");

export const DeletedPaymentMethod = deletedOf("payment_method", "DeletedPaymentMethod");

export const CustomerParams = IdParams;

export const PaymentMethodParams = recordParams("payment_method_id", "pm");

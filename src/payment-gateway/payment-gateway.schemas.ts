import { z } from "@hono/zod-openapi";
import { isoTimestamp } from "../lib/fields";

const STRIPE_SECRET_KEY = /^(?:sk|rk)_(?:(?:test|live)_)?[A-Za-z0-9]{8,240}$/;

export const PutPaymentGatewayBody = z
  .discriminatedUnion("type", [
    z.strictObject({
      type: z.literal("stripe"),
      secret_key: z
        .string()
        .regex(STRIPE_SECRET_KEY, "must be a Stripe secret or restricted key (sk_… or rk_…)")
        .openapi({
          description:
            "A Stripe secret (`sk_…`) or restricted (`rk_…`) key. Checked with Stripe before it is stored; stored encrypted; never returned in full.",
          example: "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        }),
    }),
    z.strictObject({ type: z.literal("test") }),
  ])
  .openapi("PutPaymentGateway", {
    description:
      '`{"type": "stripe", "secret_key": "sk_…"}` or `{"type": "test"}` (the gateway inside Roster, for development and tests).',
  });

export type PutPaymentGatewayBody = z.infer<typeof PutPaymentGatewayBody>;

export const PaymentGateway = z
  .object({
    object: z.literal("payment_gateway"),
    type: z.enum(["stripe", "test"]),
    secret_key: z.string().nullable().openapi({
      description: "Masked: the key's kind and mode and its last four characters. Null for the test gateway.",
      example: "sk_test_…p7dc",
    }),
    created_at: isoTimestamp.openapi({ description: "When this type and key were first stored." }),
    updated_at: isoTimestamp,
  })
  .openapi("PaymentGateway");

export type PaymentGatewayObject = z.infer<typeof PaymentGateway>;

export const DeletedPaymentGateway = z
  .object({
    object: z.literal("payment_gateway"),
    type: z.enum(["stripe", "test"]),
    deleted: z.literal(true),
  })
  .openapi("DeletedPaymentGateway");

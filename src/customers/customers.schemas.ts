import { z } from "@hono/zod-openapi";
import {
  type ColumnKind,
  PROFILE_COLUMNS,
  PROFILE_SPEC,
  type ProfileColumn,
} from "../customer-records/customer-columns";
import { customerId, IdParams } from "../customer-records/customer-records.params";
import { isoTimestamp, text, timestamp } from "../lib/fields";
import { metadataInput, metadataKeyParam } from "../lib/metadata";
import { pageOf, pageQuery } from "../lib/pages";
import { BillingInformation } from "../payment-gateway/billing-information";
import { alternativeId, email, language, phone, timezone, username } from "./customers.fields";
import { AlternativeIdParams } from "./customers.params";
import { expandedFields, expandParam } from "./expand";
import type { GatewayOptions } from "./gateway-request";
import { metadataFilters, withMetadataFilters } from "./search.schemas";

/** The profile fields a caller can write; `null` means "not set". */
export const profileFields = {
  alternative_id: alternativeId.nullable().optional(),
  email: email.nullable().optional(),
  name: text(255).nullable().optional(),
  first_name: text(255).nullable().optional(),
  last_name: text(255).nullable().optional(),
  display_name: text(100).nullable().optional(),
  username: username.nullable().optional(),
  phone: phone.nullable().optional(),
  company: text(255).nullable().optional(),
  language: language.nullable().optional(),
  timezone: timezone.nullable().optional(),
  mail_marketing: z.boolean().nullable().optional().openapi({ description: "Default false; null resets it." }),
  tele_marketing: z.boolean().nullable().optional().openapi({ description: "Default false; null resets it." }),
  coupon_id: text(255).nullable().optional(),
  metadata: metadataInput.nullable().optional(),
} satisfies Record<ProfileColumn, z.ZodType>;

/**
 * Accepted on every write of a profile and never stored: skips the email DNS check for
 * this request (the check is off unless the deployment turns it on).
 */
export const requestOptions = {
  skip_email_dns_validation: z.boolean().optional().openapi({
    description: "Skip the email domain's DNS check for this request. Never stored.",
  }),
};

/**
 * Accepted on create, PATCH, PUT, provision and import items, never stored (spec section 11,
 * "Linking customers to the gateway"; customers/gateway-request.ts).
 */
export const gatewayOptions = {
  gateway_customer_reference: text(255).optional().openapi({
    description:
      "Links the customer to this existing customer at the organization's payment gateway (checked with the gateway: unknown is `422 gateway_rejected`; no gateway: `409 gateway_not_configured`). Shown as `billing`; never changes the gateway customer's own fields until the customer changes.",
    example: "cus_NffrFeUfNV2Hib",
  }),
  import_payment_methods: z.boolean().optional().openapi({
    description:
      "With `gateway_customer_reference`: every card that gateway customer has becomes a payment method of this customer in the same change (`is_default` from the gateway's default; cards already on file are skipped). Never stored.",
  }),
  billing_information: BillingInformation.optional(),
};

export type ProfileInput = {
  [K in keyof typeof profileFields]?: z.infer<(typeof profileFields)[K]>;
};

export const CreateCustomerBody = z
  .strictObject({ id: customerId.optional(), ...profileFields, ...requestOptions, ...gatewayOptions })
  .openapi("CreateCustomer");

/** PATCH and PUT: the id is immutable, so it is not a field here. */
export type UpdateInput = ProfileInput & { skip_email_dns_validation?: boolean } & GatewayOptions;

export const UpdateCustomerBody = z
  .strictObject({ ...profileFields, ...requestOptions, ...gatewayOptions })
  .openapi("UpdateCustomer");

const OUTPUT_OF_KIND = {
  text: () => z.string().nullable(),
  boolean: () => z.boolean(),
  json: () => z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
} satisfies Record<ColumnKind, () => z.ZodType>;

type OutputOf<K extends ColumnKind> = ReturnType<(typeof OUTPUT_OF_KIND)[K]>;

/** The profile as the Customer object shows it, derived from the column table. */
const profileOutput = Object.fromEntries(
  PROFILE_COLUMNS.map((column) => [column, OUTPUT_OF_KIND[PROFILE_SPEC[column].kind]()]),
) as { [C in ProfileColumn]: OutputOf<(typeof PROFILE_SPEC)[C]["kind"]> };

/** The customer's link to the organization's payment gateway (spec section 11); read-only. */
export const Billing = z
  .object({
    gateway: z.enum(["stripe", "test"]),
    customer_reference: z
      .string()
      .openapi({ description: "The gateway's customer id.", example: "cus_NffrFeUfNV2Hib" }),
    sync_status: z.enum(["synced", "pending", "failed"]).openapi({
      description:
        "Whether the gateway customer has the customer's latest name, email, phone, language and default billing address: `pending` while a change waits to reach it (retried while the gateway is unreachable), `failed` when the gateway refused it or the retries ran out.",
    }),
    synced_at: isoTimestamp.nullable().openapi({ description: "When the gateway customer last matched." }),
  })
  .openapi("CustomerBilling");

export const Customer = z
  .object({
    object: z.literal("customer"),
    id: z.string(),
    ...profileOutput,
    has_payment_method: z.boolean(),
    billing: z.union([Billing, z.null()]).openapi({
      description:
        "The customer's customer at the organization's payment gateway, or null until one is needed or named (`gateway_customer_reference`). Read-only.",
    }),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
    ...expandedFields,
  })
  .openapi("Customer");

export type CustomerObject = z.infer<typeof Customer>;

export const ArchivedCustomer = z
  .object({
    object: z.literal("customer"),
    id: z.string(),
    archived: z.literal(true),
    archived_at: isoTimestamp,
  })
  .openapi("ArchivedCustomer");

export const CustomerList = pageOf(Customer, "CustomerList");

export const ListCustomersQuery = withMetadataFilters(
  z.strictObject({
    ...pageQuery,
    email: z.string().min(1).max(254).optional().openapi({ description: "Exact match, case-insensitive." }),
    alternative_id: z.string().min(1).max(1024).optional().openapi({ description: "Exact match." }),
    created_gte: timestamp.optional(),
    created_lt: timestamp.optional(),
    metadata: metadataFilters,
    expand: expandParam,
  }),
);

export const GetCustomerQuery = z.strictObject({ expand: expandParam });

export type ListCustomersQuery = z.infer<typeof ListCustomersQuery>;

export const MetadataKeyParams = {
  id: IdParams.extend({ key: metadataKeyParam.openapi({ param: { name: "key", in: "path" } }) }),
  alternative_id: AlternativeIdParams.extend({
    key: metadataKeyParam.openapi({ param: { name: "key", in: "path" } }),
  }),
};

/** Routes without a body accept none (or `{}`): an unknown field is still an error. */

export const IfMatchHeader = z.object({
  "If-Match": z.string().optional().openapi({ description: "An ETag from GET; 412 when it is stale." }),
});

export { AlternativeIdParams, IdParams };

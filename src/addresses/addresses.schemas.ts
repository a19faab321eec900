import { z } from "@hono/zod-openapi";
import { IdParams, recordParams } from "../customer-records/customer-records.params";
import { countryCode } from "../lib/countries";
import { isoTimestamp, text } from "../lib/fields";
import { deletedOf } from "../lib/lists";
import { pageOf } from "../lib/pages";

export const ADDRESS_TYPES = ["billing", "shipping"] as const;

const addressType = z.enum(ADDRESS_TYPES);

/** The optional lines of an address; `null` clears one. */
const optionalLines = {
  line2: text(200).nullable().optional(),
  city: text(100).nullable().optional(),
  state: text(100).nullable().optional().openapi({ description: "State, province, county or region." }),
  postal_code: text(20).nullable().optional(),
};

const isDefault = z.boolean().optional().openapi({
  description:
    "The default address of its type. Setting it clears the previous default of that type in the same step; at most one address per type is the default.",
});

export const CreateAddressBody = z
  .strictObject({
    type: addressType.optional().openapi({ description: "Default `billing`." }),
    line1: text(200).openapi({ example: "1 Main Street" }),
    ...optionalLines,
    country: countryCode,
    is_default: isDefault.openapi({
      description: "Default false. Setting it clears the previous default of its type.",
    }),
  })
  .openapi("CreateAddress");

export type CreateAddressBody = z.infer<typeof CreateAddressBody>;

/** PATCH: only the fields sent change. `line1` and `country` are required, so they cannot be cleared. */
export const UpdateAddressBody = z
  .strictObject({
    type: addressType.optional(),
    line1: text(200).optional(),
    ...optionalLines,
    country: countryCode.optional(),
    is_default: isDefault,
  })
  .openapi("UpdateAddress");

export type UpdateAddressBody = z.infer<typeof UpdateAddressBody>;

export const Address = z
  .object({
    object: z.literal("address"),
    id: z.string().openapi({ example: "adr_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R" }),
    customer_id: z.string(),
    type: addressType,
    line1: z.string(),
    line2: z.string().nullable(),
    city: z.string().nullable(),
    state: z.string().nullable(),
    postal_code: z.string().nullable(),
    country: z.string().openapi({ example: "US" }),
    is_default: z.boolean(),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .openapi("Address");

export type AddressObject = z.infer<typeof Address>;

export const AddressList = pageOf(Address, "AddressList");

export const DeletedAddress = deletedOf("address", "DeletedAddress");

export const CustomerParams = IdParams;

export const AddressParams = recordParams("address_id", "adr");

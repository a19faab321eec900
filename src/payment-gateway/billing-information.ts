import { z } from "@hono/zod-openapi";
import { sha256Hex } from "../lib/crypto";
import { text } from "../lib/fields";
import type { PaymentGateway } from "./gateway";

/**
 * `billing_information` (spec section 11, Stigg's billingInformation): tax IDs and the default
 * payment method for invoices, forwarded to the customer's gateway customer within the request
 * and not kept by Roster. Accepted on create, PATCH, PUT, provision and import items.
 */

/**
 * Tax ID types as Stripe names them: the `type` enum of stripe/openapi's `tax_id` schema
 * (spec3.json, 2026-07-29.dahlia), plus the types Stripe added up to the API version Roster pins
 * (2026-10-28.endive, as Stripe's own library lists them for creating a customer tax ID). The
 * object's `unknown` is left out: it names legacy tax IDs, and Stripe does not accept it on create.
 */
export const TAX_ID_TYPES = [
  "ad_nrt",
  "ae_trn",
  "al_tin",
  "am_tin",
  "ao_tin",
  "ar_cuit",
  "au_abn",
  "au_acn",
  "au_arn",
  "au_wpn",
  "aw_tin",
  "az_tin",
  "ba_tin",
  "bb_tin",
  "bd_bin",
  "bf_ifu",
  "bg_uic",
  "bh_vat",
  "bj_ifu",
  "bo_tin",
  "br_cnpj",
  "br_cpf",
  "bs_tin",
  "bw_vat",
  "by_tin",
  "ca_bn",
  "ca_gst_hst",
  "ca_pst_bc",
  "ca_pst_mb",
  "ca_pst_sk",
  "ca_qst",
  "cd_nif",
  "ch_uid",
  "ch_vat",
  "ci_vat",
  "cl_tin",
  "cm_niu",
  "cn_tin",
  "co_nit",
  "cr_tin",
  "cv_nif",
  "cz_dic",
  "de_stn",
  "do_rcn",
  "ec_ruc",
  "eg_tin",
  "es_cif",
  "et_tin",
  "eu_oss_vat",
  "eu_vat",
  "fo_vat",
  "fr_siren",
  "fr_siret",
  "fr_spi",
  "gb_vat",
  "ge_vat",
  "gh_tin",
  "gi_tin",
  "gn_nif",
  "hk_br",
  "hr_oib",
  "hu_tin",
  "ic_nif",
  "id_npwp",
  "il_vat",
  "in_gst",
  "is_kt",
  "is_vat",
  "it_cf",
  "jp_cn",
  "jp_rn",
  "jp_trn",
  "ke_pin",
  "kg_tin",
  "kh_tin",
  "kr_brn",
  "kz_bin",
  "la_tin",
  "li_uid",
  "li_vat",
  "lk_vat",
  "ma_vat",
  "md_cf",
  "md_vat",
  "me_pib",
  "mk_vat",
  "mr_nif",
  "mu_vat",
  "mx_rfc",
  "my_frp",
  "my_itn",
  "my_sst",
  "mz_nuit",
  "ng_tin",
  "no_vat",
  "no_voec",
  "np_pan",
  "nz_bn",
  "nz_gst",
  "om_vat",
  "pe_ruc",
  "ph_tin",
  "pl_nip",
  "pt_nif",
  "py_ruc",
  "ro_tin",
  "rs_pib",
  "ru_inn",
  "ru_kpp",
  "sa_vat",
  "sg_gst",
  "sg_uen",
  "si_tin",
  "sm_coe",
  "sn_ninea",
  "sr_fin",
  "sv_nit",
  "th_vat",
  "tj_tin",
  "tr_tin",
  "tt_bir",
  "tt_vat",
  "tw_vat",
  "tz_vat",
  "ua_vat",
  "ug_tin",
  "us_ein",
  "uy_ruc",
  "uz_tin",
  "uz_vat",
  "ve_rif",
  "vn_tin",
  "za_vat",
  "zm_tin",
  "zw_tin",
] as const;

export type TaxIdType = (typeof TAX_ID_TYPES)[number];

/** Roster's bound per request; Stripe's own limit per customer is larger. */
export const MAX_TAX_IDS = 25;

const TaxId = z
  .strictObject({
    type: z.enum(TAX_ID_TYPES).openapi({ description: "The tax ID's type, as Stripe names it.", example: "eu_vat" }),
    value: text(100).openapi({ description: "As the tax authority writes it.", example: "DE123456789" }),
  })
  .openapi("TaxId");

export const BillingInformation = z
  .strictObject({
    tax_ids: z
      .array(TaxId)
      .max(MAX_TAX_IDS)
      .superRefine((taxIds, ctx) => {
        const seen = new Set<string>();
        taxIds.forEach((taxId, index) => {
          const key = `${taxId.type}\u0000${taxId.value}`;
          if (seen.has(key)) ctx.addIssue({ code: "custom", path: [index], message: "is listed twice" });
          seen.add(key);
        });
      })
      .optional()
      .openapi({ description: "Added to the gateway customer's tax IDs (existing ones stay)." }),
    default_payment_method_id: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 characters of A-Z a-z 0-9 _ -")
      .optional()
      .openapi({
        description:
          "The Roster id of one of this customer's payment methods: made the gateway customer's default for invoices.",
        example: "pm_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R",
      }),
  })
  .openapi("BillingInformation", {
    description:
      "Forwarded to the customer's gateway customer within the request, and not kept by Roster. A value the gateway refuses: `422 gateway_rejected`, and nothing changed in Roster.",
  });

export type BillingInformation = z.infer<typeof BillingInformation>;

/** `billing_information` as the gateway takes it: the caller has turned the payment method id into its gateway reference. */
export type GatewayBillingInformation = {
  taxIds: readonly { type: TaxIdType; value: string }[];
  /** The gateway's reference (`pm_…` at Stripe) of the customer's payment method. */
  defaultPaymentMethodReference?: string;
};

/**
 * Forwards billing information to a gateway customer: each tax ID in order, then the default
 * payment method. It stops at the first error the port throws (GatewayRejected: the caller
 * answers `422 gateway_rejected`; GatewayUnreachable: `502`), and what was forwarded before it
 * stays at the gateway; forwarding the same information again is safe, since:
 *
 * - a tax ID's idempotency key is derived from the gateway customer and the tax ID itself, so
 *   the same tax ID forwarded again (a retried request, or a later request repeating it) is not
 *   added twice while the gateway remembers the key (Stripe: at least 24 hours);
 * - the default payment method's key is derived from `changeKey`, which the caller makes unique
 *   per Roster change (e.g. the request's change id), so making an earlier default the default
 *   again is a new request, not a replay of the old one.
 *
 * Keys are SHA-256 hex, so any tax ID value makes a valid, bounded header.
 */
export async function applyBillingInformation(
  gateway: PaymentGateway,
  customerReference: string,
  information: GatewayBillingInformation,
  changeKey: string,
): Promise<void> {
  for (const taxId of information.taxIds) {
    const key = await idempotencyKey("tax_id", customerReference, taxId.type, taxId.value);
    await gateway.addTaxId(customerReference, taxId, key);
  }
  const reference = information.defaultPaymentMethodReference;
  if (reference !== undefined) {
    const key = await idempotencyKey("default_payment_method", customerReference, reference, changeKey);
    await gateway.setDefaultPaymentMethod(customerReference, reference, key);
  }
}

async function idempotencyKey(operation: string, ...parts: string[]): Promise<string> {
  // JSON keeps the parts apart, whatever characters they hold.
  return `roster-${operation}-${await sha256Hex(JSON.stringify(parts))}`;
}

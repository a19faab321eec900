import {
  defaultBillingAddress,
  findForSync,
  type GatewayLink,
  linkCustomerStatement,
  linkOf,
  type SyncedAddress,
} from "../customer-records/billing-link.repository";
import type { CustomerRow } from "../customer-records/customer-columns";
import type { Db } from "../lib/db";
import { nowIso } from "../lib/fields";
import type { GatewayCustomerFields } from "./gateway";
import { askGateway } from "./gateway-errors";
import * as repo from "./payment-gateway.repository";
import type { OpenedGateway } from "./payment-gateway.service";

/**
 * A customer's customer at the organization's gateway (spec section 11, "Linking customers to
 * the gateway"): found (the customer's link, or the one recorded for this gateway configuration),
 * or created on first need from the customer's profile, so it starts synced. Nothing is recorded
 * here: the caller puts `record` in the batch of the change that needed it, after every gateway
 * call of that change succeeded, so a gateway refusal leaves Roster unchanged. Creating carries
 * an idempotency key derived from Roster's ids: a retry (or a concurrent first need) adopts the
 * same gateway customer instead of creating another.
 */

/** The profile a gateway customer mirrors, as the port takes it. */
export type MirroredProfile = Pick<CustomerRow, "name" | "email" | "phone" | "language">;

export function mirroredFields(profile: MirroredProfile, address: SyncedAddress | null): GatewayCustomerFields {
  return {
    name: profile.name,
    email: profile.email,
    phone: profile.phone,
    language: profile.language,
    address,
  };
}

/** Whether `row` is already linked exactly so (else the change that needed `link` records it). */
export const linkedTo = (row: CustomerRow | null, link: GatewayLink) => {
  const current = row === null ? null : linkOf(row);
  return current?.gatewayId === link.gatewayId && current.reference === link.reference;
};

/** The gateway idempotency key of creating `customerId`'s gateway customer. */
export const createCustomerKey = (orgId: string, customerId: string) => `roster-customer-${orgId}-${customerId}`;

/** The link `row` has at this gateway configuration, or the one recorded for it there. */
export async function knownGatewayCustomer(
  db: Db,
  opened: OpenedGateway,
  orgId: string,
  customerId: string,
  row: CustomerRow | null,
): Promise<GatewayLink | null> {
  const link = row === null ? null : linkOf(row);
  if (link !== null && link.gatewayId === opened.config.id) return link;
  const recorded = await repo.findGatewayCustomer(db, orgId, customerId, opened.config.id);
  return recorded === null ? null : { gateway: opened.config.type, gatewayId: opened.config.id, reference: recorded };
}

/**
 * The customer's gateway customer, created from `profile` (and its default billing address)
 * when it has none at this gateway configuration.
 */
export async function ensureGatewayCustomer(
  db: Db,
  opened: OpenedGateway,
  orgId: string,
  customerId: string,
  row: CustomerRow | null,
  profile: MirroredProfile,
): Promise<GatewayLink> {
  const known = await knownGatewayCustomer(db, opened, orgId, customerId, row);
  if (known !== null) return known;
  const address = row === null ? null : await defaultBillingAddress(db, orgId, customerId);
  const reference = await askGateway(() =>
    opened.gateway.createCustomer(
      {
        ...mirroredFields(profile, address),
        metadata: { roster_organization_id: orgId, roster_customer_id: customerId },
      },
      createCustomerKey(orgId, customerId),
    ),
  );
  return { gateway: opened.config.type, gatewayId: opened.config.id, reference };
}

/** The statements that record `link` as the customer's gateway customer (with or without a profile write). */
export function recordLinkStatements(
  db: Db,
  orgId: string,
  customerId: string,
  link: GatewayLink,
  now: string,
  { onCustomerRow }: { onCustomerRow: boolean },
): D1PreparedStatement[] {
  const map = repo.gatewayCustomerStatement(db, orgId, customerId, link.gatewayId, link.reference, now);
  return onCustomerRow ? [map, linkCustomerStatement(db, orgId, customerId, link, now)] : [map];
}

/**
 * For a money operation or a payment method added with the gateway: the live customer's gateway
 * customer (created on first need), and the statements that record it, which the caller runs
 * once its own gateway calls succeeded (empty when it is recorded already).
 */
export async function gatewayCustomerOf(
  db: Db,
  opened: OpenedGateway,
  customerId: string,
): Promise<{ reference: string; record: D1PreparedStatement[] }> {
  const orgId = opened.config.org_id;
  const row = await findForSync(db, orgId, customerId);
  const link = await ensureGatewayCustomer(db, opened, orgId, customerId, row, row ?? NO_PROFILE);
  const record = linkedTo(row, link)
    ? []
    : recordLinkStatements(db, orgId, customerId, link, nowIso(), { onCustomerRow: true });
  return { reference: link.reference, record };
}

const NO_PROFILE: MirroredProfile = { name: null, email: null, phone: null, language: null };

import type { GatewayLink } from "../customer-records/billing-link.repository";
import type { CustomerProfile, CustomerRow } from "../customer-records/customer-columns";
import type { SqlGuard } from "../events/events.repository";
import { ApiError } from "../lib/errors";
import { applyBillingInformation, type BillingInformation } from "../payment-gateway/billing-information";
import { gatewayKeyRing } from "../payment-gateway/configuration";
import { ensureGatewayCustomer, linkedTo, recordLinkStatements } from "../payment-gateway/customer-link.service";
import type { GatewayCard } from "../payment-gateway/gateway";
import { askGateway } from "../payment-gateway/gateway-errors";
import { type GatewaySettings, type OpenedGateway, openGateway } from "../payment-gateway/payment-gateway.service";
import { cardNumberErrors } from "../payment-methods/card-numbers";
import {
  flagPaymentMethodsStatement,
  gatewayReferencesOf,
  importPaymentMethodsStatements,
} from "../payment-methods/payment-methods.import";
import { findPaymentMethod } from "../payment-methods/payment-methods.repository";
import { type GatewayStatements, NO_GATEWAY_STATEMENTS } from "./customer-events";
import type { CustomerDeps } from "./customers.service";

/**
 * The gateway options of a customer write (spec section 11, "Linking customers to the
 * gateway"), accepted on create, PATCH, PUT and provision, never stored:
 * `gateway_customer_reference` (link to an existing gateway customer), `import_payment_methods`
 * (copy its cards as payment methods), `billing_information` (forwarded to it).
 *
 * Every gateway call is made before the write's D1 batch, so a refusal (`422 gateway_rejected`)
 * or an unreachable gateway (`502`) leaves Roster unchanged; what the write then changes (the
 * link, the imported payment methods with their events) commits in that one batch.
 */

export type GatewayOptions = {
  gateway_customer_reference?: string;
  import_payment_methods?: boolean;
  billing_information?: BillingInformation;
};

export const hasGatewayOptions = (options: GatewayOptions) =>
  options.gateway_customer_reference !== undefined ||
  options.import_payment_methods === true ||
  options.billing_information !== undefined;

/** Splits the gateway options off a body. */
export function withoutGatewayOptions<T extends GatewayOptions>(
  body: T,
): [Omit<T, keyof GatewayOptions>, GatewayOptions] {
  const { gateway_customer_reference, import_payment_methods, billing_information, ...rest } = body;
  return [rest, { gateway_customer_reference, import_payment_methods, billing_information }];
}

/** What was learned from the gateway once per request, before the write's retry loop. */
export type PreparedGateway = {
  opened: OpenedGateway;
  options: GatewayOptions;
  /** The named gateway customer, checked with the gateway. */
  named: { reference: string } | null;
  /** Its cards, when `import_payment_methods`. */
  cards: { cards: GatewayCard[]; defaultReference: string | null } | null;
};

/** The options' own rules, checked before the gateway is asked: `400 validation_failed`. */
export function checkGatewayOptions(options: GatewayOptions) {
  if (options.import_payment_methods === true && options.gateway_customer_reference === undefined) {
    throw new ApiError("validation_failed", "import_payment_methods needs gateway_customer_reference.", {
      errors: [{ pointer: "/import_payment_methods", detail: "needs gateway_customer_reference" }],
    });
  }
  // No card number is forwarded (or echoed): refused as on payment methods (spec section 4).
  const cardNumbers = cardNumberErrors(options.billing_information, "/billing_information");
  if (cardNumbers.length > 0) {
    throw new ApiError("validation_failed", "billing_information holds a card number; nothing was stored or sent.", {
      errors: cardNumbers,
    });
  }
}

/** The organization's gateway, opened: `409` unconfigured, `503` without the deployment secret. */
export async function openRequestGateway(deps: CustomerDeps & { settings: GatewaySettings }): Promise<OpenedGateway> {
  // Like every route of spec section 11: without the deployment secret, 503 naming it.
  await gatewayKeyRing(deps.settings);
  return openGateway({ db: deps.db, orgId: deps.orgId, settings: deps.settings });
}

/** Asks the opened gateway about what the (checked) options name: `422`, `502`. */
export async function askAboutOptions(opened: OpenedGateway, options: GatewayOptions): Promise<PreparedGateway> {
  const reference = options.gateway_customer_reference;
  const named =
    reference === undefined
      ? null
      : await askGateway(() => opened.gateway.retrieveCustomer(reference)).then((found) => ({
          reference: found.reference,
        }));
  const cards =
    options.import_payment_methods === true && named !== null
      ? await askGateway(() => opened.gateway.listCards(named.reference))
      : null;
  return { opened, options, named, cards };
}

/** Opens the organization's gateway and checks what the options name: `409`, `422`, `502` before any write. */
export async function prepareGateway(
  deps: CustomerDeps & { settings: GatewaySettings },
  options: GatewayOptions,
): Promise<PreparedGateway | null> {
  checkGatewayOptions(options);
  if (!hasGatewayOptions(options)) return null;
  return askAboutOptions(await openRequestGateway(deps), options);
}

/**
 * What the write's batch carries for the gateway options: the link its own write sets (null:
 * unchanged), the imported payment methods with their events (`guarded`: where the write's
 * guard holds exactly when it lands), and after it the gateway customer map and has_payment_method.
 */
export type GatewayWrite = GatewayStatements;
const NO_GATEWAY_WRITE = NO_GATEWAY_STATEMENTS;

/** Whether the gateway options change the customer even when its profile does not. */
export const changesCustomer = (write: GatewayWrite) => write.link !== null || write.addsPaymentMethods;

const defaultMethodField = "/billing_information/default_payment_method_id";

/**
 * For one attempt of the write (the customer as read, or null for a create; the profile it will
 * have): forwards `billing_information` to the gateway customer (created from that profile when
 * the customer has none), and builds the batch's statements. `guard` holds exactly when the
 * write lands (a create: the insert before them; an update: its version, placed before it).
 */
export async function gatewayWrite(
  deps: CustomerDeps,
  prepared: PreparedGateway | null,
  customerId: string,
  row: CustomerRow | null,
  profile: CustomerProfile,
  guard: SqlGuard,
  now: string,
): Promise<GatewayWrite> {
  if (prepared === null) return NO_GATEWAY_WRITE;
  const { opened, options, named } = prepared;
  let link: GatewayLink | null =
    named === null ? null : { gateway: opened.config.type, gatewayId: opened.config.id, reference: named.reference };
  const information = options.billing_information;
  if (information !== undefined) {
    link ??= await ensureGatewayCustomer(deps.db, opened, deps.orgId, customerId, row, profile);
    const target = link;
    const defaultReference = await defaultMethodReference(deps, prepared, customerId, row, information);
    await askGateway(() =>
      applyBillingInformation(
        opened.gateway,
        target.reference,
        { taxIds: information.tax_ids ?? [], defaultPaymentMethodReference: defaultReference },
        `${deps.orgId}:${customerId}:${row?.version ?? 0}`,
      ),
    );
  }
  const newLink = link !== null && !linkedTo(row, link) ? link : null;
  const after =
    newLink === null
      ? []
      : recordLinkStatements(deps.db, deps.orgId, customerId, newLink, now, { onCustomerRow: false });
  const imported = await importedCards(deps, prepared, customerId, row, guard, now);
  if (imported.recorded.length > 0) after.push(flagPaymentMethodsStatement(deps.db, deps.orgId, customerId));
  return {
    link: newLink,
    guarded: imported.statements,
    after,
    recorded: imported.recorded,
    addsPaymentMethods: imported.recorded.length > 0,
  };
}

/** The gateway reference of the payment method `billing_information` names, checked. */
async function defaultMethodReference(
  deps: CustomerDeps,
  prepared: PreparedGateway,
  customerId: string,
  row: CustomerRow | null,
  information: BillingInformation,
): Promise<string | undefined> {
  const id = information.default_payment_method_id;
  if (id === undefined) return undefined;
  const paymentMethod = row === null ? null : await findPaymentMethod(deps.db, deps.orgId, customerId, id);
  if (!paymentMethod) {
    throw new ApiError("validation_failed", "default_payment_method_id names no payment method of this customer.", {
      errors: [{ pointer: defaultMethodField, detail: "is not one of this customer's payment methods" }],
    });
  }
  if (paymentMethod.gateway !== prepared.opened.config.type) {
    throw new ApiError(
      "gateway_rejected",
      `Payment method ${paymentMethod.id} is a reference at gateway '${paymentMethod.gateway ?? "none"}'; this organization's gateway is '${prepared.opened.config.type}'.`,
    );
  }
  return paymentMethod.gateway_reference;
}

/** The named gateway customer's cards this customer does not have yet, as payment methods. */
async function importedCards(
  deps: CustomerDeps,
  prepared: PreparedGateway,
  customerId: string,
  row: CustomerRow | null,
  guard: SqlGuard,
  now: string,
) {
  if (prepared.cards === null) return { statements: [], recorded: [] };
  const gateway = prepared.opened.config.type;
  const existing =
    row === null ? new Set<string>() : await gatewayReferencesOf(deps.db, deps.orgId, customerId, gateway);
  const { cards, defaultReference } = prepared.cards;
  const fresh = cards.filter((card) => !existing.has(card.reference));
  return importPaymentMethodsStatements(
    deps.db,
    deps.orgId,
    customerId,
    fresh.map((card) => ({
      gateway,
      gateway_reference: card.reference,
      brand: card.brand,
      last4: card.last4,
      exp_month: card.expMonth,
      exp_year: card.expYear,
      is_default: card.reference === defaultReference,
    })),
    guard,
    deps.events.requestId,
    now,
  );
}

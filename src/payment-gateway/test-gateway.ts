import { sha256Hex } from "../lib/crypto";
import {
  type ChargeOutcome,
  type ChargeRequest,
  type GatewayCard,
  GatewayRejected,
  type PaymentGateway,
} from "./gateway";

/**
 * The `test` gateway (spec section 11): inside Roster, no network, no state. It knows the
 * payment method references Stripe documents for testing and answers as Stripe does for them;
 * every other reference is refused (`GatewayRejected`, so `422 gateway_rejected`). Everything
 * it returns is derived from its inputs: the same idempotency key always gets the same
 * gateway customer and the same charge reference, as Stripe's idempotency would give.
 */

type Decline = { failureCode: string; declineCode: string; message: string };

type TestCard = { brand: string; last4: string; decline: Decline | null };

/** Stripe's test cards: `pm_card_visa` is 4242 4242 4242 4242, and so on. */
const TEST_CARDS: Record<string, TestCard> = {
  pm_card_visa: { brand: "visa", last4: "4242", decline: null },
  pm_card_mastercard: { brand: "mastercard", last4: "4444", decline: null },
  pm_card_amex: { brand: "amex", last4: "8431", decline: null },
  pm_card_chargeDeclined: {
    brand: "visa",
    last4: "0002",
    decline: { failureCode: "card_declined", declineCode: "generic_decline", message: "Your card was declined." },
  },
  pm_card_chargeDeclinedInsufficientFunds: {
    brand: "visa",
    last4: "9995",
    decline: {
      failureCode: "card_declined",
      declineCode: "insufficient_funds",
      message: "Your card has insufficient funds.",
    },
  },
  pm_card_chargeDeclinedExpiredCard: {
    brand: "visa",
    last4: "0069",
    decline: { failureCode: "expired_card", declineCode: "expired_card", message: "Your card has expired." },
  },
  pm_card_authenticationRequired: {
    brand: "visa",
    last4: "3184",
    decline: {
      failureCode: "authentication_required",
      declineCode: "authentication_required",
      message: "Your card was declined. This transaction requires authentication.",
    },
  },
};

/** The payment method references the test gateway knows. */
export const TEST_PAYMENT_METHODS = Object.keys(TEST_CARDS);

/** Tax id types it accepts (a few of Stripe's), each with the shape Stripe checks. */
const TAX_ID_SHAPES: Record<string, RegExp> = {
  eu_vat: /^[A-Z]{2}[0-9A-Z]{2,12}$/,
  gb_vat: /^GB[0-9]{9}([0-9]{3})?$/,
  us_ein: /^[0-9]{2}-?[0-9]{7}$/,
  au_abn: /^[0-9]{11}$/,
  ca_bn: /^[0-9]{9}$/,
};

const CUSTOMER_REFERENCE = /^gcus_[0-9a-f]{24}$/;

/**
 * Gateway customers that exist before Roster links them (as a Stripe account's existing
 * customers do), with their cards, so `gateway_customer_reference` with
 * `import_payment_methods` has something to import. Customers the test gateway creates have none.
 */
export const TEST_GATEWAY_CUSTOMERS: Record<string, { cards: string[]; defaultCard: string | null }> = {
  gcus_test_with_cards: { cards: ["pm_card_visa", "pm_card_mastercard"], defaultCard: "pm_card_mastercard" },
  gcus_test_without_cards: { cards: [], defaultCard: null },
};

const existingCustomer = (reference: string) =>
  Object.hasOwn(TEST_GATEWAY_CUSTOMERS, reference) ? TEST_GATEWAY_CUSTOMERS[reference] : undefined;

const derived = async (prefix: string, key: string) =>
  `${prefix}_${(await sha256Hex(`test-gateway\n${key}`)).slice(0, 24)}`;

function requireCustomer(reference: string): void {
  if (!CUSTOMER_REFERENCE.test(reference) && !existingCustomer(reference)) {
    throw new GatewayRejected(`No such customer: '${reference}'`, "resource_missing", "customer");
  }
}

function requireCard(reference: string): TestCard {
  const card = Object.hasOwn(TEST_CARDS, reference) ? TEST_CARDS[reference] : undefined;
  if (!card) {
    throw new GatewayRejected(
      `No such PaymentMethod: '${reference}'. The test gateway knows ${TEST_PAYMENT_METHODS.join(", ")}.`,
      "resource_missing",
      "payment_method",
    );
  }
  return card;
}

/** Test cards expire in December three years ahead, as Stripe's never-expired test cards do. */
function describe(reference: string, card: TestCard): GatewayCard {
  return {
    reference,
    brand: card.brand,
    last4: card.last4,
    expMonth: 12,
    expYear: new Date().getUTCFullYear() + 3,
  };
}

async function charge(request: ChargeRequest): Promise<ChargeOutcome> {
  requireCustomer(request.customerReference);
  const card = requireCard(request.paymentMethodReference);
  if (!Number.isSafeInteger(request.amount) || request.amount < 1 || request.amount > 99_999_999) {
    throw new GatewayRejected("Amount must be an integer from 1 to 99999999.", "parameter_invalid_integer", "amount");
  }
  if (!/^[a-z]{3}$/.test(request.currency)) {
    throw new GatewayRejected(`Invalid currency: ${request.currency}.`, "parameter_invalid_empty", "currency");
  }
  const reference = await derived("pi_test", request.idempotencyKey);
  if (card.decline === null) return { status: "succeeded", reference };
  return { status: "failed", reference, ...card.decline };
}

export function testGateway(): PaymentGateway {
  return {
    type: "test",
    async verifyCredentials() {},
    createCustomer: (_fields, idempotencyKey) => derived("gcus", idempotencyKey),
    async retrieveCustomer(reference) {
      requireCustomer(reference);
      return { reference, defaultPaymentMethod: existingCustomer(reference)?.defaultCard ?? null };
    },
    async updateCustomer(reference) {
      requireCustomer(reference);
    },
    async attachPaymentMethod(customerReference, paymentMethodReference) {
      requireCustomer(customerReference);
      return describe(paymentMethodReference, requireCard(paymentMethodReference));
    },
    // No state: a customer the test gateway created holds no cards beyond those attached in the
    // same call; the fixed customers hold theirs.
    async listCards(customerReference) {
      requireCustomer(customerReference);
      const existing = existingCustomer(customerReference);
      const cards = (existing?.cards ?? []).map((reference) => describe(reference, requireCard(reference)));
      return { cards, defaultReference: existing?.defaultCard ?? null };
    },
    async setDefaultPaymentMethod(customerReference, paymentMethodReference) {
      requireCustomer(customerReference);
      requireCard(paymentMethodReference);
    },
    async addTaxId(customerReference, taxId) {
      requireCustomer(customerReference);
      const shape = Object.hasOwn(TAX_ID_SHAPES, taxId.type) ? TAX_ID_SHAPES[taxId.type] : undefined;
      if (!shape) throw new GatewayRejected(`Invalid tax id type: ${taxId.type}.`, "parameter_invalid_value", "type");
      if (!shape.test(taxId.value)) {
        throw new GatewayRejected(`Invalid value for ${taxId.type}.`, "tax_id_invalid", "value");
      }
    },
    charge,
  };
}

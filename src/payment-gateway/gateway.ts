/**
 * The port between Roster's money code and a payment gateway (spec section 11). Two adapters
 * implement it: `stripe.ts` (Stripe's REST API over fetch) and `test-gateway.ts` (inside Roster,
 * no network). Money services see only this type; nothing here knows D1 or HTTP routes.
 *
 * Errors: an adapter throws `GatewayUnreachable` when the request certainly never reached the
 * gateway (connection refused, DNS failure: nothing happened there), `GatewayRejected` when the
 * gateway refused the request (unknown payment method or customer, invalid tax id, refused key;
 * `message`/`code` are the gateway's own, never holding a secret), and returns an outcome
 * `unknown` where the request may have been applied (timeout after sending, 5xx, lost connection).
 */

export type GatewayType = "stripe" | "test";

/** A card as the gateway describes it. */
export type GatewayCard = {
  /** The gateway's payment method id (`pm_…`). */
  reference: string;
  brand: string | null;
  last4: string | null;
  expMonth: number | null;
  expYear: number | null;
};

export type GatewayCustomerFields = {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  /** BCP 47; Stripe takes it as `preferred_locales[0]`. */
  language?: string | null;
  address?: {
    line1: string;
    line2: string | null;
    city: string | null;
    state: string | null;
    postal_code: string | null;
    country: string;
  } | null;
  /** Roster's ids, so a gateway customer can be traced back. */
  metadata?: Record<string, string>;
};

export type ChargeRequest = {
  /** Derived from Roster's charge id: the same Roster charge always sends the same key. */
  idempotencyKey: string;
  customerReference: string;
  paymentMethodReference: string;
  /** Minor units, 1 … 99,999,999. */
  amount: number;
  /** Lowercase ISO 4217. */
  currency: string;
  description: string | null;
  metadata: Record<string, string>;
};

export type ChargeOutcome =
  | { status: "succeeded"; reference: string }
  | {
      status: "failed";
      reference: string | null;
      /** e.g. `card_declined`, `authentication_required`. */
      failureCode: string;
      /** e.g. `generic_decline`, `insufficient_funds`; null when the gateway gives none. */
      declineCode: string | null;
      message: string;
    }
  /** The gateway may or may not have charged: ask again with the same idempotency key. */
  | { status: "unknown"; reference: string | null };

export class GatewayUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GatewayUnreachable";
  }
}

export class GatewayRejected extends Error {
  constructor(
    message: string,
    readonly code: string | null,
    /** The request field the gateway named (`param`), if any. */
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = "GatewayRejected";
  }
}

export interface PaymentGateway {
  readonly type: GatewayType;
  /** Checks the credentials (Stripe: a cheap authenticated read); throws GatewayRejected if refused. */
  verifyCredentials(): Promise<void>;
  /** Creates a gateway customer; `idempotencyKey` derived from Roster's customer id. Returns its reference. */
  createCustomer(fields: GatewayCustomerFields, idempotencyKey: string): Promise<string>;
  /** Throws GatewayRejected when the gateway does not know the customer. */
  retrieveCustomer(reference: string): Promise<{ reference: string; defaultPaymentMethod: string | null }>;
  updateCustomer(reference: string, fields: GatewayCustomerFields, idempotencyKey: string): Promise<void>;
  /** Checks a payment method, attaches it to the customer, and describes it. */
  attachPaymentMethod(
    customerReference: string,
    paymentMethodReference: string,
    idempotencyKey: string,
  ): Promise<GatewayCard>;
  /** Every card the customer has, and which is its default (for invoices). */
  listCards(customerReference: string): Promise<{ cards: GatewayCard[]; defaultReference: string | null }>;
  setDefaultPaymentMethod(
    customerReference: string,
    paymentMethodReference: string,
    idempotencyKey: string,
  ): Promise<void>;
  /** `type` as Stripe names tax id types (`eu_vat`, …). */
  addTaxId(customerReference: string, taxId: { type: string; value: string }, idempotencyKey: string): Promise<void>;
  /** Charges off-session; a repeated call with the same idempotency key never charges twice. */
  charge(request: ChargeRequest): Promise<ChargeOutcome>;
}

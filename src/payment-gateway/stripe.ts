import {
  type ChargeOutcome,
  type ChargeRequest,
  type GatewayCard,
  type GatewayCustomerFields,
  GatewayRejected,
  GatewayUnreachable,
  type PaymentGateway,
} from "./gateway";
import { isConcurrencyConflict, isRecord, parseStripeError, type StripeError, stringOrNull } from "./stripe-errors";
import type { FormValue } from "./stripe-form";
import { STRIPE_TIMEOUT_MS, type StripeAnswer, type StripeRequest, stripeTransport } from "./stripe-transport";

/**
 * The payment gateway port over Stripe's REST API, called with fetch (no SDK: docs/stripe.md
 * has the measured reasons). Every creating POST carries the caller's Idempotency-Key.
 *
 * How an answer maps onto the port (docs/stripe.md has the table and the reasoning per call):
 * - fetch failed before any answer: GatewayUnreachable (a charge first tries once more with the
 *   same key, since a connection lost right after the request was written fails the same way);
 * - a charge with no usable answer (timeout, lost connection, 5xx, 429, a concurrent request
 *   with the same key): outcome `unknown`; other calls throw GatewayUnreachable, and since each
 *   creating call carries a key derived from Roster's ids, the caller's retry converges;
 * - 402 on a charge: outcome `failed`; other 4xx: GatewayRejected with Stripe's message and code.
 */
export function stripeGateway(
  secretKey: string,
  apiBase: string,
  fetchImpl: typeof fetch = fetch,
  /** How long one exchange may take; tests shorten it. */
  timeoutMs: number = STRIPE_TIMEOUT_MS,
): PaymentGateway {
  const send = stripeTransport(secretKey, apiBase, fetchImpl, timeoutMs);

  /** Sends a call that cannot charge: its 2xx body, or the port's error. */
  async function call(request: StripeRequest): Promise<Record<string, unknown>> {
    const answer = await send(request);
    if (answer.kind === "not_sent") throw new GatewayUnreachable(`Stripe could not be reached: ${answer.detail}`);
    if (answer.kind === "no_answer") {
      throw new GatewayUnreachable(
        `Stripe gave no usable answer (${answer.detail}); retrying with the same idempotency key is safe.`,
      );
    }
    if (answer.status >= 200 && answer.status < 300 && isRecord(answer.body)) return answer.body;
    throw refusal(answer);
  }

  async function retrieveCustomer(reference: string) {
    const customer = await call({ method: "GET", path: customerPath(reference) });
    // A deleted customer is still answered, as `{"id", "object": "customer", "deleted": true}`.
    if (customer.deleted === true) {
      throw new GatewayRejected(`The Stripe customer '${reference}' has been deleted.`, "resource_missing");
    }
    const settings = isRecord(customer.invoice_settings) ? customer.invoice_settings : {};
    return { reference: idOf(customer) ?? reference, defaultPaymentMethod: idOf(settings.default_payment_method) };
  }

  /** A PaymentIntent's current state, read by id; without a readable answer the outcome stays unknown. */
  async function readPaymentIntent(id: string): Promise<ChargeOutcome> {
    const answer = await send({ method: "GET", path: `/v1/payment_intents/${encodeURIComponent(id)}` });
    if (answer.kind === "answered" && answer.status === 200 && isRecord(answer.body)) {
      return paymentIntentOutcome(answer.body);
    }
    return { status: "unknown", reference: id };
  }

  return {
    type: "stripe",

    async verifyCredentials() {
      // Cheap, authenticated, and needs a permission the adapter needs anyway (Customers).
      await call({ method: "GET", path: "/v1/customers", params: { limit: 1 } });
    },

    async createCustomer(fields, idempotencyKey) {
      const customer = await call({
        method: "POST",
        path: "/v1/customers",
        params: customerParams(fields, "create"),
        idempotencyKey,
      });
      return requireId(customer, "customer");
    },

    retrieveCustomer,

    async updateCustomer(reference, fields, idempotencyKey) {
      await call({
        method: "POST",
        path: customerPath(reference),
        params: customerParams(fields, "update"),
        idempotencyKey,
      });
    },

    async attachPaymentMethod(customerReference, paymentMethodReference, idempotencyKey) {
      const path = `/v1/payment_methods/${encodeURIComponent(paymentMethodReference)}`;
      // Checked first: one already on this customer is described as it is, not attached again.
      const existing = await call({ method: "GET", path });
      if (idOf(existing.customer) === customerReference) return cardOf(existing);
      const attached = await call({
        method: "POST",
        path: `${path}/attach`,
        params: { customer: customerReference },
        idempotencyKey,
      });
      return cardOf(attached);
    },

    async listCards(customerReference) {
      const { defaultPaymentMethod } = await retrieveCustomer(customerReference);
      const cards: GatewayCard[] = [];
      let startingAfter: string | undefined;
      for (;;) {
        const page = await call({
          method: "GET",
          path: `${customerPath(customerReference)}/payment_methods`,
          params: { type: "card", limit: 100, starting_after: startingAfter },
        });
        const data = Array.isArray(page.data) ? page.data.filter(isRecord) : [];
        for (const paymentMethod of data) cards.push(cardOf(paymentMethod));
        const last = data.at(-1);
        if (page.has_more !== true || !last) break;
        startingAfter = requireId(last, "payment method");
      }
      return { cards, defaultReference: defaultPaymentMethod };
    },

    async setDefaultPaymentMethod(customerReference, paymentMethodReference, idempotencyKey) {
      await call({
        method: "POST",
        path: customerPath(customerReference),
        params: { invoice_settings: { default_payment_method: paymentMethodReference } },
        idempotencyKey,
      });
    },

    async addTaxId(customerReference, taxId, idempotencyKey) {
      await call({
        method: "POST",
        path: `${customerPath(customerReference)}/tax_ids`,
        params: { type: taxId.type, value: taxId.value },
        idempotencyKey,
      });
    },

    async charge(request) {
      const create: StripeRequest = {
        method: "POST",
        path: "/v1/payment_intents",
        params: paymentIntentParams(request),
        idempotencyKey: request.idempotencyKey,
      };
      let answer = await send(create);
      // "Connection refused" and "connection lost just after the request was written" fail
      // alike; the same key makes a second try safe, and an answer settles which it was.
      if (answer.kind === "not_sent") answer = await send(create);
      if (answer.kind === "not_sent") throw new GatewayUnreachable(`Stripe could not be reached: ${answer.detail}`);
      if (answer.kind === "no_answer") return { status: "unknown", reference: null };
      const outcome = chargeOutcome(answer);
      // Stripe replays a key's first answer, so an unsettled PaymentIntent (`processing`) would
      // be replayed as unsettled forever: its current state is read by id instead.
      if (outcome.status === "unknown" && outcome.reference !== null && answer.status === 200) {
        return readPaymentIntent(outcome.reference);
      }
      return outcome;
    },
  };
}

function customerPath(reference: string): string {
  return `/v1/customers/${encodeURIComponent(reference)}`;
}

/**
 * Roster's customer fields as Stripe's Customer parameters. On create a `null` is left out; on
 * update it is sent empty, which unsets the field at Stripe.
 */
function customerParams(fields: GatewayCustomerFields, mode: "create" | "update"): { [key: string]: FormValue } {
  const absent = mode === "create" ? undefined : null;
  const orAbsent = (value: string | null | undefined) => (value === null ? absent : value);
  const { address, language, phone } = fields;
  return {
    name: orAbsent(fields.name),
    email: orAbsent(fields.email),
    phone: typeof phone === "string" ? stripePhone(phone) : orAbsent(phone),
    // Stripe keeps an ordered list of locales; Roster has one language. Stripe's API declares no
    // empty value for this list (unlike `address`), so a cleared language leaves Stripe's as it was.
    preferred_locales: typeof language === "string" ? [language] : undefined,
    address:
      address === undefined
        ? undefined
        : address === null
          ? absent
          : {
              line1: address.line1,
              line2: orAbsent(address.line2),
              city: orAbsent(address.city),
              state: orAbsent(address.state),
              postal_code: orAbsent(address.postal_code),
              country: address.country,
            },
    metadata: fields.metadata,
  };
}

/** Stripe takes at most 20 characters; Roster allows formatting up to 32 (at most 20 digits). */
const STRIPE_PHONE_MAX = 20;

/** A phone within Stripe's length: as written when it fits, else without its formatting. */
function stripePhone(phone: string): string {
  if (phone.length <= STRIPE_PHONE_MAX) return phone;
  return `${phone.trimStart().startsWith("+") ? "+" : ""}${phone.replace(/\D/g, "")}`;
}

function paymentIntentParams(request: ChargeRequest): { [key: string]: FormValue } {
  return {
    amount: request.amount,
    currency: request.currency,
    customer: request.customerReference,
    payment_method: request.paymentMethodReference,
    confirm: true,
    off_session: true,
    // Only methods that need no redirect: an off-session charge has no customer to redirect,
    // and without this Stripe asks for a `return_url`.
    automatic_payment_methods: { enabled: true, allow_redirects: "never" },
    description: request.description ?? undefined,
    metadata: request.metadata,
  };
}

/** The outcome of an answered PaymentIntent creation. */
function chargeOutcome(answer: Extract<StripeAnswer, { kind: "answered" }>): ChargeOutcome {
  const { status } = answer;
  if (status >= 200 && status < 300) {
    return isRecord(answer.body) ? paymentIntentOutcome(answer.body) : { status: "unknown", reference: null };
  }
  const error = parseStripeError(answer.body, status);
  if (status === 402) {
    return {
      status: "failed",
      reference: error.paymentIntentId,
      failureCode: error.code ?? "card_declined",
      declineCode: error.declineCode,
      message: error.message,
    };
  }
  // Not applied (429, a concurrent request with the same key) or maybe applied (5xx): asking
  // again with the same key settles it.
  if (status === 429 || status >= 500 || isConcurrencyConflict(status, error)) {
    return { status: "unknown", reference: error.paymentIntentId };
  }
  throw rejectionOf(error);
}

function paymentIntentOutcome(paymentIntent: Record<string, unknown>): ChargeOutcome {
  const reference = idOf(paymentIntent);
  if (reference === null) return { status: "unknown", reference: null };
  const lastError = isRecord(paymentIntent.last_payment_error) ? paymentIntent.last_payment_error : {};
  const declineCode = stringOrNull(lastError.decline_code);
  switch (paymentIntent.status) {
    case "succeeded":
      return { status: "succeeded", reference };
    case "requires_action":
      // 3D Secure asked for: an off-session charge has no customer to complete it.
      return {
        status: "failed",
        reference,
        failureCode: "authentication_required",
        declineCode,
        message: "The card issuer requires authentication (3D Secure), which an off-session charge cannot complete.",
      };
    case "requires_payment_method":
    case "canceled": {
      const error = parseStripeError({ error: lastError }, 402);
      return {
        status: "failed",
        reference,
        failureCode: error.code ?? (paymentIntent.status === "canceled" ? "payment_intent_canceled" : "card_declined"),
        declineCode,
        message: stringOrNull(lastError.message) === null ? "The payment was declined." : error.message,
      };
    }
    default:
      // `processing` (and `requires_capture`/`requires_confirmation`, which these parameters do not produce).
      return { status: "unknown", reference };
  }
}

/** A non-2xx answer to a call that cannot charge, as the port's error. */
function refusal(answer: Extract<StripeAnswer, { kind: "answered" }>): Error {
  const { status } = answer;
  if (status >= 200 && status < 300) {
    return new GatewayUnreachable(`Stripe answered HTTP ${status} with a body that is not an object.`);
  }
  const error = parseStripeError(answer.body, status);
  if (status === 429) return new GatewayUnreachable(`Stripe is limiting the request rate (HTTP 429): ${error.message}`);
  if (status >= 500) return new GatewayUnreachable(`Stripe answered HTTP ${status}: ${error.message}`);
  if (status < 400)
    return new GatewayUnreachable(`Stripe answered HTTP ${status}; STRIPE_API_BASE must be its API origin.`);
  if (isConcurrencyConflict(status, error)) {
    return new GatewayUnreachable(`Stripe was busy with a concurrent request (HTTP 409): ${error.message}`);
  }
  return rejectionOf(error);
}

function rejectionOf(error: StripeError): GatewayRejected {
  // Stripe gives an idempotency conflict (the key reused with other parameters) a type but no
  // code; callers must tell it apart, since the key's first request may have been applied.
  const code = error.code ?? (error.type === "idempotency_error" ? "idempotency_error" : null);
  return new GatewayRejected(error.message, code, error.param);
}

function cardOf(paymentMethod: Record<string, unknown>): GatewayCard {
  const card = isRecord(paymentMethod.card) ? paymentMethod.card : {};
  return {
    reference: requireId(paymentMethod, "payment method"),
    brand: stringOrNull(card.brand),
    last4: stringOrNull(card.last4),
    expMonth: integerOrNull(card.exp_month),
    expYear: integerOrNull(card.exp_year),
  };
}

/** An object's id, or an expandable field's id (a string, or the expanded object). */
function idOf(value: unknown): string | null {
  if (typeof value === "string") return value;
  return isRecord(value) ? stringOrNull(value.id) : null;
}

function requireId(object: Record<string, unknown>, what: string): string {
  const id = idOf(object);
  if (id === null) throw new GatewayUnreachable(`Stripe answered a ${what} without an id.`);
  return id;
}

function integerOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isInteger(value) ? value : null;
}

import type { GatewayType, PaymentGateway } from "./gateway";
import { stripeGateway } from "./stripe";
import { testGateway } from "./test-gateway";

/** A configured gateway with its secret key decrypted (only ever held in memory). */
export type GatewayCredentials = { type: GatewayType; secretKey: string | null };

/** The deployment settings an adapter needs. */
export type GatewayAdapterSettings = { STRIPE_API_BASE?: string };

export const DEFAULT_STRIPE_API_BASE = "https://api.stripe.com";

/**
 * The one place a `PaymentGateway` is built from an organization's configuration. Money code
 * never names an adapter: it asks here.
 */
export function gatewayFor(credentials: GatewayCredentials, settings: GatewayAdapterSettings): PaymentGateway {
  switch (credentials.type) {
    case "test":
      return testGateway();
    case "stripe":
      return stripeGateway(credentials.secretKey ?? "", settings.STRIPE_API_BASE || DEFAULT_STRIPE_API_BASE);
  }
}

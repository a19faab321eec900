import type { z } from "@hono/zod-openapi";
import type { Address, AddressList as AddressListSchema } from "../src/addresses/addresses.schemas";
import type { ApiKey as ApiKeySchema, RevokedApiKey as RevokedApiKeySchema } from "../src/api-keys/api-keys.schemas";
import type { ImportResult as ImportResultSchema } from "../src/customers/provision.schemas";
import type {
  DeletedEventDestination as DeletedEventDestinationSchema,
  EventDeliveryList as EventDeliveryListSchema,
  EventDelivery as EventDeliverySchema,
  EventDestinationList as EventDestinationListSchema,
  EventDestination as EventDestinationSchema,
  EventDestinationWithSecret as EventDestinationWithSecretSchema,
  ReplayResult as ReplayResultSchema,
} from "../src/event-destinations/event-destinations.schemas";
import type { EventList as EventListSchema, Event as EventSchema } from "../src/events/events.schemas";
import type { PaymentMethodObject } from "../src/payment-methods/payment-methods.schemas";
import type { SubscriptionObject } from "../src/subscriptions/subscriptions.schemas";
import type {
  WebhookEndpoint as WebhookEndpointSchema,
  WebhookEndpointWithSecret as WebhookEndpointWithSecretSchema,
  WebhookResult,
} from "../src/webhooks/webhooks.schemas";

/**
 * Response bodies the tests read, each derived from the app's own zod schema (the same one
 * /v1/openapi.json is generated from, which `call` checks every response against).
 */
export type AddressObject = z.infer<typeof Address>;
export type AddressList = z.infer<typeof AddressListSchema>;
export type ApiKey = z.infer<typeof ApiKeySchema>;
export type RevokedApiKey = z.infer<typeof RevokedApiKeySchema>;
export type ImportResult = z.infer<typeof ImportResultSchema>;
export type EventDestination = z.infer<typeof EventDestinationSchema>;
export type EventDestinationWithSecret = z.infer<typeof EventDestinationWithSecretSchema>;
export type EventDestinationList = z.infer<typeof EventDestinationListSchema>;
export type DeletedEventDestination = z.infer<typeof DeletedEventDestinationSchema>;
export type EventDelivery = z.infer<typeof EventDeliverySchema>;
export type EventDeliveryList = z.infer<typeof EventDeliveryListSchema>;
export type ReplayResult = z.infer<typeof ReplayResultSchema>;
export type EventObject = z.infer<typeof EventSchema>;
export type EventList = z.infer<typeof EventListSchema>;
export type WebhookEndpoint = z.infer<typeof WebhookEndpointSchema>;
export type WebhookEndpointWithSecret = z.infer<typeof WebhookEndpointWithSecretSchema>;
export type { PaymentMethodObject, SubscriptionObject, WebhookResult };

import type { z } from "@hono/zod-openapi";
import type { Address } from "../src/addresses/addresses.schemas";
import type {
  ApiKeyList as ApiKeyListSchema,
  ApiKeyWithSecret as ApiKeyWithSecretSchema,
  RevokedApiKey as RevokedApiKeySchema,
} from "../src/api-keys/api-keys.schemas";
import type {
  ArchivedCustomer as ArchivedCustomerSchema,
  CustomerList as CustomerListSchema,
  CustomerObject,
} from "../src/customers/customers.schemas";
import type {
  ImportResult as ImportResultSchema,
  ProvisioningResult as ProvisioningResultSchema,
} from "../src/customers/provision.schemas";
import type {
  DeletedEventDestination as DeletedEventDestinationSchema,
  EventDeliveryList as EventDeliveryListSchema,
  EventDestinationList as EventDestinationListSchema,
  EventDestination as EventDestinationSchema,
  EventDestinationWithSecret as EventDestinationWithSecretSchema,
  ReplayResult as ReplayResultSchema,
} from "../src/event-destinations/event-destinations.schemas";
import type { EventList as EventListSchema, Event as EventSchema } from "../src/events/events.schemas";
import type { Problem as ProblemSchema } from "../src/lib/openapi";
import type { CreatedOrganization as CreatedOrganizationSchema } from "../src/organizations/organizations.schemas";
import type { PaymentMethodObject } from "../src/payment-methods/payment-methods.schemas";
import type { SubscriptionObject } from "../src/subscriptions/subscriptions.schemas";
import type {
  DeletedWebhookEndpoint as DeletedWebhookEndpointSchema,
  WebhookEndpointList as WebhookEndpointListSchema,
  WebhookEndpoint as WebhookEndpointSchema,
  WebhookEndpointWithSecret as WebhookEndpointWithSecretSchema,
  WebhookResult,
} from "../src/webhooks/webhooks.schemas";

/**
 * Response bodies the tests read, each derived from the app's
 * own zod schema (the same one /v1/openapi.json is generated from, which `call` checks every
 * response against).
 */
export type AddressObject = z.infer<typeof Address>;
export type ImportResult = z.infer<typeof ImportResultSchema>;
export type EventDestination = z.infer<typeof EventDestinationSchema>;
export type EventDestinationWithSecret = z.infer<typeof EventDestinationWithSecretSchema>;
export type EventDestinationList = z.infer<typeof EventDestinationListSchema>;
export type DeletedEventDestination = z.infer<typeof DeletedEventDestinationSchema>;
export type ReplayResult = z.infer<typeof ReplayResultSchema>;
export type { PaymentMethodObject };

/** A problem+json body, as the app's own zod schema describes it. */
export type Problem = z.infer<typeof ProblemSchema>;
export type CustomerList = z.infer<typeof CustomerListSchema>;
export type ArchivedCustomer = z.infer<typeof ArchivedCustomerSchema>;
export type CreatedOrganization = z.infer<typeof CreatedOrganizationSchema>;
export type ApiKeyWithSecret = z.infer<typeof ApiKeyWithSecretSchema>;
export type ApiKeyList = z.infer<typeof ApiKeyListSchema>;
export type ProvisioningResult = z.infer<typeof ProvisioningResultSchema>;
export type { CustomerObject };
export type RevokedApiKey = z.infer<typeof RevokedApiKeySchema>;
export type Subscription = SubscriptionObject;
export type WebhookEndpoint = z.infer<typeof WebhookEndpointSchema>;
export type WebhookEndpointWithSecret = z.infer<typeof WebhookEndpointWithSecretSchema>;
export type WebhookEndpointList = z.infer<typeof WebhookEndpointListSchema>;
export type DeletedWebhookEndpoint = z.infer<typeof DeletedWebhookEndpointSchema>;
export type { WebhookResult };
export type Event = z.infer<typeof EventSchema>;
export type EventList = z.infer<typeof EventListSchema>;
export type EventDeliveryList = z.infer<typeof EventDeliveryListSchema>;

import type { z } from "@hono/zod-openapi";
import type { Address } from "../src/addresses/addresses.schemas";
import type { ImportResult as ImportResultSchema } from "../src/customers/provision.schemas";
import type {
  DeletedEventDestination as DeletedEventDestinationSchema,
  EventDestinationList as EventDestinationListSchema,
  EventDestination as EventDestinationSchema,
  EventDestinationWithSecret as EventDestinationWithSecretSchema,
  ReplayResult as ReplayResultSchema,
} from "../src/event-destinations/event-destinations.schemas";
import type { PaymentMethodObject } from "../src/payment-methods/payment-methods.schemas";

/**
 * Response bodies the tests read that helpers.ts has no alias for, each derived from the app's
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

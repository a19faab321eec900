import { createRouter } from "../lib/create-app";
import { ClerkUserDeletedEvent, ClerkUserEvent } from "./clerk-events";
import { ArchiveEvent, ProvisionEvent } from "./standard-events";
import * as endpointHandlers from "./webhook-endpoints.handlers";
import * as endpointRoutes from "./webhook-endpoints.routes";
import * as intakeHandlers from "./webhook-intake.handlers";
import * as intakeRoutes from "./webhook-intake.routes";

export const webhookEndpointsRouter = createRouter()
  .openapi(endpointRoutes.listWebhookEndpoints, endpointHandlers.listWebhookEndpoints)
  .openapi(endpointRoutes.createWebhookEndpoint, endpointHandlers.createWebhookEndpoint)
  .openapi(endpointRoutes.deleteWebhookEndpoint, endpointHandlers.deleteWebhookEndpoint)
  .openapi(endpointRoutes.rotateWebhookEndpointSecret, endpointHandlers.rotateWebhookEndpointSecret);

export const webhookIntakeRouter = createRouter().openapi(intakeRoutes.receiveWebhook, intakeHandlers.receiveWebhook);

// The intake body is documented by reference (its validator accepts anything): register the events.
for (const [name, schema] of Object.entries({
  CustomerProvisionEvent: ProvisionEvent,
  CustomerArchiveEvent: ArchiveEvent,
  ClerkUserEvent,
  ClerkUserDeletedEvent,
})) {
  webhookIntakeRouter.openAPIRegistry.register(name, schema);
}

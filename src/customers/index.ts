import { createRouter } from "../lib/create-app";
import * as handlers from "./customers.handlers";
import * as routes from "./customers.routes";

// Static paths first, so "/v1/customers/alternative-id/…" is never read as an `{id}`.
// Shared handlers are wrapped in arrows so each route's own config types its client.
export const customersRouter = createRouter()
  .openapi(routes.createCustomer, handlers.createCustomer)
  .openapi(routes.listCustomers, handlers.listCustomers)
  .openapi(routes.provisionCustomer, handlers.provisionCustomer)
  .openapi(routes.importCustomers, handlers.importCustomers)
  .openapi(routes.getCustomer("alternative_id"), (c) => handlers.getCustomer(c))
  .openapi(routes.patchCustomer("alternative_id"), (c) => handlers.patchCustomer(c))
  .openapi(routes.putCustomer("alternative_id"), (c) => handlers.putCustomer(c))
  .openapi(routes.archiveCustomer("alternative_id"), (c) => handlers.archiveCustomer(c))
  .openapi(routes.deleteMetadataKey("alternative_id"), (c) => handlers.deleteMetadataKey(c))
  .openapi(routes.getCustomer("id"), (c) => handlers.getCustomer(c))
  .openapi(routes.patchCustomer("id"), (c) => handlers.patchCustomer(c))
  .openapi(routes.putCustomer("id"), (c) => handlers.putCustomer(c))
  .openapi(routes.archiveCustomer("id"), (c) => handlers.archiveCustomer(c))
  .openapi(routes.deleteMetadataKey("id"), (c) => handlers.deleteMetadataKey(c))
  .openapi(routes.unarchiveCustomer, handlers.unarchiveCustomer);

import { createRouter } from "../lib/create-app";
import * as handlers from "./customers.handlers";
import * as routes from "./customers.routes";

// Static paths first, so "/v1/customers/alternative-id/…" is never read as an `{id}`.
export const customersRouter = createRouter()
  .openapi(routes.createCustomer, handlers.createCustomer)
  .openapi(routes.listCustomers, handlers.listCustomers)
  .openapi(routes.getCustomer("alternative_id"), handlers.getCustomer)
  .openapi(routes.patchCustomer("alternative_id"), handlers.patchCustomer)
  .openapi(routes.putCustomer("alternative_id"), handlers.putCustomer)
  .openapi(routes.archiveCustomer("alternative_id"), handlers.archiveCustomerHandler)
  .openapi(routes.deleteMetadataKey("alternative_id"), handlers.deleteMetadataKey)
  .openapi(routes.getCustomer("id"), handlers.getCustomer)
  .openapi(routes.patchCustomer("id"), handlers.patchCustomer)
  .openapi(routes.putCustomer("id"), handlers.putCustomer)
  .openapi(routes.archiveCustomer("id"), handlers.archiveCustomerHandler)
  .openapi(routes.deleteMetadataKey("id"), handlers.deleteMetadataKey)
  .openapi(routes.unarchiveCustomer, handlers.unarchiveCustomerHandler);

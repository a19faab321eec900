import { createRouter } from "../lib/create-app";
import * as handlers from "./customers.handlers";
import * as routes from "./customers.routes";

// Static paths first, so "/v1/customers/alternative-id/…" is never read as an `{id}`.
export const customersRouter = createRouter()
  .openapi(routes.createCustomer, handlers.create)
  .openapi(routes.listCustomers, handlers.list)
  .openapi(routes.provisionCustomer, handlers.provision)
  .openapi(routes.importCustomers, handlers.importCustomers)
  // Before `{id}`: "search" is a reserved id, never a customer's.
  .openapi(routes.searchCustomers, handlers.search)
  .openapi(routes.getCustomer("alternative_id"), handlers.getByAlternativeId)
  .openapi(routes.patchCustomer("alternative_id"), handlers.updateByAlternativeId)
  .openapi(routes.putCustomer("alternative_id"), handlers.replaceByAlternativeId)
  .openapi(routes.archiveCustomer("alternative_id"), handlers.removeByAlternativeId)
  .openapi(routes.deleteMetadataKey("alternative_id"), handlers.removeMetadataKeyByAlternativeId)
  .openapi(routes.getCustomer("id"), handlers.get)
  .openapi(routes.patchCustomer("id"), handlers.update)
  .openapi(routes.putCustomer("id"), handlers.replace)
  .openapi(routes.archiveCustomer("id"), handlers.remove)
  .openapi(routes.deleteMetadataKey("id"), handlers.removeMetadataKey)
  .openapi(routes.unarchiveCustomer, handlers.unarchive);

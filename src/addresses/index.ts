import { createRouter } from "../lib/create-app";
import * as handlers from "./addresses.handlers";
import * as routes from "./addresses.routes";

export const addressesRouter = createRouter()
  .openapi(routes.listAddresses, handlers.listAddresses)
  .openapi(routes.createAddress, handlers.createAddress)
  .openapi(routes.updateAddress, handlers.updateAddress)
  .openapi(routes.deleteAddress, handlers.deleteAddress);

import { createRouter } from "../lib/create-app";
import * as handlers from "./payment-methods.handlers";
import * as routes from "./payment-methods.routes";

export const paymentMethodsRouter = createRouter()
  .openapi(routes.listPaymentMethods, handlers.listPaymentMethods)
  .openapi(routes.createPaymentMethod, handlers.createPaymentMethod)
  .openapi(routes.deletePaymentMethod, handlers.deletePaymentMethod);

import { createRouter } from "../lib/create-app";
import * as handlers from "./payment-gateway.handlers";
import * as routes from "./payment-gateway.routes";

export const paymentGatewayRouter = createRouter()
  .openapi(routes.putPaymentGateway, handlers.putPaymentGateway)
  .openapi(routes.getPaymentGateway, handlers.getPaymentGateway)
  .openapi(routes.deletePaymentGateway, handlers.deletePaymentGateway);

import { createRouter } from "../lib/create-app";
import * as handlers from "./money.handlers";
import * as routes from "./money.routes";

/** The money routes under /v1/customers (served with the customer routes). */
export const customerMoneyRouter = createRouter()
  .openapi(routes.creditFromPaymentMethod, handlers.creditFromPaymentMethod)
  .openapi(routes.listCustomerCharges, handlers.listCustomerCharges)
  .openapi(routes.getCustomerBalance, handlers.getCustomerBalance)
  .openapi(routes.listBalanceTransactions, handlers.listBalanceTransactions)
  .openapi(routes.createBalanceTransaction, handlers.createBalanceTransaction);

/** `GET /v1/charges/{id}`. */
export const chargesRouter = createRouter().openapi(routes.getCharge, handlers.getCharge);

export { resolvePendingCharges } from "./resolver";

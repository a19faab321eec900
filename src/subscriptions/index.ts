import { createRouter } from "../lib/create-app";
import * as handlers from "./subscriptions.handlers";
import * as routes from "./subscriptions.routes";

export const subscriptionsRouter = createRouter()
  .openapi(routes.listSubscriptions, handlers.listSubscriptions)
  .openapi(routes.createSubscription, handlers.createSubscription)
  .openapi(routes.getSubscription, handlers.getSubscription)
  .openapi(routes.cancelSubscription, handlers.cancelSubscription);

import { createRouter } from "../lib/create-app";
import * as handlers from "./event-destinations.handlers";
import * as routes from "./event-destinations.routes";

export const eventDestinationsRouter = createRouter()
  .openapi(routes.createEventDestination, handlers.createEventDestination)
  .openapi(routes.listEventDestinations, handlers.listEventDestinations)
  .openapi(routes.getEventDestination, handlers.getEventDestination)
  .openapi(routes.updateEventDestination, handlers.updateEventDestination)
  .openapi(routes.deleteEventDestination, handlers.deleteEventDestination)
  .openapi(routes.rotateEventDestinationSecret, handlers.rotateEventDestinationSecret)
  .openapi(routes.listEventDestinationDeliveries, handlers.listEventDestinationDeliveries)
  .openapi(routes.replayEventDestination, handlers.replayEventDestination);

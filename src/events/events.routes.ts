import { createRoute } from "@hono/zod-openapi";
import { AUTHENTICATED, jsonContent, NoQuery, problemResponses } from "../lib/openapi";
import { readRoute } from "../middleware/stacks";
import { Event, EventIdParams, EventList, ListEventsQuery } from "./events.schemas";

const tags = ["Events"];
const security = [{ bearerAuth: [] }];

export const listEvents = createRoute({
  operationId: "listEvents",
  method: "get",
  path: "/v1/events",
  tags,
  security,
  summary: "List events",
  description:
    "Every change to a customer or its records, newest first, in keyset pages; events are kept 30 days. A cursor is valid only with the filters it was issued for.",
  middleware: readRoute(),
  request: { query: ListEventsQuery },
  responses: {
    200: jsonContent(EventList, "One page of events"),
    ...problemResponses(...AUTHENTICATED, "validation_failed"),
  },
});

export const getEvent = createRoute({
  operationId: "getEvent",
  method: "get",
  path: "/v1/events/{id}",
  tags,
  security,
  summary: "Get an event",
  middleware: readRoute(),
  request: { params: EventIdParams, query: NoQuery },
  responses: {
    200: jsonContent(Event, "The event"),
    ...problemResponses(...AUTHENTICATED, "validation_failed", "not_found"),
  },
});

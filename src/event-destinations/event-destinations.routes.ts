import { createRoute } from "@hono/zod-openapi";
import {
  AUTHENTICATED,
  jsonBodyOf,
  jsonContent,
  NoQuery,
  noFieldsBody,
  problemResponses,
  WITH_BODY,
} from "../lib/openapi";
import { deleteRoute, readRoute, writeRoute } from "../middleware/stacks";
import {
  CreateEventDestinationBody,
  DeletedEventDestination,
  EventDeliveryList,
  EventDestination,
  EventDestinationIdParams,
  EventDestinationList,
  EventDestinationWithSecret,
  ListDeliveriesQuery,
  ReplayBody,
  ReplayResult,
  UpdateEventDestinationBody,
} from "./event-destinations.schemas";

const tags = ["Event destinations"];
const security = [{ bearerAuth: [] }];
const params = EventDestinationIdParams;

export const createEventDestination = createRoute({
  operationId: "createEventDestination",
  method: "post",
  path: "/v1/event_destinations",
  tags,
  security,
  summary: "Create an event destination",
  description:
    "Roster POSTs every event whose type the destination selects to its `url`, signed the Standard Webhooks way with the `secret` (shown in full only here and on rotation), at least once, retried with backoff for about 28 hours. At most 16 per organization.",
  middleware: writeRoute(),
  request: { query: NoQuery, body: jsonBodyOf(CreateEventDestinationBody) },
  responses: {
    201: jsonContent(EventDestinationWithSecret, "The new destination, with its secret"),
    ...problemResponses(...AUTHENTICATED, ...WITH_BODY, "destination_limit_reached"),
  },
});

export const listEventDestinations = createRoute({
  operationId: "listEventDestinations",
  method: "get",
  path: "/v1/event_destinations",
  tags,
  security,
  summary: "List event destinations",
  description: "Newest first (at most 16). Secrets are masked.",
  middleware: readRoute(),
  request: { query: NoQuery },
  responses: {
    200: jsonContent(EventDestinationList, "The destinations"),
    ...problemResponses(...AUTHENTICATED, "validation_failed"),
  },
});

export const getEventDestination = createRoute({
  operationId: "getEventDestination",
  method: "get",
  path: "/v1/event_destinations/{id}",
  tags,
  security,
  summary: "Get an event destination",
  middleware: readRoute(),
  request: { params, query: NoQuery },
  responses: {
    200: jsonContent(EventDestination, "The destination (secret masked)"),
    ...problemResponses(...AUTHENTICATED, "validation_failed", "not_found"),
  },
});

export const updateEventDestination = createRoute({
  operationId: "updateEventDestination",
  method: "patch",
  path: "/v1/event_destinations/{id}",
  tags,
  security,
  summary: "Update an event destination",
  description:
    'Changes the fields sent. `status: "disabled"` stops deliveries (pending ones fail); `"enabled"` resumes them for new events (replay sends the ones missed).',
  middleware: writeRoute(),
  request: { params, query: NoQuery, body: jsonBodyOf(UpdateEventDestinationBody) },
  responses: {
    200: jsonContent(EventDestination, "The destination (secret masked)"),
    ...problemResponses(...AUTHENTICATED, ...WITH_BODY, "not_found"),
  },
});

export const deleteEventDestination = createRoute({
  operationId: "deleteEventDestination",
  method: "delete",
  path: "/v1/event_destinations/{id}",
  tags,
  security,
  summary: "Delete an event destination",
  description: "Its secrets and its deliveries are deleted at once; nothing more is sent to it.",
  middleware: deleteRoute(),
  request: { params, query: NoQuery, body: noFieldsBody() },
  responses: {
    200: jsonContent(DeletedEventDestination, "The destination is deleted"),
    ...problemResponses(...AUTHENTICATED, ...WITH_BODY, "not_found"),
  },
});

export const rotateEventDestinationSecret = createRoute({
  operationId: "rotateEventDestinationSecret",
  method: "post",
  path: "/v1/event_destinations/{id}/rotate_secret",
  tags,
  security,
  summary: "Rotate an event destination's secret",
  description:
    "Issues a new secret (shown in full here). For 24 hours deliveries carry two `v1` signatures, one with the new and one with the previous secret, so the receiver can switch without rejecting events; a second rotation ends that at once.",
  middleware: writeRoute(),
  request: {
    params,
    query: NoQuery,
    // Unlike a webhook endpoint's rotation, this one cannot be given a secret: one sent is refused.
    body: noFieldsBody(),
  },
  responses: {
    200: jsonContent(EventDestinationWithSecret, "The destination, with its new secret"),
    ...problemResponses(...AUTHENTICATED, ...WITH_BODY, "not_found"),
  },
});

export const listEventDestinationDeliveries = createRoute({
  operationId: "listEventDestinationDeliveries",
  method: "get",
  path: "/v1/event_destinations/{id}/deliveries",
  tags,
  security,
  summary: "List a destination's deliveries",
  description: "Newest first, in keyset pages; kept as long as their events (30 days).",
  middleware: readRoute(),
  request: { params, query: ListDeliveriesQuery },
  responses: {
    200: jsonContent(EventDeliveryList, "One page of deliveries"),
    ...problemResponses(...AUTHENTICATED, "validation_failed", "not_found"),
  },
});

export const replayEventDestination = createRoute({
  operationId: "replayEventDestination",
  method: "post",
  path: "/v1/event_destinations/{id}/replay",
  tags,
  security,
  summary: "Replay events to a destination",
  description:
    "Queues new deliveries (same event ids, so receivers deduplicate by `webhook-id`) of every kept event created at or after `since` that the destination selects, oldest first, about 1,000 per call (a call never ends inside an instant, so it takes every event of its last instant) and never more than 10,000: with `has_more`, call again with `since` = `next_since`; following it sends each event once. Should the rest of an instant pass 10,000, the call stops before that instant instead; if one instant alone holds more than 10,000 selected events, its first 10,000 are replayed and the rest are not. A destination is replayed at most once a minute: a sooner call answers `429 rate_limited` with `Retry-After` and writes nothing.",
  middleware: writeRoute(),
  request: { params, query: NoQuery, body: jsonBodyOf(ReplayBody) },
  responses: {
    202: jsonContent(ReplayResult, "The deliveries are stored and queued"),
    ...problemResponses(...AUTHENTICATED, ...WITH_BODY, "not_found", "destination_disabled"),
  },
});

import { inBackground } from "../lib/background";
import { deletedBody, listBody } from "../lib/lists";
import type { AppRouteHandler } from "../lib/types";
import type * as routes from "./event-destinations.routes";
import * as service from "./event-destinations.service";

export const createEventDestination: AppRouteHandler<typeof routes.createEventDestination> = async (c) =>
  c.json(await service.createDestination(c.get("db"), c.env, c.get("orgId"), c.req.valid("json")), 201);

export const listEventDestinations: AppRouteHandler<typeof routes.listEventDestinations> = async (c) =>
  c.json(listBody(await service.listAll(c.get("db"), c.get("orgId"))), 200);

export const getEventDestination: AppRouteHandler<typeof routes.getEventDestination> = async (c) =>
  c.json(await service.getDestination(c.get("db"), c.get("orgId"), c.req.valid("param").id), 200);

export const updateEventDestination: AppRouteHandler<typeof routes.updateEventDestination> = async (c) =>
  c.json(
    await service.patchDestination(c.get("db"), c.env, c.get("orgId"), c.req.valid("param").id, c.req.valid("json")),
    200,
  );

export const deleteEventDestination: AppRouteHandler<typeof routes.deleteEventDestination> = async (c) => {
  const { id } = c.req.valid("param");
  await service.removeDestination(c.get("db"), c.get("orgId"), id);
  return c.json(deletedBody("event_destination", id), 200);
};

export const rotateEventDestinationSecret: AppRouteHandler<typeof routes.rotateEventDestinationSecret> = async (c) =>
  c.json(await service.rotateSecret(c.get("db"), c.get("orgId"), c.req.valid("param").id), 200);

export const listEventDestinationDeliveries: AppRouteHandler<typeof routes.listEventDestinationDeliveries> = async (
  c,
) =>
  c.json(
    await service.listDestinationDeliveries(c.get("db"), c.get("orgId"), c.req.valid("param").id, c.req.valid("query")),
    200,
  );

export const replayEventDestination: AppRouteHandler<typeof routes.replayEventDestination> = async (c) => {
  const { since } = c.req.valid("json");
  const background = inBackground(c, "replay queueing");
  return c.json(
    await service.replay(
      c.get("db"),
      c.env.EVENT_DELIVERIES,
      c.get("orgId"),
      c.req.valid("param").id,
      since,
      background,
    ),
    202,
  );
};

import { inBackground } from "../lib/background";
import { keepAnswer } from "../lib/kept-answer";
import { deletedBody, listBody } from "../lib/lists";
import type { SqlExpression } from "../lib/sql-guard";
import type { AppRouteHandler } from "../lib/types";
import type * as routes from "./event-destinations.routes";
import * as service from "./event-destinations.service";

// The answers of the destination writes, as values: each is kept with its change (lib/kept-answer.ts).
const created = (destination: service.DestinationObject) => ({ status: 201 as const, body: destination });
const current = (destination: service.DestinationObject) => ({ status: 200 as const, body: destination });
const deleted = (id: string) => ({ status: 200 as const, body: deletedBody("event_destination", id) });

export const createEventDestination: AppRouteHandler<typeof routes.createEventDestination> = async (c) => {
  const input = c.req.valid("json");
  const keep = keepAnswer(c, created);
  const answer = created(await service.createDestination(c.get("db"), c.env, c.get("orgId"), input, keep));
  return c.json(answer.body, answer.status);
};

export const listEventDestinations: AppRouteHandler<typeof routes.listEventDestinations> = async (c) =>
  c.json(listBody(await service.listAll(c.get("db"), c.get("orgId"))), 200);

export const getEventDestination: AppRouteHandler<typeof routes.getEventDestination> = async (c) =>
  c.json(await service.getDestination(c.get("db"), c.get("orgId"), c.req.valid("param").id), 200);

export const updateEventDestination: AppRouteHandler<typeof routes.updateEventDestination> = async (c) => {
  const { id } = c.req.valid("param");
  const keep = keepAnswer(c, current);
  const patched = await service.patchDestination(c.get("db"), c.env, c.get("orgId"), id, c.req.valid("json"), keep);
  const answer = current(patched);
  return c.json(answer.body, answer.status);
};

export const deleteEventDestination: AppRouteHandler<typeof routes.deleteEventDestination> = async (c) => {
  const { id } = c.req.valid("param");
  await service.removeDestination(c.get("db"), c.get("orgId"), id, keepAnswer(c, deleted));
  const answer = deleted(id);
  return c.json(answer.body, answer.status);
};

export const rotateEventDestinationSecret: AppRouteHandler<typeof routes.rotateEventDestinationSecret> = async (c) => {
  const keep = keepAnswer(c, current);
  const answer = current(await service.rotateSecret(c.get("db"), c.get("orgId"), c.req.valid("param").id, keep));
  return c.json(answer.body, answer.status);
};

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
  // The body is built by the replay's own batch, which keeps it there too.
  const accepted = (body: SqlExpression) => ({ status: 202, body: null, bodySql: body });
  return c.json(
    await service.replay(
      c.get("db"),
      c.env.EVENT_DELIVERIES,
      c.get("orgId"),
      c.req.valid("param").id,
      since,
      background,
      keepAnswer(c, accepted),
    ),
    202,
  );
};

import type { AppRouteHandler } from "../lib/types";
import type * as routes from "./events.routes";
import * as service from "./events.service";

export const listEvents: AppRouteHandler<typeof routes.listEvents> = async (c) =>
  c.json(await service.listEventsPage(c.get("db"), c.get("orgId"), c.req.valid("query")), 200);

export const getEvent: AppRouteHandler<typeof routes.getEvent> = async (c) =>
  c.json(await service.getEvent(c.get("db"), c.get("orgId"), c.req.valid("param").id), 200);

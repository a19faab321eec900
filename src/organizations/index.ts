import { createRouter } from "../lib/create-app";
import * as handlers from "./organizations.handlers";
import * as routes from "./organizations.routes";

export const organizationsRouter = createRouter().openapi(routes.createOrganization, handlers.createOrganization);

import { createRouter } from "../lib/create-app";
import { ApiError } from "../lib/errors";
import { describeError, logError } from "../lib/logger";
import { routeTable } from "../lib/method-not-allowed";
import { problems } from "../lib/problems";
import * as admin from "./admin";
import * as actions from "./customer-actions";
import { customerPage, customersPage } from "./customers";
import { action, page } from "./guard";
import { type ConsoleContext, consoleHeaders, html } from "./http";
import { showSignIn, signIn, signOut } from "./sign-in";
import { MessagePage } from "./views/layout";

let consoleRouteTable: ReturnType<typeof routeTable> | undefined;
const consoleRoutes = () => {
  consoleRouteTable ??= routeTable(consoleRouter.routes);
  return consoleRouteTable;
};

/**
 * A console path no route serves: an HTML page in the console's frame (with its headers), not
 * the API's problem+json. A known path asked with another method is 405 with `Allow`, as the
 * app decides for the API (lib/method-not-allowed.ts reads the same route table).
 */
async function unknownPath(c: ConsoleContext): Promise<Response> {
  const allowed = consoleRoutes().allowed(c.req.path);
  if (allowed.length > 0) {
    const detail = `${c.req.method} is not allowed here; use ${allowed.join(", ")}.`;
    const response = html(c, MessagePage({ title: problems.method_not_allowed.title, detail }), 405);
    response.headers.set("Allow", allowed.join(", "));
    return response;
  }
  const detail = "There is no console page at this address. The console starts at its sign-in page.";
  return html(c, MessagePage({ title: "Page not found", detail }), 404);
}

/**
 * `/console`: HTML pages for the people who look after an organization's customers (spec
 * section 13), rendered on the server, plain forms, no script. Every page and action is behind
 * the session (guard.ts); every action is a POST with the session's anti-CSRF token, from the
 * console's own origin, acting once per rendered form (act-once.ts), through the services the
 * API's handlers call. Plain routes, not OpenAPI ones: the console is not part of the API's
 * document.
 */
export const consoleRouter = createRouter()
  .use("/console", consoleHeaders)
  .use("/console/*", consoleHeaders)
  .get("/console", showSignIn)
  .post("/console/sign-in", signIn)
  .post("/console/sign-out", signOut)
  .get("/console/customers", page(customersPage))
  .get("/console/customers/:id", page(customerPage))
  .post("/console/customers/:id/edit", action(actions.editProfile))
  .post("/console/customers/:id/metadata/remove", action(actions.removeMetadataKey))
  .post("/console/customers/:id/subscriptions/:subscription_id/cancel", action(actions.cancelSubscription))
  .post("/console/customers/:id/archive", action(actions.archiveCustomer))
  .post("/console/customers/:id/unarchive", action(actions.unarchiveCustomer))
  .post("/console/customers/:id/balance-adjustments", action(actions.adjustBalance))
  .get("/console/event-destinations", page(admin.destinationsPage))
  .post("/console/event-destinations/:id/status", action(admin.setDestinationStatus))
  .post("/console/event-destinations/:id/replay", action(admin.replayDestination))
  .get("/console/api-keys", page(admin.apiKeysPage))
  .post("/console/api-keys", action(admin.createApiKey))
  .post("/console/api-keys/:id/revoke", action(admin.revokeApiKey))
  // Last: whatever no route above serves (mounted at /console, so only console paths get here).
  .all("/console/*", unknownPath);

// A failure is an HTML page here, never the API's problem+json. A refusal the API would answer
// with a 4xx (429 past the key's budget) says why; anything else, like the API's 5xx, means
// nothing changed (a committed change is answered with its page).
consoleRouter.onError((error, c) => {
  if (error instanceof ApiError && error.status < 500) {
    const response = html(c, MessagePage({ title: problems[error.code].title, detail: error.detail }), error.status);
    for (const [name, value] of Object.entries(error.options.headers ?? {})) response.headers.set(name, value);
    return response;
  }
  logError("console request failed", {
    request_id: c.get("requestId") ?? null,
    route: c.req.routePath,
    error: describeError(error),
  });
  const detail = "Something went wrong; nothing was changed. Try again in a moment.";
  return html(c, MessagePage({ title: "Something went wrong", detail }), 503);
});

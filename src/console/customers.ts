import { etagOf, toCustomerObject } from "../customers/customers.object";
import type { CustomerDeps } from "../customers/customers.service";
import * as customers from "../customers/customers.service";
import { requestOutbox } from "../event-deliveries/outbox";
import { listAll, listDeliveriesOfEvents } from "../event-destinations/event-destinations.service";
import { listEventsPage } from "../events/events.service";
import { inBackground } from "../lib/background";
import { ApiError } from "../lib/errors";
import { type MoneyCursors, moneyOf } from "./customer-money";
import { findCustomers } from "./find-customers";
import type { SignedIn } from "./guard";
import { type ConsoleContext, html } from "./http";
import { formValuesOf } from "./profile-form";
import { ArchivedCustomerPage, CustomerPage, type CustomerPageProps } from "./views/customer-page";
import { customerPath } from "./views/customer-profile";
import { CustomersPage, type CustomersView } from "./views/customers-page";
import { MessagePage, noticeOf } from "./views/layout";

/** The customer services' dependencies for a console request: the same as the API's handlers build. */
export const customerDeps = (c: ConsoleContext): CustomerDeps => ({
  db: c.get("db"),
  kv: c.env.KV,
  orgId: c.get("orgId"),
  background: inBackground(c),
  settings: c.env,
  events: requestOutbox(c),
});

/** Metadata filters as the URL holds them: `mk`/`mv` pairs, empty keys left out (at most 10, as the search allows). */
function metadataFilters(c: ConsoleContext): [string, string][] {
  const keys = c.req.queries("mk") ?? [];
  const values = c.req.queries("mv") ?? [];
  return keys
    .map((key, index): [string, string] => [key.trim(), values[index] ?? ""])
    .filter(([key]) => key !== "")
    .slice(0, 10);
}

/** GET /console/customers: the search box, the metadata filters, a page of customers, newest first. */
export async function customersPage(c: ConsoleContext, who: SignedIn): Promise<Response> {
  const view: CustomersView = {
    q: c.req.query("q")?.trim() ?? "",
    metadata: metadataFilters(c),
    cursor: c.req.query("cursor") || null,
    back: c.req.queries("back") ?? [],
  };
  try {
    const page = await findCustomers(customerDeps(c), { ...view, cursor: view.cursor ?? undefined });
    return html(c, CustomersPage({ who, view, customers: page.data, nextCursor: page.next_cursor }));
  } catch (error) {
    // A cursor from another search (an edited URL): say so, and offer the first page.
    if (!(error instanceof ApiError && error.code === "validation_failed")) throw error;
    const aboutQuery = error.options.errors?.find((problem) => problem.pointer === "#/query/q");
    if (aboutQuery) {
      const message = `Search: ${aboutQuery.detail}`;
      return html(c, CustomersPage({ who, view, customers: [], nextCursor: null, error: message }), 400);
    }
    const message = "This page link does not fit this search: the first page is shown.";
    const first = { ...view, cursor: null, back: [] };
    const page = await findCustomers(customerDeps(c), { ...first, cursor: undefined });
    return html(
      c,
      CustomersPage({ who, view: first, customers: page.data, nextCursor: page.next_cursor, error: message }),
      400,
    );
  }
}

/** The timeline's part of a customer page: a page of its events and their deliveries. */
async function timelineOf(c: ConsoleContext, customerId: string, cursor: string | undefined) {
  const db = c.get("db");
  const orgId = c.get("orgId");
  let events: Awaited<ReturnType<typeof listEventsPage>>;
  try {
    events = await listEventsPage(db, orgId, { customer_id: customerId, limit: 20, cursor });
  } catch (error) {
    if (!(error instanceof ApiError && error.code === "validation_failed")) throw error;
    events = await listEventsPage(db, orgId, { customer_id: customerId, limit: 20 });
  }
  const [deliveries, destinations] = await Promise.all([
    listDeliveriesOfEvents(
      db,
      orgId,
      events.data.map((event) => event.id),
    ),
    listAll(db, orgId),
  ]);
  const path = customerPath(customerId);
  return {
    events: events.data,
    deliveries,
    destinations: new Map(destinations.map((destination) => [destination.id, destination.url])),
    olderHref: events.next_cursor ? `${path}?events=${encodeURIComponent(events.next_cursor)}#timeline` : null,
    newestHref: cursor ? `${path}#timeline` : null,
  };
}

type Extras = Pick<CustomerPageProps, "draft" | "adjustment" | "notice" | "problem"> & {
  eventsCursor?: string;
  moneyCursors?: MoneyCursors;
};

/**
 * A customer's page, as it is now in D1: live (profile, records, timeline, actions), archived
 * (the timeline and unarchive), or unknown (404). Actions render it too, with their problem.
 */
export async function renderCustomer(
  c: ConsoleContext,
  who: SignedIn,
  id: string,
  status: number,
  extras: Extras = {},
): Promise<Response> {
  const deps = customerDeps(c);
  let found: Awaited<ReturnType<typeof customers.getExpanded>>;
  try {
    found = await customers.getExpanded(deps, { id }, "addresses,subscriptions,payment_methods");
  } catch (error) {
    if (error instanceof ApiError && error.code === "customer_archived") {
      const [timeline, money] = await Promise.all([
        timelineOf(c, id, extras.eventsCursor),
        moneyOf(c, id, extras.moneyCursors),
      ]);
      const archivedAt = error.options.extensions?.archived_at ?? "";
      return html(c, ArchivedCustomerPage({ who, id, archivedAt, timeline, money, notice: extras.notice }), status);
    }
    if (error instanceof ApiError && error.code === "customer_not_found") {
      const detail = "There is no customer with this id in your organization.";
      return html(c, MessagePage({ title: "No such customer", detail }), 404);
    }
    throw error;
  }
  const customer = toCustomerObject(found.row);
  const [timeline, money] = await Promise.all([
    timelineOf(c, id, extras.eventsCursor),
    moneyOf(c, id, extras.moneyCursors),
  ]);
  const page = CustomerPage({
    who,
    customer,
    etag: etagOf(found.row),
    addresses: found.expansion.addresses ?? [],
    subscriptions: found.expansion.subscriptions ?? [],
    paymentMethods: found.expansion.payment_methods ?? [],
    timeline,
    money,
    billing: customer.billing,
    formValues: extras.draft?.values ?? formValuesOf(customer),
    ...extras,
  });
  return html(c, page, status);
}

/** GET /console/customers/:id */
export const customerPage = (c: ConsoleContext, who: SignedIn) =>
  renderCustomer(c, who, c.req.param("id") ?? "", 200, {
    notice: noticeOf(c.req.query("notice")),
    eventsCursor: c.req.query("events") || undefined,
    moneyCursors: {
      charges: c.req.query("charges") || undefined,
      transactions: c.req.query("transactions") || undefined,
    },
  });

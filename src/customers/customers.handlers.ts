import type { CustomerRow } from "../customer-records/customer-columns";
import { requestOutbox } from "../event-deliveries/outbox";
import { inBackground, type RequestContext } from "../lib/background";
import { keepAnswer } from "../lib/kept-answer";
import type { AppRouteHandler } from "../lib/types";
import { toSubscriptionObject } from "../subscriptions/subscriptions.object";
import * as archiving from "./archive.service";
import { alternativeIdNotFound, customerNotFound } from "./customers.errors";
import { etagOf, toCustomerObject } from "./customers.object";
import type * as routes from "./customers.routes";
import * as service from "./customers.service";
import { syncIsDue, syncSoon } from "./gateway-sync";
import { importAll } from "./import";
import type { ImportItemResult } from "./provision.schemas";
import * as provisioning from "./provision.service";
import * as searching from "./search.service";

/**
 * HTTP in, HTTP out: each handler reads its validated request, calls the customers services
 * and shapes the response. The `{id}` routes and their alternative-ID twins have a handler
 * each, typed by their own route, and share everything else through the services.
 */

type GetRoute = ReturnType<typeof routes.getCustomer<"id">>;
type GetByAlternativeIdRoute = ReturnType<typeof routes.getCustomer<"alternative_id">>;
type PatchRoute = ReturnType<typeof routes.patchCustomer<"id">>;
type PatchByAlternativeIdRoute = ReturnType<typeof routes.patchCustomer<"alternative_id">>;
type PutRoute = ReturnType<typeof routes.putCustomer<"id">>;
type PutByAlternativeIdRoute = ReturnType<typeof routes.putCustomer<"alternative_id">>;
type ArchiveRoute = ReturnType<typeof routes.archiveCustomer<"id">>;
type ArchiveByAlternativeIdRoute = ReturnType<typeof routes.archiveCustomer<"alternative_id">>;
type MetadataKeyRoute = ReturnType<typeof routes.deleteMetadataKey<"id">>;
type MetadataKeyByAlternativeIdRoute = ReturnType<typeof routes.deleteMetadataKey<"alternative_id">>;

/** What the service needs from this request. */
const deps = (c: RequestContext): service.CustomerDeps => ({
  db: c.get("db"),
  kv: c.env.KV,
  orgId: c.get("orgId"),
  background: inBackground(c),
  settings: c.env,
  events: requestOutbox(c),
});

/**
 * A write that marked the customer's gateway sync (a linked customer's mirrored field changed):
 * its first attempt runs after the answer, in the background (customers/gateway-sync.ts).
 */
function syncAfter(c: RequestContext, row: CustomerRow): CustomerRow {
  if (syncIsDue(row)) {
    inBackground(c, "customer gateway sync")(syncSoon(c.get("db").forBackground(), c.env, row.org_id, row.id));
  }
  return row;
}

const etag = (row: CustomerRow) => ({ ETag: etagOf(row) });

const location = (row: CustomerRow) => ({ Location: `/v1/customers/${encodeURIComponent(row.id)}` });

const archivedBody = (row: CustomerRow) => ({
  object: "customer" as const,
  id: row.id,
  archived: true as const,
  archived_at: row.archived_at ?? "",
});

// The answers of the customer writes, as values: each is kept with its change (lib/kept-answer.ts).
const created = (row: CustomerRow) => ({
  status: 201 as const,
  body: toCustomerObject(row),
  headers: { ...etag(row), ...location(row) },
});
const current = (row: CustomerRow) => ({ status: 200 as const, body: toCustomerObject(row), headers: etag(row) });
const archived = (row: CustomerRow) => ({ status: 200 as const, body: archivedBody(row) });

export const create: AppRouteHandler<typeof routes.createCustomer> = async (c) => {
  const answer = created(syncAfter(c, await service.create(deps(c), c.req.valid("json"), keepAnswer(c, created))));
  return c.json(answer.body, answer.status, answer.headers);
};

export const list: AppRouteHandler<typeof routes.listCustomers> = async (c) =>
  c.json(await service.list(deps(c), c.req.valid("query")), 200);

export const search: AppRouteHandler<typeof routes.searchCustomers> = async (c) =>
  c.json(await searching.search(deps(c), c.req.valid("query")), 200);

export const get: AppRouteHandler<GetRoute> = async (c) => {
  const { id } = c.req.valid("param");
  const { row, expansion } = await service.getExpanded(deps(c), { id }, c.req.valid("query").expand);
  return c.json({ ...toCustomerObject(row), ...expansion }, 200, etag(row));
};

export const getByAlternativeId: AppRouteHandler<GetByAlternativeIdRoute> = async (c) => {
  const { alternative_id: alternativeId } = c.req.valid("param");
  const { row, expansion } = await service.getExpanded(deps(c), { alternativeId }, c.req.valid("query").expand);
  return c.json({ ...toCustomerObject(row), ...expansion }, 200, etag(row));
};

export const update: AppRouteHandler<PatchRoute> = async (c) => {
  const { id } = c.req.valid("param");
  const keep = keepAnswer(c, current);
  const answer = current(
    syncAfter(c, await service.update(deps(c), { id }, c.req.header("If-Match"), c.req.valid("json"), keep)),
  );
  return c.json(answer.body, answer.status, answer.headers);
};

export const updateByAlternativeId: AppRouteHandler<PatchByAlternativeIdRoute> = async (c) => {
  const { alternative_id: alternativeId } = c.req.valid("param");
  const keep = keepAnswer(c, current);
  const answer = current(
    syncAfter(c, await service.update(deps(c), { alternativeId }, c.req.header("If-Match"), c.req.valid("json"), keep)),
  );
  return c.json(answer.body, answer.status, answer.headers);
};

export const replace: AppRouteHandler<PutRoute> = async (c) => {
  const { id } = c.req.valid("param");
  const keep = keepAnswer(c, current);
  const answer = current(
    syncAfter(c, await service.replace(deps(c), { id }, c.req.header("If-Match"), c.req.valid("json"), keep)),
  );
  return c.json(answer.body, answer.status, answer.headers);
};

export const replaceByAlternativeId: AppRouteHandler<PutByAlternativeIdRoute> = async (c) => {
  const { alternative_id: alternativeId } = c.req.valid("param");
  const keep = keepAnswer(c, current);
  const answer = current(
    syncAfter(
      c,
      await service.replace(deps(c), { alternativeId }, c.req.header("If-Match"), c.req.valid("json"), keep),
    ),
  );
  return c.json(answer.body, answer.status, answer.headers);
};

export const removeMetadataKey: AppRouteHandler<MetadataKeyRoute> = async (c) => {
  const { id, key } = c.req.valid("param");
  const keep = keepAnswer(c, current);
  const answer = current(await service.deleteMetadataKey(deps(c), { id }, c.req.header("If-Match"), key, keep));
  return c.json(answer.body, answer.status, answer.headers);
};

export const removeMetadataKeyByAlternativeId: AppRouteHandler<MetadataKeyByAlternativeIdRoute> = async (c) => {
  const { alternative_id: alternativeId, key } = c.req.valid("param");
  const keep = keepAnswer(c, current);
  const answer = current(
    await service.deleteMetadataKey(deps(c), { alternativeId }, c.req.header("If-Match"), key, keep),
  );
  return c.json(answer.body, answer.status, answer.headers);
};

export const remove: AppRouteHandler<ArchiveRoute> = async (c) => {
  const { id } = c.req.valid("param");
  const row = await archiving.archive(deps(c), { id }, c.req.header("If-Match"), keepAnswer(c, archived));
  if (!row) throw customerNotFound();
  const answer = archived(row);
  return c.json(answer.body, answer.status);
};

export const removeByAlternativeId: AppRouteHandler<ArchiveByAlternativeIdRoute> = async (c) => {
  const { alternative_id: alternativeId } = c.req.valid("param");
  const row = await archiving.archive(deps(c), { alternativeId }, c.req.header("If-Match"), keepAnswer(c, archived));
  if (!row) throw alternativeIdNotFound();
  const answer = archived(row);
  return c.json(answer.body, answer.status);
};

export const unarchive: AppRouteHandler<typeof routes.unarchiveCustomer> = async (c) => {
  const answer = current(await archiving.unarchive(deps(c), c.req.valid("param"), keepAnswer(c, current)));
  return c.json(answer.body, answer.status, answer.headers);
};

const provisioned = ({ status, customer, subscription }: provisioning.Provisioned) => {
  const body = {
    object: "provisioning_result" as const,
    created: status === "created",
    customer: toCustomerObject(customer),
    subscription: subscription ? toSubscriptionObject(subscription) : null,
  };
  return status === "created"
    ? { status: 201 as const, body, headers: { ...etag(customer), ...location(customer) } }
    : { status: 200 as const, body, headers: etag(customer) };
};

export const provision: AppRouteHandler<typeof routes.provisionCustomer> = async (c) => {
  const outcome = await provisioning.provision(deps(c), c.req.valid("json"), keepAnswer(c, provisioned));
  syncAfter(c, outcome.customer);
  const answer = provisioned(outcome);
  return c.json(answer.body, answer.status, answer.headers);
};

const imported = (results: ImportItemResult[]) => {
  const count = (status: string) => results.filter((result) => result.status === status).length;
  const body = {
    object: "import_result" as const,
    created: count("created"),
    updated: count("updated"),
    failed: count("failed"),
    results,
  };
  return { status: 200 as const, body };
};

export const importCustomers: AppRouteHandler<typeof routes.importCustomers> = async (c) => {
  const answer = imported(await importAll(deps(c), c.req.valid("json").customers, keepAnswer(c, imported)));
  return c.json(answer.body, answer.status);
};

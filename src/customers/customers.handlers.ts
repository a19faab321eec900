import type { CustomerRow } from "../customer-records/customer-columns";
import { customerNotFound } from "../customer-records/customer-records.repository";
import { requestOutbox } from "../event-deliveries/outbox";
import { inBackground, type RequestContext } from "../lib/background";
import type { AppRouteHandler } from "../lib/types";
import { toSubscriptionObject } from "../subscriptions/subscriptions.object";
import * as archiving from "./archive.service";
import { alternativeIdNotFound } from "./customers.errors";
import { etagOf, toCustomerObject } from "./customers.object";
import type * as routes from "./customers.routes";
import * as service from "./customers.service";
import { importAll } from "./import";
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

const etag = (row: CustomerRow) => ({ ETag: etagOf(row) });

const location = (row: CustomerRow) => ({ Location: `/v1/customers/${encodeURIComponent(row.id)}` });

const archivedBody = (row: CustomerRow) => ({
  object: "customer" as const,
  id: row.id,
  archived: true as const,
  archived_at: row.archived_at ?? "",
});

export const create: AppRouteHandler<typeof routes.createCustomer> = async (c) => {
  const row = await service.create(deps(c), c.req.valid("json"));
  return c.json(toCustomerObject(row), 201, { ...etag(row), ...location(row) });
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
  const row = await service.update(deps(c), { id }, c.req.header("If-Match"), c.req.valid("json"));
  return c.json(toCustomerObject(row), 200, etag(row));
};

export const updateByAlternativeId: AppRouteHandler<PatchByAlternativeIdRoute> = async (c) => {
  const { alternative_id: alternativeId } = c.req.valid("param");
  const row = await service.update(deps(c), { alternativeId }, c.req.header("If-Match"), c.req.valid("json"));
  return c.json(toCustomerObject(row), 200, etag(row));
};

export const replace: AppRouteHandler<PutRoute> = async (c) => {
  const { id } = c.req.valid("param");
  const row = await service.replace(deps(c), { id }, c.req.header("If-Match"), c.req.valid("json"));
  return c.json(toCustomerObject(row), 200, etag(row));
};

export const replaceByAlternativeId: AppRouteHandler<PutByAlternativeIdRoute> = async (c) => {
  const { alternative_id: alternativeId } = c.req.valid("param");
  const row = await service.replace(deps(c), { alternativeId }, c.req.header("If-Match"), c.req.valid("json"));
  return c.json(toCustomerObject(row), 200, etag(row));
};

export const removeMetadataKey: AppRouteHandler<MetadataKeyRoute> = async (c) => {
  const { id, key } = c.req.valid("param");
  const row = await service.deleteMetadataKey(deps(c), { id }, c.req.header("If-Match"), key);
  return c.json(toCustomerObject(row), 200, etag(row));
};

export const removeMetadataKeyByAlternativeId: AppRouteHandler<MetadataKeyByAlternativeIdRoute> = async (c) => {
  const { alternative_id: alternativeId, key } = c.req.valid("param");
  const row = await service.deleteMetadataKey(deps(c), { alternativeId }, c.req.header("If-Match"), key);
  return c.json(toCustomerObject(row), 200, etag(row));
};

export const remove: AppRouteHandler<ArchiveRoute> = async (c) => {
  const { id } = c.req.valid("param");
  const row = await archiving.archive(deps(c), { id }, c.req.header("If-Match"));
  if (!row) throw customerNotFound();
  return c.json(archivedBody(row), 200);
};

export const removeByAlternativeId: AppRouteHandler<ArchiveByAlternativeIdRoute> = async (c) => {
  const { alternative_id: alternativeId } = c.req.valid("param");
  const row = await archiving.archive(deps(c), { alternativeId }, c.req.header("If-Match"));
  if (!row) throw alternativeIdNotFound();
  return c.json(archivedBody(row), 200);
};

export const unarchive: AppRouteHandler<typeof routes.unarchiveCustomer> = async (c) => {
  const row = await archiving.unarchive(deps(c), c.req.valid("param"));
  return c.json(toCustomerObject(row), 200, etag(row));
};

export const provision: AppRouteHandler<typeof routes.provisionCustomer> = async (c) => {
  const { status, customer, subscription } = await provisioning.provision(deps(c), c.req.valid("json"));
  const body = {
    object: "provisioning_result" as const,
    created: status === "created",
    customer: toCustomerObject(customer),
    subscription: subscription ? toSubscriptionObject(subscription) : null,
  };
  if (status === "created") return c.json(body, 201, { ...etag(customer), ...location(customer) });
  return c.json(body, 200, etag(customer));
};

export const importCustomers: AppRouteHandler<typeof routes.importCustomers> = async (c) => {
  const results = await importAll(deps(c), c.req.valid("json").customers);
  const count = (status: string) => results.filter((result) => result.status === status).length;
  return c.json(
    {
      object: "import_result" as const,
      created: count("created"),
      updated: count("updated"),
      failed: count("failed"),
      results,
    },
    200,
  );
};

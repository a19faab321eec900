import type { Context } from "hono";
import { checkEmailDomain } from "../email-dns";
import { inBackground } from "../lib/background";
import { ApiError } from "../lib/errors";
import { nowIso } from "../lib/fields";
import { fnv1a } from "../lib/hash";
import { newId } from "../lib/ids";
import { MAX_WRITE_ATTEMPTS, pauseBeforeRetry } from "../lib/retry";
import type { AppEnv, AppRouteHandler } from "../lib/types";
import { toSubscriptionObject } from "../subscriptions/subscriptions.object";
import { forgetReleasedAlternativeId, resolveByAlternativeId } from "./alternative-id-cache";
import { archiveLiveCustomer } from "./archive";
import { conflictError } from "./customers.conflicts";
import { etagOf, ifMatchSatisfied, toCustomerObject } from "./customers.object";
import { profileForCreate, profileForPatch, profileForPut, profileOf, sameProfile } from "./customers.profile";
import {
  type CustomerListFilters,
  type CustomerProfile,
  type CustomerRow,
  findCustomerById,
  insertCustomer,
  listLiveCustomers,
  UniqueViolation,
  unarchiveCustomer as unarchiveStoredCustomer,
  updateCustomerProfile,
} from "./customers.repository";
import type * as routes from "./customers.routes";
import type { UpdateInput } from "./customers.schemas";
import { expandCustomers, parseExpand } from "./expand";
import { importCustomers as importItems } from "./import";
import { provisionCustomer as provision } from "./provision";

/**
 * Handlers shared by an `{id}` route and its alternative-ID twin take a context of either
 * route; each route's config still types its requests and responses.
 */
type Ctx = Context<AppEnv, any, any>;

const customerNotFound = () =>
  new ApiError("customer_not_found", "No live customer with this id in this organization.");

const customerArchived = (row: CustomerRow) =>
  new ApiError("customer_archived", `Customer '${row.id}' was archived at ${row.archived_at}.`, {
    extensions: { archived_at: row.archived_at },
  });

/** The route's customer, live: by `{id}` (404 unknown, 410 archived) or by `{alternative_id}` (404). */
async function findTarget(c: Ctx): Promise<CustomerRow> {
  const { id, alternative_id: alternativeId } = c.req.param() as { id?: string; alternative_id?: string };
  const orgId = c.get("orgId");
  if (alternativeId !== undefined) {
    const row = await resolveByAlternativeId(c.env, orgId, alternativeId, inBackground(c));
    if (!row)
      throw new ApiError("customer_not_found", "No live customer with this alternative ID in this organization.");
    return row;
  }
  const row = await findCustomerById(c.env.DB, orgId, id ?? "");
  if (!row) throw customerNotFound();
  if (row.archived_at !== null) throw customerArchived(row);
  return row;
}

function checkIfMatch(c: Ctx, row: CustomerRow): void {
  if (!ifMatchSatisfied(c.req.header("If-Match"), row)) {
    throw new ApiError("precondition_failed", `If-Match does not match the current ETag ${etagOf(row)}.`);
  }
}

/**
 * Read, check If-Match, compute the new profile, write if still at the version read. A
 * write that changes nothing is not made (the ETag stays). Concurrent changes retry.
 */
async function updateTarget(c: Ctx, compute: (row: CustomerRow) => CustomerProfile): Promise<CustomerRow> {
  const orgId = c.get("orgId");
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    await pauseBeforeRetry(attempt);
    const row = await findTarget(c);
    checkIfMatch(c, row);
    const profile = compute(row);
    if (sameProfile(profileOf(row), profile)) return row;
    let updated: CustomerRow | null;
    try {
      updated = await updateCustomerProfile(c.env.DB, orgId, row.seq, row.version, profile, nowIso());
    } catch (error) {
      if (error instanceof UniqueViolation) throw await conflictError(c.env.DB, c.get("orgId"), error, profile);
      throw error;
    }
    if (updated) {
      await forgetReleasedAlternativeId(c.env, orgId, row, updated);
      return updated;
    }
  }
  throw new ApiError("storage_unavailable", "The customer kept changing during this update; retry.");
}

const customerResponse = <S extends 200 | 201>(
  c: Ctx,
  row: CustomerRow,
  status: S,
  headers: Record<string, string> = {},
) => c.json(toCustomerObject(row), status, { ETag: etagOf(row), ...headers });

export const createCustomer: AppRouteHandler<typeof routes.createCustomer> = async (c) => {
  const { id: requestedId, ...input } = c.req.valid("json");
  await checkEmailDomain(c.env, input.email, { skip: input.skip_email_dns_validation, background: inBackground(c) });
  const profile = profileForCreate(input);
  const id = requestedId ?? newId("cus");
  const orgId = c.get("orgId");
  let row: CustomerRow;
  try {
    row = await insertCustomer(c.env.DB, orgId, id, profile, nowIso());
  } catch (error) {
    if (error instanceof UniqueViolation) throw await conflictError(c.env.DB, c.get("orgId"), error, profile, id);
    throw error;
  }
  return customerResponse(c, row, 201, { Location: `/v1/customers/${encodeURIComponent(row.id)}` });
};

type Cursor = { seq: number; filters: string };

const filtersKey = (filters: CustomerListFilters) =>
  fnv1a(JSON.stringify([filters.email?.toLowerCase(), filters.alternativeId, filters.createdGte, filters.createdLt]));

function encodeCursor(cursor: Cursor): string {
  return btoa(JSON.stringify([cursor.seq, cursor.filters]))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replaceAll("=", "");
}

function decodeCursor(value: string, filters: CustomerListFilters): number {
  const invalid = (detail: string) =>
    new ApiError("validation_failed", `The cursor is invalid: ${detail}.`, {
      errors: [{ pointer: "#/query/cursor", detail }],
    });
  let decoded: unknown;
  try {
    decoded = JSON.parse(atob(value.replaceAll("-", "+").replaceAll("_", "/")));
  } catch {
    throw invalid("not a cursor issued by this API");
  }
  if (!Array.isArray(decoded) || !Number.isSafeInteger(decoded[0]) || typeof decoded[1] !== "string") {
    throw invalid("not a cursor issued by this API");
  }
  if (decoded[1] !== filtersKey(filters)) throw invalid("it was issued for other filters; send the same filters");
  return decoded[0] as number;
}

const toUtc = (value: string | undefined) => (value === undefined ? undefined : new Date(value).toISOString());

export const listCustomers: AppRouteHandler<typeof routes.listCustomers> = async (c) => {
  const query = c.req.valid("query");
  const limit = query.limit ?? 20;
  const filters: CustomerListFilters = {
    email: query.email,
    alternativeId: query.alternative_id,
    createdGte: toUtc(query.created_gte),
    createdLt: toUtc(query.created_lt),
  };
  const beforeSeq = query.cursor === undefined ? null : decodeCursor(query.cursor, filters);
  const rows = await listLiveCustomers(c.env.DB, c.get("orgId"), filters, beforeSeq, limit + 1);
  const page = rows.slice(0, limit);
  const expansion = await expandCustomers(c.env.DB, c.get("orgId"), page, parseExpand(query.expand));
  const last = page.at(-1);
  const hasMore = rows.length > limit;
  return c.json(
    {
      object: "list" as const,
      data: page.map((row) => ({ ...toCustomerObject(row), ...expansion(row.id) })),
      has_more: hasMore,
      next_cursor: hasMore && last ? encodeCursor({ seq: last.seq, filters: filtersKey(filters) }) : null,
    },
    200,
  );
};

export const getCustomer = async (c: Ctx) => {
  const row = await findTarget(c);
  const expansion = await expandCustomers(c.env.DB, c.get("orgId"), [row], parseExpand(c.req.query("expand")));
  return c.json({ ...toCustomerObject(row), ...expansion(row.id) }, 200, { ETag: etagOf(row) });
};

/** The DNS check, for an email the body sets (a PATCH without `email` changes none). */
const checkSentEmail = (c: Ctx, input: UpdateInput) =>
  checkEmailDomain(c.env, input.email, { skip: input.skip_email_dns_validation, background: inBackground(c) });

export const patchCustomer = async (c: Ctx) => {
  const input = c.req.valid("json") as UpdateInput;
  await checkSentEmail(c, input);
  return customerResponse(c, await updateTarget(c, (row) => profileForPatch(row, input)), 200);
};

export const putCustomer = async (c: Ctx) => {
  const input = c.req.valid("json") as UpdateInput;
  await checkSentEmail(c, input);
  return customerResponse(c, await updateTarget(c, (row) => profileForPut(row, input)), 200);
};

export const deleteMetadataKey = async (c: Ctx) => {
  const key = c.req.param("key") ?? "";
  const row = await updateTarget(c, (current) => {
    const profile = profileOf(current);
    delete profile.metadata[key];
    return profile;
  });
  return customerResponse(c, row, 200);
};

const archivedBody = (row: CustomerRow) => ({
  object: "customer" as const,
  id: row.id,
  archived: true as const,
  archived_at: row.archived_at ?? "",
});

export const archiveCustomer = async (c: Ctx) => {
  const orgId = c.get("orgId");
  const byId = c.req.param("alternative_id") === undefined;
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    await pauseBeforeRetry(attempt);
    // By id the archived row is read too: archiving is idempotent there, and an archived
    // customer answers as its first archive did. By alternative ID only live ones are found.
    const row = byId ? await findCustomerById(c.env.DB, orgId, c.req.param("id") ?? "") : await findTarget(c);
    if (!row) throw customerNotFound();
    if (row.archived_at !== null) return c.json(archivedBody(row), 200);
    checkIfMatch(c, row);
    const archived = await archiveLiveCustomer(c.env, orgId, row);
    if (archived) return c.json(archivedBody(archived), 200);
  }
  throw new ApiError("storage_unavailable", "The customer kept changing during this archive; retry.");
};

export const unarchiveCustomer: AppRouteHandler<typeof routes.unarchiveCustomer> = async (c) => {
  const orgId = c.get("orgId");
  const { id } = c.req.valid("param");
  const row = await findCustomerById(c.env.DB, orgId, id);
  if (!row) throw customerNotFound();
  if (row.archived_at === null) return customerResponse(c, row, 200);
  const restored =
    (await unarchiveStoredCustomer(c.env.DB, orgId, row.seq, nowIso())) ??
    (await findCustomerById(c.env.DB, orgId, id));
  if (!restored) throw customerNotFound();
  return customerResponse(c, restored, 200);
};

export const provisionCustomer: AppRouteHandler<typeof routes.provisionCustomer> = async (c) => {
  const request = c.req.valid("json");
  await checkEmailDomain(c.env, request.email, {
    skip: request.skip_email_dns_validation,
    background: inBackground(c),
  });
  const outcome = await provision(c.env, c.get("orgId"), request, { background: inBackground(c) });
  // Without an event time, provision never answers stale or archived: it throws or writes.
  if (outcome.status !== "created" && outcome.status !== "updated") throw new Error(`unexpected ${outcome.status}`);
  const { customer, subscription } = outcome;
  const body = {
    object: "provisioning_result" as const,
    created: outcome.status === "created",
    customer: toCustomerObject(customer),
    subscription: subscription ? toSubscriptionObject(subscription) : null,
  };
  if (outcome.status === "created") {
    return c.json(body, 201, { ETag: etagOf(customer), Location: `/v1/customers/${encodeURIComponent(customer.id)}` });
  }
  return c.json(body, 200, { ETag: etagOf(customer) });
};

export const importCustomers: AppRouteHandler<typeof routes.importCustomers> = async (c) => {
  const results = await importItems(c.env, c.get("orgId"), c.req.valid("json").customers, inBackground(c));
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

import { createRoute } from "@hono/zod-openapi";
import { AUTHENTICATED, jsonBodyOf, jsonContent, noFieldsBody, problemResponses, WITH_BODY } from "../lib/openapi";
import { MiB } from "../middleware/json-body";
import { deleteRoute, readRoute, writeRoute } from "../middleware/stacks";
import {
  AlternativeIdParams,
  ArchivedCustomer,
  CreateCustomerBody,
  Customer,
  CustomerList,
  GetCustomerQuery,
  IdParams,
  IfMatchHeader,
  ListCustomersQuery,
  MetadataKeyParams,
  UpdateCustomerBody,
} from "./customers.schemas";
import {
  DEFAULT_IMPORT_ITEMS_PER_MINUTE,
  ImportBody,
  ImportResult,
  MAX_IMPORT_DELIVERIES,
  MAX_IMPORT_GATEWAY_ITEMS,
  MAX_IMPORT_ITEMS,
  ProvisionBody,
  ProvisioningResult,
} from "./provision.schemas";
import { SearchCustomersQuery } from "./search.schemas";

const tags = ["Customers"];
const security = [{ bearerAuth: [] }];

/** Every `{id}` route also exists addressed by alternative ID. */
export type CustomerTarget = "id" | "alternative_id";

const TARGETS = {
  id: {
    path: "/v1/customers/{id}",
    params: IdParams,
    notFound: "No customer with this id",
    gone: ["customer_archived"] as const,
  },
  alternative_id: {
    path: "/v1/customers/alternative-id/{alternative_id}",
    params: AlternativeIdParams,
    notFound: "No live customer with this alternative ID (an archived customer's is released)",
    gone: [] as const,
  },
} as const;

const pathOf = <T extends CustomerTarget>(target: T) => TARGETS[target].path as (typeof TARGETS)[T]["path"];

/** Each target's own params type (indexing with a generic would give the union of both). */
const paramsOf = <T extends CustomerTarget>(target: T) => TARGETS[target].params as (typeof TARGETS)[T]["params"];

const operationId = (name: string, target: CustomerTarget) => (target === "id" ? name : `${name}ByAlternativeId`);

const byWhat = (target: CustomerTarget) => (target === "id" ? "by id" : "by alternative ID");

const ETAG = { ETag: { schema: { type: "string" as const }, description: "Strong ETag of this version." } };

/**
 * What the gateway options (`gateway_customer_reference`, `import_payment_methods`,
 * `billing_information`; spec section 11) can answer: no gateway, the gateway's refusal, an
 * unreachable gateway, the deployment secret missing. Each leaves Roster unchanged.
 */
const GATEWAY_PROBLEMS = [
  "gateway_not_configured",
  "gateway_rejected",
  "gateway_unavailable",
  "configuration_missing",
] as const;

const customerWithEtag = (description: string) => ({ ...jsonContent(Customer, description), headers: ETAG });

export const createCustomer = createRoute({
  operationId: "createCustomer",
  method: "post",
  path: "/v1/customers",
  tags,
  security,
  summary: "Create a customer",
  description: "The body may be absent, empty or `{}`. Without `id`, one is generated (`cus_` + a ULID).",
  middleware: writeRoute(),
  request: { body: { ...jsonBodyOf(CreateCustomerBody), required: false } },
  responses: {
    201: {
      ...jsonContent(Customer, "The new customer"),
      headers: { ...ETAG, Location: { schema: { type: "string" }, description: "/v1/customers/{id}" } },
    },
    ...problemResponses(
      ...AUTHENTICATED,
      ...WITH_BODY,
      "customer_exists",
      "customer_id_archived",
      "alternative_id_taken",
      "email_taken",
      "username_taken",
      "email_domain_unresolvable",
      ...GATEWAY_PROBLEMS,
    ),
  },
});

export const listCustomers = createRoute({
  operationId: "listCustomers",
  method: "get",
  path: "/v1/customers",
  tags,
  security,
  summary: "List customers",
  description:
    "Live customers, newest first by insertion sequence, in keyset pages. A cursor is valid only with the filters it was issued for. `metadata[<key>]=<value>` filters as on search.",
  middleware: readRoute(),
  request: { query: ListCustomersQuery },
  responses: {
    200: jsonContent(CustomerList, "One page of customers"),
    ...problemResponses(...AUTHENTICATED, "validation_failed"),
  },
});

export const searchCustomers = createRoute({
  operationId: "searchCustomers",
  method: "get",
  path: "/v1/customers/search",
  tags,
  security,
  summary: "Search customers",
  description:
    "Live customers whose words match every term of `q` (prefix of a word of the name fields, company, username, email or alternative ID, case- and diacritic-insensitive; the last digits of the phone) and every `metadata[<key>]` filter; `q` or a metadata filter is required. Newest first by insertion sequence, in keyset pages; a cursor is valid only with the query and filters it was issued for. The index is written in the same atomic step as every customer change: send a write's `Roster-Bookmark` to search what it wrote.",
  middleware: readRoute(),
  request: { query: SearchCustomersQuery },
  responses: {
    200: jsonContent(CustomerList, "One page of matching customers"),
    ...problemResponses(...AUTHENTICATED, "validation_failed"),
  },
});

export function getCustomer<T extends CustomerTarget>(target: T) {
  return createRoute({
    operationId: operationId("getCustomer", target),
    method: "get",
    path: pathOf(target),
    tags,
    security,
    summary: `Get a customer ${byWhat(target)}`,
    ...(target === "alternative_id"
      ? {
          description:
            "The alternative ID is resolved through caches (the serving isolate's memory, then KV) in front of D1, which confirms every answer: a change or an archive is seen at once. The confirmation reads the request's database copy: with read replication on, a customer created moments ago through another location can still be 404 here unless you send the `Roster-Bookmark` of that write (or `Roster-Consistency: strong`).",
        }
      : {}),
    middleware: readRoute(),
    request: { params: paramsOf(target), query: GetCustomerQuery },
    responses: {
      200: customerWithEtag("The customer"),
      ...problemResponses(...AUTHENTICATED, "validation_failed", "customer_not_found", ...TARGETS[target].gone),
    },
  });
}

const updateErrors = (target: CustomerTarget) =>
  problemResponses(
    ...AUTHENTICATED,
    ...WITH_BODY,
    "customer_not_found",
    ...TARGETS[target].gone,
    "precondition_failed",
    "alternative_id_taken",
    "email_taken",
    "username_taken",
    "email_domain_unresolvable",
    ...GATEWAY_PROBLEMS,
  );

export function patchCustomer<T extends CustomerTarget>(target: T) {
  return createRoute({
    operationId: operationId("patchCustomer", target),
    method: "patch",
    path: pathOf(target),
    tags,
    security,
    summary: `Update a customer ${byWhat(target)}`,
    description:
      'Only the fields sent change; `null` clears a field. `metadata` merges key by key (a key set to null is removed); `"metadata": null` removes all.',
    middleware: writeRoute(),
    request: { params: paramsOf(target), headers: IfMatchHeader, body: jsonBodyOf(UpdateCustomerBody) },
    responses: { 200: customerWithEtag("The updated customer"), ...updateErrors(target) },
  });
}

export function putCustomer<T extends CustomerTarget>(target: T) {
  return createRoute({
    operationId: operationId("putCustomer", target),
    method: "put",
    path: pathOf(target),
    tags,
    security,
    summary: `Replace a customer's profile ${byWhat(target)}`,
    description:
      "Every field not sent is reset to null (booleans to false) and metadata is replaced, except `alternative_id`, which changes only when sent.",
    middleware: writeRoute(),
    request: { params: paramsOf(target), headers: IfMatchHeader, body: jsonBodyOf(UpdateCustomerBody) },
    responses: { 200: customerWithEtag("The updated customer"), ...updateErrors(target) },
  });
}

/** What an archive does, by either route. */
const ARCHIVE_STEP =
  "Erases the customer's PII and hides it, and in the same atomic step cancels its active subscriptions (`cancel_reason: \"customer_archived\"`, kept) and deletes its addresses and payment methods. It records one event per change: a `subscription.canceled`, `address.deleted` or `payment_method.deleted` per record (the deleted records' address lines, city, state, postal code and card details null), then `customer.archived` with the highest `sequence`; every stored event about the customer loses its PII and those same fields. A change to the customer's records that lands while it runs is included (it re-reads); `503 storage_unavailable` if they keep changing, with nothing changed.";

export function archiveCustomer<T extends CustomerTarget>(target: T) {
  return createRoute({
    operationId: operationId("archiveCustomer", target),
    method: "delete",
    path: pathOf(target),
    tags,
    security,
    summary: `Archive a customer ${byWhat(target)}`,
    description: `${ARCHIVE_STEP} ${
      target === "id"
        ? "Idempotent: archiving an archived customer answers 200 with the original `archived_at` (If-Match is not checked then), records no event, and finishes any cache clean-up a failed attempt left. Once the archive commits the answer is 200, whatever fails afterwards (cache clean-up is retried in the background)."
        : "Archiving releases the alternative ID, so a second DELETE by alternative ID is a 404."
    }`,
    middleware: deleteRoute(),
    request: { params: paramsOf(target), headers: IfMatchHeader, body: noFieldsBody() },
    responses: {
      200: jsonContent(ArchivedCustomer, "The customer is archived"),
      ...problemResponses(...AUTHENTICATED, ...WITH_BODY, "customer_not_found", "precondition_failed"),
    },
  });
}

export function deleteMetadataKey<T extends CustomerTarget>(target: T) {
  return createRoute({
    operationId: operationId("deleteMetadataKey", target),
    method: "delete",
    path: `${TARGETS[target].path}/metadata/{key}` as `${(typeof TARGETS)[T]["path"]}/metadata/{key}`,
    tags,
    security,
    summary: `Remove one metadata key ${byWhat(target)}`,
    description: "Removing an absent key changes nothing and answers 200.",
    middleware: deleteRoute(),
    request: {
      params: MetadataKeyParams[target] as (typeof MetadataKeyParams)[T],
      headers: IfMatchHeader,
      body: noFieldsBody(),
    },
    responses: {
      200: customerWithEtag("The customer"),
      ...problemResponses(
        ...AUTHENTICATED,
        ...WITH_BODY,
        "customer_not_found",
        ...TARGETS[target].gone,
        "precondition_failed",
      ),
    },
  });
}

export const unarchiveCustomer = createRoute({
  operationId: "unarchiveCustomer",
  method: "post",
  path: "/v1/customers/{id}/unarchive",
  tags,
  security,
  summary: "Unarchive a customer",
  description:
    "Brings an archived customer back with its PII still empty (archiving erased it). On a live customer nothing changes.",
  middleware: writeRoute(),
  request: { params: IdParams, body: noFieldsBody() },
  responses: {
    200: customerWithEtag("The customer"),
    ...problemResponses(...AUTHENTICATED, ...WITH_BODY, "customer_not_found"),
  },
});

const provisionConflicts = [
  "customer_identity_conflict",
  "customer_id_archived",
  "alternative_id_taken",
  "email_taken",
  "username_taken",
] as const;

export const provisionCustomer = createRoute({
  operationId: "provisionCustomer",
  method: "post",
  path: "/v1/customers/provision",
  tags,
  security,
  summary: "Provision a customer (idempotent get-or-create/upsert)",
  description:
    "Identifies the customer by `id` and/or `alternative_id`. If no live customer has that identity it is created (201); otherwise the fields sent are applied as a PATCH (200). With `subscription`, an active subscription for the same `plan_id` + `resource_id` is reused unchanged, otherwise one is created, in the same atomic step as the customer's own write. Any number of identical calls, sequential or concurrent, leave one customer and at most one matching active subscription.",
  middleware: writeRoute(),
  request: { body: jsonBodyOf(ProvisionBody) },
  responses: {
    201: {
      ...jsonContent(ProvisioningResult, "The customer was created"),
      headers: { ...ETAG, Location: { schema: { type: "string" }, description: "/v1/customers/{id}" } },
    },
    200: { ...jsonContent(ProvisioningResult, "The customer existed; the fields sent were applied"), headers: ETAG },
    ...problemResponses(
      ...AUTHENTICATED,
      ...WITH_BODY,
      ...provisionConflicts,
      "email_domain_unresolvable",
      ...GATEWAY_PROBLEMS,
    ),
  },
});

export const importCustomers = createRoute({
  operationId: "importCustomers",
  method: "post",
  path: "/v1/customers/import",
  tags,
  security,
  summary: "Import customers (bulk upsert)",
  description: `Up to ${MAX_IMPORT_ITEMS} provision bodies (1 MiB at most). Each item is upserted as by provision, atomically on its own, in order (an identity that appears twice is created, then updated; an item may take an email, username or alternative ID an earlier item freed). Conflicts name the field, never the other customer's value. The email DNS checks of all items share one time budget, past which they fail open. Invalid or conflicting items fail alone, with a problem in their result. An item whose customer a concurrent request changed during the import fails with \`storage_unavailable\` and can be retried. Customers created here reach the alternative-ID cache on their first lookup. One import creates at most ${MAX_IMPORT_DELIVERIES.toLocaleString("en-US")} event deliveries (its events — one per customer written, one per subscription created — × the enabled destinations that select each): past that it is refused whole with \`413 import_fan_out_too_large\`, nothing written. Every item sent draws on the organization's import budget (a bucket that refills at the deployment's \`IMPORT_ITEMS_PER_MINUTE\`, ${DEFAULT_IMPORT_ITEMS_PER_MINUTE.toLocaleString("en-US")} a minute by default, and holds ten seconds of it, at least ${MAX_IMPORT_ITEMS.toLocaleString("en-US")} items), before any item is checked: an import the budget cannot cover yet is refused whole with \`429 rate_limited\` and \`Retry-After\` (the seconds until it can), nothing written, and that answer is not kept under its \`Idempotency-Key\`. An import refused whole for another reason (a \`413\`, or storage failing before its writes) gives its items back. Items accept the gateway options of provision (\`gateway_customer_reference\`, \`import_payment_methods\`, \`billing_information\`; spec section 11) with the same meaning: their gateway calls are made before the import's one batch, a few items at a time, and an item the gateway refuses (\`gateway_rejected\`, \`gateway_unavailable\`, \`gateway_not_configured\`) fails alone with nothing written for it; its link and imported payment methods (with their \`payment_method.created\` events) commit with its customer. At most ${MAX_IMPORT_GATEWAY_ITEMS} items per import may send gateway options: past that the import is refused whole with \`413 import_gateway_items_too_many\`, nothing asked or written.`,
  middleware: writeRoute(MiB),
  request: { body: jsonBodyOf(ImportBody) },
  responses: {
    200: jsonContent(ImportResult, "One result per item, in order"),
    ...problemResponses(...AUTHENTICATED, ...WITH_BODY, "import_fan_out_too_large", "import_gateway_items_too_many"),
  },
});

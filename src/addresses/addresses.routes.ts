import { createRoute } from "@hono/zod-openapi";
import { PageQuery } from "../customer-records/customer-records.params";
import {
  AUTHENTICATED,
  jsonBodyOf,
  jsonContent,
  NoQuery,
  noFieldsBody,
  problemResponses,
  WITH_BODY,
} from "../lib/openapi";
import { deleteRoute, readRoute, writeRoute } from "../middleware/stacks";
import {
  Address,
  AddressList,
  AddressParams,
  CreateAddressBody,
  CustomerParams,
  DeletedAddress,
  UpdateAddressBody,
} from "./addresses.schemas";

const tags = ["Addresses"];
const security = [{ bearerAuth: [] }];

const NO_CUSTOMER = "`customer_not_found` also when the customer is archived (archiving deleted its addresses).";

export const listAddresses = createRoute({
  operationId: "listAddresses",
  method: "get",
  path: "/v1/customers/{id}/addresses",
  tags,
  security,
  summary: "List a customer's addresses",
  description: `The customer's addresses, oldest first, a page at a time (\`limit\`, \`cursor\` from \`next_cursor\`). ${NO_CUSTOMER}`,
  middleware: readRoute(),
  request: { params: CustomerParams, query: PageQuery },
  responses: {
    200: jsonContent(AddressList, "The addresses"),
    ...problemResponses(...AUTHENTICATED, "validation_failed", "customer_not_found"),
  },
});

export const createAddress = createRoute({
  operationId: "createAddress",
  method: "post",
  path: "/v1/customers/{id}/addresses",
  tags,
  security,
  summary: "Add an address",
  description: `\`type\` defaults to \`billing\` and \`is_default\` to false. A new default clears the previous default of its type in the same atomic step. ${NO_CUSTOMER}`,
  middleware: writeRoute(),
  request: { params: CustomerParams, query: NoQuery, body: jsonBodyOf(CreateAddressBody) },
  responses: {
    201: jsonContent(Address, "The new address"),
    ...problemResponses(...AUTHENTICATED, ...WITH_BODY, "customer_not_found"),
  },
});

export const updateAddress = createRoute({
  operationId: "updateAddress",
  method: "patch",
  path: "/v1/customers/{id}/addresses/{address_id}",
  tags,
  security,
  summary: "Update an address",
  description: `Only the fields sent change; \`null\` clears an optional line (\`line1\` and \`country\` cannot be cleared). When the address becomes the default of its type (\`is_default: true\`, or a default moved to another \`type\`), the previous default of that type is cleared in the same atomic step. A PATCH that changes nothing writes nothing (\`updated_at\` stays). ${NO_CUSTOMER}`,
  middleware: writeRoute(),
  request: { params: AddressParams, query: NoQuery, body: jsonBodyOf(UpdateAddressBody) },
  responses: {
    200: jsonContent(Address, "The updated address"),
    ...problemResponses(...AUTHENTICATED, ...WITH_BODY, "customer_not_found", "not_found"),
  },
});

export const deleteAddress = createRoute({
  operationId: "deleteAddress",
  method: "delete",
  path: "/v1/customers/{id}/addresses/{address_id}",
  tags,
  security,
  summary: "Delete an address",
  description: `Deleting the default address leaves its type without a default (no other address is promoted). A second DELETE of the same address is a 404. ${NO_CUSTOMER}`,
  middleware: deleteRoute(),
  request: { params: AddressParams, query: NoQuery, body: noFieldsBody() },
  responses: {
    200: jsonContent(DeletedAddress, "The address is deleted"),
    ...problemResponses(...AUTHENTICATED, ...WITH_BODY, "customer_not_found", "not_found"),
  },
});

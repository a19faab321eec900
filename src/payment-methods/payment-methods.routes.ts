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
  CreatePaymentMethodBody,
  CustomerParams,
  DeletedPaymentMethod,
  PaymentMethod,
  PaymentMethodList,
  PaymentMethodParams,
} from "./payment-methods.schemas";
import { rejectCardNumbers } from "./reject-card-numbers";

const tags = ["Payment methods"];
const security = [{ bearerAuth: [] }];

const NO_CUSTOMER = "`customer_not_found` also when the customer is archived (archiving deleted its payment methods).";

const FLAG =
  "The customer's `has_payment_method` follows in the same atomic step (its ETag changes when the flag does).";

export const listPaymentMethods = createRoute({
  operationId: "listPaymentMethods",
  method: "get",
  path: "/v1/customers/{id}/payment_methods",
  tags,
  security,
  summary: "List a customer's payment methods",
  description: `The customer's payment methods, oldest first, a page at a time (\`limit\`, \`cursor\` from \`next_cursor\`). ${NO_CUSTOMER}`,
  middleware: readRoute(),
  request: { params: CustomerParams, query: PageQuery },
  responses: {
    200: jsonContent(PaymentMethodList, "The payment methods"),
    ...problemResponses(...AUTHENTICATED, "validation_failed", "customer_not_found"),
  },
});

export const createPaymentMethod = createRoute({
  operationId: "createPaymentMethod",
  method: "post",
  path: "/v1/customers/{id}/payment_methods",
  tags,
  security,
  summary: "Add a payment method",
  description: `Records a reference to an instrument a payment gateway stores (\`gateway_reference\`), never the card itself: a body with a card number anywhere (13–19 digits, possibly grouped by single spaces or dashes, passing the Luhn check, in any value or field name) is refused with \`400 validation_failed\` pointing at where it was, and nothing is stored. When \`gateway\` is the organization's payment gateway (\`stripe\` or \`test\`), the gateway checks the reference (unknown: \`422 gateway_rejected\`), it is attached to the customer's gateway customer (created on first need; the customer's \`billing\`), \`gateway_reference\` becomes the attached method's id and \`brand\`, \`last4\`, \`exp_month\`, \`exp_year\` are the gateway's (values sent that disagree: \`400 validation_failed\`); otherwise it stays a plain reference. \`is_default\` defaults to false; a new default clears the previous one in the same atomic step. ${FLAG} ${NO_CUSTOMER}`,
  middleware: [...writeRoute(), rejectCardNumbers],
  request: { params: CustomerParams, query: NoQuery, body: jsonBodyOf(CreatePaymentMethodBody) },
  responses: {
    201: jsonContent(PaymentMethod, "The new payment method"),
    ...problemResponses(
      ...AUTHENTICATED,
      ...WITH_BODY,
      "customer_not_found",
      "gateway_rejected",
      "gateway_unavailable",
      "configuration_missing",
    ),
  },
});

export const deletePaymentMethod = createRoute({
  operationId: "deletePaymentMethod",
  method: "delete",
  path: "/v1/customers/{id}/payment_methods/{payment_method_id}",
  tags,
  security,
  summary: "Delete a payment method",
  description: `Deleting the default leaves the customer without one (no other payment method is promoted). ${FLAG} A second DELETE of the same payment method is a 404. ${NO_CUSTOMER}`,
  middleware: deleteRoute(),
  request: { params: PaymentMethodParams, query: NoQuery, body: noFieldsBody() },
  responses: {
    200: jsonContent(DeletedPaymentMethod, "The payment method is deleted"),
    ...problemResponses(...AUTHENTICATED, ...WITH_BODY, "customer_not_found", "not_found"),
  },
});

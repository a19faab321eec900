import { createRoute } from "@hono/zod-openapi";
import { IdParams } from "../customer-records/customer-records.params";
import { AUTHENTICATED, jsonBodyOf, jsonContent, NoQuery, problemResponses, WITH_BODY } from "../lib/openapi";
import { readRoute, writeRoute } from "../middleware/stacks";
import { requireGatewayEncryptionKey } from "../payment-gateway/configuration";
import {
  AdjustmentBody,
  BalanceTransaction,
  BalanceTransactionList,
  BalanceTransactionListQuery,
  Charge,
  ChargeList,
  ChargeListQuery,
  ChargeParams,
  CreditBody,
  CustomerBalance,
} from "./money.schemas";

const tags = ["Charges and balances"];
const security = [{ bearerAuth: [] }];

const SECRET = "Needs the deployment secret `GATEWAY_ENCRYPTION_KEY` (`503 configuration_missing` without it).";
const KEPT =
  "Archiving a customer keeps its charges, balance and balance transactions: they stay readable here (an unknown customer is `404 customer_not_found`).";

const read = () => [...readRoute(), requireGatewayEncryptionKey];
const write = () => [...writeRoute(), requireGatewayEncryptionKey];

export const creditFromPaymentMethod = createRoute({
  operationId: "creditFromPaymentMethod",
  method: "post",
  path: "/v1/customers/credit_from_payment_method",
  tags,
  security,
  summary: "Charge a payment method and credit the customer's balance",
  description: `Charges the customer's payment method (\`payment_method_id\`, Roster's \`pm_…\`, whose \`gateway\` must be the organization's) through the organization's payment gateway and credits the amount to the customer's balance in that currency. Send an \`Idempotency-Key\`: a charge is made at most once per Roster charge, whatever fails or is retried. Outcomes: \`201\` the balance transaction (with its \`charge\`); \`402 payment_failed\` declined (\`charge_id\`, \`decline_code\`; the charge is kept \`failed\`, no balance changed); \`502 gateway_unavailable\` the gateway was never reached (nothing changed); \`202\` the charge, \`pending\`, when the gateway's outcome is unknown (Roster asks again in the background with the same idempotency key, within 10 minutes while the gateway answers, and records the outcome once: \`charge.succeeded\` with \`balance_transaction.created\`, or \`charge.failed\`). \`description\` is kept after archive: never put PII in it. ${SECRET}`,
  middleware: write(),
  request: { query: NoQuery, body: jsonBodyOf(CreditBody) },
  responses: {
    201: jsonContent(BalanceTransaction, "Charged and credited"),
    202: jsonContent(Charge, "The gateway's outcome is not known yet: the charge is pending"),
    ...problemResponses(
      ...AUTHENTICATED,
      ...WITH_BODY,
      "customer_not_found",
      "not_found",
      "customer_archived",
      "gateway_not_configured",
      "payment_failed",
      "gateway_rejected",
      "gateway_unavailable",
      "configuration_missing",
    ),
  },
});

export const getCharge = createRoute({
  operationId: "getCharge",
  method: "get",
  path: "/v1/charges/{id}",
  tags,
  security,
  summary: "Get a charge",
  description: `A charge of any customer of this organization, archived customers' included. ${SECRET}`,
  middleware: read(),
  request: { params: ChargeParams, query: NoQuery },
  responses: {
    200: jsonContent(Charge, "The charge"),
    ...problemResponses(...AUTHENTICATED, "validation_failed", "not_found", "configuration_missing"),
  },
});

export const listCustomerCharges = createRoute({
  operationId: "listCustomerCharges",
  method: "get",
  path: "/v1/customers/{id}/charges",
  tags,
  security,
  summary: "List a customer's charges",
  description: `Newest first, a page at a time (\`limit\`, \`cursor\` from \`next_cursor\`). ${KEPT} ${SECRET}`,
  middleware: read(),
  request: { params: IdParams, query: ChargeListQuery },
  responses: {
    200: jsonContent(ChargeList, "The charges"),
    ...problemResponses(...AUTHENTICATED, "validation_failed", "customer_not_found", "configuration_missing"),
  },
});

export const getCustomerBalance = createRoute({
  operationId: "getCustomerBalance",
  method: "get",
  path: "/v1/customers/{id}/balance",
  tags,
  security,
  summary: "A customer's balances",
  description: `Every currency the customer ever held, zero included, in minor units. A balance always equals the sum of its transactions and is never below zero. ${KEPT} ${SECRET}`,
  middleware: read(),
  request: { params: IdParams, query: NoQuery },
  responses: {
    200: jsonContent(CustomerBalance, "The balances"),
    ...problemResponses(...AUTHENTICATED, "validation_failed", "customer_not_found", "configuration_missing"),
  },
});

export const listBalanceTransactions = createRoute({
  operationId: "listBalanceTransactions",
  method: "get",
  path: "/v1/customers/{id}/balance_transactions",
  tags,
  security,
  summary: "List a customer's balance transactions",
  description: `Newest first, a page at a time; \`currency\` keeps one currency's (a cursor is valid only with the \`currency\` it was issued for). ${KEPT} ${SECRET}`,
  middleware: read(),
  request: { params: IdParams, query: BalanceTransactionListQuery },
  responses: {
    200: jsonContent(BalanceTransactionList, "The balance transactions"),
    ...problemResponses(...AUTHENTICATED, "validation_failed", "customer_not_found", "configuration_missing"),
  },
});

export const createBalanceTransaction = createRoute({
  operationId: "createBalanceTransaction",
  method: "post",
  path: "/v1/customers/{id}/balance_transactions",
  tags,
  security,
  summary: "Adjust a customer's balance",
  description: `A manual adjustment (\`type: "adjustment"\`): a positive \`amount\` credits, a negative one debits. A debit that would take the balance below zero is \`409 balance_insufficient\` (decided in the same atomic step as the change, so concurrent debits cannot overdraw). Records \`balance_transaction.created\`. An archived customer is \`410 customer_archived\`. ${SECRET}`,
  middleware: write(),
  request: { params: IdParams, query: NoQuery, body: jsonBodyOf(AdjustmentBody) },
  responses: {
    201: jsonContent(BalanceTransaction, "The balance transaction"),
    ...problemResponses(
      ...AUTHENTICATED,
      ...WITH_BODY,
      "customer_not_found",
      "customer_archived",
      "balance_insufficient",
      "configuration_missing",
    ),
  },
});

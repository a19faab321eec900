import { createRoute } from "@hono/zod-openapi";
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
import { requireGatewayEncryptionKey } from "./configuration";
import { DeletedPaymentGateway, PaymentGateway, PutPaymentGatewayBody } from "./payment-gateway.schemas";

const tags = ["Payment gateway"];
const security = [{ bearerAuth: [] }];

const SECRET =
  "Every route of the payment gateway, charges and balances needs the deployment secret `GATEWAY_ENCRYPTION_KEY`; without it: `503 configuration_missing`.";

export const putPaymentGateway = createRoute({
  operationId: "putPaymentGateway",
  method: "put",
  path: "/v1/payment_gateway",
  tags,
  security,
  summary: "Configure the organization's payment gateway",
  description: `One gateway per organization; this replaces any other. A Stripe key is checked with Stripe first (a key Stripe refuses: \`422 gateway_rejected\`; Stripe unreachable: \`502 gateway_unavailable\`; nothing stored in either case), then stored encrypted (AES-256-GCM). Reads show it masked. Gateway customers and charges belong to a type and key: putting the same key again keeps them. ${SECRET}`,
  middleware: [...writeRoute(), requireGatewayEncryptionKey],
  request: { query: NoQuery, body: jsonBodyOf(PutPaymentGatewayBody) },
  responses: {
    200: jsonContent(PaymentGateway, "The gateway, its key masked"),
    ...problemResponses(
      ...AUTHENTICATED,
      ...WITH_BODY,
      "gateway_rejected",
      "gateway_unavailable",
      "configuration_missing",
    ),
  },
});

export const getPaymentGateway = createRoute({
  operationId: "getPaymentGateway",
  method: "get",
  path: "/v1/payment_gateway",
  tags,
  security,
  summary: "The organization's payment gateway",
  description: `The key is masked (\`sk_test_…4242\`). \`404 not_found\` when none is configured. ${SECRET}`,
  middleware: [...readRoute(), requireGatewayEncryptionKey],
  request: { query: NoQuery },
  responses: {
    200: jsonContent(PaymentGateway, "The gateway, its key masked"),
    ...problemResponses(...AUTHENTICATED, "validation_failed", "not_found", "configuration_missing"),
  },
});

export const deletePaymentGateway = createRoute({
  operationId: "deletePaymentGateway",
  method: "delete",
  path: "/v1/payment_gateway",
  tags,
  security,
  summary: "Remove the organization's payment gateway",
  description: `Its encrypted key is deleted. Money operations then answer \`409 gateway_not_configured\`; charges still pending are resolved once the same gateway and key are put back. Charges, balances and balance transactions stay. ${SECRET}`,
  middleware: [...deleteRoute(), requireGatewayEncryptionKey],
  request: { query: NoQuery, body: noFieldsBody() },
  responses: {
    200: jsonContent(DeletedPaymentGateway, "The gateway is removed"),
    ...problemResponses(...AUTHENTICATED, ...WITH_BODY, "not_found", "configuration_missing"),
  },
});

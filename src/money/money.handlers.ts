import type { CustomerDeps } from "../customers/customers.service";
import { get as getCustomer } from "../customers/customers.service";
import { requestOutbox } from "../event-deliveries/outbox";
import { parseIdempotencyKey } from "../idempotency/header";
import { inBackground, type RequestContext } from "../lib/background";
import { ApiError, PROBLEM_CONTENT_TYPE } from "../lib/errors";
import { type Answer, keepAnswer } from "../lib/kept-answer";
import type { AppRouteHandler } from "../lib/types";
import type { Settled } from "./charge-outcome";
import { creditFromPaymentMethod as credit, creditOutcome, type MoneyDeps } from "./credit.service";
import * as ledger from "./ledger.service";
import type * as routes from "./money.routes";
import type { BalanceTransactionObject } from "./money.schemas";

const customerDeps = (c: RequestContext): CustomerDeps => ({
  db: c.get("db"),
  kv: c.env.KV,
  orgId: c.get("orgId"),
  background: inBackground(c),
  settings: c.env,
  events: requestOutbox(c),
});

const moneyDeps = (c: RequestContext, requestKey: string | null): MoneyDeps => ({
  db: c.get("db"),
  orgId: c.get("orgId"),
  settings: c.env,
  events: requestOutbox(c),
  requestKey,
});

const deps = (c: RequestContext) => ({ db: c.get("db"), orgId: c.get("orgId") });

export const creditFromPaymentMethod: AppRouteHandler<typeof routes.creditFromPaymentMethod> = async (c) => {
  const body = c.req.valid("json");
  const ref = body.customer_id !== undefined ? { id: body.customer_id } : { alternativeId: body.alternative_id ?? "" };
  // By id: 404 unknown, 410 archived; by alternative ID: 404 (an archived customer released it).
  const customer = await getCustomer(customerDeps(c), ref);
  // A decline is a 402 problem: kept with the outcome like a success, as onError will send it.
  const answerOf = (settled: Settled): Answer => {
    const outcome = creditOutcome(settled);
    if (outcome instanceof ApiError) {
      return {
        status: outcome.status,
        body: outcome.toProblem(c.get("requestId")),
        headers: { "Content-Type": PROBLEM_CONTENT_TYPE },
      };
    }
    return outcome.status === 201 ? { status: 201, body: outcome.transaction } : { status: 202, body: outcome.charge };
  };
  const input = {
    customerId: customer.id,
    paymentMethodId: body.payment_method_id,
    amount: body.amount,
    currency: body.currency,
    description: body.description ?? null,
  };
  const requestKey = parseIdempotencyKey(c.req.header("Idempotency-Key"));
  const result = await credit(moneyDeps(c, requestKey), input, keepAnswer(c, answerOf));
  return result.status === 201 ? c.json(result.transaction, 201) : c.json(result.charge, 202);
};

export const getCharge: AppRouteHandler<typeof routes.getCharge> = async (c) =>
  c.json(await ledger.getCharge(deps(c), c.req.valid("param").id), 200);

export const listCustomerCharges: AppRouteHandler<typeof routes.listCustomerCharges> = async (c) =>
  c.json(await ledger.listCharges(deps(c), c.req.valid("param").id, c.req.valid("query")), 200);

export const getCustomerBalance: AppRouteHandler<typeof routes.getCustomerBalance> = async (c) =>
  c.json(await ledger.balance(deps(c), c.req.valid("param").id), 200);

export const listBalanceTransactions: AppRouteHandler<typeof routes.listBalanceTransactions> = async (c) =>
  c.json(await ledger.listTransactions(deps(c), c.req.valid("param").id, c.req.valid("query")), 200);

export const createBalanceTransaction: AppRouteHandler<typeof routes.createBalanceTransaction> = async (c) => {
  const body = c.req.valid("json");
  const adjustment = { amount: body.amount, currency: body.currency, description: body.description ?? null };
  const created = (transaction: BalanceTransactionObject) => ({ status: 201 as const, body: transaction });
  const events = requestOutbox(c);
  const answer = created(
    await ledger.adjust({ ...deps(c), events }, c.req.valid("param").id, adjustment, keepAnswer(c, created)),
  );
  return c.json(answer.body, answer.status);
};

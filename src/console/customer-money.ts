import { ApiError } from "../lib/errors";
import * as ledger from "../money/ledger.service";
import { gatewayKeyRing } from "../payment-gateway/configuration";
import type { ConsoleContext } from "./http";
import type { MoneyList, MoneyView } from "./views/customer-billing";
import { customerPath } from "./views/customer-profile";

/**
 * The money part of a customer's page, read through the services of the API's money routes
 * (`GET /v1/customers/{id}/balance`, `…/charges`, `…/balance_transactions`): every balance, and
 * the latest charges and balance transactions, each list with its own older/newest links.
 */

/** Charges and balance transactions shown a page at a time. */
const MONEY_PAGE_SIZE = 10;

/** Where each list's page starts (the URL's `charges=` and `transactions=`: the lists' opaque cursors). */
export type MoneyCursors = { charges?: string; transactions?: string };

type ListPage<T> = { data: T[]; next_cursor: string | null };

/**
 * A newest-first page from `cursor`, as the link named `param` put it in the URL. A cursor that
 * is not this list's (an edited URL) shows the newest page instead, as the timeline does.
 */
async function listFrom<T>(
  customerId: string,
  param: keyof MoneyCursors,
  cursor: string | undefined,
  read: (cursor: string | undefined) => Promise<ListPage<T>>,
): Promise<MoneyList<T>> {
  let page: ListPage<T>;
  let from = cursor;
  try {
    page = await read(from);
  } catch (error) {
    if (!(error instanceof ApiError && error.code === "validation_failed" && from !== undefined)) throw error;
    from = undefined;
    page = await read(from);
  }
  const path = customerPath(customerId);
  const anchor = param === "charges" ? "#charges" : "#balance-transactions";
  return {
    items: page.data,
    olderHref: page.next_cursor ? `${path}?${param}=${encodeURIComponent(page.next_cursor)}${anchor}` : null,
    newestHref: from ? `${path}${anchor}` : null,
  };
}

/**
 * What the page shows of the customer's money. Without the deployment's GATEWAY_ENCRYPTION_KEY
 * the API answers these reads `503 configuration_missing`; the page says so in their place.
 */
export async function moneyOf(c: ConsoleContext, customerId: string, cursors: MoneyCursors = {}): Promise<MoneyView> {
  try {
    await gatewayKeyRing(c.env);
  } catch (error) {
    if (error instanceof ApiError && error.code === "configuration_missing") {
      return { available: false, problem: `Balances and charges cannot be shown: ${error.detail}` };
    }
    throw error;
  }
  const deps = { db: c.get("db"), orgId: c.get("orgId") };
  const limit = MONEY_PAGE_SIZE;
  const [balance, charges, transactions] = await Promise.all([
    ledger.balance(deps, customerId),
    listFrom(customerId, "charges", cursors.charges, (cursor) =>
      ledger.listCharges(deps, customerId, { limit, cursor }),
    ),
    listFrom(customerId, "transactions", cursors.transactions, (cursor) =>
      ledger.listTransactions(deps, customerId, { limit, cursor }),
    ),
  ]);
  return { available: true, balances: balance.balances, charges, transactions };
}

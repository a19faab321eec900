import type { FieldError } from "../../lib/errors";
import type { BalanceTransactionObject, ChargeObject } from "../../money/money.schemas";
import type { SignedIn } from "../guard";
import { formatChange, formatMoney } from "../money-format";
import { customerPath } from "./customer-profile";
import { CardTable, FieldList, FormTokens, Notice, Time, Value } from "./layout";

/**
 * The customer's money (spec section 11): its link to the payment gateway (`billing`), its
 * balances, charges and balance transactions, and "adjust a balance" (act: customer-actions.ts,
 * through the service of `POST /v1/customers/{id}/balance_transactions`). Amounts are shown in
 * major units with their currency (money-format.ts).
 */

/** The customer's `billing` (spec section 11): null while it is linked to no gateway customer. */
export type BillingLinkView = {
  gateway: string;
  customer_reference: string;
  sync_status: string;
  synced_at: string | null;
} | null;

/** One page of a newest-first list, and the links to the pages around it. */
export type MoneyList<T> = { items: T[]; olderHref: string | null; newestHref: string | null };

/** What the page shows of the money: or, without the deployment's GATEWAY_ENCRYPTION_KEY, why nothing (as the API's 503). */
export type MoneyView =
  | {
      available: true;
      /** Currency → minor units, every currency the customer ever held (zero included). */
      balances: Record<string, number>;
      charges: MoneyList<ChargeObject>;
      transactions: MoneyList<BalanceTransactionObject>;
    }
  | { available: false; problem: string };

/** The adjustment form's values as typed. */
export type AdjustmentValues = { amount: string; currency: string; description: string };

/** A refused adjustment: the form comes back with what was typed and why (next to the form). */
export type AdjustmentDraft = { values: AdjustmentValues; problem: string; errors: FieldError[] };

const EMPTY_ADJUSTMENT: AdjustmentValues = { amount: "", currency: "", description: "" };

/** The customer's `billing` link (spec section 11), or that it has none. */
export function BillingLink({ billing }: { billing: BillingLinkView }) {
  return (
    <>
      <h3>Billing</h3>
      {billing === null ? (
        <p class="muted">Not linked to a payment gateway customer.</p>
      ) : (
        <FieldList
          fields={[
            ["Gateway", billing.gateway],
            ["Gateway customer", <code>{billing.customer_reference}</code>],
            ["Sync status", <span class={`badge status-${billing.sync_status}`}>{billing.sync_status}</span>],
            ["Synced", <Time iso={billing.synced_at} />],
          ]}
        />
      )}
    </>
  );
}

function Balances({ balances }: { balances: Record<string, number> }) {
  const entries = Object.entries(balances);
  if (entries.length === 0) return <p class="muted">No balance yet.</p>;
  return (
    <ul class="balances">
      {entries.map(([currency, amount]) => (
        <li>
          <span class="amount">{formatMoney(amount, currency)}</span>
        </li>
      ))}
    </ul>
  );
}

function Pager({
  list,
  label,
  older,
  newest,
}: {
  list: MoneyList<unknown>;
  label: string;
  older: string;
  newest: string;
}) {
  if (!list.olderHref && !list.newestHref) return null;
  return (
    <nav class="pager" aria-label={label}>
      {list.newestHref ? <a href={list.newestHref}>{newest}</a> : <span />}
      {list.olderHref ? <a href={list.olderHref}>{older}</a> : <span />}
    </nav>
  );
}

/** Why a charge failed: the gateway's decline code, failure code and message, whichever it gave. */
const declineOf = (charge: ChargeObject) =>
  [
    charge.decline_code,
    charge.failure_code !== charge.decline_code ? charge.failure_code : null,
    charge.failure_message,
  ]
    .filter(Boolean)
    .join(" · ");

function Charges({ list }: { list: MoneyList<ChargeObject> }) {
  if (list.items.length === 0) return <p class="muted">No charges.</p>;
  return (
    <>
      <CardTable
        columns={["Created", "Status", "Amount", "Declined", "Charge"]}
        rows={list.items}
        cells={(charge) => [
          <Time iso={charge.created_at} />,
          <span class={`badge status-${charge.status}`}>{charge.status}</span>,
          <span class="amount">{formatMoney(charge.amount, charge.currency)}</span>,
          <Value value={declineOf(charge)} />,
          <>
            <code class="small">{charge.id}</code>
            <br />
            <span class="muted small">{`${charge.payment_method_id} via ${charge.gateway}`}</span>
          </>,
        ]}
      />
      <Pager list={list} label="Charge pages" older="Older charges →" newest="← Newest charges" />
    </>
  );
}

function Transactions({ list }: { list: MoneyList<BalanceTransactionObject> }) {
  if (list.items.length === 0) return <p class="muted">No balance transactions.</p>;
  return (
    <>
      <CardTable
        columns={["Created", "Type", "Amount", "Ending balance", "Description"]}
        rows={list.items}
        cells={(transaction) => [
          <Time iso={transaction.created_at} />,
          transaction.type.replaceAll("_", " "),
          <span class="amount">{formatChange(transaction.amount, transaction.currency)}</span>,
          <span class="amount">{formatMoney(transaction.ending_balance, transaction.currency)}</span>,
          <Value value={transaction.description} />,
        ]}
      />
      <Pager
        list={list}
        label="Balance transaction pages"
        older="Older transactions →"
        newest="← Newest transactions"
      />
    </>
  );
}

type AdjustProps = { who: SignedIn; customerId: string; draft?: AdjustmentDraft };

/** "Adjust a balance": a signed amount in minor units, its currency, a description; refusals said here. */
function AdjustForm({ who, customerId, draft }: AdjustProps) {
  const values = draft?.values ?? EMPTY_ADJUSTMENT;
  const errorOf = (name: string) => draft?.errors.find((error) => error.pointer === `/${name}`)?.detail;
  const input = (name: keyof AdjustmentValues, label: string, hint: string, extra: Record<string, unknown> = {}) => (
    <div class="field">
      <label for={`adjust-${name}`}>{label}</label>
      <input
        id={`adjust-${name}`}
        name={name}
        value={values[name]}
        aria-invalid={errorOf(name) ? "true" : undefined}
        aria-describedby={`adjust-${name}-hint${errorOf(name) ? ` adjust-${name}-error` : ""}`}
        {...extra}
      />
      <span class="muted small" id={`adjust-${name}-hint`}>
        {hint}
      </span>
      {errorOf(name) && (
        <span class="field-error" id={`adjust-${name}-error`}>
          {errorOf(name)}
        </span>
      )}
    </div>
  );
  return (
    <details class="panel" open={draft !== undefined}>
      <summary>Adjust a balance</summary>
      {draft && (
        <Notice kind="error">
          <p>{draft.problem}</p>
        </Notice>
      )}
      <form method="post" action={`${customerPath(customerId)}/balance-adjustments`} class="grid-form">
        <FormTokens who={who} />
        {input("amount", "Amount (minor units)", "Cents: 1250 credits 12.50; -250 debits 2.50. Whole yen for JPY.", {
          inputmode: "numeric",
          required: true,
          autocomplete: "off",
        })}
        {input("currency", "Currency", "ISO 4217, e.g. usd.", { required: true, maxlength: 3, autocomplete: "off" })}
        {input("description", "Description (optional)", "Kept after archive: no personal data.", { maxlength: 500 })}
        <div class="actions">
          <button type="submit">Adjust the balance</button>
        </div>
      </form>
    </details>
  );
}

type MoneyProps = {
  who: SignedIn;
  customerId: string;
  billing: BillingLinkView;
  money: MoneyView;
  /** Absent for an archived customer: its financial records stay, nothing changes them. */
  adjustable?: boolean;
  draft?: AdjustmentDraft;
};

export function CustomerMoney({ who, customerId, billing, money, adjustable = true, draft }: MoneyProps) {
  return (
    <section aria-labelledby="money">
      <h2 id="money">Money</h2>
      <BillingLink billing={billing} />
      {money.available ? (
        <>
          <h3>Balances</h3>
          <Balances balances={money.balances} />
          {adjustable && <AdjustForm who={who} customerId={customerId} draft={draft} />}
          <h3 id="charges">Charges</h3>
          <Charges list={money.charges} />
          <h3 id="balance-transactions">Balance transactions</h3>
          <Transactions list={money.transactions} />
        </>
      ) : (
        <>
          <Notice kind="error">{money.problem}</Notice>
          {adjustable && <AdjustForm who={who} customerId={customerId} draft={draft} />}
        </>
      )}
    </section>
  );
}

import type { AddressObject } from "../../addresses/addresses.schemas";
import type { CustomerObject } from "../../customers/customers.schemas";
import type { PaymentMethodObject } from "../../payment-methods/payment-methods.schemas";
import type { SubscriptionObject } from "../../subscriptions/subscriptions.schemas";
import type { SignedIn } from "../guard";
import type { ProfileFormValues } from "../profile-form";
import { type AdjustmentDraft, type BillingLinkView, CustomerMoney, type MoneyView } from "./customer-billing";
import { customerPath, MetadataTable, type ProfileDraft, ProfileForm, ProfileList } from "./customer-profile";
import { Timeline } from "./customer-timeline";
import { FormTokens, Layout, Notice, Time, Value } from "./layout";

type TimelineProps = Parameters<typeof Timeline>[0];

export type CustomerPageProps = {
  who: SignedIn;
  customer: CustomerObject;
  etag: string;
  addresses: AddressObject[];
  subscriptions: SubscriptionObject[];
  paymentMethods: PaymentMethodObject[];
  timeline: TimelineProps;
  money: MoneyView;
  billing: BillingLinkView;
  formValues: ProfileFormValues;
  draft?: ProfileDraft;
  /** A refused balance adjustment: said next to its form. */
  adjustment?: AdjustmentDraft;
  notice?: string | null;
  /** A refused archive, cancel or metadata removal: said at the top of the page. */
  problem?: string | null;
};

const Empty = ({ what }: { what: string }) => <p class="muted">{`No ${what}.`}</p>;

function Addresses({ addresses }: { addresses: AddressObject[] }) {
  if (addresses.length === 0) return <Empty what="addresses" />;
  return (
    <ul class="records">
      {addresses.map((address) => (
        <li>
          <span class="badge">{address.type}</span> {address.is_default && <span class="badge">default</span>}{" "}
          {[address.line1, address.line2, address.postal_code, address.city, address.state, address.country]
            .filter(Boolean)
            .join(", ")}{" "}
          <code class="muted small">{address.id}</code>
        </li>
      ))}
    </ul>
  );
}

function Subscriptions({ who, customerId, items }: { who: SignedIn; customerId: string; items: SubscriptionObject[] }) {
  if (items.length === 0) return <Empty what="subscriptions" />;
  return (
    <ul class="records">
      {items.map((subscription) => (
        <li>
          <span class={`badge status-${subscription.status}`}>{subscription.status}</span>{" "}
          <strong>{subscription.plan_id}</strong>
          {subscription.resource_id && ` (${subscription.resource_id})`}
          {subscription.billing_period && `, ${subscription.billing_period}`}{" "}
          <code class="muted small">{subscription.id}</code>{" "}
          {subscription.status === "canceled" ? (
            <span class="muted small">
              canceled <Time iso={subscription.canceled_at} />
              {subscription.cancel_reason && ` (${subscription.cancel_reason})`}
            </span>
          ) : (
            <form
              method="post"
              action={`${customerPath(customerId)}/subscriptions/${encodeURIComponent(subscription.id)}/cancel`}
              class="inline"
            >
              <FormTokens who={who} />
              <button type="submit" class="secondary" aria-label={`Cancel subscription ${subscription.id}`}>
                Cancel
              </button>
            </form>
          )}
        </li>
      ))}
    </ul>
  );
}

function PaymentMethods({ items }: { items: PaymentMethodObject[] }) {
  if (items.length === 0) return <Empty what="payment methods" />;
  return (
    <ul class="records">
      {items.map((method) => (
        <li>
          {method.is_default && <span class="badge">default</span>} <Value value={method.brand ?? method.gateway} />
          {method.last4 && ` •••• ${method.last4}`}
          {method.exp_month && method.exp_year && ` (expires ${method.exp_month}/${method.exp_year})`}{" "}
          <code class="muted small">{method.id}</code>
        </li>
      ))}
    </ul>
  );
}

/** What archiving does, said before the person confirms it (spec section 3). */
function ArchiveForm({ who, customer }: { who: SignedIn; customer: CustomerObject }) {
  return (
    <section aria-labelledby="archive" class="danger-zone">
      <h2 id="archive">Archive</h2>
      <p>
        Archiving erases this customer's personal data (email, name, first, last and display name, username, phone,
        company and alternative ID) from Roster's records, its kept events and responses; cancels its active
        subscriptions; deletes its addresses and payment methods. Its id stays taken. Unarchiving later brings back the
        customer, not the erased data.
      </p>
      <form method="post" action={`${customerPath(customer.id)}/archive`} class="stack narrow">
        <FormTokens who={who} />
        <label for="confirm_id">
          Type the customer's id, <code>{customer.id}</code>, to confirm
        </label>
        <input id="confirm_id" name="confirm_id" autocomplete="off" spellcheck={false} required />
        <button type="submit" class="danger">
          Archive this customer
        </button>
      </form>
    </section>
  );
}

export function CustomerPage(props: CustomerPageProps) {
  const { who, customer } = props;
  const title = customer.name ?? customer.display_name ?? customer.email ?? customer.id;
  return (
    <Layout title={title} who={who} section="customers" notice={props.notice}>
      <p class="crumbs">
        <a href="/console/customers">Customers</a>
      </p>
      <h1>{title}</h1>
      {props.problem && <Notice kind="error">{props.problem}</Notice>}
      <section aria-labelledby="profile">
        <h2 id="profile">Profile</h2>
        <ProfileList customer={customer} />
        <ProfileForm who={who} customer={customer} etag={props.etag} values={props.formValues} draft={props.draft} />
      </section>
      <section aria-labelledby="metadata">
        <h2 id="metadata">Metadata</h2>
        <MetadataTable who={who} customer={customer} />
      </section>
      <CustomerMoney
        who={who}
        customerId={customer.id}
        billing={props.billing}
        money={props.money}
        draft={props.adjustment}
      />
      <section aria-labelledby="subscriptions">
        <h2 id="subscriptions">Subscriptions</h2>
        <Subscriptions who={who} customerId={customer.id} items={props.subscriptions} />
      </section>
      <section aria-labelledby="addresses">
        <h2 id="addresses">Addresses</h2>
        <Addresses addresses={props.addresses} />
      </section>
      <section aria-labelledby="payment-methods">
        <h2 id="payment-methods">Payment methods</h2>
        <PaymentMethods items={props.paymentMethods} />
      </section>
      <Timeline {...props.timeline} />
      <ArchiveForm who={who} customer={customer} />
    </Layout>
  );
}

type ArchivedProps = {
  who: SignedIn;
  id: string;
  archivedAt: string;
  timeline: TimelineProps;
  money: MoneyView;
  notice?: string | null;
};

/** An archived customer: nothing of its profile is left to show; it can be unarchived. */
export function ArchivedCustomerPage({ who, id, archivedAt, timeline, money, notice }: ArchivedProps) {
  return (
    <Layout title={id} who={who} section="customers" notice={notice}>
      <p class="crumbs">
        <a href="/console/customers">Customers</a>
      </p>
      <h1>Archived customer</h1>
      <p>
        <code>{id}</code>
      </p>
      <p>
        Archived <Time iso={archivedAt} />: its personal data was erased, its subscriptions canceled, its addresses and
        payment methods deleted; its events no longer hold its personal data.
      </p>
      <form method="post" action={`${customerPath(id)}/unarchive`} class="inline">
        <FormTokens who={who} />
        <button type="submit">Unarchive</button>
      </form>
      {/* Archive keeps the financial records (spec section 11): shown, not changed. */}
      <CustomerMoney who={who} customerId={id} billing={null} money={money} adjustable={false} />
      <Timeline {...timeline} />
    </Layout>
  );
}

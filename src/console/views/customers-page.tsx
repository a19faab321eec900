import type { CustomerObject } from "../../customers/customers.schemas";
import type { SignedIn } from "../guard";
import { CardTable, Layout, Notice, Time, Value } from "./layout";

/** The list's state in its URL: the search, and the cursors of the pages before this one (opaque, not secrets). */
export type CustomersView = {
  q: string;
  metadata: [string, string][];
  cursor: string | null;
  /** The cursor of every earlier page, oldest first ("" for the first page). */
  back: string[];
};

/** The stack of earlier pages is bounded, so a URL stays short; past it, Previous starts again at the first page. */
const MAX_BACK = 50;

export function customersUrl(view: CustomersView): string {
  const params = new URLSearchParams();
  if (view.q) params.set("q", view.q);
  for (const [key, value] of view.metadata) {
    params.append("mk", key);
    params.append("mv", value);
  }
  if (view.cursor) params.set("cursor", view.cursor);
  for (const cursor of view.back.slice(-MAX_BACK)) params.append("back", cursor);
  const query = params.toString();
  return query ? `/console/customers?${query}` : "/console/customers";
}

const customerHref = (id: string) => `/console/customers/${encodeURIComponent(id)}`;

type Props = {
  who: SignedIn;
  view: CustomersView;
  customers: CustomerObject[];
  nextCursor: string | null;
  error?: string | null;
};

export function CustomersPage({ who, view, customers, nextCursor, error }: Props) {
  const filters = [...view.metadata, ["", ""] as [string, string]];
  const next = nextCursor && customersUrl({ ...view, cursor: nextCursor, back: [...view.back, view.cursor ?? ""] });
  const previous =
    view.back.length > 0 && customersUrl({ ...view, cursor: view.back.at(-1) || null, back: view.back.slice(0, -1) });
  return (
    <Layout title="Customers" who={who} section="customers">
      <h1>Customers</h1>
      <form method="get" action="/console/customers" class="search" aria-label="Search customers">
        <div class="field wide">
          <label for="q">Search</label>
          <input id="q" name="q" type="search" value={view.q} placeholder="email or alternative ID" />
        </div>
        {filters.map(([key, value], index) => (
          <div class="field-pair">
            <div class="field">
              <label for={`mk${index}`}>Metadata key</label>
              <input id={`mk${index}`} name="mk" value={key} />
            </div>
            <div class="field">
              <label for={`mv${index}`}>equals</label>
              <input id={`mv${index}`} name="mv" value={value} />
            </div>
          </div>
        ))}
        <div class="actions">
          <button type="submit">Search</button>
          {(view.q || view.metadata.length > 0) && <a href="/console/customers">Clear</a>}
        </div>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      {customers.length === 0 ? (
        <p class="muted">No customers on this page.</p>
      ) : (
        <CardTable
          caption="Customers, newest first"
          columns={["Name", "Email", "Alternative ID", "ID", "Created"]}
          rows={customers}
          cells={(customer) => [
            <a href={customerHref(customer.id)}>
              <Value value={customer.name ?? customer.display_name} />
            </a>,
            <Value value={customer.email} />,
            <Value value={customer.alternative_id} />,
            <a href={customerHref(customer.id)}>
              <code>{customer.id}</code>
            </a>,
            <Time iso={customer.created_at} />,
          ]}
        />
      )}
      <nav class="pager" aria-label="Pages">
        {previous ? <a href={previous}>← Previous</a> : <span class="muted">← Previous</span>}
        {next ? <a href={next}>Next →</a> : <span class="muted">Next →</span>}
      </nav>
    </Layout>
  );
}

import type { Child } from "hono/jsx";
import type { SignedIn } from "../guard";
import { STYLESHEET } from "../http";
import { randomToken } from "../session";

/**
 * The console's page frame and the pieces every page shares. hono/jsx escapes every text
 * child and attribute value, so whatever a customer's fields hold is shown as text. No page
 * has a script or an inline style (the Content-Security-Policy allows neither).
 */

/** What a finished action says on the page it redirects to (`?notice=`): fixed texts, never a caller's value. */
export const NOTICES = {
  updated: "The profile was saved.",
  unchanged: "Nothing changed: the form held the current values.",
  metadata_removed: "The metadata key was removed.",
  subscription_canceled: "The subscription was canceled.",
  archived: "The customer was archived: its personal data was erased.",
  unarchived: "The customer was unarchived (its personal data stays empty).",
  balance_adjusted: "The balance was adjusted.",
  destination_enabled: "The event destination was enabled.",
  destination_disabled: "The event destination was disabled.",
  replayed: "The replay was queued.",
  key_revoked: "The API key was revoked.",
} as const;

export type NoticeCode = keyof typeof NOTICES;

export const noticeOf = (value: string | undefined): string | null =>
  value !== undefined && Object.hasOwn(NOTICES, value) ? NOTICES[value as NoticeCode] : null;

/** The hidden fields of every state-changing form: the session's anti-CSRF token and a one-time form token. */
export const FormTokens = ({ who }: { who: SignedIn }) => (
  <>
    <input type="hidden" name="csrf" value={who.csrf} />
    <input type="hidden" name="form_token" value={randomToken()} />
  </>
);

/** A message box: `status` (polite) for results, `alert` for problems. */
export const Notice = ({ kind, children }: { kind: "ok" | "error"; children: Child }) => (
  <div class={`notice notice-${kind}`} role={kind === "error" ? "alert" : "status"}>
    {children}
  </div>
);

const NAV = [
  ["customers", "/console/customers", "Customers"],
  ["destinations", "/console/event-destinations", "Event destinations"],
  ["keys", "/console/api-keys", "API keys"],
] as const;

export type Section = (typeof NAV)[number][0];

type LayoutProps = { title: string; who?: SignedIn; section?: Section; notice?: string | null; children: Child };

export function Layout({ title, who, section, notice, children }: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · Roster console`}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={STYLESHEET} />
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/console">
            Roster console
          </a>
          {who && (
            <>
              <nav aria-label="Console">
                {NAV.map(([name, href, label]) => (
                  <a href={href} aria-current={name === section ? "page" : undefined}>
                    {label}
                  </a>
                ))}
              </nav>
              <form method="post" action="/console/sign-out" class="sign-out">
                <input type="hidden" name="csrf" value={who.csrf} />
                <button type="submit" class="link">
                  Sign out
                </button>
              </form>
            </>
          )}
        </header>
        <main>
          {notice && <Notice kind="ok">{notice}</Notice>}
          {children}
        </main>
      </body>
    </html>
  );
}

/** A page that only says something (a refusal, an error). */
export const MessagePage = ({ title, detail }: { title: string; detail: string }) => (
  <Layout title={title}>
    <h1>{title}</h1>
    <p>{detail}</p>
    <p>
      <a href="/console">Back to the console</a>
    </p>
  </Layout>
);

/** Without CONSOLE_SESSION_KEY the console shows this and nothing else. */
export const NotConfiguredPage = () => (
  <Layout title="Not configured">
    <h1>The console is not configured</h1>
    <p>
      This deployment has no <code>CONSOLE_SESSION_KEY</code> secret (32 random bytes in base64), which signs the
      console's sessions. Set it, e.g. with{" "}
      <code>openssl rand -base64 32 | npx wrangler secret put CONSOLE_SESSION_KEY</code>.
    </p>
  </Layout>
);

/** A timestamp as people read it, in UTC, with the exact value in `datetime`. */
export const Time = ({ iso }: { iso: string | null | undefined }) =>
  iso ? <time datetime={iso}>{`${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`}</time> : <span class="muted">—</span>;

/** A value that may be absent. */
export const Value = ({ value }: { value: unknown }) =>
  value === null || value === undefined || value === "" ? (
    <span class="muted">—</span>
  ) : typeof value === "string" ? (
    value
  ) : (
    JSON.stringify(value)
  );

/** A column of a CardTable: its heading; null for a column of buttons (named for screen readers only). */
export type Column = string | null;

type CardTableProps<Row> = { columns: Column[]; rows: Row[]; cells: (row: Row) => Child[]; caption?: string };

/**
 * A table that becomes one card per row on a narrow screen (styles/money-and-narrow.css): each cell carries its
 * column's heading as `data-label`, shown above it once the headings row is hidden.
 */
export function CardTable<Row>({ columns, rows, cells, caption }: CardTableProps<Row>) {
  return (
    <table class="cards">
      {caption && <caption class="visually-hidden">{caption}</caption>}
      <thead>
        <tr>
          {columns.map((column) => (
            <th scope="col">{column ?? <span class="visually-hidden">Action</span>}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr>
            {cells(row).map((cell, index) => {
              const label = columns[index];
              return label ? <td data-label={label}>{cell}</td> : <td>{cell}</td>;
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One entry of a FieldList: a field's name and its value as shown. */
export type Field = [label: string, value: Child];

/** Named values, one under the other on a narrow screen (styles/: `.fields`). */
export const FieldList = ({ fields }: { fields: Field[] }) => (
  <dl class="fields">
    {fields.map(([label, value]) => (
      <>
        <dt>{label}</dt>
        <dd>{value}</dd>
      </>
    ))}
  </dl>
);

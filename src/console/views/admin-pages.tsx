import type { toApiKeyObject } from "../../api-keys/api-keys.service";
import type { toDeliveryObject, toDestinationObject } from "../../event-destinations/event-destinations.service";
import type { SignedIn } from "../guard";
import { CardTable, FormTokens, Layout, Notice, Time, Value } from "./layout";

type Destination = ReturnType<typeof toDestinationObject>;
type Delivery = ReturnType<typeof toDeliveryObject>;

export type DestinationView = { destination: Destination; failed: Delivery[] };

const destinationPath = (id: string) => `/console/event-destinations/${encodeURIComponent(id)}`;

function FailedDeliveries({ failed }: { failed: Delivery[] }) {
  if (failed.length === 0) return <p class="muted small">No failed delivery among the recent ones.</p>;
  return (
    <ul class="deliveries">
      {failed.map((delivery) => (
        <li>
          <code>{delivery.event_type}</code> <code class="muted small">{delivery.event_id}</code>{" "}
          <span class="muted small">
            {`${delivery.attempts} attempt${delivery.attempts === 1 ? "" : "s"}`}
            {delivery.last_response_status !== null && `, last answer ${delivery.last_response_status}`}
            {delivery.last_error && `, ${delivery.last_error}`}, <Time iso={delivery.updated_at} />
          </span>
        </li>
      ))}
    </ul>
  );
}

function DestinationCard({ who, view }: { who: SignedIn; view: DestinationView }) {
  const { destination } = view;
  const enabled = destination.status === "enabled";
  return (
    <article class="panel">
      <h2 class="url">{destination.url}</h2>
      <p>
        <span class={`badge status-${destination.status}`}>{destination.status}</span>
        {destination.disabled_reason && <span class="muted"> ({destination.disabled_reason})</span>}{" "}
        <code class="muted small">{destination.id}</code>
      </p>
      {destination.description && <p>{destination.description}</p>}
      <p class="small">
        Event types: <code>{destination.event_types.join(", ")}</code>
      </p>
      <h3>Recent failed deliveries</h3>
      <FailedDeliveries failed={view.failed} />
      <div class="row">
        <form method="post" action={`${destinationPath(destination.id)}/status`} class="inline">
          <FormTokens who={who} />
          <input type="hidden" name="status" value={enabled ? "disabled" : "enabled"} />
          <button type="submit" class="secondary">
            {enabled ? "Disable" : "Enable"}
          </button>
        </form>
        <form method="post" action={`${destinationPath(destination.id)}/replay`} class="inline replay">
          <FormTokens who={who} />
          <label for={`since-${destination.id}`}>Replay events since (UTC)</label>
          <input id={`since-${destination.id}`} name="since" type="datetime-local" step="1" required />
          <button type="submit" class="secondary" disabled={!enabled}>
            Replay
          </button>
        </form>
      </div>
    </article>
  );
}

type DestinationsProps = { who: SignedIn; views: DestinationView[]; notice?: string | null; problem?: string | null };

export function DestinationsPage({ who, views, notice, problem }: DestinationsProps) {
  return (
    <Layout title="Event destinations" who={who} section="destinations" notice={notice}>
      <h1>Event destinations</h1>
      {problem && <Notice kind="error">{problem}</Notice>}
      {views.length === 0 ? (
        <p class="muted">
          No event destinations. Create one with <code>POST /v1/event_destinations</code>.
        </p>
      ) : (
        views.map((view) => <DestinationCard who={who} view={view} />)
      )}
    </Layout>
  );
}

type ApiKey = ReturnType<typeof toApiKeyObject>;

type KeysProps = {
  who: SignedIn;
  keys: ApiKey[];
  created?: (ApiKey & { secret: string }) | null;
  notice?: string | null;
  problem?: string | null;
};

export function ApiKeysPage({ who, keys, created, notice, problem }: KeysProps) {
  return (
    <Layout title="API keys" who={who} section="keys" notice={notice}>
      <h1>API keys</h1>
      {problem && <Notice kind="error">{problem}</Notice>}
      {created && (
        <Notice kind="ok">
          <p>
            The key <code>{created.id}</code> was created. Copy its secret now: it is shown only this once.
          </p>
          <p>
            <label for="new-secret">Secret</label>
            <input id="new-secret" class="secret" readonly value={created.secret} />
          </p>
        </Notice>
      )}
      <form method="post" action="/console/api-keys" class="row">
        <FormTokens who={who} />
        <div class="field">
          <label for="key-name">New key's name (optional)</label>
          <input id="key-name" name="name" maxlength={100} />
        </div>
        <div class="actions">
          <button type="submit">Create a key</button>
        </div>
      </form>
      <CardTable
        columns={["Name", "ID", "Prefix", "Created", "Revoked", null]}
        rows={keys}
        cells={(key) => [
          <>
            <Value value={key.name} />
            {key.id === who.session.apiKeyId && <span class="badge">this session</span>}
          </>,
          <code>{key.id}</code>,
          <code>{key.prefix}</code>,
          <Time iso={key.created_at} />,
          <Time iso={key.revoked_at} />,
          key.revoked_at === null && (
            <form method="post" action={`/console/api-keys/${encodeURIComponent(key.id)}/revoke`} class="inline">
              <FormTokens who={who} />
              <button type="submit" class="danger" aria-label={`Revoke key ${key.id}`}>
                Revoke
              </button>
            </form>
          ),
        ]}
      />
    </Layout>
  );
}

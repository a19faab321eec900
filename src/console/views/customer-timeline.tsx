import type { EventObject } from "../../events/events.object";
import { Time } from "./layout";

/** A delivery as the timeline shows it (the API's delivery object). */
export type TimelineDelivery = {
  destination_id: string;
  event_id: string;
  status: string;
  attempts: number;
  last_response_status: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
};

type Props = {
  events: EventObject[];
  deliveries: TimelineDelivery[];
  /** Destination id → its URL, to name where a delivery went. */
  destinations: Map<string, string>;
  olderHref: string | null;
  newestHref: string | null;
};

const show = (value: unknown) => (value === undefined ? "(absent)" : JSON.stringify(value));

/** `previous_attributes` as old → new, the new value read from the event's object. */
function Changes({ event }: { event: EventObject }) {
  const previous = event.data.previous_attributes;
  if (!previous || Object.keys(previous).length === 0) return null;
  return (
    <table class="changes">
      <caption class="visually-hidden">Changed fields</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Old</th>
          <th scope="col">
            <span class="visually-hidden">becomes</span>
          </th>
          <th scope="col">New</th>
        </tr>
      </thead>
      <tbody>
        {Object.entries(previous).map(([name, old]) => (
          <tr>
            <td>
              <code>{name}</code>
            </td>
            <td class="old">{show(old)}</td>
            <td aria-hidden="true">→</td>
            <td class="new">{show(event.data.object[name])}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Deliveries({
  deliveries,
  destinations,
}: {
  deliveries: TimelineDelivery[];
  destinations: Map<string, string>;
}) {
  if (deliveries.length === 0) return <p class="muted small">No deliveries.</p>;
  return (
    <ul class="deliveries">
      {deliveries.map((delivery) => (
        <li>
          <span class={`badge status-${delivery.status}`}>{delivery.status}</span>{" "}
          <span class="url">{destinations.get(delivery.destination_id) ?? delivery.destination_id}</span>{" "}
          <span class="muted small">
            {`${delivery.attempts} attempt${delivery.attempts === 1 ? "" : "s"}`}
            {delivery.last_response_status !== null && `, last answer ${delivery.last_response_status}`}
            {delivery.last_error && `, ${delivery.last_error}`}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** The customer's events, newest first: type, time and sequence; data on demand; deliveries per destination. */
export function Timeline({ events, deliveries, destinations, olderHref, newestHref }: Props) {
  const byEvent = (id: string) => deliveries.filter((delivery) => delivery.event_id === id);
  return (
    <section aria-labelledby="timeline">
      <h2 id="timeline">Events</h2>
      {events.length === 0 ? (
        <p class="muted">No events kept (events are kept 30 days).</p>
      ) : (
        <ol class="timeline">
          {events.map((event) => (
            <li>
              <div class="event-head">
                <code class="event-type">{event.type}</code>
                <Time iso={event.created_at} />
                <span class="muted">{`sequence ${event.sequence}`}</span>
              </div>
              <Changes event={event} />
              <Deliveries deliveries={byEvent(event.id)} destinations={destinations} />
              <details>
                <summary>Event data</summary>
                <pre>{JSON.stringify(event, null, 2)}</pre>
              </details>
            </li>
          ))}
        </ol>
      )}
      <nav class="pager" aria-label="Event pages">
        {newestHref ? <a href={newestHref}>← Newest events</a> : <span />}
        {olderHref ? <a href={olderHref}>Older events →</a> : <span />}
      </nav>
    </section>
  );
}

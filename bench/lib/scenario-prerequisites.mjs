// @ts-check
import { BENCH_API_KEY } from "./environment.mjs";

/**
 * What a scenario's `needs` asks of the build before it can run (scenarios.mjs): a build
 * without it marks the scenario n/a instead of counting its failures.
 */

const AUTH = { authorization: `Bearer ${BENCH_API_KEY}` };

/** Does this build keep Idempotency-Key responses? (The feature may not be merged yet.) */
export async function probeIdempotency(rosterUrl, scenario) {
  const send = async () => {
    const request = scenario.request();
    const response = await fetch(`${rosterUrl}${request.path}`, {
      method: request.method,
      headers: { ...AUTH, "content-type": "application/json", ...request.headers },
      body: request.body,
    });
    await response.arrayBuffer();
    return response;
  };
  const first = await send();
  const second = await send();
  return first.status === 201 && second.status === 201 && second.headers.get("idempotent-replayed") === "true";
}

/**
 * The test gateway for the bench's organization (spec section 11; the bench serves Roster with
 * a GATEWAY_ENCRYPTION_KEY) and pm_card_visa on file for each of these customers, so the
 * credit scenario charges a card through the gateway. A build without the money routes: why not.
 * @returns {Promise<{ customerId: string, paymentMethodId: string }[] | string>}
 */
export async function cardsOnFile(rosterUrl, customerIds) {
  const send = async (method, pathname, body) => {
    const response = await fetch(`${rosterUrl}${pathname}`, {
      method,
      headers: { ...AUTH, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: /** @type {Record<string, any>} */ (await response.json()) };
  };
  const gateway = await send("PUT", "/v1/payment_gateway", { type: "test" });
  if (gateway.status !== 200) return `PUT /v1/payment_gateway answered ${gateway.status}`;
  const cards = [];
  for (const customerId of customerIds) {
    const card = await send("POST", `/v1/customers/${customerId}/payment_methods`, {
      gateway: "test",
      gateway_reference: "pm_card_visa",
    });
    if (card.status !== 201) return `adding pm_card_visa answered ${card.status}: ${JSON.stringify(card.json)}`;
    cards.push({ customerId, paymentMethodId: String(card.json.id) });
  }
  return cards;
}

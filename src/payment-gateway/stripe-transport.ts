import { scrubSecrets } from "./stripe-errors";
import { encodeForm, type FormValue } from "./stripe-form";

/**
 * The API version every request pins with `Stripe-Version`, so the shapes this adapter reads
 * never change under it when the account's default version moves. It is the version Stripe's
 * own Node library (`stripe` 23.1.0) pins; docs/stripe.md says what depends on it.
 */
export const STRIPE_API_VERSION = "2026-10-28.endive";

/** One exchange (request and the whole answer) gives up after this; a charge's outcome is then unknown. */
export const STRIPE_TIMEOUT_MS = 15_000;

export type StripeRequest = {
  method: "GET" | "POST";
  /** From `/v1/`; path segments already encoded. */
  path: string;
  /** The form body of a POST, or the query string of a GET. */
  params?: { [key: string]: FormValue };
  /** Sent on every POST that creates or changes something, so a retry never applies it twice. */
  idempotencyKey?: string;
};

export type StripeAnswer =
  /** `body` is the parsed JSON, or `undefined` when an error answer was not JSON. */
  | { kind: "answered"; status: number; body: unknown }
  /** fetch failed before any answer (connection refused, DNS failure): Stripe saw nothing, as far as fetch can tell. */
  | { kind: "not_sent"; detail: string }
  /** Sent, but no usable answer (timeout, connection lost while reading, unreadable 2xx): it may have been applied. */
  | { kind: "no_answer"; detail: string };

export type StripeTransport = (request: StripeRequest) => Promise<StripeAnswer>;

/** Sends requests to Stripe's v1 API at `apiBase` (e.g. `https://api.stripe.com`, or a Stripe-compatible test server). */
export function stripeTransport(
  secretKey: string,
  apiBase: string,
  fetchImpl: typeof fetch,
  timeoutMs: number = STRIPE_TIMEOUT_MS,
): StripeTransport {
  const base = apiBase.replace(/\/+$/, "");
  return async (request) => {
    const encoded = request.params ? encodeForm(request.params) : "";
    const isPost = request.method === "POST";
    const url = `${base}${request.path}${!isPost && encoded ? `?${encoded}` : ""}`;
    const headers: Record<string, string> = {
      Authorization: `Bearer ${secretKey}`,
      "Stripe-Version": STRIPE_API_VERSION,
      Accept: "application/json",
    };
    if (isPost) headers["Content-Type"] = "application/x-www-form-urlencoded";
    if (request.idempotencyKey !== undefined) headers["Idempotency-Key"] = request.idempotencyKey;
    // One deadline for the whole exchange: it also bounds reading the answer.
    const signal = AbortSignal.timeout(timeoutMs);

    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: request.method,
        headers,
        body: isPost ? encoded : undefined,
        redirect: "manual",
        signal,
      });
    } catch (error) {
      if (signal.aborted) return { kind: "no_answer", detail: `no answer within ${timeoutMs / 1000} s` };
      return { kind: "not_sent", detail: describe(error) };
    }

    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      const detail = signal.aborted ? `no complete answer within ${timeoutMs / 1000} s` : describe(error);
      return { kind: "no_answer", detail: `HTTP ${response.status}, then the answer was lost: ${detail}` };
    }
    const body = parseJson(text);
    if (response.status >= 200 && response.status < 300 && body === undefined) {
      return { kind: "no_answer", detail: `HTTP ${response.status} with an answer that is not JSON` };
    }
    return { kind: "answered", status: response.status, body };
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  return scrubSecrets(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}

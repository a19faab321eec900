import { signatureHeader } from "../lib/standard-webhooks";

/** An attempt succeeds on a 2xx within this time (spec §10). */
export const DELIVERY_TIMEOUT_MS = 15_000;

export type SendOutcome =
  | { kind: "succeeded"; responseStatus: number }
  | { kind: "gone"; responseStatus: 410 }
  | { kind: "failed"; responseStatus: number | null; error: "timeout" | "network_error" | "http_status" };

export type SignedPost = {
  url: string;
  /** The `webhook-id`: the event id, the same on every attempt and replay. */
  messageId: string;
  body: string;
  /** Every secret that signs: the current one, and the previous one during its 24 hours. */
  secrets: string[];
  now: Date;
};

/**
 * POSTs the event, signed the Standard Webhooks way. Redirects are never followed (a 3xx is a
 * failure), nothing but the signature headers authenticates it, the response body is never read
 * (it is cancelled), and the attempt gives up after 15 seconds.
 */
export async function postSigned(post: SignedPost): Promise<SendOutcome> {
  const body = new TextEncoder().encode(post.body);
  const timestamp = String(Math.floor(post.now.getTime() / 1000));
  let response: Response;
  try {
    response = await fetch(post.url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "Roster-Events/1.0",
        "webhook-id": post.messageId,
        "webhook-timestamp": timestamp,
        "webhook-signature": await signatureHeader(post.secrets, post.messageId, timestamp, body),
      },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    return { kind: "failed", responseStatus: null, error: timedOut ? "timeout" : "network_error" };
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.status >= 200 && response.status < 300) return { kind: "succeeded", responseStatus: response.status };
  if (response.status === 410) return { kind: "gone", responseStatus: 410 };
  return { kind: "failed", responseStatus: response.status, error: "http_status" };
}

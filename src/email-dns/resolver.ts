/**
 * A DNS-over-HTTPS client for the JSON API that Cloudflare and Google serve:
 * `GET <url>?name=<name>&type=<type>` with `Accept: application/dns-json`, answered with
 * `{"Status": <rcode>, "Answer": [{"name", "type", "TTL", "data"}]}`.
 */

/** Resource record type numbers (RFC 1035, RFC 3596). */
export const RECORD_TYPES = { A: 1, MX: 15, AAAA: 28 } as const;
export type RecordType = keyof typeof RECORD_TYPES;

/** DNS response codes the decision reads (RFC 1035 §4.1.1). */
export const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 } as const;

/** `status` is the DNS rcode; `data` holds the answers of the asked type only (no CNAMEs). */
export type DnsAnswer = { status: number; data: string[] };

export type FailureReason = "timeout" | "network" | "http_status" | "bad_response" | "dns_status" | "bad_resolver_url";

/** The resolver gave no usable answer: the check fails open on it. */
export class ResolverError extends Error {
  readonly reason: FailureReason;
  readonly recordType: RecordType;
  readonly httpStatus: number | undefined;
  readonly dnsStatus: number | undefined;

  constructor(
    reason: FailureReason,
    recordType: RecordType,
    details: { httpStatus?: number; dnsStatus?: number } = {},
  ) {
    super(`DNS ${recordType} lookup failed: ${reason}`);
    this.name = "ResolverError";
    this.reason = reason;
    this.recordType = recordType;
    this.httpStatus = details.httpStatus;
    this.dnsStatus = details.dnsStatus;
  }
}

/**
 * One lookup. Throws `ResolverError` on a network error, a non-2xx response, a body that is
 * not the JSON API's shape, or once `signal` aborts — even if the fetch itself ignores the
 * signal, so a hung resolver cannot hold the request past the budget. DNS rcodes are returned,
 * not judged: the caller decides what NXDOMAIN or SERVFAIL mean.
 */
export async function queryDns(
  resolverUrl: string,
  name: string,
  type: RecordType,
  signal: AbortSignal,
): Promise<DnsAnswer> {
  let url: URL;
  try {
    url = new URL(resolverUrl);
  } catch {
    throw new ResolverError("bad_resolver_url", type);
  }
  url.searchParams.set("name", name);
  url.searchParams.set("type", type);

  let response: Response;
  try {
    response = await untilAborted(
      fetch(url, { method: "GET", headers: { Accept: "application/dns-json" }, signal }),
      signal,
      type,
    );
  } catch (error) {
    if (error instanceof ResolverError) throw error;
    throw new ResolverError(signal.aborted ? "timeout" : "network", type);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new ResolverError("http_status", type, { httpStatus: response.status });
  }

  let body: unknown;
  try {
    body = await untilAborted(response.json(), signal, type);
  } catch (error) {
    if (error instanceof ResolverError) throw error;
    throw new ResolverError(signal.aborted ? "timeout" : "bad_response", type);
  }
  const answer = parseAnswer(body, type);
  if (!answer) throw new ResolverError("bad_response", type);
  return answer;
}

function parseAnswer(body: unknown, type: RecordType): DnsAnswer | null {
  if (typeof body !== "object" || body === null) return null;
  const { Status: status, Answer: records } = body as { Status?: unknown; Answer?: unknown };
  if (typeof status !== "number" || !Number.isInteger(status)) return null;
  if (records === undefined) return { status, data: [] };
  if (!Array.isArray(records)) return null;
  const data: string[] = [];
  for (const record of records) {
    if (typeof record !== "object" || record === null) return null;
    const { type: recordType, data: value } = record as { type?: unknown; data?: unknown };
    if (typeof recordType !== "number" || typeof value !== "string") return null;
    if (recordType === RECORD_TYPES[type]) data.push(value);
  }
  return { status, data };
}

/** `promise`, or a `timeout` ResolverError as soon as `signal` aborts, whichever comes first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, type: RecordType): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new ResolverError("timeout", type));
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

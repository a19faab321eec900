import { ApiError } from "./errors";
import { ExpiringLru } from "./expiring-lru";
import { isLiveCredential } from "./live-credentials";

/**
 * Per-client-network limit on failed authentication: unknown, revoked or malformed API keys and
 * admin tokens, webhook deliveries to unknown endpoints or with bad signatures. Only failures
 * are counted (the FAILURE_LIMITER binding), so a webhook sender delivering from a few
 * addresses at high rates is never limited while its deliveries verify.
 *
 * Failures are counted per network (`failingNetwork`): an IPv4 address on its own, an IPv6
 * address by its /64, the block one subscriber or one virtual machine is given, so rotating
 * through a /64 buys no fresh budget. An IPv4-mapped IPv6 address counts as its IPv4 address.
 *
 * A network over its budget is remembered in this isolate until the window ends. From then on a
 * credential neither cache knows reads D1 only if the KV record of live credentials
 * (live-credentials.ts) names it: a valid key or an existing endpoint still passes, cold, while
 * guessing keys or endpoint ids cannot load D1.
 */

/** Matches `period` of the FAILURE_LIMITER binding in wrangler.toml: the window to wait out. */
export const FAILURE_LIMIT_PERIOD_SECONDS = 60;

/** Networks over their failure budget, until their window ends. */
const limitedNetworks = new ExpiringLru<string, true>(10_000, FAILURE_LIMIT_PERIOD_SECONDS * 1000);

type FailureEnv = { FAILURE_LIMITER: RateLimit };

/** The client's address as Cloudflare's edge saw it; one shared bucket when there is none (local calls). */
export const clientAddress = (headers: Headers) => headers.get("CF-Connecting-IP") ?? "unknown";

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEXTET = /^[0-9a-f]{1,4}$/;

/** The eight hextets of an IPv6 address (`::` expanded, a trailing dotted IPv4 as two), or null. */
function ipv6Hextets(address: string): number[] | null {
  let text = address.toLowerCase();
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  const dotted = text.match(/^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/);
  let tail: number[] = [];
  if (dotted) {
    const octets = dotted[2]?.split(".").map(Number) ?? [];
    if (octets.some((octet) => octet > 255)) return null;
    const [a = 0, b = 0, c = 0, d = 0] = octets;
    tail = [(a << 8) | b, (c << 8) | d];
    text = dotted[1]?.endsWith("::") ? (dotted[1] ?? "") : (dotted[1] ?? "").slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string | undefined) => (part ? part.split(":") : []);
  const head = parse(halves[0]);
  const rest = parse(halves[1]);
  if (![...head, ...rest].every((group) => HEXTET.test(group))) return null;
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return null;
  const zeros = Array<number>(8 - given).fill(0);
  return [...head.map((h) => parseInt(h, 16)), ...zeros, ...rest.map((h) => parseInt(h, 16)), ...tail];
}

/**
 * The network a failure is counted against: an IPv4 address itself; an IPv6 address's /64 (its
 * first four hextets, `::` expanded), written `2001:db8:1:2::/64`; an IPv4-mapped IPv6 address
 * (`::ffff:198.51.100.7`) as its IPv4 address. Anything else (no address, a malformed one) is
 * its own bucket, bounded in length.
 */
export function failingNetwork(address: string): string {
  if (IPV4.test(address)) return address;
  const hextets = address.includes(":") ? ipv6Hextets(address) : null;
  if (!hextets) return address.slice(0, 64);
  const [a, b, c, d, e, f, g = 0, h = 0] = hextets;
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0xffff) {
    return [g >> 8, g & 0xff, h >> 8, h & 0xff].join(".");
  }
  return `${[a, b, c, d].map((hextet) => (hextet ?? 0).toString(16)).join(":")}::/64`;
}

const networkOf = (headers: Headers) => failingNetwork(clientAddress(headers));

export function rateLimitedByAddress(): ApiError {
  return new ApiError(
    "rate_limited",
    `Too many failed requests from this address's network; retry in ${FAILURE_LIMIT_PERIOD_SECONDS} seconds.`,
    { headers: { "Retry-After": String(FAILURE_LIMIT_PERIOD_SECONDS) } },
  );
}

/** Throws 429 when this address's network is known, in this isolate, to be over its failure budget. */
export function refuseLimitedAddress(headers: Headers): void {
  if (limitedNetworks.has(networkOf(headers))) throw rateLimitedByAddress();
}

/**
 * Before a D1 read for a credential no cache knows: an address over its failure budget may make
 * it only if the KV record of live credentials names the credential (`record`, built with
 * `liveCredential`); else 429. Other addresses pass without touching KV.
 */
export async function refuseLimitedAddressUnlessLive(
  env: { KV: KVNamespace },
  headers: Headers,
  record: string,
): Promise<void> {
  if (!limitedNetworks.has(networkOf(headers))) return;
  if (await isLiveCredential(env.KV, record)) return;
  throw rateLimitedByAddress();
}

/**
 * Counts one failure of the request's network and returns what to answer: `failure` itself,
 * or `429 rate_limited` once the network is over its budget.
 */
export async function countFailure(env: FailureEnv, headers: Headers, failure: ApiError): Promise<ApiError> {
  const network = networkOf(headers);
  if (limitedNetworks.has(network)) return rateLimitedByAddress();
  const { success } = await env.FAILURE_LIMITER.limit({ key: network });
  if (success) return failure;
  limitedNetworks.set(network, true);
  return rateLimitedByAddress();
}

/** Tests: forget which networks were over their budget (the binding's counters reset apart). */
export function forgetLimitedAddresses(): void {
  limitedNetworks.clear();
}

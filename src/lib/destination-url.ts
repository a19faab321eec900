/**
 * Where Roster may send an event (spec §7, §10): never to an address inside a private network.
 * The rule reads the host as the URL parser leaves it (WHATWG, as `fetch` will read it), which
 * already turns every IPv4 spelling — `127.1`, `0x7f000001`, `2130706433`, `0177.0.0.1` — into
 * its dotted form and every IPv6 literal into its compressed hex form, so one check per range
 * covers all spellings. Host names are not resolved here: the rule is about IP literals and the
 * `localhost` names. It runs when a destination is created or changed and again before every
 * delivery attempt, so a URL the rule refuses today is never fetched, whenever it was stored.
 */

/** What the deployment decides: loopback only where ALLOW_HTTP_DESTINATIONS is "true". */
export type DestinationUrlSettings = { ALLOW_HTTP_DESTINATIONS?: string };

export const loopbackAllowed = (settings: DestinationUrlSettings) => settings.ALLOW_HTTP_DESTINATIONS === "true";

type Range = { first: bigint; bits: number; size: 32 | 128; name: string };

const ipv4Range = (dotted: string, bits: number, name: string): Range => ({
  first: ipv4Value(dotted) ?? 0n,
  bits,
  size: 32,
  name,
});
const ipv6Range = (literal: string, bits: number, name: string): Range => ({
  first: ipv6Value(literal) ?? 0n,
  bits,
  size: 128,
  name,
});

const LOOPBACK = "loopback";

/** IPv4 ranges no destination may name (loopback only where the deployment allows it). */
const IPV4_REFUSED: Range[] = [
  ipv4Range("0.0.0.0", 8, "unspecified (0.0.0.0/8)"),
  ipv4Range("10.0.0.0", 8, "private (RFC 1918)"),
  ipv4Range("100.64.0.0", 10, "carrier-grade NAT (100.64.0.0/10)"),
  ipv4Range("127.0.0.0", 8, LOOPBACK),
  ipv4Range("169.254.0.0", 16, "link-local (169.254.0.0/16)"),
  ipv4Range("172.16.0.0", 12, "private (RFC 1918)"),
  ipv4Range("192.168.0.0", 16, "private (RFC 1918)"),
  ipv4Range("224.0.0.0", 4, "multicast (224.0.0.0/4)"),
  // Reserved for future use, and the limited broadcast address 255.255.255.255.
  ipv4Range("240.0.0.0", 4, "reserved (240.0.0.0/4)"),
];

/** IPv6 ranges no destination may name; the ones that embed an IPv4 address are checked by it. */
const IPV6_REFUSED: Range[] = [
  ipv6Range("::", 128, "unspecified (::)"),
  ipv6Range("::1", 128, LOOPBACK),
  // Deprecated IPv4-compatible addresses (::a.b.c.d): no reason to reach anything through them.
  ipv6Range("::", 96, "IPv4-compatible (::/96, deprecated)"),
  ipv6Range("fc00::", 7, "unique-local (fc00::/7)"),
  ipv6Range("fe80::", 10, "link-local (fe80::/10)"),
  ipv6Range("fec0::", 10, "site-local (fec0::/10, deprecated)"),
  ipv6Range("ff00::", 8, "multicast (ff00::/8)"),
  // NAT64 for local use: translates to an address of the operator's choosing.
  ipv6Range("64:ff9b:1::", 48, "local-use NAT64 (64:ff9b:1::/48)"),
];

/** IPv6 ranges whose low 32 bits are an IPv4 address that reaches the same host. */
const IPV6_EMBEDDING_IPV4: Range[] = [ipv6Range("::ffff:0:0", 96, "IPv4-mapped"), ipv6Range("64:ff9b::", 96, "NAT64")];

const within = (value: bigint, range: Range) =>
  value >> BigInt(range.size - range.bits) === range.first >> BigInt(range.size - range.bits);

/** A dotted-decimal IPv4 address (as the URL parser writes one) as a number; null otherwise. */
function ipv4Value(dotted: string): bigint | null {
  const parts = dotted.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return null;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

/** An IPv6 address (without brackets; `::` and a dotted IPv4 tail allowed) as a number; null otherwise. */
function ipv6Value(literal: string): bigint | null {
  const halves = literal.split("::");
  if (halves.length > 2) return null;
  const groupsOf = (text: string): number[] | null => {
    if (text === "") return [];
    const groups: number[] = [];
    const parts = text.split(":");
    for (const [index, part] of parts.entries()) {
      if (index === parts.length - 1 && part.includes(".")) {
        const v4 = ipv4Value(part);
        if (v4 === null) return null;
        groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9a-f]{1,4}$/i.test(part)) groups.push(Number.parseInt(part, 16));
      else return null;
    }
    return groups;
  };
  const head = groupsOf(halves[0] ?? "");
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? "") : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return groups.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

const rangeOf = (value: bigint, ranges: Range[]) => ranges.find((range) => within(value, range))?.name ?? null;

/**
 * The refused range a parsed URL's host is in (`"loopback"` for loopback addresses and the
 * `localhost` names), or null for a public address or a host name.
 */
export function refusedHostRange(hostname: string): string | null {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return LOOPBACK;
  if (host.startsWith("[") && host.endsWith("]")) {
    const value = ipv6Value(host.slice(1, -1));
    if (value === null) return "an IPv6 address Roster cannot read";
    const embedding = IPV6_EMBEDDING_IPV4.find((range) => within(value, range));
    if (embedding) {
      const v4 = rangeOf(value & 0xffffffffn, IPV4_REFUSED);
      // Even loopback is refused in this spelling: the allowed loopback hosts are 127.0.0.0/8 and [::1].
      return v4 === null ? null : `${embedding.name} ${v4}`;
    }
    return rangeOf(value, IPV6_REFUSED);
  }
  const v4 = ipv4Value(host);
  return v4 === null ? null : rangeOf(v4, IPV4_REFUSED);
}

/**
 * Why Roster may not send to this URL under these settings, or null when it may. Expects a URL
 * that passed the shape rules (absolute, http or https, no credentials); refuses anything else.
 * `http://` only to a loopback host, and loopback only where the deployment allows it.
 */
export function destinationUrlProblem(value: string, settings: DestinationUrlSettings): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be an absolute URL";
  }
  const range = refusedHostRange(url.hostname);
  const loopbackOk = loopbackAllowed(settings);
  // An IPv4-mapped spelling of a loopback address names loopback, but not in the allowed way.
  const isPlainLoopback = range === LOOPBACK;
  if (url.protocol === "http:" && !(isPlainLoopback && loopbackOk)) {
    return loopbackOk ? "must be https://, or http:// to 127.0.0.0/8, localhost or [::1]" : "must be an https:// URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must be an https:// URL";
  if (range === null || (isPlainLoopback && loopbackOk)) return null;
  return `must not name an address inside a private network (${url.hostname} is ${range})`;
}

import { type DnsAnswer, RCODE, type RecordType, ResolverError } from "./resolver";

/** What the DNS says about a mail domain. Everything but `ok` is a 422. */
export type Verdict = "ok" | "nxdomain" | "null_mx" | "no_address";

export type Lookup = (type: RecordType) => Promise<DnsAnswer>;

/**
 * RFC 5321 §5.1: mail goes to the MX hosts, or, when there is no MX record, to the domain's
 * own address (A/AAAA). So: MX first. NXDOMAIN ends it. MX records → ok, unless every one is
 * a null MX (RFC 7505: exchange ".", the domain accepts no mail, and senders must not fall
 * back to A/AAAA). No MX → A and AAAA in parallel; any record → ok.
 *
 * Throws `ResolverError` when the answer is not definite (SERVFAIL or any other rcode,
 * or a failed lookup whose partner found nothing): the caller fails open.
 */
export async function decide(lookup: Lookup): Promise<Verdict> {
  const mx = await lookup("MX");
  if (mx.status === RCODE.NXDOMAIN) return "nxdomain";
  if (mx.status !== RCODE.NOERROR) throw new ResolverError("dns_status", "MX", { dnsStatus: mx.status });
  if (mx.data.length > 0) return mx.data.every(isNullMx) ? "null_mx" : "ok";

  const answers = await Promise.allSettled([lookup("A"), lookup("AAAA")]);
  if (answers.some((a) => a.status === "fulfilled" && a.value.status === RCODE.NOERROR && a.value.data.length > 0)) {
    return "ok";
  }
  for (const [index, answer] of answers.entries()) {
    if (answer.status === "rejected") throw answer.reason;
    // NXDOMAIN after a NOERROR MX answer (the zone changed in between) is simply "no record".
    if (answer.value.status !== RCODE.NOERROR && answer.value.status !== RCODE.NXDOMAIN) {
      throw new ResolverError("dns_status", index === 0 ? "A" : "AAAA", { dnsStatus: answer.value.status });
    }
  }
  return "no_address";
}

/** MX data is "<preference> <exchange>"; a null MX's exchange is the root, ".". */
export function isNullMx(data: string): boolean {
  const exchange = data.trim().split(/\s+/)[1];
  return exchange === ".";
}

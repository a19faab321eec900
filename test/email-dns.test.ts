import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  checkEmailDomain,
  createEmailDomainChecker,
  DEFAULT_TIMEOUT_MS,
  EMAIL_DNS_NEGATIVE_TTL_SECONDS,
  EMAIL_DNS_POSITIVE_TTL_SECONDS,
  type EmailDnsEnv,
} from "../src/email-dns";
import { emailDnsConfig } from "../src/email-dns/config";
import { ApiError } from "../src/lib/errors";
import { kvKeys } from "../src/lib/kv-keys";

// The DNS check called directly, with the resolver mocked: the pool's outboundService fails
// any request that is not.

const on: EmailDnsEnv = { ...env, EMAIL_DNS_VALIDATION: "true" };
const RESOLVER = "https://cloudflare-dns.com/dns-query";
const TYPE_NUMBERS = { A: 1, MX: 15, AAAA: 28 } as const;
type QType = keyof typeof TYPE_NUMBERS;

/** A scripted resolver answer: a DNS JSON body, a raw Response, a thrown error or a hang. */
type Reply = { Status: number; Answer?: unknown[] } | Response | Error | "hang";

const noerror = (type: QType, ...data: string[]): Reply => ({
  Status: 0,
  Answer: data.map((value) => ({ name: "example.com.", type: TYPE_NUMBERS[type], TTL: 300, data: value })),
});
const empty: Reply = { Status: 0 };
const nxdomain: Reply = { Status: 3 };
const servfail: Reply = { Status: 2 };

let fetchSpy: ReturnType<typeof mockResolver>;
let errorLog: ReturnType<typeof vi.spyOn>;
let pending: Promise<unknown>[];
const background = (promise: Promise<unknown>) => {
  pending.push(promise);
};
/** Waits for the background KV writes, as waitUntil would before the isolate idles. */
const settle = () => Promise.all(pending.splice(0));

/** Answers each query type from `replies`; a type not listed fails the test loudly. */
function mockResolver(replies: Partial<Record<QType, Reply>>) {
  return vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    const type = new URL(request.url).searchParams.get("type") as QType;
    const reply = replies[type];
    if (reply === undefined) throw new Error(`unexpected ${type} lookup`);
    if (reply === "hang") return new Promise<Response>(() => {});
    if (reply instanceof Error) throw reply;
    if (reply instanceof Response) return reply.clone();
    return Response.json(reply, { headers: { "Content-Type": "application/dns-json" } });
  });
}

const queriedTypes = () => fetchSpy.mock.calls.map(([input]) => new URL(String(input)).searchParams.get("type"));
const logLines = () => errorLog.mock.calls.map((args: unknown[]) => JSON.parse(String(args[0])));

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

beforeEach(() => {
  pending = [];
  errorLog = vi.spyOn(console, "error").mockImplementation(() => {});
});

afterEach(async () => {
  // A KV write still in flight would land after the next test's storage reset.
  await settle();
  vi.restoreAllMocks();
});

describe("verdicts", () => {
  it("passes a domain with an MX record after one MX lookup", async () => {
    fetchSpy = mockResolver({ MX: noerror("MX", "10 mx1.example.com.", "20 mx2.example.com.") });
    await expect(checkEmailDomain(on, "jenny@example.com", { background })).resolves.toBeUndefined();
    expect(queriedTypes()).toEqual(["MX"]);
    expect(errorLog).not.toHaveBeenCalled();
  });

  it("passes a domain with no MX but an A record", async () => {
    fetchSpy = mockResolver({ MX: empty, A: noerror("A", "192.0.2.1"), AAAA: empty });
    await expect(checkEmailDomain(on, "jenny@example.com", { background })).resolves.toBeUndefined();
    expect(queriedTypes().sort()).toEqual(["A", "AAAA", "MX"]);
  });

  it("passes a domain with no MX but an AAAA record", async () => {
    fetchSpy = mockResolver({ MX: empty, A: empty, AAAA: noerror("AAAA", "2001:db8::1") });
    await expect(checkEmailDomain(on, "jenny@example.com", { background })).resolves.toBeUndefined();
    expect(queriedTypes().sort()).toEqual(["A", "AAAA", "MX"]);
  });

  it("does not count a CNAME in the answer as an address record", async () => {
    const cnameOnly: Reply = { Status: 0, Answer: [{ name: "example.com.", type: 5, TTL: 300, data: "alias.test." }] };
    fetchSpy = mockResolver({ MX: cnameOnly, A: cnameOnly, AAAA: cnameOnly });
    const error = await rejection(checkEmailDomain(on, "jenny@example.com", { background }));
    expect(error.code).toBe("email_domain_unresolvable");
  });

  it("refuses a domain with no MX, A or AAAA record: 422 with the /email pointer", async () => {
    fetchSpy = mockResolver({ MX: empty, A: empty, AAAA: empty });
    const error = await rejection(checkEmailDomain(on, "jenny@example.com", { background }));
    expect(error.code).toBe("email_domain_unresolvable");
    expect(error.status).toBe(422);
    const problem = error.toProblem("req_test");
    expect(problem).toMatchObject({ status: 422, code: "email_domain_unresolvable" });
    expect(problem.errors).toEqual([{ pointer: "/email", detail: "domain has no MX, A or AAAA record" }]);
    expect(String(problem.detail)).toContain("example.com");
    expect(String(problem.detail)).not.toContain("jenny");
    expect(queriedTypes().sort()).toEqual(["A", "AAAA", "MX"]);
  });

  it("uses the pointer the caller passes (import items)", async () => {
    fetchSpy = mockResolver({ MX: nxdomain });
    const error = await rejection(
      checkEmailDomain(on, "jenny@example.com", { background, pointer: "/customers/3/email" }),
    );
    expect(error.toProblem("req_test").errors).toEqual([
      { pointer: "/customers/3/email", detail: "domain does not exist in DNS" },
    ]);
  });

  it("refuses NXDOMAIN without looking up A or AAAA", async () => {
    fetchSpy = mockResolver({ MX: nxdomain, A: noerror("A", "192.0.2.1"), AAAA: noerror("AAAA", "2001:db8::1") });
    const error = await rejection(checkEmailDomain(on, "jenny@example.com", { background }));
    expect(error.code).toBe("email_domain_unresolvable");
    expect(queriedTypes()).toEqual(["MX"]);
  });

  it("refuses a null MX (RFC 7505) without falling back to A or AAAA", async () => {
    fetchSpy = mockResolver({ MX: noerror("MX", "0 ."), A: noerror("A", "192.0.2.1"), AAAA: noerror("AAAA", "::1") });
    const error = await rejection(checkEmailDomain(on, "jenny@example.com", { background }));
    expect(error.toProblem("req_test").errors).toEqual([
      { pointer: "/email", detail: "domain accepts no mail (it publishes a null MX record)" },
    ]);
    expect(queriedTypes()).toEqual(["MX"]);
  });

  it("passes when a null MX sits beside a real MX (misconfigured, but mail has a host)", async () => {
    fetchSpy = mockResolver({ MX: noerror("MX", "0 .", "10 mx.example.com.") });
    await expect(checkEmailDomain(on, "jenny@example.com", { background })).resolves.toBeUndefined();
  });
});

describe("the request to the resolver", () => {
  it("is GET <url>?name=<lowercased domain>&type=MX with Accept: application/dns-json", async () => {
    fetchSpy = mockResolver({ MX: noerror("MX", "10 mx.example.com.") });
    await checkEmailDomain(on, "Jenny.Doe@Mail.Example.COM", { background });
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    const [input, init] = fetchSpy.mock.calls[0]!;
    const request = new Request(input, init);
    expect(request.method).toBe("GET");
    expect(request.url).toBe(`${RESOLVER}?name=mail.example.com&type=MX`);
    expect(request.headers.get("Accept")).toBe("application/dns-json");
    expect(request.url).not.toMatch(/jenny/i);
  });

  it("goes to EMAIL_DNS_RESOLVER_URL when set", async () => {
    fetchSpy = mockResolver({ MX: empty, A: noerror("A", "192.0.2.1"), AAAA: empty });
    const custom = { ...on, EMAIL_DNS_RESOLVER_URL: "https://dns.example.test/resolve" };
    await checkEmailDomain(custom, "jenny@example.org", { background });
    const urls = fetchSpy.mock.calls.map(([input]) => String(input)).sort();
    expect(urls).toEqual([
      "https://dns.example.test/resolve?name=example.org&type=A",
      "https://dns.example.test/resolve?name=example.org&type=AAAA",
      "https://dns.example.test/resolve?name=example.org&type=MX",
    ]);
  });
});

describe("fail open", () => {
  const failures: [string, string, Reply][] = [
    ["a 500 response", "http_status", new Response("oops", { status: 500 })],
    ["a network error", "network", new TypeError("Network connection lost.")],
    ["a body that is not JSON", "bad_response", new Response("<html>", { status: 200 })],
    ["JSON that is not the DNS JSON shape", "bad_response", Response.json({ Status: "0" })],
    ["SERVFAIL (Status 2)", "dns_status", servfail],
  ];

  it.each(failures)(
    "passes on %s, logs one line without the email or its domain, caches nothing",
    async (_, reason, reply) => {
      fetchSpy = mockResolver({ MX: reply });
      await expect(checkEmailDomain(on, "jenny.doe@example.com", { background })).resolves.toBeUndefined();
      expect(logLines()).toEqual([
        expect.objectContaining({
          level: "error",
          message: "email DNS check failed open",
          reason,
          record_type: "MX",
        }),
      ]);
      expect(JSON.stringify(errorLog.mock.calls)).not.toContain("jenny");
      expect(JSON.stringify(errorLog.mock.calls)).not.toContain("example");
      await settle();
      expect(await env.KV.get(await kvKeys.emailDomain("example.com"))).toBeNull();
      // Not cached: the next check asks the resolver again.
      await checkEmailDomain(on, "jenny.doe@example.com", { background });
      expect(fetchSpy).toHaveBeenCalledTimes(2);
    },
  );

  it("logs the HTTP status of a failed response", async () => {
    fetchSpy = mockResolver({ MX: new Response("", { status: 503 }) });
    await checkEmailDomain(on, "jenny@example.com", { background });
    expect(logLines()[0]).toMatchObject({ reason: "http_status", http_status: 503 });
  });

  it("passes when A fails and AAAA finds nothing (not definite), logging once", async () => {
    fetchSpy = mockResolver({ MX: empty, A: servfail, AAAA: empty });
    await expect(checkEmailDomain(on, "jenny@example.com", { background })).resolves.toBeUndefined();
    expect(logLines()).toEqual([expect.objectContaining({ reason: "dns_status", record_type: "A", dns_status: 2 })]);
  });

  it("passes without a log when A fails but AAAA has a record", async () => {
    fetchSpy = mockResolver({ MX: empty, A: new TypeError("boom"), AAAA: noerror("AAAA", "2001:db8::1") });
    await expect(checkEmailDomain(on, "jenny@example.com", { background })).resolves.toBeUndefined();
    expect(errorLog).not.toHaveBeenCalled();
  });

  it("passes when the resolver never answers, after EMAIL_DNS_TIMEOUT_MS", { timeout: 3000 }, async () => {
    fetchSpy = mockResolver({ MX: "hang" });
    const quick = { ...on, EMAIL_DNS_TIMEOUT_MS: "25" };
    const started = performance.now();
    await expect(checkEmailDomain(quick, "jenny@example.com", { background })).resolves.toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(logLines()).toEqual([expect.objectContaining({ reason: "timeout", record_type: "MX", timeout_ms: 25 })]);
    const [input, init] = fetchSpy.mock.calls[0]!;
    expect(new Request(input, init).signal.aborted).toBe(true);
    await settle();
    expect(await env.KV.get(await kvKeys.emailDomain("example.com"))).toBeNull();
  });
});

describe("when the check does not run", () => {
  it("makes no request when skip is true", async () => {
    fetchSpy = mockResolver({ MX: nxdomain });
    await expect(checkEmailDomain(on, "jenny@example.com", { background, skip: true })).resolves.toBeUndefined();
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it("makes no request when EMAIL_DNS_VALIDATION is not 'true'", async () => {
    fetchSpy = mockResolver({ MX: nxdomain });
    for (const value of ["false", "", "1", undefined]) {
      await checkEmailDomain({ ...env, EMAIL_DNS_VALIDATION: value }, "jenny@example.com", { background });
    }
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it("is off in wrangler.toml's top level (local development and these tests)", async () => {
    fetchSpy = mockResolver({ MX: nxdomain });
    expect(env.EMAIL_DNS_VALIDATION).toBe("false");
    await checkEmailDomain(env, "jenny@example.com", { background });
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it("makes no request for a null or absent email", async () => {
    fetchSpy = mockResolver({ MX: nxdomain });
    await checkEmailDomain(on, null, { background });
    await checkEmailDomain(on, undefined, { background });
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});

describe("KV cache", () => {
  async function cached(domain: string) {
    const key = await kvKeys.emailDomain(domain);
    const { keys } = await env.KV.list({ prefix: key });
    return { key, value: await env.KV.get(key), expiration: keys.find((k) => k.name === key)?.expiration };
  }

  it("keeps a pass for 24 hours and answers the next check from KV, whatever the case", async () => {
    fetchSpy = mockResolver({ MX: noerror("MX", "10 mx.example.com.") });
    await checkEmailDomain(on, "jenny@Example.com", { background });
    await settle();
    const entry = await cached("example.com");
    expect(entry.key).toBe("v1:emaildns:example.com");
    expect(entry.value).toBe("ok");
    const now = Date.now() / 1000;
    expect(entry.expiration).toBeGreaterThan(now + EMAIL_DNS_POSITIVE_TTL_SECONDS - 120);
    expect(entry.expiration).toBeLessThan(now + EMAIL_DNS_POSITIVE_TTL_SECONDS + 120);

    await checkEmailDomain(on, "other@EXAMPLE.COM", { background });
    expect(fetchSpy).toHaveBeenCalledTimes(1);
  });

  it("keeps a refusal for 1 hour and refuses again from KV without a lookup", async () => {
    fetchSpy = mockResolver({ MX: nxdomain });
    await rejection(checkEmailDomain(on, "jenny@gone.example", { background }));
    await settle();
    const entry = await cached("gone.example");
    expect(entry.value).toBe("nxdomain");
    const now = Date.now() / 1000;
    expect(entry.expiration).toBeGreaterThan(now + EMAIL_DNS_NEGATIVE_TTL_SECONDS - 120);
    expect(entry.expiration).toBeLessThan(now + EMAIL_DNS_NEGATIVE_TTL_SECONDS + 120);

    const again = await rejection(checkEmailDomain(on, "someone@gone.example", { background }));
    expect(again.toProblem("req_test").errors).toEqual([{ pointer: "/email", detail: "domain does not exist in DNS" }]);
    expect(fetchSpy).toHaveBeenCalledTimes(1);
  });

  it("answers from a cached verdict with no outbound request at all", async () => {
    fetchSpy = mockResolver({});
    await env.KV.put(await kvKeys.emailDomain("cached.example"), "ok");
    await env.KV.put(await kvKeys.emailDomain("nomail.example"), "null_mx");
    await expect(checkEmailDomain(on, "a@cached.example", { background })).resolves.toBeUndefined();
    const error = await rejection(checkEmailDomain(on, "a@nomail.example", { background }));
    expect(error.code).toBe("email_domain_unresolvable");
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it("ignores a cached value it does not know and asks DNS", async () => {
    fetchSpy = mockResolver({ MX: nxdomain });
    await env.KV.put(await kvKeys.emailDomain("example.com"), "garbage");
    await rejection(checkEmailDomain(on, "a@example.com", { background }));
    expect(fetchSpy).toHaveBeenCalledTimes(1);
  });

  it("keeps every key under KV's 512-byte limit, hashing what is not a plain domain", async () => {
    const long = `${"a".repeat(63)}.`.repeat(8);
    const key = await kvKeys.emailDomain(long);
    expect(key).toMatch(/^v1:emaildns:sha256:[0-9a-f]{64}$/);
    expect(await kvKeys.emailDomain("bücher.example")).toMatch(/^v1:emaildns:sha256:/);
    expect(await kvKeys.emailDomain("Example.COM")).toBe("v1:emaildns:example.com");
  });
});

describe("createEmailDomainChecker (bulk import)", () => {
  it("looks each domain up once per checker, and logs a failing domain once", async () => {
    fetchSpy = mockResolver({ MX: noerror("MX", "10 mx.example.com.") });
    const check = createEmailDomainChecker(on, { background });
    await Promise.all([check("a@example.com"), check("b@EXAMPLE.com"), check("c@example.com")]);
    expect(fetchSpy).toHaveBeenCalledTimes(1);

    fetchSpy.mockRestore();
    fetchSpy = mockResolver({ MX: servfail });
    const failing = createEmailDomainChecker(on, { background });
    await failing("a@broken.example");
    await failing("b@broken.example");
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    expect(errorLog).toHaveBeenCalledTimes(1);
  });

  it("reports each item's own pointer", async () => {
    fetchSpy = mockResolver({ MX: empty, A: empty, AAAA: empty });
    const check = createEmailDomainChecker(on, { background });
    const results = await Promise.all(
      [0, 1].map((index) =>
        check("x@example.com", { pointer: `/customers/${index}/email` }).then(
          () => null,
          (error: ApiError) => error.toProblem("req_test").errors,
        ),
      ),
    );
    expect(results).toEqual([
      [{ pointer: "/customers/0/email", detail: "domain has no MX, A or AAAA record" }],
      [{ pointer: "/customers/1/email", detail: "domain has no MX, A or AAAA record" }],
    ]);
  });
});

describe("settings", () => {
  it("reads the vars, falling back to the defaults for missing or unusable values", () => {
    expect(emailDnsConfig({})).toEqual({ enabled: false, resolverUrl: RESOLVER, timeoutMs: DEFAULT_TIMEOUT_MS });
    expect(
      emailDnsConfig({
        EMAIL_DNS_VALIDATION: "TRUE",
        EMAIL_DNS_RESOLVER_URL: "https://r.test/q",
        EMAIL_DNS_TIMEOUT_MS: "800",
      }),
    ).toEqual({ enabled: true, resolverUrl: "https://r.test/q", timeoutMs: 800 });
    for (const bad of ["", "0", "-5", "1.5", "abc", "999999"]) {
      expect(emailDnsConfig({ EMAIL_DNS_TIMEOUT_MS: bad }).timeoutMs).toBe(DEFAULT_TIMEOUT_MS);
    }
  });
});

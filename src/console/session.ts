/**
 * The console's session: a cookie the Worker signs (HMAC-SHA256 with the deployment secret
 * CONSOLE_SESSION_KEY), so no table holds sessions. It names the organization and the API key
 * the person signed in with, by the key's id and SHA-256 (never the key itself, which the
 * cookie, a URL or the browser's storage never hold): every request looks the key up again
 * through the API-key cache, so a revoked key ends its sessions within the cache's 60 seconds.
 */

export const SESSION_COOKIE = "roster_console";
/** The cookie is sent only to the console's own paths. */
export const SESSION_PATH = "/console";
/** A session ends this long after sign-in, whatever happens. */
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;
/** A session nobody used for this long ends. */
export const SESSION_IDLE_MS = 60 * 60 * 1000;
/** The secret's required length: 32 random bytes (in base64). */
const KEY_BYTES = 32;

export type Session = {
  /** Random id: names the session in the sign-out list and derives its anti-CSRF token. */
  sid: string;
  orgId: string;
  apiKeyId: string;
  /** SHA-256 (hex) of the API key: what the API-key cache is keyed by. */
  keyHash: string;
  /** Epoch milliseconds of sign-in. */
  issuedAt: number;
  /** Epoch milliseconds of the last request: the idle limit counts from here. */
  lastSeenAt: number;
};

const encoder = new TextEncoder();

export const base64Url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");

function fromBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    return Uint8Array.from(binary, (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

/** `bytes` random bytes, base64url: session ids, anti-CSRF tokens, one-time form tokens. */
export const randomToken = (bytes = 16) => base64Url(crypto.getRandomValues(new Uint8Array(bytes)));

let imported: { secret: string; key: CryptoKey } | null = null;

/**
 * The signing key from CONSOLE_SESSION_KEY, or null when the deployment has none (or one
 * that is not 32 bytes of base64): the console is then not configured.
 */
export async function consoleSessionKey(env: Pick<Env, "CONSOLE_SESSION_KEY">): Promise<CryptoKey | null> {
  const secret = env.CONSOLE_SESSION_KEY?.trim();
  if (!secret) return null;
  if (imported?.secret === secret) return imported.key;
  let raw: Uint8Array;
  try {
    raw = Uint8Array.from(atob(secret), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
  if (raw.length !== KEY_BYTES) return null;
  const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  imported = { secret, key };
  return key;
}

const sign = async (key: CryptoKey, message: string) =>
  new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));

/** The cookie's value: the session as base64url JSON, a dot, its signature. */
export async function sealSession(key: CryptoKey, session: Session): Promise<string> {
  const payload = base64Url(encoder.encode(JSON.stringify(session)));
  return `${payload}.${base64Url(await sign(key, `session:${payload}`))}`;
}

const isSession = (value: unknown): value is Session => {
  const s = value as Partial<Session> | null;
  return (
    typeof s === "object" &&
    s !== null &&
    [s.sid, s.orgId, s.apiKeyId, s.keyHash].every((field) => typeof field === "string") &&
    typeof s.issuedAt === "number" &&
    typeof s.lastSeenAt === "number"
  );
};

/** Why a cookie no longer opens a session. */
export type SessionEnd = "expired" | "idle" | "invalid";

/** The session a cookie holds, if its signature is right and neither limit has passed. */
export async function openSession(key: CryptoKey, value: string, now: number): Promise<Session | SessionEnd> {
  const [payload, signature, ...rest] = value.split(".");
  if (payload === undefined || signature === undefined || rest.length > 0) return "invalid";
  const signatureBytes = fromBase64Url(signature);
  if (!signatureBytes) return "invalid";
  // crypto.subtle.verify compares in constant time.
  if (!(await crypto.subtle.verify("HMAC", key, signatureBytes, encoder.encode(`session:${payload}`)))) {
    return "invalid";
  }
  let session: unknown;
  try {
    session = JSON.parse(new TextDecoder().decode(fromBase64Url(payload) ?? new Uint8Array()));
  } catch {
    return "invalid";
  }
  if (!isSession(session)) return "invalid";
  if (now >= session.issuedAt + SESSION_LIFETIME_MS || now < session.issuedAt) return "expired";
  if (now >= session.lastSeenAt + SESSION_IDLE_MS) return "idle";
  return session;
}

/** Seconds the cookie may live from `now`: to the idle limit, never past the session's end. */
export const cookieMaxAgeSeconds = (session: Session, now: number) =>
  Math.max(0, Math.floor(Math.min(SESSION_IDLE_MS, session.issuedAt + SESSION_LIFETIME_MS - now) / 1000));

/** The session's anti-CSRF token: derived from its id with the signing key, so nothing stores it. */
export const csrfTokenOf = async (key: CryptoKey, session: Session) =>
  base64Url(await sign(key, `csrf:${session.sid}`));

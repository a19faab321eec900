// @ts-check
/**
 * The floor: a bare Worker beside Roster in the same workerd, bound to the same D1 and KV,
 * doing only the storage work each scenario needs. No framework, no validation, no auth,
 * one hard-wired organization (env.ORG_ID). What Roster costs on top of this is Roster's.
 */
const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const notFound = () => json({ error: "not found" }, 404);

const GUARD_ENTRY = "https://bench.invalid/guard";

/** Roster's two request limits (per API key, per organization), asked together as Roster does. */
const limit = async (env) => {
  const [key, organization] = await Promise.all([
    env.RATE_LIMITER.limit({ key: "bench-floor" }),
    env.ORG_RATE_LIMITER.limit({ key: "bench-floor-org" }),
  ]);
  return key.success && organization.success;
};

/** Roster's searched columns (src/customer-search/search-text.ts), in its order: a word's field. */
const WORD_FIELDS = [
  "name",
  "first_name",
  "last_name",
  "display_name",
  "company",
  "username",
  "email",
  "alternative_id",
];
const SEARCHED_COLUMNS = [...WORD_FIELDS, "phone"];
const wordsOf = (text) =>
  text
    .toLowerCase()
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .match(/[\p{L}\p{N}]+/gu) ?? [];

/** The search index's statements for a created customer, as Roster builds them (no phone here). */
function searchIndexStatements(db, orgId, id, body) {
  const values = SEARCHED_COLUMNS.map((column) => body[column] ?? null);
  const guard = SEARCHED_COLUMNS.map((column, index) => `c.${column} IS ?${index + 3}`).join(" AND ");
  const at = `c.org_id = ?1 AND c.id = ?2 AND c.archived_at IS NULL AND ${guard}`;
  const words = [];
  WORD_FIELDS.forEach((column, field) => {
    if (body[column] == null) return;
    for (const [position, word] of wordsOf(String(body[column])).entries()) words.push([field, position, word]);
  });
  const metadata = JSON.stringify(body.metadata ?? {});
  const entries = Object.entries(body.metadata ?? {}).map(([key, value]) => [key, String(value)]);
  const statements = [];
  if (words.length > 0) {
    statements.push(
      db
        .prepare(
          `INSERT INTO customer_search_words (org_id, customer_seq, field, position, word)
           SELECT ?1, c.seq, e.value ->> 0, e.value ->> 1, e.value ->> 2
           FROM customers AS c, json_each(?${SEARCHED_COLUMNS.length + 3}) AS e WHERE ${at}`,
        )
        .bind(orgId, id, ...values, JSON.stringify(words)),
    );
  }
  if (entries.length > 0) {
    statements.push(
      db
        .prepare(
          `INSERT INTO customer_search_metadata (org_id, key, value, customer_seq)
           SELECT ?1, e.value ->> 0, e.value ->> 1, c.seq
           FROM customers AS c, json_each(?4) AS e
           WHERE c.org_id = ?1 AND c.id = ?2 AND c.archived_at IS NULL AND c.metadata = ?3`,
        )
        .bind(orgId, id, metadata, JSON.stringify(entries)),
    );
  }
  return statements;
}

const toHex = (buffer) => Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    let path = url.pathname;
    let db = env.DB;
    const orgId = env.ORG_ID;

    // Prefixes that put per-request platform calls before the route, to price them:
    // "/limited/…" the rate-limiter calls (per key and per organization, together), the one
    // platform call Roster makes on every request
    // (its API key comes from the isolate's memory when warm), so Roster against a limited floor
    // prices Roster's own code; "/guarded/…" a Cache API hit and then the same rate-limiter calls
    // (what Roster made per request while its API key came from the location cache).
    if (path.startsWith("/guarded/")) {
      const entry = await caches.default.match(GUARD_ENTRY);
      if (!entry)
        await caches.default.put(GUARD_ENTRY, new Response("guard", { headers: { "Cache-Control": "max-age=3600" } }));
      path = `/limited${path.slice("/guarded".length)}`;
    }
    // "/session/…": the statement runs in a D1 session (as Roster's reads must, section 9) and
    // the response carries its bookmark.
    let session = null;
    if (path.startsWith("/session/")) {
      session = env.DB.withSession("first-unconstrained");
      db = session;
      path = `/limited${path.slice("/session".length)}`;
    }
    if (path.startsWith("/limited/")) {
      if (!(await limit(env))) return json({ error: "rate limited" }, 429);
      path = path.slice("/limited".length);
    }

    // No storage at all: the cost of a request through workerd.
    if (path === "/ok") return new Response("ok");

    // One primary-key SELECT.
    if (request.method === "GET" && path.startsWith("/customers/")) {
      const id = decodeURIComponent(path.slice("/customers/".length));
      const row = await db.prepare("SELECT * FROM customers WHERE org_id = ?1 AND id = ?2").bind(orgId, id).first();
      return row ? json(row) : notFound();
    }

    // A GET by id whose API key is not cached: the API-key SELECT, then the primary-key SELECT.
    if (request.method === "GET" && path.startsWith("/keyed/customers/")) {
      const id = decodeURIComponent(path.slice("/keyed/customers/".length));
      const key = await db
        .prepare("SELECT id, org_id FROM api_keys WHERE key_hash = ?1 AND revoked_at IS NULL")
        .bind(env.KEY_HASH)
        .first();
      if (!key) return json({ error: "unauthorized" }, 401);
      const row = await db
        .prepare("SELECT * FROM customers WHERE org_id = ?1 AND id = ?2")
        .bind(key.org_id, id)
        .first();
      return row ? json(row) : notFound();
    }

    // The alternative-ID SELECT alone (the unique partial index), no KV.
    if (request.method === "GET" && path.startsWith("/direct/alternative-id/")) {
      const alternativeId = decodeURIComponent(path.slice("/direct/alternative-id/".length));
      const row = await db
        .prepare("SELECT * FROM customers WHERE org_id = ?1 AND alternative_id = ?2 AND archived_at IS NULL")
        .bind(orgId, alternativeId)
        .first();
      return row ? json(row) : notFound();
    }

    // Primitives on their own: the two rate-limiter calls (Roster makes both per request), one KV get,
    // one Cache API match.
    if (path === "/rate-limit") {
      const success = await limit(env);
      return new Response(success ? "ok" : "limited", { status: success ? 200 : 429 });
    }
    if (path === "/kv") return new Response((await env.KV.get("bench:floor:kv")) ?? "none");
    if (path === "/cache") {
      const hit = await caches.default.match("https://bench.invalid/floor");
      return new Response(hit ? "hit" : "miss");
    }

    // One INSERT of a customer row (… RETURNING *, as a create must answer with the row).
    if (request.method === "POST" && path === "/customers") {
      const body = await request.json();
      const now = new Date().toISOString();
      const row = await db
        .prepare(
          `INSERT INTO customers (org_id, id, alternative_id, email, created_at, updated_at)
           VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING *`,
        )
        .bind(orgId, `cus_${crypto.randomUUID()}`, body.alternative_id ?? null, body.email ?? null, now)
        .first();
      return json(row, 201);
    }

    // The storage work section 10 adds to a create, as one batch: the customer row (its event
    // counter at 1), the `customer.created` event, and the fan-out to the organization's enabled
    // destinations (none in the measured scenario: the statement still runs).
    // "/outbox/searched/customers": the same batch plus the search index's statements (section 12),
    // as Roster's create appends them (src/customer-search/search-index.repository.ts): the
    // customer's words and its metadata, each one INSERT … SELECT guarded by the row it indexes,
    // built by the same normalization. The pair is the create's storage work without and with
    // the index, measured side by side (issue 19's "create with the index ≤ 15 % above").
    if (request.method === "POST" && (path === "/outbox/customers" || path === "/outbox/searched/customers")) {
      const body = await request.json();
      const now = new Date().toISOString();
      const id = `cus_${crypto.randomUUID()}`;
      const eventId = `evt_${crypto.randomUUID()}`;
      const metadata = JSON.stringify(body.metadata ?? {});
      const statements = [
        db
          .prepare(
            `INSERT INTO customers (org_id, id, alternative_id, email, name, metadata, event_sequence, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?7) RETURNING *`,
          )
          .bind(orgId, id, body.alternative_id ?? null, body.email ?? null, body.name ?? null, metadata, now),
        db
          .prepare(
            `INSERT INTO events (id, org_id, type, customer_id, sequence, data, request_id, created_at)
             VALUES (?1, ?2, 'customer.created', ?3, 1, json(?4), ?5, ?6)`,
          )
          .bind(eventId, orgId, id, JSON.stringify({ object: { id, ...body } }), "req_floor", now),
        db
          .prepare(
            `INSERT INTO event_deliveries
               (id, org_id, destination_id, event_id, event_type, next_attempt_at, created_at, updated_at)
             SELECT 'evd_' || upper(hex(randomblob(13))), d.org_id, d.id, ?1, 'customer.created', ?3, ?3, ?3
             FROM event_destinations d WHERE d.org_id = ?2 AND d.status = 'enabled'`,
          )
          .bind(eventId, orgId, now),
      ];
      if (path === "/outbox/searched/customers") statements.push(...searchIndexStatements(db, orgId, id, body));
      const [inserted] = await db.batch(statements);
      return json(inserted.results[0], 201);
    }

    // A read-modify-write: the SELECT, then one guarded UPDATE … RETURNING.
    if (request.method === "PATCH" && path.startsWith("/customers/")) {
      const id = decodeURIComponent(path.slice("/customers/".length));
      const body = await request.json();
      const row = await db.prepare("SELECT * FROM customers WHERE org_id = ?1 AND id = ?2").bind(orgId, id).first();
      if (!row) return notFound();
      const metadata = JSON.stringify({ ...JSON.parse(row.metadata), ...body.metadata });
      const updated = await db
        .prepare(
          `UPDATE customers SET metadata = ?1, version = version + 1, updated_at = ?2
           WHERE org_id = ?3 AND seq = ?4 AND version = ?5 RETURNING *`,
        )
        .bind(metadata, new Date().toISOString(), orgId, row.seq, row.version)
        .first();
      return json(updated ?? row);
    }

    // A warm alternative-ID lookup: one KV get, then the primary-key SELECT. Cold: the
    // alternative-ID SELECT instead. (Roster's KV key is a hash of the alternative ID.)
    if (request.method === "GET" && path.startsWith("/alternative-id/")) {
      const alternativeId = decodeURIComponent(path.slice("/alternative-id/".length));
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(alternativeId));
      const cachedId = await env.KV.get(`v1:altid:${orgId}:${toHex(digest)}`);
      const row = cachedId
        ? await db.prepare("SELECT * FROM customers WHERE org_id = ?1 AND id = ?2").bind(orgId, cachedId).first()
        : await db
            .prepare("SELECT * FROM customers WHERE org_id = ?1 AND alternative_id = ?2 AND archived_at IS NULL")
            .bind(orgId, alternativeId)
            .first();
      return row ? json(row) : notFound();
    }

    // One keyset page: the list SELECT, newest first (?before=<seq> for a deep page).
    if (request.method === "GET" && path === "/customers") {
      const limit = Number(url.searchParams.get("limit") ?? 20);
      const before = url.searchParams.get("before");
      const statement =
        before === null
          ? db
              .prepare("SELECT * FROM customers WHERE org_id = ? AND archived_at IS NULL ORDER BY seq DESC LIMIT ?")
              .bind(orgId, limit + 1)
          : db
              .prepare(
                "SELECT * FROM customers WHERE org_id = ? AND archived_at IS NULL AND seq < ? ORDER BY seq DESC LIMIT ?",
              )
              .bind(orgId, Number(before), limit + 1);
      const { results } = await statement.all();
      return json({ data: results.slice(0, limit), has_more: results.length > limit });
    }

    return notFound();
  },
};

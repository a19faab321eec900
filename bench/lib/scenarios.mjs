// @ts-check
import { SEEDED_SURNAMES, SEEDED_TIERS, seededAlternativeId, seededEmail, seededUniqueWord } from "./environment.mjs";

/**
 * The scenarios, each a request generator against one Worker ("roster" or "floor").
 * `floor` names the floor scenario its ratio is taken against; `limited` the floor that also
 * makes Roster's rate-limiter call first (the call Roster must make: what is left is Roster's
 * own cost); `compare` names another Roster scenario for a second ratio (alternative-ID GET
 * against GET by id).
 *
 * The data each one needs (`data`):
 *   ids          every seeded customer's id, index i ↔ alternative ID user-i
 *   warm         indexes looked up by alternative ID once before (in Roster's memo and in KV)
 *   cold         indexes never looked up by alternative ID (consumed in order)
 *   deepSeq      a seq ~90% deep into the seeded set (newest first), for the deep page
 *   filtersHash  the cursor's filters field for "no filters", read from a real cursor
 *   tag          unique per run, so created alternative IDs never collide across runs
 *   cards        [{ customerId, paymentMethodId }]: seeded customers with pm_card_visa on file
 *                through the test gateway (empty: the credit scenario is skipped)
 */
/** Run order: each Roster scenario next to the floor it is compared with (rounds alternate direction). */
const ORDER = [
  "floor_ok",
  "floor_rate_limit",
  "floor_cache_match",
  "floor_kv_get",
  "floor_read_with_key_lookup",
  "floor_read_rate_limited",
  "floor_read_guarded",
  "floor_read_session",
  "floor_read",
  "get_by_id",
  "get_by_id_with_bookmark",
  "get_by_alternative_id",
  "floor_alternative_id",
  "floor_alternative_id_direct",
  "get_by_alternative_id_cold",
  "floor_insert",
  "floor_insert_guarded",
  "floor_insert_limited",
  "floor_insert_outbox",
  "create",
  "create_without_alternative_id",
  "floor_insert_outbox_profile",
  "floor_insert_outbox_profile_searched",
  "create_with_profile",
  "credit_from_payment_method",
  "floor_patch",
  "patch",
  "floor_list_first",
  "list_first_page",
  "floor_list_deep",
  "list_deep_page",
  "search_phrase",
  "search_prefix",
  "search_everyone",
  "search_one_customer",
  "search_tenth",
  "list_metadata_filtered",
  "provision_existing",
  "idempotency_replay",
];

/** A bookmark of the shape local D1 returns (8-8-8-32 hex groups), at the database's start. */
const BOOKMARK = "00000000-00000000-00000000-00000000000000000000000000000000";

export function defineScenarios(data) {
  const scenarios = scenarioList(data);
  const rank = (s) => (ORDER.includes(s.name) ? ORDER.indexOf(s.name) : ORDER.length);
  return scenarios.sort((a, b) => rank(a) - rank(b));
}

function scenarioList(data) {
  const { ids, warm, cold, deepSeq, filtersHash, tag, cards = [] } = data;
  const randomIndex = () => Math.floor(Math.random() * ids.length);
  const randomWarm = () => warm[Math.floor(Math.random() * warm.length)];
  let coldNext = 0;
  let created = 0;
  let patched = 0;
  const deepCursor = Buffer.from(JSON.stringify([deepSeq, filtersHash])).toString("base64url");
  const nextCold = () => {
    const index = cold[coldNext % cold.length];
    coldNext++;
    return index;
  };
  const createBody = (withAlternativeId) => {
    created++;
    const body = { email: `new-${tag}-${created}@example.com` };
    if (withAlternativeId) body.alternative_id = `new-${tag}-${created}`;
    return JSON.stringify(body);
  };
  // A create as a person fills it in: a name and metadata, so the search index writes both its
  // words and its metadata rows (the heavier case of the index's cost).
  const profileBody = () => {
    created++;
    return JSON.stringify({
      alternative_id: `new-${tag}-${created}`,
      email: `new-${tag}-${created}@example.com`,
      name: `Jenny Doe-${created}`,
      metadata: { tier: "gold", plan: "pro" },
    });
  };
  let credits = 0;
  const replayBody = JSON.stringify({ alternative_id: `replay-${tag}`, email: `replay-${tag}@example.com` });

  return [
    // Floors: the bare Worker, same D1/KV, same statements.
    { name: "floor_ok", target: "floor", expect: 200, request: () => ({ method: "GET", path: "/ok" }) },
    {
      name: "floor_read",
      target: "floor",
      expect: 200,
      request: () => ({ method: "GET", path: `/customers/${ids[randomIndex()]}` }),
    },
    {
      name: "floor_read_with_key_lookup",
      description: "the API-key SELECT, then the primary-key SELECT: GET by id with an API key not yet cached",
      target: "floor",
      expect: 200,
      request: () => ({ method: "GET", path: `/keyed/customers/${ids[randomIndex()]}` }),
    },
    {
      name: "floor_read_rate_limited",
      description: "the rate-limiter calls, then the primary-key SELECT",
      target: "floor",
      expect: 200,
      request: () => ({ method: "GET", path: `/limited/customers/${ids[randomIndex()]}` }),
    },
    {
      name: "floor_read_session",
      description: "the rate-limiter calls, then the primary-key SELECT in a D1 session",
      target: "floor",
      expect: 200,
      request: () => ({ method: "GET", path: `/session/customers/${ids[randomIndex()]}` }),
    },
    {
      name: "floor_insert_guarded",
      description: "a Cache API hit, the rate-limiter calls, then the INSERT",
      target: "floor",
      expect: 201,
      request: () => ({ method: "POST", path: "/guarded/customers", body: createBody(true) }),
    },
    {
      name: "floor_insert_limited",
      description: "the rate-limiter calls, then the INSERT (no Cache API)",
      target: "floor",
      expect: 201,
      request: () => ({ method: "POST", path: "/limited/customers", body: createBody(true) }),
    },
    {
      name: "floor_insert_outbox",
      description: "the rate-limiter calls, then the INSERT with its event and fan-out in one batch (section 10)",
      target: "floor",
      expect: 201,
      request: () => ({ method: "POST", path: "/limited/outbox/customers", body: createBody(true) }),
    },
    {
      name: "floor_insert_outbox_profile",
      description: "floor_insert_outbox with create_with_profile's body (name, metadata): no search index",
      target: "floor",
      expect: 201,
      request: () => ({ method: "POST", path: "/limited/outbox/customers", body: profileBody() }),
    },
    {
      name: "floor_insert_outbox_profile_searched",
      description: "the same batch plus the search index's word and metadata INSERTs, as Roster builds them",
      target: "floor",
      compare: "floor_insert_outbox_profile",
      expect: 201,
      request: () => ({ method: "POST", path: "/limited/outbox/searched/customers", body: profileBody() }),
    },
    {
      name: "floor_read_guarded",
      description: "a Cache API hit, the rate-limiter calls, then the primary-key SELECT",
      target: "floor",
      expect: 200,
      request: () => ({ method: "GET", path: `/guarded/customers/${ids[randomIndex()]}` }),
    },
    {
      name: "floor_alternative_id_direct",
      description: "the alternative-ID SELECT alone (no KV)",
      target: "floor",
      expect: 200,
      request: () => ({
        method: "GET",
        path: `/direct/alternative-id/${encodeURIComponent(seededAlternativeId(randomIndex()))}`,
      }),
    },
    {
      name: "floor_rate_limit",
      description: "the RATE_LIMITER and ORG_RATE_LIMITER .limit() calls, together (Roster makes both per request)",
      target: "floor",
      expect: 200,
      request: () => ({ method: "GET", path: "/rate-limit" }),
    },
    { name: "floor_kv_get", target: "floor", expect: 200, request: () => ({ method: "GET", path: "/kv" }) },
    { name: "floor_cache_match", target: "floor", expect: 200, request: () => ({ method: "GET", path: "/cache" }) },
    {
      name: "floor_alternative_id",
      target: "floor",
      expect: 200,
      request: () => ({
        method: "GET",
        path: `/alternative-id/${encodeURIComponent(seededAlternativeId(randomWarm()))}`,
      }),
    },
    {
      name: "floor_insert",
      target: "floor",
      expect: 201,
      request: () => ({ method: "POST", path: "/customers", body: createBody(true) }),
    },
    {
      name: "floor_patch",
      target: "floor",
      expect: 200,
      request: () => ({
        method: "PATCH",
        path: `/customers/${ids[randomIndex()]}`,
        body: JSON.stringify({ metadata: { counter: String(++patched) } }),
      }),
    },
    {
      name: "floor_list_first",
      target: "floor",
      expect: 200,
      request: () => ({ method: "GET", path: "/customers?limit=20" }),
    },
    {
      name: "floor_list_deep",
      target: "floor",
      expect: 200,
      request: () => ({ method: "GET", path: `/customers?limit=20&before=${deepSeq}` }),
    },

    // Roster.
    {
      name: "get_by_id",
      target: "roster",
      floor: "floor_read",
      limited: "floor_read_rate_limited",
      also: [
        "floor_ok",
        "floor_read_with_key_lookup",
        "floor_read_guarded",
        "floor_read_session",
        "floor_rate_limit",
        "floor_kv_get",
        "floor_cache_match",
      ],
      scaling: true,
      expect: 200,
      request: () => ({ method: "GET", path: `/v1/customers/${ids[randomIndex()]}` }),
    },
    {
      // Sessions (D1 read replication) are not in this build yet: until they are, the header is
      // ignored and this measures GET by id; once they are, it prices the bookmark path.
      name: "get_by_id_with_bookmark",
      description: "GET by id sending a Roster-Bookmark header (the shape D1 bookmarks have)",
      target: "roster",
      limited: "floor_read_rate_limited",
      compare: "get_by_id",
      expect: 200,
      request: () => ({
        method: "GET",
        path: `/v1/customers/${ids[randomIndex()]}`,
        headers: { "roster-bookmark": BOOKMARK },
      }),
    },
    {
      name: "get_by_alternative_id",
      description: "warm: looked up before (served by the isolate's memo, confirmed in D1)",
      target: "roster",
      floor: "floor_alternative_id_direct",
      compare: "get_by_id",
      also: ["floor_alternative_id"],
      scaling: true,
      expect: 200,
      request: () => ({
        method: "GET",
        path: `/v1/customers/alternative-id/${encodeURIComponent(seededAlternativeId(randomWarm()))}`,
      }),
    },
    {
      name: "get_by_alternative_id_cold",
      description: "first lookup of each alternative ID: memo and KV miss, D1 by alternative ID, KV put",
      target: "roster",
      compare: "get_by_id",
      expect: 200,
      request: () => ({
        method: "GET",
        path: `/v1/customers/alternative-id/${encodeURIComponent(seededAlternativeId(nextCold()))}`,
      }),
    },
    {
      name: "create",
      description: "POST /v1/customers with a unique alternative ID and email",
      target: "roster",
      floor: "floor_insert",
      limited: "floor_insert_limited",
      expect: 201,
      request: () => ({ method: "POST", path: "/v1/customers", body: createBody(true) }),
      also: ["floor_insert_guarded", "floor_insert_outbox"],
    },
    {
      name: "create_without_alternative_id",
      description: "POST /v1/customers with an email only (no KV write)",
      target: "roster",
      floor: "floor_insert",
      expect: 201,
      request: () => ({ method: "POST", path: "/v1/customers", body: createBody(false) }),
    },
    {
      name: "patch",
      description: "PATCH metadata.counter of a random customer",
      target: "roster",
      floor: "floor_patch",
      expect: 200,
      request: () => ({
        method: "PATCH",
        path: `/v1/customers/${ids[randomIndex()]}`,
        body: JSON.stringify({ metadata: { counter: String(++patched) } }),
      }),
    },
    {
      name: "list_first_page",
      target: "roster",
      floor: "floor_list_first",
      scaling: true,
      expect: 200,
      request: () => ({ method: "GET", path: "/v1/customers?limit=20" }),
    },
    {
      name: "list_deep_page",
      description: "cursor ~90% deep (newest first)",
      target: "roster",
      floor: "floor_list_deep",
      scaling: true,
      expect: 200,
      request: () => ({ method: "GET", path: `/v1/customers?limit=20&cursor=${deepCursor}` }),
    },
    {
      // Seeded customers have the words user, <i> (alternative ID) and u<i>, example, com (email).
      name: "search_phrase",
      description: "GET /v1/customers/search?q=user-<i>: one exact word, then a prefix at the next position",
      target: "roster",
      compare: "list_first_page",
      expect: 200,
      request: () => ({ method: "GET", path: `/v1/customers/search?q=${seededAlternativeId(randomIndex())}` }),
    },
    {
      name: "search_prefix",
      description: "GET /v1/customers/search?q=u<i>: a prefix of a few emails' first word",
      target: "roster",
      compare: "list_first_page",
      expect: 200,
      request: () => ({ method: "GET", path: `/v1/customers/search?q=u${randomIndex()}` }),
    },
    {
      name: "search_everyone",
      description: "GET /v1/customers/search?q=example: every customer matches, so a page reads N index entries",
      target: "roster",
      compare: "list_first_page",
      expect: 200,
      request: () => ({ method: "GET", path: "/v1/customers/search?q=example" }),
    },
    {
      // The seeded names hold a word only one customer has (g + 7 digits: no other word starts with it).
      name: "search_one_customer",
      description: "GET /v1/customers/search?q=g<7 digits>: a term matching exactly one customer",
      target: "roster",
      compare: "get_by_id",
      p50Target: 2,
      expect: 200,
      request: () => ({ method: "GET", path: `/v1/customers/search?q=${seededUniqueWord(randomIndex())}` }),
    },
    {
      name: "search_tenth",
      description: "GET /v1/customers/search?q=<surname>: a term matching 10 % of the customers (first page)",
      target: "roster",
      compare: "get_by_id",
      p50Target: 3,
      expect: 200,
      request: () => ({
        method: "GET",
        path: `/v1/customers/search?q=${SEEDED_SURNAMES[Math.floor(Math.random() * SEEDED_SURNAMES.length)]}`,
      }),
    },
    {
      name: "list_metadata_filtered",
      description: "GET /v1/customers?metadata[tier]=<value>&limit=20: a filter matching 10 % of the customers",
      target: "roster",
      compare: "list_first_page",
      p50Target: 2,
      expect: 200,
      request: () => ({
        method: "GET",
        path: `/v1/customers?limit=20&metadata%5Btier%5D=${SEEDED_TIERS[Math.floor(Math.random() * SEEDED_TIERS.length)]}`,
      }),
    },
    {
      name: "create_with_profile",
      description: "POST /v1/customers with a name and metadata (search index: words and metadata rows)",
      target: "roster",
      compare: "create",
      limited: "floor_insert_outbox_profile",
      also: ["floor_insert_outbox_profile_searched"],
      expect: 201,
      request: () => ({ method: "POST", path: "/v1/customers", body: profileBody() }),
    },
    {
      name: "credit_from_payment_method",
      description: "POST /v1/customers/credit_from_payment_method, pm_card_visa through the test gateway",
      target: "roster",
      compare: "create",
      needs: "cards",
      expect: 201,
      request: () => {
        credits++;
        const card = cards[credits % Math.max(1, cards.length)];
        return {
          method: "POST",
          path: "/v1/customers/credit_from_payment_method",
          body: JSON.stringify({
            customer_id: card?.customerId,
            payment_method_id: card?.paymentMethodId,
            amount: 100,
            currency: "usd",
          }),
          headers: { "idempotency-key": `bench-credit-${tag}-${credits}` },
        };
      },
    },
    {
      name: "provision_existing",
      description: "POST /v1/customers/provision of a seeded customer, same fields (nothing to write)",
      target: "roster",
      expect: 200,
      request: () => {
        const index = randomWarm();
        return {
          method: "POST",
          path: "/v1/customers/provision",
          body: JSON.stringify({ alternative_id: seededAlternativeId(index), email: seededEmail(index) }),
        };
      },
    },
    {
      name: "idempotency_replay",
      description: "POST /v1/customers again with the same Idempotency-Key and body",
      target: "roster",
      expect: 201,
      needs: "idempotency",
      request: () => ({
        method: "POST",
        path: "/v1/customers",
        body: replayBody,
        headers: { "idempotency-key": `bench-replay-${tag}` },
      }),
    },
  ];
}

// @ts-check
import { SEEDED_SURNAMES, SEEDED_TIERS, seededAlternativeId, seededEmail, seededUniqueWord } from "./environment.mjs";

/** A bookmark of the shape local D1 returns (8-8-8-32 hex groups), at the database's start. */
const BOOKMARK = "00000000-00000000-00000000-00000000000000000000000000000000";

/**
 * The Roster scenarios, each naming the floor (and comparisons) it is priced against.
 * @param {ReturnType<typeof import("./scenario-requests.mjs").requestMakers>} make
 */
export function rosterScenarios(make) {
  const { ids, tag, cards, deepCursor, randomIndex, randomWarm, nextCold, createBody, profileBody, patchBody } = make;
  let credits = 0;
  const replayBody = JSON.stringify({ alternative_id: `replay-${tag}`, email: `replay-${tag}@example.com` });

  return [
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
        body: patchBody(),
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

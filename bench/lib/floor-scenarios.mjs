// @ts-check
import { seededAlternativeId } from "./environment.mjs";

/**
 * The floor scenarios: the bare Worker (floor-worker.mjs), same D1/KV, same statements, each
 * doing only the storage work of the Roster scenario it prices, plus single primitives.
 * @param {ReturnType<typeof import("./scenario-requests.mjs").requestMakers>} make
 */
export function floorScenarios(make) {
  const { ids, deepSeq, randomIndex, randomWarm, createBody, profileBody, patchBody } = make;
  return [
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
        body: patchBody(),
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
  ];
}

// @ts-check
import { floorScenarios } from "./floor-scenarios.mjs";
import { rosterScenarios } from "./roster-scenarios.mjs";
import { requestMakers } from "./scenario-requests.mjs";

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
export function defineScenarios(data) {
  const make = requestMakers(data);
  const scenarios = [...floorScenarios(make), ...rosterScenarios(make)];
  const rank = (s) => (ORDER.includes(s.name) ? ORDER.indexOf(s.name) : ORDER.length);
  return scenarios.sort((a, b) => rank(a) - rank(b));
}

/**
 * The scenarios to run: `--only`'s (with the floors and comparisons their ratios need), or
 * with `--scaling`'s base size the scaling ones alone, or all.
 */
export function selectScenarios(all, { only, scalingOnly }) {
  let chosen = all;
  if (scalingOnly) chosen = all.filter((s) => s.scaling);
  if (only) chosen = all.filter((s) => only.includes(s.name));
  const names = new Set(chosen.map((s) => s.name));
  if (!scalingOnly) {
    for (const s of chosen) {
      if (s.floor) names.add(s.floor);
      if (s.limited) names.add(s.limited);
      if (s.compare) names.add(s.compare);
      for (const name of s.also ?? []) names.add(name);
    }
  }
  return all.filter((s) => names.has(s.name));
}

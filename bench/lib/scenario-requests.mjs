// @ts-check

/**
 * What the scenarios' requests are made of (scenarios.mjs describes `data`): random picks among
 * the seeded customers, and bodies whose unique fields never repeat. One set is shared by the
 * floor and Roster scenarios, as both write to the same D1 database.
 */
export function requestMakers(data) {
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
  const patchBody = () => JSON.stringify({ metadata: { counter: String(++patched) } });
  return {
    ids,
    tag,
    cards,
    deepSeq,
    deepCursor,
    randomIndex,
    randomWarm,
    nextCold,
    createBody,
    profileBody,
    patchBody,
  };
}

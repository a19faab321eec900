// @ts-check
import { round } from "./environment.mjs";
import { median } from "./load.mjs";

/**
 * One row per scenario of the customers section (result.scenarios): medians over rounds, and
 * each ratio paired per round (this round's figure over its floor's or comparison's in the same
 * round), so the machine's drift between rounds cancels out. A skipped scenario keeps its row,
 * with why.
 * `scenarios`: every selected scenario, skipped ones included; `skipped`: name → why not run;
 * `perRound`: name → its drive() results, one per round; `counts`: name → the counting
 * wrapper's counts of one request.
 */
export function summarizeScenarios(scenarios, { skipped, perRound, counts }) {
  const ratioOver = (a, b) => {
    if (!perRound[a] || !perRound[b]) return null;
    return median(perRound[a].map((result, i) => result.rps / perRound[b][i].rps));
  };
  const p50RatioOver = (a, b) => {
    if (!perRound[a] || !perRound[b]) return null;
    return median(perRound[a].map((result, i) => result.p50 / perRound[b][i].p50));
  };
  return scenarios.map((s) => {
    if (skipped.has(s.name)) return { name: s.name, target: s.target, skipped: skipped.get(s.name) };
    const rounds = perRound[s.name];
    return {
      name: s.name,
      target: s.target,
      description: s.description ?? null,
      rps: round(median(rounds.map((x) => x.rps)), 1),
      p50_ms: round(median(rounds.map((x) => x.p50)), 3),
      p99_ms: round(median(rounds.map((x) => x.p99)), 3),
      floor: s.floor && perRound[s.floor] ? s.floor : null,
      floor_ratio: s.floor ? round(ratioOver(s.name, s.floor) ?? Number.NaN, 3) : null,
      limited: s.limited && perRound[s.limited] ? s.limited : null,
      limited_ratio: s.limited ? round(ratioOver(s.name, s.limited) ?? Number.NaN, 3) : null,
      compare: s.compare && perRound[s.compare] ? s.compare : null,
      compare_ratio: s.compare ? round(ratioOver(s.name, s.compare) ?? Number.NaN, 3) : null,
      // p50 over the compared scenario's p50, paired per round (issue 19's targets are on p50).
      compare_p50_ratio: s.compare ? round(p50RatioOver(s.name, s.compare) ?? Number.NaN, 3) : null,
      p50_target: s.p50Target ?? null,
      cpu_ms: round(median(rounds.map((x) => x.workerd_cpu_ms)), 3),
      // The same paired ratio against the reference floors (what the gap is made of).
      reference_ratios: Object.fromEntries(
        (s.also ?? [])
          .filter((name) => perRound[name])
          .map((name) => [name, round(ratioOver(s.name, name) ?? Number.NaN, 3)]),
      ),
      requests: rounds.reduce((sum, x) => sum + x.requests, 0),
      unexpected_statuses: rounds.reduce((sum, x) => sum + x.unexpected, 0),
      statuses: rounds.reduce((all, x) => {
        for (const [code, count] of Object.entries(x.statuses)) all[code] = (all[code] ?? 0) + count;
        return all;
      }, {}),
      counts: counts[s.name] ?? null,
      rounds: rounds.map((x) => ({
        rps: round(x.rps, 1),
        p50_ms: round(x.p50, 3),
        p99_ms: round(x.p99, 3),
        cpu_ms: round(x.workerd_cpu_ms, 3),
      })),
    };
  });
}

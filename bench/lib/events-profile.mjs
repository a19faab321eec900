// @ts-check
import { AUTH } from "./events-api.mjs";
import { createScenario, createWithDestination } from "./events-create.mjs";
import { drive } from "./load.mjs";
import { profileDuring } from "./profile.mjs";

/**
 * `--profile` in the events section: CPU profiles of Roster's isolate (by package and source
 * function, through the bundle's source map) during
 * - creates with one destination, the consumer held back: what a create pays for its event
 *   (the outbox rows, the queue send after the commit);
 * - the drain of those creates' events once the consumer is released: the consumer alone,
 *   per delivered event (claim, sign, POST, record);
 * - creates with one destination end to end: both interleaved on the one workerd thread.
 * Each its own run after the measured rounds, so the profiler costs none of them.
 */
export async function profileEvents(
  env,
  receiver,
  { inspectorPort, mapPath, durationSeconds, connections, tag, maxBatchTimeout },
) {
  const { created, scenario } = createScenario(`${tag}p`);
  const run = () => drive(env.urls.roster, scenario, { durationSeconds, connections, headers: AUTH });
  await run(); // warm-up
  const profiles = [];
  const profiled = (name) => async (load) => {
    let result;
    const profile = await profileDuring(inspectorPort, mapPath, async () => {
      result = await load();
      return result;
    });
    profiles.push({ scenario: name, ...profile });
    return result;
  };
  const profiledDrain = (name) => async (drain, events) => {
    let all = false;
    const profile = await profileDuring(inspectorPort, mapPath, async () => {
      all = await drain();
      return { requests: events, rps: Number.NaN };
    });
    profiles.push({ scenario: name, ...profile, per: "delivered event" });
    return all;
  };
  await createWithDestination(env, receiver, run, created, {
    inboxPath: "/profile-held",
    holdConsumer: true,
    recorded: true,
    maxBatchTimeout,
    during: profiled("create, one destination, consumer held (the create's own cost)"),
    duringDrain: profiledDrain("delivery of those events once released (the consumer alone)"),
  });
  await createWithDestination(env, receiver, run, created, {
    inboxPath: "/profile-with",
    holdConsumer: false,
    recorded: true,
    maxBatchTimeout,
    during: profiled("create, one destination, end to end (consumer on the same thread)"),
  });
  return profiles;
}

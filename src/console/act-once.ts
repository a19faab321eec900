import { requestFingerprint } from "../idempotency/fingerprint";
import type { CompletedKeyRow } from "../idempotency/idempotency.repository";
import { replayResponse } from "../idempotency/kept-response";
import { claimKey } from "../idempotency/lock";
import { holdingLock, type Keepable, keepOrRelease } from "../idempotency/middleware";
import { sha256Hex } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { type Answer, type KeepAnswer, keepAnswer } from "../lib/kept-answer";
import { describeError, logError } from "../lib/logger";
import type { ConsoleContext, PostedForm } from "./http";

/**
 * A form submitted twice acts once. Every rendered form carries a one-time token (a hidden
 * `form_token`), used as the organization's Idempotency-Key through the API's own machinery
 * (src/idempotency: the D1 lock row decides every race, the fingerprint is the method, path
 * and form body). The first submission runs; a second one while it runs is refused, and one
 * after it finished gets the first one's answer again: a redirect to the page showing the
 * result. Only that redirect is kept (a status, a `Location`, no body), never a page: a page
 * can show customer PII, which a kept row would hold past an archive, and the API-key page
 * shows a new key's secret once. A submission that changed nothing (refused input, a
 * conflict) is not kept: sent again, it runs again, as the same request through the API would
 * fail again.
 *
 * Crash safety (spec section 5, as the API's idempotency middleware): the action runs holding
 * the lock, with the request's AnswerKeeper set, and each action hands the service it calls
 * `keepRedirect(c, location)`, so the redirect commits in the change's own batch. A Worker that
 * dies right after that batch leaves a kept redirect, never a form that would act again.
 */

/** What an action answered, and the redirect a repeated submission gets instead (null: not kept). */
export type Acted = { response: Response; replayAs: string | null };

/** The prefix of the console's Idempotency-Keys: apart from any key an API client chooses. */
const KEY_PREFIX = "console-form:";

/** A console form was submitted again while its first submission ran, or with other values. */
export class FormAlreadySubmitted extends Error {
  constructor(readonly stillRunning: boolean) {
    super(stillRunning ? "form still being submitted" : "form already submitted with other values");
  }
}

/** The answer a repeated submission gets: see other, `location`. */
const redirectTo = (location: string): Answer => ({ status: 303, body: null, headers: { Location: location } });

/** What the console keeps of an answer: its status and `Location`, no body (never a page). */
function keptRedirect(answer: Answer): Keepable {
  const location = answer.headers?.Location;
  if (answer.status !== 303 || location === undefined) throw new Error("a console form keeps only its redirect");
  return { kept: { status: 303, headers: { Location: location }, body: "" }, subject: null };
}

/**
 * For the service a console action calls: keeps "see other, `location`" in the batch that
 * commits the change (nothing without a form's lock, e.g. outside actOnce).
 */
export const keepRedirect = (c: ConsoleContext, location: string): KeepAnswer<unknown> =>
  keepAnswer(c, () => redirectTo(location));

const replayOf = (row: CompletedKeyRow) =>
  replayResponse({ status: row.status, headers: JSON.parse(row.headers) as Record<string, string>, body: row.body });

export async function actOnce(
  c: ConsoleContext,
  orgId: string,
  form: PostedForm,
  formToken: string,
  act: () => Promise<Acted>,
): Promise<Response> {
  const db = c.get("db");
  const keyHash = await sha256Hex(`${KEY_PREFIX}${formToken}`);
  const fingerprint = await requestFingerprint("POST", c.req.url, form.raw);
  let claim: Awaited<ReturnType<typeof claimKey>>;
  try {
    claim = await claimKey(db, orgId, keyHash, fingerprint);
  } catch (error) {
    if (error instanceof ApiError && error.code === "idempotency_request_in_progress") {
      throw new FormAlreadySubmitted(true);
    }
    if (error instanceof ApiError && error.code === "idempotency_key_reused") throw new FormAlreadySubmitted(false);
    throw error;
  }
  if (claim.kind === "completed") return replayOf(claim.row);
  const { lock } = claim;
  let acted: Acted;
  let keptInBatch: boolean;
  try {
    ({ value: acted, keptInBatch } = await holdingLock(c, lock, act, { keepable: keptRedirect }));
  } catch (error) {
    // A change that committed (its redirect with it) is answered with its redirect, whatever
    // failed after it; otherwise nothing changed and the key is given back.
    // (Storage failing here too: the lock dies after 60 seconds.)
    const kept = await keepOrRelease(c, lock, true, async () => null).catch(() => null);
    if (kept) return replayOf(kept);
    throw error;
  }
  // The change kept its redirect in its batch; an action that changed nothing keeps it now (a
  // no-op success), or gives the key back (refused: sent again, it runs again).
  const replayAs = acted.replayAs;
  const keepNow = async () => (replayAs === null ? null : keptRedirect(redirectTo(replayAs)));
  await keepOrRelease(c, lock, keptInBatch, keepNow).catch((error: unknown) =>
    // Whatever happened here, the action's answer stands (a lock left running dies after 60 s).
    logError("could not keep a console form's answer", { request_id: c.get("requestId"), error: describeError(error) }),
  );
  return acted.response;
}

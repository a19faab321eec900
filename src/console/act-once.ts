import { requestFingerprint } from "../idempotency/fingerprint";
import { completeKey, releaseLock } from "../idempotency/idempotency.repository";
import { replayResponse } from "../idempotency/kept-response";
import { claimKey } from "../idempotency/lock";
import { RETENTION_MS } from "../idempotency/middleware";
import { sha256Hex } from "../lib/crypto";
import { ApiError } from "../lib/errors";
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
  if (claim.kind === "completed") {
    return replayResponse({
      status: claim.row.status,
      headers: JSON.parse(claim.row.headers) as Record<string, string>,
      body: claim.row.body,
    });
  }
  let acted: Acted;
  try {
    acted = await act();
  } catch (error) {
    await releaseLock(db, claim.lock).catch(() => {});
    throw error;
  }
  if (acted.replayAs === null) {
    await releaseLock(db, claim.lock);
    return acted.response;
  }
  const now = Date.now();
  // The change has committed: its answer is the success page whatever happens here (a lock
  // left running dies after 60 seconds, as under the API's middleware).
  await completeKey(db, claim.lock, {
    status: 303,
    headers: JSON.stringify({ Location: acted.replayAs }),
    body: "",
    subject: null,
    completedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + RETENTION_MS).toISOString(),
  }).catch((error: unknown) =>
    logError("could not keep a console form's answer", { request_id: c.get("requestId"), error: describeError(error) }),
  );
  return acted.response;
}

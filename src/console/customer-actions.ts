import { archive, unarchive } from "../customers/archive.service";
import { toCustomerObject } from "../customers/customers.object";
import * as customers from "../customers/customers.service";
import { requestOutbox } from "../event-deliveries/outbox";
import { ApiError, type FieldError } from "../lib/errors";
import { fieldErrorsFrom } from "../lib/validation-hook";
import { adjust } from "../money/ledger.service";
import { AdjustmentBody } from "../money/money.schemas";
import { gatewayKeyRing } from "../payment-gateway/configuration";
import * as subscriptions from "../subscriptions/subscriptions.service";
import { type Acted, keepRedirect } from "./act-once";
import { customerDeps, renderCustomer } from "./customers";
import type { SignedIn } from "./guard";
import { type ConsoleContext, field, seeOther } from "./http";
import { formValuesFrom, patchFrom, unsavedValues } from "./profile-form";
import type { AdjustmentValues } from "./views/customer-billing";
import { customerPath } from "./views/customer-profile";
import type { NoticeCode } from "./views/layout";

/**
 * The customer page's actions. Each calls the customer services the API's handlers call (the
 * same validation, the same events in the same batches), then sends the browser to the
 * customer's page with a notice. A refused action changes nothing and shows the page with
 * what was wrong; it is not kept (act-once.ts), so sending the same form again tries again.
 */

const idOf = (c: ConsoleContext) => c.req.param("id") ?? "";

/** The customer's page with a notice: where a successful action sends the browser. */
const noticePath = (id: string, notice: NoticeCode) => `${customerPath(id)}?notice=${notice}`;

/** Success: to the customer's page, with a notice; a repeated submission gets the same redirect. */
function done(id: string, notice: NoticeCode): Acted {
  const location = noticePath(id, notice);
  return { response: seeOther(location), replayAs: location };
}

/** For the service: keeps the redirect `done(id, notice)` answers in the change's own batch (act-once.ts). */
const keepDone = (c: ConsoleContext, id: string, notice: NoticeCode) => keepRedirect(c, noticePath(id, notice));

/** A refusal the API would answer with a problem: shown on the customer's page, with its status. */
async function refusedOnPage(c: ConsoleContext, who: SignedIn, id: string, error: unknown): Promise<Acted> {
  if (!(error instanceof ApiError) || error.status >= 500) throw error;
  return { response: await renderCustomer(c, who, id, error.status, { problem: error.detail }), replayAs: null };
}

/**
 * Edit the profile: a PATCH of the fields that differ from what the page showed, with the
 * page's ETag as If-Match. Someone else's change in between is never overwritten: the page
 * comes back with the fresh values (412). Refused input comes back as typed, the problems named.
 */
export async function editProfile(c: ConsoleContext, who: SignedIn, form: URLSearchParams): Promise<Acted> {
  const id = idOf(c);
  const deps = customerDeps(c);
  const values = formValuesFrom(form);
  const etag = field(form, "etag");
  try {
    const current = await customers.get(deps, { id });
    customers.checkIfMatch(etag, current);
    const patch = patchFrom(values, toCustomerObject(current));
    if (Object.keys(patch).length === 0) return done(id, "unchanged");
    await customers.update(deps, { id }, etag, patch, keepDone(c, id, "updated"));
    return done(id, "updated");
  } catch (error) {
    if (!(error instanceof ApiError) || error.status >= 500) throw error;
    if (error.code === "precondition_failed") {
      // No values in the draft: the form shows what is stored now, not what was sent.
      const problem =
        "Someone else changed this customer after you opened the page. Nothing was saved: the form now shows the current values. Make your change again.";
      const fresh = toCustomerObject(await customers.get(deps, { id }));
      const unsaved = unsavedValues(values, fresh);
      const page = await renderCustomer(c, who, id, 412, { draft: { problem, errors: [], unsaved } });
      return { response: page, replayAs: null };
    }
    if (error.code === "customer_archived" || error.code === "customer_not_found")
      return refusedOnPage(c, who, id, error);
    const draft = { values, problem: error.detail, errors: error.options.errors ?? [] };
    return { response: await renderCustomer(c, who, id, error.status, { draft }), replayAs: null };
  }
}

/** Remove one metadata key (an absent key: nothing changes). */
export async function removeMetadataKey(c: ConsoleContext, who: SignedIn, form: URLSearchParams): Promise<Acted> {
  const id = idOf(c);
  try {
    const keep = keepDone(c, id, "metadata_removed");
    await customers.deleteMetadataKey(customerDeps(c), { id }, undefined, form.get("key") ?? "", keep);
    return done(id, "metadata_removed");
  } catch (error) {
    return refusedOnPage(c, who, id, error);
  }
}

/** Cancel one of the customer's subscriptions (already canceled: nothing changes). */
export async function cancelSubscription(c: ConsoleContext, who: SignedIn): Promise<Acted> {
  const id = idOf(c);
  const deps = customerDeps(c);
  try {
    // As the API's route: the customer must be live (404/410 otherwise).
    await customers.get(deps, { id });
    const subscriptionId = c.req.param("subscription_id") ?? "";
    const keep = keepDone(c, id, "subscription_canceled");
    await subscriptions.cancel(deps.db, deps.orgId, id, subscriptionId, deps.events, keep);
    return done(id, "subscription_canceled");
  } catch (error) {
    return refusedOnPage(c, who, id, error);
  }
}

/** Archive, once the person typed the customer's id (the page says what archiving erases). */
export async function archiveCustomer(c: ConsoleContext, who: SignedIn, form: URLSearchParams): Promise<Acted> {
  const id = idOf(c);
  if (field(form, "confirm_id") !== id) {
    const problem = "The id typed does not match this customer's id: nothing was archived.";
    return { response: await renderCustomer(c, who, id, 400, { problem }), replayAs: null };
  }
  try {
    const archived = await archive(customerDeps(c), { id }, undefined, keepDone(c, id, "archived"));
    if (!archived) return refusedOnPage(c, who, id, new ApiError("customer_not_found"));
    return done(id, "archived");
  } catch (error) {
    return refusedOnPage(c, who, id, error);
  }
}

/** Unarchive (a live customer: nothing changes). */
export async function unarchiveCustomer(c: ConsoleContext, who: SignedIn): Promise<Acted> {
  const id = idOf(c);
  try {
    await unarchive(customerDeps(c), { id }, keepDone(c, id, "unarchived"));
    return done(id, "unarchived");
  } catch (error) {
    return refusedOnPage(c, who, id, error);
  }
}

/** The adjustment form's amount as the API's JSON would carry it: a number when it is written as an integer. */
const amountOf = (text: string): unknown => (/^[+-]?\d{1,15}$/.test(text) ? Number(text) : text);

/**
 * Adjust a balance: `POST /v1/customers/{id}/balance_transactions` through its service, with
 * its validation (AdjustmentBody: a non-zero signed integer in minor units, an ISO 4217
 * currency, an optional description) and its refusals (`409 balance_insufficient`, the money
 * routes' `503 configuration_missing`, …), each shown next to the form with what was typed.
 */
export async function adjustBalance(c: ConsoleContext, who: SignedIn, form: URLSearchParams): Promise<Acted> {
  const id = idOf(c);
  const values: AdjustmentValues = {
    amount: field(form, "amount"),
    currency: field(form, "currency"),
    description: field(form, "description"),
  };
  const refused = async (status: number, problem: string, errors: FieldError[] = []) => ({
    response: await renderCustomer(c, who, id, status, { adjustment: { values, problem, errors } }),
    replayAs: null,
  });
  const parsed = AdjustmentBody.safeParse({
    amount: amountOf(values.amount),
    currency: values.currency,
    description: values.description === "" ? null : values.description,
  });
  if (!parsed.success) {
    return refused(400, "Nothing was adjusted: the form has a problem.", fieldErrorsFrom("form", parsed.error));
  }
  try {
    // As the API's route: no money operation without the deployment's GATEWAY_ENCRYPTION_KEY.
    await gatewayKeyRing(c.env);
    const input = { ...parsed.data, description: parsed.data.description ?? null };
    const deps = { db: c.get("db"), orgId: c.get("orgId"), events: requestOutbox(c) };
    await adjust(deps, id, input, keepDone(c, id, "balance_adjusted"));
    return done(id, "balance_adjusted");
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.code === "customer_archived" || error.code === "customer_not_found")
      return refusedOnPage(c, who, id, error);
    if (error.status >= 500 && error.code !== "configuration_missing") throw error;
    return refused(error.status, error.detail, error.options.errors);
  }
}

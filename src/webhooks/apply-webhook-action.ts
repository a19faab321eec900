import { archive } from "../customers/archive.service";
import type { CustomerDeps } from "../customers/customers.service";
import { provisionFromEvent } from "../customers/provision.service";
import { ApiError } from "../lib/errors";
import { type KeepAnswer, keepNothing } from "../lib/kept-answer";
import type { WebhookAction } from "./webhook-events";

/** What applying one event came to; a `failed` event is one the sender must not retry. */
export type WebhookOutcome =
  | { status: "applied"; customerId: string }
  | { status: "stale" | "archived" | "ignored" }
  | { status: "failed"; error: ApiError };

/**
 * Applies a verified event's action. The event's own mistakes (invalid data, a 4xx from
 * provisioning such as a conflict) become `failed`, since a retry cannot fix them; anything
 * else (storage unavailable, a bug) is thrown, so the delivery answers 5xx and is retried.
 */
export async function applyWebhookAction(
  deps: CustomerDeps,
  action: WebhookAction,
  keep: KeepAnswer<WebhookOutcome> = keepNothing,
): Promise<WebhookOutcome> {
  try {
    return await apply(deps, action, keep);
  } catch (error) {
    if (error instanceof ApiError && error.status < 500) return { status: "failed", error };
    throw error;
  }
}

const applied = (customerId: string): WebhookOutcome => ({ status: "applied", customerId });

async function apply(
  deps: CustomerDeps,
  action: WebhookAction,
  keep: KeepAnswer<WebhookOutcome>,
): Promise<WebhookOutcome> {
  switch (action.kind) {
    case "ignore":
      return { status: "ignored" };
    case "invalid": {
      const count = action.errors.length;
      throw new ApiError("validation_failed", `The event is invalid: ${count} problem${count === 1 ? "" : "s"}.`, {
        errors: action.errors,
      });
    }
    case "archive": {
      const { identity } = action;
      const ref = "id" in identity ? { id: identity.id } : { alternativeId: identity.alternative_id };
      // Archiving an archived customer again is what the event asks for: done.
      const archived = await archive(deps, ref, undefined, (row, committed) => keep(applied(row.id), committed));
      return archived ? applied(archived.id) : { status: "ignored" };
    }
    case "provision": {
      const provisioned = await provisionFromEvent(deps, action.body, action.eventAt, (result, committed) =>
        keep(applied(result.customer.id), committed),
      );
      if (provisioned.status === "stale" || provisioned.status === "archived") return { status: provisioned.status };
      return applied(provisioned.customer.id);
    }
  }
}

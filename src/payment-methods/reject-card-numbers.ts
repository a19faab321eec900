import { createMiddleware } from "hono/factory";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "../lib/types";
import { cardNumberErrors } from "./card-numbers";

/**
 * Runs after the JSON body reader and before the schema: a body holding a card number is
 * refused whole, before anything else looks at it, and the problem names only where the
 * number was, never the number (a validation error could otherwise echo a key).
 */
export const rejectCardNumbers = createMiddleware<AppEnv>(async (c, next) => {
  const errors = cardNumberErrors(await c.req.json());
  if (errors.length > 0) {
    throw new ApiError(
      "validation_failed",
      `The request body holds ${errors.length === 1 ? "a card number" : `${errors.length} card numbers`}; none was stored.`,
      { errors },
    );
  }
  await next();
});

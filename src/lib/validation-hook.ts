import type { Hook } from "@hono/zod-openapi";
import type { z } from "zod";
import { ApiError, type FieldError } from "./errors";
import type { AppEnv } from "./types";

/** Fields the API returns but never accepts: sending one is named as such, not as unknown. */
const READ_ONLY_FIELDS = new Set(["object", "id", "created_at", "updated_at", "has_payment_method", "archived_at"]);

type Target = "json" | "query" | "param" | "header" | "cookie" | "form";

const escapeSegment = (segment: PropertyKey) => String(segment).replaceAll("~", "~0").replaceAll("/", "~1");

export function pointerFor(target: Target, path: readonly PropertyKey[]): string {
  const tail = path.map((segment) => `/${escapeSegment(segment)}`).join("");
  switch (target) {
    case "json":
    case "form":
      return tail;
    case "param":
      return `#/path${tail}`;
    default:
      return `#/${target}${tail}`;
  }
}

export function fieldErrorsFrom(target: Target, error: z.ZodError): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const readOnly = target === "json" && issue.path.length === 0 && READ_ONLY_FIELDS.has(key);
        out.push({
          pointer: pointerFor(target, [...issue.path, key]),
          detail: readOnly ? "is read-only and cannot be sent" : "is not a known field",
        });
      }
      continue;
    }
    out.push({ pointer: pointerFor(target, issue.path), detail: issue.message });
  }
  return out;
}

/** The validation hook every route shares: any schema failure is one 400 listing all problems. */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (result.success) return;
  const target = (result as { target?: Target }).target ?? "json";
  const errors = fieldErrorsFrom(target, result.error as z.ZodError);
  const where = target === "json" ? "body" : target === "param" ? "path" : target;
  throw new ApiError(
    "validation_failed",
    `The request ${where} is invalid: ${errors.length} problem${errors.length === 1 ? "" : "s"}.`,
    { errors },
  );
};

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

type Issue = z.core.$ZodIssue;

/** The branch of `X | null` that only says "expected null". */
const isNullBranch = (branch: readonly Issue[]) =>
  branch.length === 1 &&
  branch[0]?.code === "invalid_type" &&
  branch[0].expected === "null" &&
  branch[0].path.length === 0;

/**
 * The issues to name. A failed `X | null` (how a schema the document names is made nullable
 * without making its component nullable) reports X's own problems at their fields, not zod's
 * "Invalid input" for the union.
 */
function reportedIssues(issues: readonly Issue[]): Issue[] {
  return issues.flatMap((issue) => {
    if (issue.code !== "invalid_union") return [issue];
    const others = issue.errors.filter((branch) => !isNullBranch(branch));
    const [only] = others;
    if (others.length !== 1 || others.length === issue.errors.length || !only) return [issue];
    return reportedIssues(only.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] })));
  });
}

export function fieldErrorsFrom(target: Target, error: z.ZodError): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of reportedIssues(error.issues)) {
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
    // A record's key failed its own schema: zod says only "Invalid key in record"; the key's
    // own problems name the rule.
    const detail =
      issue.code === "invalid_key" && issue.issues.length
        ? issue.issues.map((keyIssue) => keyIssue.message).join("; ")
        : issue.message;
    out.push({ pointer: pointerFor(target, issue.path), detail });
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

import { type ProblemCode, problems, problemType } from "./problems";

/** One field problem: a JSON Pointer into the body, or `#/query/<name>`, `#/path/<name>`. */
export type FieldError = { pointer: string; detail: string };

export type ApiErrorOptions = {
  errors?: FieldError[];
  /** Extension members added to the problem body (each declared on the Problem schema). */
  extensions?: ProblemExtensions;
  headers?: Record<string, string>;
};

/** The extension members a problem may carry (declared on the Problem schema in lib/openapi.ts). */
export type ProblemExtensions = {
  /** customer_archived: when the customer was archived. */
  archived_at?: string;
  /** subscription_exists: the active subscription. */
  subscription_id?: string;
  /** payment_failed: the declined charge, kept with status "failed". */
  charge_id?: string;
  /** payment_failed: the gateway's reason (`insufficient_funds`, …), null when it gave none. */
  decline_code?: string | null;
};

/** A problem+json body as Roster sends it. */
export type ProblemBody = {
  type: string;
  title: string;
  status: number;
  code: ProblemCode;
  detail: string;
  request_id: string;
  errors?: FieldError[];
} & ProblemExtensions;

/** Every problem's Content-Type (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** The one error type handlers throw; the app's error handler turns it into problem+json. */
export class ApiError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly detail: string;
  readonly options: ApiErrorOptions;

  constructor(code: ProblemCode, detail?: string, options: ApiErrorOptions = {}) {
    super(detail ?? problems[code].title);
    this.name = "ApiError";
    this.code = code;
    this.status = problems[code].status;
    this.detail = detail ?? problems[code].meaning;
    this.options = options;
  }

  toProblem(requestId: string): ProblemBody {
    const body: ProblemBody = {
      type: problemType(this.code),
      title: problems[this.code].title,
      status: this.status,
      code: this.code,
      detail: this.detail,
      request_id: requestId,
    };
    if (this.options.errors) body.errors = this.options.errors;
    return { ...body, ...this.options.extensions };
  }

  toResponse(requestId: string): Response {
    const headers = new Headers(this.options.headers);
    headers.set("Content-Type", PROBLEM_CONTENT_TYPE);
    return new Response(JSON.stringify(this.toProblem(requestId)), { status: this.status, headers });
  }
}

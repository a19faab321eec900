import { type ProblemCode, problems, problemType } from "./problems";

/** One field problem: a JSON Pointer into the body, or `#/query/<name>`, `#/path/<name>`. */
export type FieldError = { pointer: string; detail: string };

export type ApiErrorOptions = {
  errors?: FieldError[];
  /** Extension members added to the problem body (e.g. `archived_at`). */
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
};

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

  toProblem(requestId: string): Record<string, unknown> {
    const body: Record<string, unknown> = {
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
    headers.set("Content-Type", "application/problem+json");
    return new Response(JSON.stringify(this.toProblem(requestId)), { status: this.status, headers });
  }
}

import { dereference, type OutputUnit, type Schema, validate } from "@cfworker/json-schema";

/**
 * Checks a response against the served OpenAPI document, the way a generated client would
 * read it: the operation exists, the status is declared, the Content-Type is one of the
 * declared media types, a JSON body validates against the declared schema (OpenAPI 3.1
 * schemas are JSON Schema 2020-12), and required response headers are present.
 *
 * Requests the document cannot describe are held to the rules its description states: an
 * unknown path answers `404 not_found`, a known path with another method `405
 * method_not_allowed` with `Allow`; both bodies are the Problem schema.
 */

type Reference = { $ref: string };
type Header = { required?: boolean; schema?: Schema };
type MediaType = { schema?: Schema };
type ResponseObject = { headers?: Record<string, Header | Reference>; content?: Record<string, MediaType> };
type Operation = { operationId?: string; responses?: Record<string, ResponseObject | Reference> };
type PathItem = Record<string, Operation>;
export type OpenApiDocument = { paths?: Record<string, PathItem>; components?: { schemas?: Record<string, Schema> } };

export type Exchange = { method: string; path: string; status: number; headers: Headers; text: string };

const DOCUMENT_ID = "https://roster.test/v1/openapi.json";
const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

type PathMatcher = { template: string; pattern: RegExp; literalSegments: number; item: PathItem };

function matcherOf(template: string, item: PathItem): PathMatcher {
  const segments = template.split("/");
  const source = segments
    .map((segment) =>
      // A parameter is one raw segment: an encoded "/" (%2F) inside an alternative ID stays in it.
      /^\{[^}]+\}$/.test(segment) ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("/");
  return {
    template,
    // The routers are not strict: a trailing slash reaches the same route.
    pattern: new RegExp(`^${source}/?$`),
    literalSegments: segments.filter((segment) => !segment.startsWith("{")).length,
    item,
  };
}

const isJson = (mediaType: string) => mediaType === "application/json" || mediaType.endsWith("+json");

const mediaTypeOf = (headers: Headers) => headers.get("Content-Type")?.split(";")[0]?.trim().toLowerCase() ?? null;

function mediaRangeMatches(range: string, mediaType: string): boolean {
  if (range === "*/*" || range === mediaType) return true;
  return range.endsWith("/*") && mediaType.startsWith(range.slice(0, -1));
}

export class ConformanceChecker {
  private readonly lookup: ReturnType<typeof dereference>;
  private readonly matchers: PathMatcher[];

  constructor(private readonly document: OpenApiDocument) {
    // Indexes every subschema by its JSON pointer, so `#/components/schemas/…` refs resolve.
    this.lookup = dereference({ ...document, $id: DOCUMENT_ID } as Schema);
    this.matchers = Object.entries(document.paths ?? {}).map(([template, item]) => matcherOf(template, item));
  }

  /** Every way the exchange breaks the document; empty when it conforms. */
  check(exchange: Exchange): string[] {
    const { method, path, status } = exchange;
    const candidates = this.matchers.filter((matcher) => matcher.pattern.test(path));
    if (!candidates.length) return this.undocumented(exchange, 404, "not_found", `unknown path ${path}`);
    // OpenAPI: concrete paths match before templated ones (/v1/customers/provision before /v1/customers/{id}).
    const best = Math.max(...candidates.map((candidate) => candidate.literalSegments));
    const matched = candidates.filter((candidate) => candidate.literalSegments === best);
    const operationMethod = method.toLowerCase() === "head" ? "get" : method.toLowerCase();
    const found = matched.find((candidate) => candidate.item[operationMethod]);
    const operation = found?.item[operationMethod];
    if (!found || !operation) {
      const allowed = matched.flatMap((candidate) => HTTP_METHODS.filter((name) => candidate.item[name]));
      return this.undocumented(
        exchange,
        405,
        "method_not_allowed",
        `${method} ${matched[0]?.template ?? path} (the path has ${allowed.join(", ").toUpperCase()})`,
        "Allow",
      );
    }
    const name = `${method} ${found.template} (${operation.operationId ?? "no operationId"})`;
    const responses = operation.responses ?? {};
    const declared = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default ?? undefined;
    if (!declared) {
      return [
        `${name} answered ${status}, which it does not declare (it declares ${Object.keys(responses).join(", ")})`,
      ];
    }
    return this.checkResponse(`${name} → ${status}`, this.resolve(declared), exchange);
  }

  /** Requests no operation covers: the status and Problem body the API description promises. */
  private undocumented(exchange: Exchange, status: number, code: string, what: string, header?: string): string[] {
    const where = `${exchange.method} ${exchange.path}: ${what}`;
    if (exchange.status !== status) return [`${where} answered ${exchange.status}, expected ${status} ${code}`];
    const schema = { $ref: `${DOCUMENT_ID}#/components/schemas/Problem` };
    const problem = { content: { "application/problem+json": { schema } } };
    const failures = this.checkResponse(where, problem, exchange);
    if (header && !exchange.headers.has(header)) failures.push(`${where}: no ${header} header`);
    return failures;
  }

  private checkResponse(name: string, declared: ResponseObject, exchange: Exchange): string[] {
    const failures = this.checkHeaders(name, declared, exchange.headers);
    const content = declared.content ?? {};
    const mediaType = mediaTypeOf(exchange.headers);
    const head = exchange.method.toUpperCase() === "HEAD";
    if (!Object.keys(content).length) {
      if (exchange.text) failures.push(`${name}: declares no content but the body is ${exchange.text.slice(0, 200)}`);
      return failures;
    }
    if (!mediaType) return [...failures, `${name}: no Content-Type (declared: ${Object.keys(content).join(", ")})`];
    const range = Object.keys(content).find((candidate) => mediaRangeMatches(candidate, mediaType));
    if (!range) {
      return [...failures, `${name}: Content-Type ${mediaType} is not declared (${Object.keys(content).join(", ")})`];
    }
    const schema = content[range]?.schema;
    if (head || !schema || !isJson(mediaType)) return failures;
    let body: unknown;
    try {
      body = JSON.parse(exchange.text);
    } catch {
      return [...failures, `${name}: the ${mediaType} body is not JSON: ${exchange.text.slice(0, 200)}`];
    }
    return [...failures, ...this.schemaFailures(`${name} body`, body, schema)];
  }

  private checkHeaders(name: string, declared: ResponseObject, headers: Headers): string[] {
    const failures: string[] = [];
    for (const [headerName, declaredHeader] of Object.entries(declared.headers ?? {})) {
      // OpenAPI: a Content-Type entry under headers is ignored.
      if (headerName.toLowerCase() === "content-type") continue;
      const header = this.resolve(declaredHeader);
      const value = headers.get(headerName);
      if (value === null) {
        if (header.required) failures.push(`${name}: required header ${headerName} is missing`);
        continue;
      }
      if (!header.schema) continue;
      const numeric = ["integer", "number"].includes(String((header.schema as { type?: unknown }).type));
      const instance = numeric && value.trim() !== "" && !Number.isNaN(Number(value)) ? Number(value) : value;
      failures.push(...this.schemaFailures(`${name} header ${headerName}`, instance, header.schema));
    }
    return failures;
  }

  private schemaFailures(name: string, instance: unknown, schema: Schema): string[] {
    const result = validate(instance, schema, "2020-12", this.lookup, false);
    if (result.valid) return [];
    return [`${name} does not match its schema:\n${describeErrors(result.errors, instance)}`];
  }

  /** Follows a local `$ref` (`#/components/…`) to the object it names. */
  private resolve<T extends object>(value: T | Reference): T {
    if (!("$ref" in value)) return value;
    const target = value.$ref
      .replace(/^#\//, "")
      .split("/")
      .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"))
      .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], this.document);
    if (!target || typeof target !== "object") throw new Error(`unresolvable $ref ${value.$ref}`);
    return this.resolve(target as T | Reference);
  }
}

/** The deepest errors first (they name the offending value), at most eight, each at its JSON pointer. */
function describeErrors(errors: OutputUnit[], instance: unknown): string {
  const lines = [...errors]
    .sort((a, b) => b.instanceLocation.length - a.instanceLocation.length)
    .slice(0, 8)
    .map((error) => {
      const pointer = error.instanceLocation.replace(/^#/, "") || "/";
      return `  at ${pointer} (${error.keywordLocation}): ${error.error}`;
    });
  return `${lines.join("\n")}\n  body: ${JSON.stringify(instance).slice(0, 500)}`;
}

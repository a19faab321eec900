import { createMiddleware } from "hono/factory";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "../lib/types";
import { MAX_JSON_DEPTH, nestingDepthExceeds } from "./json-depth";

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const DEFAULT_BODY_LIMIT = 64 * KiB;

// application/json, optionally with a UTF-8 charset: JSON is UTF-8 on the wire (RFC 8259).
const JSON_CONTENT_TYPE = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

// Stateless between calls (no `stream` option), so one instance serves every request.
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * Reads the body once, with a byte limit, and decides 415 / 413 / too deep / invalid_json
 * before the schema sees it. An absent or empty body counts as `{}` so "create with no body" works.
 * Downstream readers get the body through a fresh `c.req.raw`, and the raw bytes are kept
 * for request fingerprints.
 */
export function jsonBody(limit = DEFAULT_BODY_LIMIT) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const lengthHeader = c.req.header("Content-Length");
    const declared = lengthHeader !== undefined && /^\d{1,15}$/.test(lengthHeader) ? Number(lengthHeader) : null;
    if (declared !== null && declared > limit) throw tooLarge(limit);

    // Over HTTP the runtime holds a body to its declared Content-Length, so a declared body
    // within the limit is read in one call (checked again: a Request built in code need not
    // match its header); an undeclared (chunked) one is counted as it streams.
    const raw =
      declared !== null ? new Uint8Array(await c.req.raw.arrayBuffer()) : await readLimited(c.req.raw.body, limit);
    if (raw.byteLength > limit) throw tooLarge(limit);
    const contentType = c.req.header("Content-Type");
    if (raw.byteLength > 0 && !(contentType && JSON_CONTENT_TYPE.test(contentType.trim()))) {
      throw new ApiError(
        "unsupported_media_type",
        `Send the body as JSON with Content-Type: application/json${contentType ? `, not '${contentType.slice(0, 100)}'` : ""}.`,
      );
    }
    // An absent or empty body is the empty object, whatever Content-Type came with it.
    let text = "{}";
    if (raw.byteLength > 0) {
      try {
        text = UTF8.decode(raw);
      } catch {
        throw new ApiError("invalid_json", "The request body is not valid UTF-8.");
      }
    }
    // Before anything walks it: nothing downstream needs to guard against deep nesting.
    if (nestingDepthExceeds(text, MAX_JSON_DEPTH)) {
      throw new ApiError("validation_failed", "The request body is invalid: 1 problem.", {
        errors: [{ pointer: "", detail: `nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects` }],
      });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ApiError("invalid_json", "The request body is not valid JSON.");
    }
    rejectPrototypeKeys(parsed);
    c.set("rawBody", raw);
    // The stream is consumed. Hono's validator (and `c.req.json()`) read the body through the
    // public `c.req.raw`, so hand them a request that carries the body decided on here: the
    // same bytes, or for an absent body `{}` under the JSON Content-Type the validator checks.
    const headers = new Headers(c.req.raw.headers);
    if (raw.byteLength === 0) {
      headers.set("Content-Type", "application/json");
      headers.delete("Content-Length");
    }
    c.req.raw = new Request(c.req.raw, { headers, body: raw.byteLength > 0 ? raw : text });
    await next();
  });
}

/**
 * `__proto__` is a legal JSON key that JavaScript objects cannot hold as data (zod drops it,
 * assignment would change a prototype). Refuse it wherever it appears, naming where.
 */
function rejectPrototypeKeys(value: unknown, pointer = ""): void {
  if (value === null || typeof value !== "object") return;
  for (const [key, child] of Object.entries(value)) {
    const childPointer = `${pointer}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
    if (key === "__proto__") {
      throw new ApiError("validation_failed", "The request body is invalid: 1 problem.", {
        errors: [{ pointer: childPointer, detail: "'__proto__' is not allowed as a key" }],
      });
    }
    rejectPrototypeKeys(child, childPointer);
  }
}

function tooLarge(limit: number) {
  return new ApiError("payload_too_large", `The request body is larger than ${limit / KiB} KiB.`);
}

async function readLimited(stream: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array> {
  if (!stream) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const all = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return all;
}

/**
 * The deepest nesting a JSON body may have. Roster's own bodies nest at most a few levels;
 * anything deeper is an attack on code that walks the parsed value recursively (workerd's
 * JSON.parse accepts 30,000 levels, and a recursive walk over that overflows the stack).
 */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/**
 * Whether `text` opens more than `limit` arrays or objects inside one another, counted in one
 * pass without recursion (brackets inside strings do not count). Meant to run before
 * JSON.parse: for text that is not JSON the answer only decides which 400 it gets.
 */
export function nestingDepthExceeds(text: string, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === BACKSLASH) i++;
      else if (char === QUOTE) inString = false;
    } else if (char === QUOTE) {
      inString = true;
    } else if (char === OPEN_BRACKET || char === OPEN_BRACE) {
      if (++depth > limit) return true;
    } else if (char === CLOSE_BRACKET || char === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}

/**
 * The shape of a destination URL as a JSON Schema `pattern`, for the OpenAPI document: what a
 * generated client or validator can know without the deployment. Every URL it admits passes
 * the URL parser and `urlShapeProblem` (test/openapi-rules.test.ts checks samples of each
 * part); a few odd spellings the parser also takes (`https:host` without slashes, a `\` for a
 * `/`, an empty port `host:`, a label with `--`) are left out rather
 * than described. Which addresses are refused (private networks, loopback outside
 * development) is the service's rule, not a shape (docs/openapi.md).
 *
 * Written without lookarounds, so every JSON Schema validator reads it alike.
 */

const H16 = "[0-9A-Fa-f]{1,4}";
const OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;
const LS32 = `(?:${H16}:${H16}|${IPV4})`;

/** RFC 3986's IPv6address, which the URL parser accepts in brackets. */
const IPV6 = [
  `(?:${H16}:){6}${LS32}`,
  `::(?:${H16}:){5}${LS32}`,
  `(?:${H16})?::(?:${H16}:){4}${LS32}`,
  `(?:(?:${H16}:){0,1}${H16})?::(?:${H16}:){3}${LS32}`,
  `(?:(?:${H16}:){0,2}${H16})?::(?:${H16}:){2}${LS32}`,
  `(?:(?:${H16}:){0,3}${H16})?::${H16}:${LS32}`,
  `(?:(?:${H16}:){0,4}${H16})?::${LS32}`,
  `(?:(?:${H16}:){0,5}${H16})?::${H16}`,
  `(?:(?:${H16}:){0,6}${H16})?::`,
].join("|");

/**
 * A host name of ASCII labels. The last label starts with a letter: the URL parser reads a
 * name whose last label is a number (`a.1`, `0x7f`) as an IPv4 address. No `--`, so no
 * `xn--` label, which the parser would decode as Punycode.
 */
const LABEL = "[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)*";
const LAST_LABEL = "[A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*";
const HOST_NAME = `(?:${LABEL}\\.)*${LAST_LABEL}\\.?`;

const PORT = "0*(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})";

/** After the host: anything but spaces and control characters (the parser percent-encodes the rest). */
const URL_CHARACTER = "[^\\s\\u0000-\\u001F\\u007F-\\u009F]";

export const DESTINATION_URL_PATTERN = `^[Hh][Tt][Tt][Pp][Ss]://(?:${HOST_NAME}|${IPV4}|\\[(?:${IPV6})\\])(?::${PORT})?(?:[/?#]${URL_CHARACTER}*)?$`;

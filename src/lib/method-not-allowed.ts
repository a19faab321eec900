type RouteLike = { method: string; path: string };

/**
 * One registered path: its segments (`:name` a parameter), its methods, and for each parameter
 * the route words that can never fill it (`reserved`, by segment index).
 */
type PathEntry = { segments: string[]; methods: Set<string>; reserved: Map<number, Set<string>> };

const isParameter = (segment: string) => segment.startsWith(":");

/** The same template up to `end`: equal words, or parameters in the same places. */
const samePrefix = (a: string[], b: string[], end: number) =>
  a.length > end &&
  b.length > end &&
  a.slice(0, end).every((segment, i) => {
    const other = b[i] ?? "";
    return isParameter(segment) ? isParameter(other) : segment === other;
  });

/** The request path's segments, a trailing slash ignored (the routers are not strict). */
const segmentsOf = (path: string) => (path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path).split("/");

const fits = (entry: PathEntry, segments: string[]) =>
  entry.segments.length === segments.length &&
  entry.segments.every((segment, i) => (isParameter(segment) ? (segments[i] ?? "") !== "" : segment === segments[i]));

/** Whether a parameter of the entry would take a route word of its siblings. */
const takesRouteWord = (entry: PathEntry, segments: string[]) =>
  [...entry.reserved].some(([index, words]) => words.has(segments[index] ?? ""));

function buildEntries(routes: readonly RouteLike[]): PathEntry[] {
  const byPath = new Map<string, Set<string>>();
  for (const { method, path } of routes) {
    if (method === "ALL" || path.includes("*")) continue;
    const methods = byPath.get(path) ?? new Set<string>();
    methods.add(method);
    if (method === "GET") methods.add("HEAD");
    byPath.set(path, methods);
  }
  const entries = [...byPath].map(([path, methods]) => ({
    segments: path.split("/"),
    methods,
    reserved: new Map<number, Set<string>>(),
  }));
  // `/v1/customers/provision` beside `/v1/customers/:id`: "provision" is a route word, never an id.
  for (const entry of entries) {
    entry.segments.forEach((segment, index) => {
      if (!isParameter(segment)) return;
      const words = entries
        .filter((other) => samePrefix(other.segments, entry.segments, index))
        .map((other) => other.segments[index] ?? "")
        .filter((word) => !isParameter(word));
      if (words.length) entry.reserved.set(index, new Set(words));
    });
  }
  return entries;
}

/**
 * The app's route table, read for requests the routes themselves should not decide:
 *
 * - `allowed(path)`: the methods of every path that fits, for a request that matched no route
 *   (405 with these as `Allow`, or 404 when there are none).
 * - `onRouteWord(path)`: for a path that puts a route word where a sibling path has a parameter
 *   (`PUT /v1/customers/import` fits `/v1/customers/{id}` only by taking "import" as an id), the
 *   methods of the paths it really names, possibly none; otherwise null. A route word is never
 *   a parameter's value, so such a request is answered from this alone, before any route's
 *   middleware reads its credentials, body or Idempotency-Key.
 *
 * Derived from the routes, so a route added beside a parameter (`GET /v1/customers/search`)
 * reserves its word by being registered.
 */
export function routeTable(routes: readonly RouteLike[]) {
  let entries: PathEntry[] | undefined;
  let words: Set<string> | undefined;
  const table = () => {
    entries ??= buildEntries(routes);
    words ??= new Set(entries.flatMap((entry) => [...entry.reserved.values()].flatMap((set) => [...set])));
    return { entries, words };
  };
  const allowedFor = (segments: string[]) => {
    const allowed = new Set<string>();
    for (const entry of table().entries) {
      if (fits(entry, segments) && !takesRouteWord(entry, segments)) {
        for (const method of entry.methods) allowed.add(method);
      }
    }
    return [...allowed].sort();
  };
  return {
    allowed: (path: string): string[] => allowedFor(segmentsOf(path)),
    onRouteWord: (path: string): string[] | null => {
      const segments = segmentsOf(path);
      if (!segments.some((segment) => table().words.has(segment))) return null;
      const takenAsParameter = table().entries.some(
        (entry) => fits(entry, segments) && takesRouteWord(entry, segments),
      );
      return takenAsParameter ? allowedFor(segments) : null;
    },
  };
}

type RouteLike = { method: string; path: string };

type PathMatcher = { pattern: RegExp; methods: Set<string>; isStatic: boolean };

function toPattern(path: string): RegExp {
  const source = path
    .split("/")
    .map((segment) => (segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${source}/?$`);
}

/**
 * Knows, for every registered path, which methods it has, so that a request that matched no
 * route can be told apart: known path with another method (405 + Allow) or unknown path (404).
 */
export function allowedMethodsFinder(routes: readonly RouteLike[]) {
  let matchers: PathMatcher[] | undefined;
  const build = () => {
    const byPath = new Map<string, Set<string>>();
    for (const { method, path } of routes) {
      if (method === "ALL" || path.includes("*")) continue;
      const methods = byPath.get(path) ?? new Set<string>();
      methods.add(method);
      if (method === "GET") methods.add("HEAD");
      byPath.set(path, methods);
    }
    return [...byPath].map(([path, methods]) => ({ pattern: toPattern(path), methods, isStatic: !path.includes(":") }));
  };
  /** With `staticOnly`, only routes without parameters count (e.g. /v1/customers/provision). */
  return (path: string, staticOnly = false): string[] => {
    matchers ??= build();
    const allowed = new Set<string>();
    for (const matcher of matchers) {
      if (staticOnly && !matcher.isStatic) continue;
      if (matcher.pattern.test(path)) for (const method of matcher.methods) allowed.add(method);
    }
    return [...allowed].sort();
  };
}

export function renderDocsPage(): string {
  return "<!doctype html><title>Roster API</title><p>Loading…</p>";
}

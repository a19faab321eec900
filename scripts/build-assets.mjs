// @ts-check
/**
 * Builds public/, the Worker's static assets (wrangler.toml [assets]): the API reference
 * renderer copied out of node_modules, so /docs loads nothing from a CDN, and the console's
 * stylesheet. public/ is
 * generated (gitignored); every command that serves the Worker builds it first:
 * wrangler.toml [build] (wrangler dev, so `npm run dev`, and wrangler deploy, so
 * `npm run build`) and vitest.config.ts (`npm test`). Plain Node, no dependencies, so
 * the system Node runs it as well as the one in node_modules.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const scalar = join(root, "node_modules/@scalar/api-reference");

/** [sources, path under public/]: the sources, joined in order, served at the URL path the pages reference. */
const ASSETS = [
  // Scalar's standalone bundle: one script that carries its own styles (it injects them).
  [[join(scalar, "dist/browser/standalone.js")], "docs/assets/api-reference.js"],
  // The console's stylesheet (its pages allow no inline style), kept beside its code in parts.
  [
    [join(root, "src/console/styles/pages.css"), join(root, "src/console/styles/money-and-narrow.css")],
    "console/assets/console.css",
  ],
];

/** The bundle names a 20 MB source map we do not serve; without the comment no browser asks for it. */
const withoutSourceMap = (text) => text.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n");

for (const [sources, target] of ASSETS) {
  const destination = join(root, "public", target);
  const parts = await Promise.all(sources.map((source) => readFile(source, "utf8")));
  const content = withoutSourceMap(parts.join("\n"));
  // Rewriting an unchanged file would make `wrangler dev` reload for nothing.
  const current = await readFile(destination, "utf8").catch(() => undefined);
  if (current === content) continue;
  await mkdir(dirname(destination), { recursive: true });
  await writeFile(destination, content);
}

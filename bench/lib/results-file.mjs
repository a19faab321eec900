// @ts-check
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** What a run records about the code and machine it measured, and the file it writes. */

const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const PROJECT_DIR = path.dirname(BENCH_DIR);
const require = createRequire(import.meta.url);

/** The commit (and whether the tree had changes), the tools' versions and the CPU. */
export function versions() {
  const version = (name) => {
    try {
      return require(`${name}/package.json`).version;
    } catch {
      return null;
    }
  };
  /** @type {string | null} */
  let commit = null;
  /** @type {boolean | null} */
  let dirty = null;
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: PROJECT_DIR }).toString().trim();
    dirty = execFileSync("git", ["status", "--porcelain"], { cwd: PROJECT_DIR }).toString().trim() !== "";
  } catch {
    // not a git checkout
  }
  return {
    commit,
    dirty,
    node: process.version,
    wrangler: version("wrangler"),
    autocannon: version("autocannon"),
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? null,
  };
}

/** The run as JSON in bench/results/<timestamp>.json; returns its path relative to the project. */
export async function writeResult(result, startedAt) {
  const resultsDir = path.join(BENCH_DIR, "results");
  await mkdir(resultsDir, { recursive: true });
  const stamp = startedAt
    .toISOString()
    .replaceAll(":", "-")
    .replace(/\.\d+Z$/, "Z");
  const file = path.join(resultsDir, `${stamp}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return path.relative(PROJECT_DIR, file);
}

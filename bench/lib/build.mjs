// @ts-check
import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { gzipSync } from "node:zlib";

const require = createRequire(import.meta.url);
/** wrangler's CLI, run with this process's Node (22, from node_modules): the system Node is too old. */
const WRANGLER_BIN = path.join(path.dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");

export const QUIET_WRANGLER_ENV = {
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  X_LOCAL_OBSERVABILITY: "false",
  NO_COLOR: "1",
  FORCE_COLOR: "0",
};

/**
 * @param {string[]} args
 * @param {string} cwd
 * @returns {Promise<string>}
 */
export function wrangler(args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER_BIN, ...args], {
      cwd,
      env: { ...process.env, ...QUIET_WRANGLER_ENV },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`wrangler ${args.join(" ")} exited with ${code}:\n${output}`));
    });
  });
}

const kib = (bytes) => Math.round((bytes / 1024) * 100) / 100;

/** Which packages (or src/) the bundle's bytes come from, largest first (esbuild metafile). */
function bundleComposition(metafile) {
  const byOrigin = new Map();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs ?? {})) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const origin = match ? match[1] : input.startsWith("src/") ? `src/${input.split("/")[1]}` : input;
      byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + bytesInOutput);
    }
  }
  return [...byOrigin]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([origin, bytes]) => ({ origin, kib: kib(bytes) }));
}

/** `wrangler deploy --dry-run --outdir`: the bundle as it would be uploaded, and its size. */
export async function buildBundle(projectDir, outdir) {
  const metafilePath = path.join(outdir, "bundle-meta.json");
  // The same build as an upload form too: `wrangler check startup --worker` profiles exactly it.
  const workerForm = `${outdir}.form`;
  const output = await wrangler(
    // --env "": the top-level environment, as `npm run build` does (wrangler.toml also has [env.production]).
    [
      "deploy",
      "--dry-run",
      "--outdir",
      outdir,
      "--outfile",
      workerForm,
      "--metafile",
      metafilePath,
      "--config",
      "wrangler.toml",
      "--env",
      "",
    ],
    projectDir,
  );
  const files = (await readdir(outdir)).filter((file) => /\.m?js$/.test(file));
  const modules = [];
  let bytes = 0;
  let gzipBytes = 0;
  for (const file of files) {
    const contents = await readFile(path.join(outdir, file));
    bytes += contents.byteLength;
    gzipBytes += gzipSync(contents, { level: 9 }).byteLength;
    modules.push({ path: path.join(outdir, file), contents });
  }
  const reported = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(output);
  let composition = [];
  try {
    composition = bundleComposition(JSON.parse(await readFile(metafilePath, "utf8")));
  } catch {
    // no metafile: composition stays unknown
  }
  return {
    modules,
    mapPath: path.join(outdir, "index.js.map"),
    workerForm,
    size: {
      files,
      kib: kib(bytes),
      gzip_kib: kib(gzipBytes),
      wrangler_kib: reported ? Number(reported[1]) : null,
      wrangler_gzip_kib: reported ? Number(reported[2]) : null,
      composition,
    },
  };
}

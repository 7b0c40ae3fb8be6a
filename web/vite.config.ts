// Builds the web map into the Python package (src/leolink/service/static), so that
// `pip install leolink` serves it with no npm.  The build also writes build-manifest.json: a
// hash of every input that shapes the bundle (web/src/**, package-lock.json, vite.config.*),
// which tests/web/test_bundle.py recomputes to catch a bundle that is older than its sources.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const webDir = dirname(fileURLToPath(import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The inputs of the bundle, as paths relative to web/ with "/" separators, sorted. */
function bundleInputs(): string[] {
  const configs = readdirSync(webDir).filter((name) => name.startsWith("vite.config."));
  const paths = [...filesUnder(join(webDir, "src")), join(webDir, "package-lock.json")];
  paths.push(...configs.map((name) => join(webDir, name)));
  return paths.map((path) => relative(webDir, path).split(sep).join("/")).sort();
}

/**
 * sha256 over "<path>\n<sha256 of its bytes>\n" for each input in order: the same recipe as
 * tests/web/test_bundle.py, so the two agree byte for byte.
 */
function sourcesSha256(paths: string[]): string {
  const digest = createHash("sha256");
  for (const path of paths) {
    const fileHash = createHash("sha256").update(readFileSync(join(webDir, path))).digest("hex");
    digest.update(`${path}\n${fileHash}\n`);
  }
  return digest.digest("hex");
}

function buildManifest(): Plugin {
  return {
    name: "leolink-build-manifest",
    apply: "build",
    generateBundle() {
      const inputs = bundleInputs();
      const manifest = { sources_sha256: sourcesSha256(inputs), inputs };
      this.emitFile({
        type: "asset",
        fileName: "build-manifest.json",
        source: `${JSON.stringify(manifest, null, 2)}\n`,
      });
    },
  };
}

export default defineConfig({
  root: resolve(webDir, "src"),
  base: "./",
  publicDir: false,
  plugins: [buildManifest()],
  build: {
    outDir: resolve(webDir, "../src/leolink/service/static"),
    emptyOutDir: true,
    chunkSizeWarningLimit: 4096,
    sourcemap: false,
  },
  server: {
    // `npm run dev` against a local `leolink serve` on port 8000.
    proxy: { "/v1": process.env.LEOLINK_API ?? "http://127.0.0.1:8000" },
  },
});

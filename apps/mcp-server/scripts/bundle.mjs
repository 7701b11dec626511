// Bundles the binary (src/main.ts) with everything it imports into dist/main.js, over tsc's, and a few chunks
// beside it; the @globalmcp packages come from their dist, built first. Node 20 pays per module file (~420 of them: the MCP SDK, zod, ajv ...); one bundle starts
// the server ~200 ms sooner. Split at the binary's dynamic imports, so the child servers are spawned once the
// config code has loaded, before the rest. The library entry (dist/index.js) stays unbundled.
import { readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const entry = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const CHUNK_PREFIX = 'bundle-';
for (const name of readdirSync(dist)) if (name.startsWith(CHUNK_PREFIX)) rmSync(dist + name);

await build({
  entryPoints: [entry],
  outdir: dist,
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  // chunks sit beside main.js, so version.ts still finds ../package.json
  chunkNames: `${CHUNK_PREFIX}[name]-[hash]`,
  sourcemap: true,
  // loaded on the first model call, from node_modules (a dependency of this package for that reason): bundled,
  // a dynamic import of this CommonJS package would only have a default export
  external: ['undici'],
  // bundled CommonJS (ajv, cross-spawn ...) calls require()
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});

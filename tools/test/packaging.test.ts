// The packaging test: every publishable package in packages/* works as
// published. It packs each one with `npm pack`, installs all the tarballs
// together into a fresh project outside the repository (no workspace links, no
// repository node_modules), imports every public entry from plain Node ESM,
// type-checks a TypeScript consumer against the shipped declarations, and
// runs publint. Needs built packages: Nx runs `^build` before this target.
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  assertBuilt,
  exists,
  exportTargets,
  findPublishablePackages,
  packPackage,
  publicEntries,
  repoRoot,
  run,
  specifierFor,
} from '../packaging/packTarballs.ts';
import type { PackedPackage, PublishablePackage } from '../packaging/packTarballs.ts';

/** The in-repo condition that points at src/*.ts; consumers must never need it. */
const SOURCE_CONDITION = '@globalmcp/source';
const REQUIRED_FILES = ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts'];
/** Paths (inside the tarball) that must not ship: tests, benchmarks, TypeScript and test configs. */
const FORBIDDEN_FILE = /(^|\/)(test|tests|__tests__|bench)\/|(^|\/)tsconfig[^/]*\.json$|\.tsbuildinfo$|(^|\/)vitest\.config\.[^/]+$/;

/** The repository's own TypeScript compiler, resolved from this file (not from the consumer). */
const tscPath = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');

const packages = await findPublishablePackages();
const publishableNames = new Set(packages.map((p) => p.name));

let workDir = '';
let tarballDir = '';
let consumerDir = '';
const packed = new Map<string, PackedPackage>();

function packedOf(pkg: PublishablePackage): PackedPackage {
  const result = packed.get(pkg.name);
  if (result === undefined) throw new Error(`${pkg.name} was not packed (see the error from beforeAll)`);
  return result;
}

beforeAll(async () => {
  expect(packages.length, `no publishable packages found under ${join(repoRoot, 'packages')}`).toBeGreaterThan(0);
  await assertBuilt(packages);
  workDir = await realpath(await mkdtemp(join(tmpdir(), 'globalmcp-packaging-')));
  tarballDir = join(workDir, 'tarballs');
  consumerDir = join(workDir, 'consumer');
  await mkdir(tarballDir);
  await mkdir(consumerDir);
  for (const result of await Promise.all(packages.map((pkg) => packPackage(pkg, tarballDir)))) {
    packed.set(result.pkg.name, result);
  }
});

afterAll(async () => {
  if (workDir !== '') await rm(workDir, { recursive: true, force: true });
});

/** Installs every tarball at once into the consumer project; runs once, shared by the tests that need it. */
let installation: Promise<void> | undefined;
function installed(): Promise<void> {
  installation ??= (async () => {
    const manifest = { name: 'globalmcp-packaging-consumer', version: '0.0.0', private: true, type: 'module' };
    await writeFile(join(consumerDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const tarballs = packages.map((pkg) => packedOf(pkg).tarball);
    // @types/node (the repository's range) as a Node consumer would have it: zod's declarations need its `URL`.
    const rootManifest = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
    const typesNode = `@types/node@${rootManifest.devDependencies?.['@types/node'] ?? '*'}`;
    await run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...tarballs, typesNode], consumerDir);
  })();
  return installation;
}

describe('npm pack', () => {
  test.each(packages)('$name ships package.json, README.md and the built dist/index.js and dist/index.d.ts', (pkg) => {
    const files = packedOf(pkg).files;
    const missing = REQUIRED_FILES.filter((f) => !files.includes(f));
    expect(missing, `${pkg.name}'s tarball lacks ${missing.join(', ')}; it holds:\n  ${files.join('\n  ')}`).toEqual([]);
  });

  test.each(packages)('$name ships no tests, benchmarks, tsconfig or build-info files', (pkg) => {
    const leaked = packedOf(pkg).files.filter((f) => FORBIDDEN_FILE.test(f));
    expect(leaked, `${pkg.name}'s tarball should not contain these files (check "files" in its package.json)`).toEqual([]);
  });

  test.each(packages)('$name ships every file its "exports" point to, apart from the source condition', (pkg) => {
    const files = packedOf(pkg).files;
    const missing = exportTargets(pkg.manifest, SOURCE_CONDITION).filter((f) => !files.includes(f));
    expect(missing, `${pkg.name}'s "exports" point to files missing from its tarball`).toEqual([]);
  });
});

describe('installing the tarballs into a fresh project', () => {
  test('installs all tarballs at once into a project outside the repository', async () => {
    await installed();
    expect(consumerDir.startsWith(repoRoot + sep), `the consumer ${consumerDir} must be outside ${repoRoot}`).toBe(false);
    for (const pkg of packages) {
      const installedManifest = JSON.parse(await readFile(join(consumerDir, 'node_modules', pkg.name, 'package.json'), 'utf8')) as { version: string };
      expect(installedManifest.version, `installed ${pkg.name}`).toBe(pkg.version);
    }
  });

  test('resolves dependencies between our packages to the tarballs, with one copy each, not to the registry', async () => {
    await installed();
    const lock = JSON.parse(await readFile(join(consumerDir, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { resolved?: string; version?: string }>;
    };
    for (const name of publishableNames) {
      const entry = lock.packages[`node_modules/${name}`];
      expect(entry?.resolved, `${name} in the consumer's package-lock.json should come from its tarball`).toMatch(/^file:/);
      const nested = Object.keys(lock.packages).filter((key) => key.endsWith(`/node_modules/${name}`));
      expect(nested, `a second copy of ${name} was installed (from the registry?)`).toEqual([]);
    }
    // Internal dependency ranges must accept the versions we publish alongside them.
    for (const pkg of packages) {
      for (const dep of Object.keys(pkg.manifest.dependencies ?? {}).filter((d) => publishableNames.has(d))) {
        expect(await exists(join(consumerDir, 'node_modules', pkg.name, 'node_modules', dep)), `${pkg.name} got its own copy of ${dep}`).toBe(false);
      }
    }
  });
});

/**
 * Extra runtime checks per package, as plain JS run in the consumer after every
 * entry has been imported into `entries` (keyed by specifier). Packages without
 * an entry here only need to import and have at least one export.
 */
const behaviourChecks: Record<string, string> = {
  '@globalmcp/tensor': String.raw`
const { createTensor, tokenLayout, TensorError } = entries['@globalmcp/tensor'];
const tensor = createTensor(new Float64Array(6), [2, 3]);
assert.deepEqual([...tensor.shape], [2, 3]);
assert.ok(tensor.data instanceof Float64Array);
assert.throws(() => createTensor(new Float32Array(5), [2, 3]), TensorError);
assert.deepEqual({ ...tokenLayout([3, 5, 4]) }, { axis: 1, outer: 3, tokens: 5, inner: 4, channels: 12 });
`,
  '@globalmcp/freqkv': String.raw`
const { compress, dct, TensorError } = entries['@globalmcp/freqkv'];
// Orthonormal DCT-II, straight from its definition.
const x = [1, 2, 3, 4];
const n = x.length;
const expected = x.map((_, k) =>
  Math.sqrt((k === 0 ? 1 : 2) / n) * x.reduce((sum, v, i) => sum + v * Math.cos((Math.PI * (2 * i + 1) * k) / (2 * n)), 0));
const coefficients = dct(x);
assert.equal(coefficients.length, 4);
assert.ok(Math.abs(coefficients[0] - 5) < 1e-9, 'dct([1,2,3,4])[0] should be 5, got ' + coefficients[0]);
coefficients.forEach((v, k) => assert.ok(Math.abs(v - expected[k]) < 1e-9, 'dct coefficient ' + k + ': ' + v + ' != ' + expected[k]));
// 20 tokens, 2 channels: 4 sinks + floor(0.5 * 16) = 8 span slots; a constant stays constant.
const result = compress({ data: new Float32Array(2 * 20).fill(1), shape: [20, 2] });
assert.deepEqual([...result.tensor.shape], [12, 2]);
assert.equal(result.tensor.data.length, 24);
result.tensor.data.forEach((v, i) => assert.ok(Math.abs(v - 1) <= 1e-6, 'compressed value ' + i + ' is ' + v + ', expected 1'));
// The TensorError freqkv re-exports is the one from the single installed @globalmcp/tensor.
const tensorPackage = await import('@globalmcp/tensor');
assert.equal(TensorError, tensorPackage.TensorError, 'freqkv and the consumer see different copies of @globalmcp/tensor');
`,
};

/** The ESM script that imports every public entry of `pkg` in the consumer and checks it loads dist. */
function importScript(pkg: PublishablePackage): string {
  const specifiers = publicEntries(pkg.manifest).map((subpath) => specifierFor(pkg.name, subpath));
  return `import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// Nothing may switch on the in-repo "${SOURCE_CONDITION}" condition.
assert.equal(process.env.NODE_OPTIONS, undefined, 'NODE_OPTIONS must not be set');
assert.deepEqual(process.execArgv.filter((a) => a.startsWith('--conditions') || a === '-C'), [], 'node must run without --conditions');

const packageRoot = realpathSync(new URL(${JSON.stringify(`./node_modules/${pkg.name}/`)}, import.meta.url));
const entries = {};
for (const specifier of ${JSON.stringify(specifiers)}) {
  const file = realpathSync(fileURLToPath(import.meta.resolve(specifier)));
  assert.ok(file.startsWith(packageRoot + sep + 'dist' + sep) && file.endsWith('.js'),
    specifier + ' resolved to ' + file + ', expected a .js file under ' + packageRoot + sep + 'dist');
  const mod = await import(specifier);
  assert.ok(Object.keys(mod).length > 0, specifier + ' has no exports');
  entries[specifier] = mod;
}
${behaviourChecks[pkg.name] ?? ''}
console.log(JSON.stringify(Object.fromEntries(Object.entries(entries).map(([s, m]) => [s, Object.keys(m).length]))));
`;
}

describe('importing the installed packages from plain Node ESM', () => {
  test.each(packages)('$name: every public entry imports from dist and works', async (pkg) => {
    await installed();
    const script = join(consumerDir, `import-${pkg.name.replace(/[@/]/g, '_')}.mjs`);
    await writeFile(script, importScript(pkg));
    const { stdout } = await run(process.execPath, [script], consumerDir);
    const exportCounts = JSON.parse(stdout) as Record<string, number>;
    expect(Object.keys(exportCounts).sort()).toEqual(publicEntries(pkg.manifest).map((s) => specifierFor(pkg.name, s)).sort());
  });
});

/** Extra TypeScript per package that must compile against the shipped declarations. */
const typeChecks: Record<string, string> = {
  '@globalmcp/tensor': `import { createTensor, tokenLayout, type Tensor, type TokenLayout } from '@globalmcp/tensor';

export const tensor: Tensor<Float64Array> = createTensor(new Float64Array(6), [2, 3]);
export const layout: TokenLayout = tokenLayout([3, 5, 4]);
export const tokens: number = layout.tokens;
// @ts-expect-error the shape is an array of numbers, not a string
createTensor(new Float32Array(6), '2x3');
`,
  '@globalmcp/freqkv': `import { compress, dct, type CompressResult } from '@globalmcp/freqkv';

export const result: CompressResult<Float32Array> = compress({ data: new Float32Array(40).fill(1), shape: [20, 2] }, { retention: 0.5 });
export const tokensOut: number = result.stats.tokensOut;
export const coefficients: Float64Array = dct([1, 2, 3, 4]);
// @ts-expect-error tensor data is a Float32Array or Float64Array, not a string
compress({ data: 'not a tensor', shape: [20, 2] });
`,
};

describe('type-checking a TypeScript consumer', () => {
  test('compiles against the shipped declarations with strict NodeNext settings', async () => {
    await installed();
    const files: string[] = [];
    for (const [index, pkg] of packages.entries()) {
      const specifiers = publicEntries(pkg.manifest).map((subpath) => specifierFor(pkg.name, subpath));
      const file = `typecheck-${index}.ts`;
      const body =
        typeChecks[pkg.name] ??
        `${specifiers.map((s, i) => `import * as entry${i} from '${s}';`).join('\n')}\n\nexport const entries = [${specifiers.map((_, i) => `entry${i}`).join(', ')}];\n`;
      // Every public entry must have types, even when the package has a hand-written check.
      const everyEntry = specifiers.map((s, i) => `export type Entry${i} = typeof import('${s}');`).join('\n');
      await writeFile(join(consumerDir, file), `${body}\n${everyEntry}\n`);
      files.push(file);
    }
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        // Check the shipped .d.ts files too, not just our use of them.
        skipLibCheck: false,
        types: ['node'],
      },
      files,
    };
    const project = join(consumerDir, 'tsconfig.json');
    await writeFile(project, `${JSON.stringify(tsconfig, null, 2)}\n`);
    // tsc prints its diagnostics on stdout; run() puts both streams in the failure message.
    await run(process.execPath, [tscPath, '-p', project, '--noEmit'], consumerDir);
    const { stdout } = await run(process.execPath, [tscPath, '-p', project, '--listFilesOnly'], consumerDir);
    // The declarations came from each package's dist, never its shipped src/*.ts.
    const listed = stdout.split(/\r?\n/).map((line) => line.trim().replaceAll('\\', '/'));
    for (const pkg of packages) {
      const root = `${consumerDir.replaceAll('\\', '/')}/node_modules/${pkg.name}/`;
      expect(listed, `tsc did not read ${pkg.name}'s dist/index.d.ts`).toContain(`${root}dist/index.d.ts`);
      expect(listed.filter((f) => f.startsWith(`${root}src/`)), `tsc read ${pkg.name}'s TypeScript sources`).toEqual([]);
    }
  });
});

describe('publint', () => {
  test.each(packages)('$name has no publint errors', async (pkg) => {
    const { messages, pkg: manifest } = await publint({ pkgDir: pkg.dir, pack: 'npm', level: 'suggestion' });
    const format = (m: (typeof messages)[number]) => `${m.type}: ${formatMessage(m, manifest, { color: false }) ?? m.code}`;
    const notes = messages.filter((m) => m.type !== 'error').map(format);
    if (notes.length > 0) console.warn(`publint on ${pkg.name}:\n  ${notes.join('\n  ')}`);
    const errors = messages.filter((m) => m.type === 'error').map(format);
    expect(errors, `publint found errors in ${pkg.name}`).toEqual([]);
  });
});

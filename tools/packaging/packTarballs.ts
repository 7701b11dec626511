// Helpers for the packaging test (tools/test/packaging.test.ts): find the
// publishable packages, run commands without a shell, and pack tarballs.
import { execFile } from 'node:child_process';
import { access, readFile, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The repository root (this file lives in tools/packaging/). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The parts of a package.json this test reads. */
export interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  exports?: unknown;
  files?: string[];
  dependencies?: Record<string, string>;
  [field: string]: unknown;
}

export interface PublishablePackage {
  name: string;
  version: string;
  /** Absolute path of the package directory. */
  dir: string;
  manifest: PackageJson;
}

/** Every packages/<name>/package.json that is not `"private": true`, sorted by directory. */
export async function findPublishablePackages(root: string = repoRoot): Promise<PublishablePackage[]> {
  const packagesDir = join(root, 'packages');
  const entries = await readdir(packagesDir, { withFileTypes: true });
  const found: PublishablePackage[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const dir = join(packagesDir, entry.name);
    let text: string;
    try {
      text = await readFile(join(dir, 'package.json'), 'utf8');
    } catch {
      continue; // not a package (yet)
    }
    const manifest = JSON.parse(text) as PackageJson;
    if (manifest.private === true) continue;
    found.push({ name: manifest.name, version: manifest.version, dir, manifest });
  }
  return found;
}

/**
 * The public subpaths of a package ("." and e.g. "./parallel"): every key of
 * "exports" except "./package.json". A string or a conditions object is ".".
 */
export function publicEntries(manifest: PackageJson): string[] {
  const exports = manifest.exports;
  if (exports === undefined || exports === null) return ['.'];
  if (typeof exports === 'string' || Array.isArray(exports)) return ['.'];
  const keys = Object.keys(exports as Record<string, unknown>);
  if (!keys.some((k) => k.startsWith('.'))) return ['.'];
  return keys.filter((k) => k !== './package.json' && !k.includes('*'));
}

/** The bare specifier that imports a subpath: "." -> "@scope/name", "./x" -> "@scope/name/x". */
export function specifierFor(name: string, subpath: string): string {
  return subpath === '.' ? name : `${name}/${subpath.slice(2)}`;
}

/**
 * Every file path an "exports" entry can resolve to, ignoring `skipCondition`
 * (the in-repo source condition), relative to the package root without "./".
 */
export function exportTargets(manifest: PackageJson, skipCondition: string): string[] {
  const targets = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      if (!value.includes('*')) targets.add(value.replace(/^\.\//, ''));
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key !== skipCondition) visit(inner);
      }
    }
  };
  visit(manifest.exports);
  return [...targets].sort();
}

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The environment for commands run in the consumer project: the caller's,
 * minus NODE_OPTIONS (which could add `--conditions`) and the npm_* variables
 * that `npm run`/`npx` set for the repository.
 */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_OPTIONS' || key.toLowerCase().startsWith('npm_')) continue;
    env[key] = value;
  }
  return env;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs `command args...` in `cwd` without a shell. On failure throws an Error
 * whose message holds the command line, the exit code, and its stderr and stdout.
 */
export async function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv()): Promise<RunResult> {
  try {
    const { stdout, stderr } = await execFileAsync(command, [...args], { cwd, env, maxBuffer: 64 * 1024 * 1024 });
    return { stdout, stderr };
  } catch (error) {
    const failure = error as { code?: unknown; stdout?: string; stderr?: string; message?: string };
    const lines = [
      `command failed: ${command} ${args.join(' ')}`,
      `  in: ${cwd}`,
      `  exit code: ${String(failure.code ?? 'unknown')}`,
      `--- stderr ---`,
      (failure.stderr ?? failure.message ?? '').trim(),
      `--- stdout ---`,
      (failure.stdout ?? '').trim(),
    ];
    throw new Error(lines.join('\n'), { cause: error });
  }
}

/** One entry of `npm pack --json`'s output. */
export interface PackJson {
  name: string;
  version: string;
  filename: string;
  files: { path: string; size: number }[];
}

export interface PackedPackage {
  pkg: PublishablePackage;
  /** Absolute path of the tarball. */
  tarball: string;
  /** Paths inside the tarball, relative to its package/ root. */
  files: string[];
}

/**
 * `npm pack --json --pack-destination <destination>` in the package's directory.
 * Lifecycle scripts are skipped so that their output cannot corrupt the JSON;
 * the build has already run (Nx runs `^build` first).
 */
export async function packPackage(pkg: PublishablePackage, destination: string): Promise<PackedPackage> {
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', destination], pkg.dir, process.env);
  let parsed: PackJson[];
  try {
    parsed = JSON.parse(stdout) as PackJson[];
  } catch (error) {
    throw new Error(`npm pack --json in ${pkg.dir} did not print JSON:\n${stdout}`, { cause: error });
  }
  const [info] = parsed;
  if (info === undefined || parsed.length !== 1) {
    throw new Error(`npm pack --json in ${pkg.dir} described ${parsed.length} packages, expected 1:\n${stdout}`);
  }
  return { pkg, tarball: join(destination, info.filename), files: info.files.map((f) => f.path).sort() };
}

/** Throws a readable error naming every package whose dist entry files are missing. */
export async function assertBuilt(packages: readonly PublishablePackage[]): Promise<void> {
  const missing: string[] = [];
  for (const pkg of packages) {
    for (const file of ['dist/index.js', 'dist/index.d.ts']) {
      if (!(await exists(join(pkg.dir, file)))) missing.push(`${pkg.name}: ${join(pkg.dir, file)}`);
    }
  }
  if (missing.length > 0) {
    throw new Error(
      `Packages are not built; run \`NX_DAEMON=false npx nx run-many -t build\` in ${repoRoot} first (or run this test through \`nx run @globalmcp/tools:test\`, which builds them). Missing:\n  ${missing.join('\n  ')}`,
    );
  }
}

// What the federation benchmark runs against, installed into tmp/ at the repository root
// (git-ignored) when missing, so a fresh clone needs only the npm registry:
// - tmp/fedbench: mcp-proxy and @modelcontextprotocol/server-everything from npm, pinned;
// - tmp/1mcp: 1MCP (github 1mcp-app/agent) built from its source, which is not on npm.
//   Optional: any failure is reported as the reason and the benchmark goes on without it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Pinned so runs compare; the newest at the time of writing. mcp-proxy 6.7.x declares no
// engines and its runtime deps (@modelcontextprotocol/server 2.x) need Node >= 20: it runs here.
export const MCP_PROXY_VERSION = '6.7.19';
export const EVERYTHING_VERSION = '2026.8.31';
// 1MCP: its repository at this commit (0.35.0). @1mcp/agent is not on the npm registry.
export const ONEMCP_REPO = 'https://github.com/1mcp-app/agent.git';
export const ONEMCP_COMMIT = 'd7bde4b27491202fc5fe366c296267d97685a697';
const MARKER = '.fedbench-source';
const BUILT = '.fedbench-built';

function installedVersion(modules, name) {
  try {
    return JSON.parse(readFileSync(join(modules, ...name.split('/'), 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** Runs a command to completion with its output on our stderr; rejects on failure or after `timeoutMs`. */
export function run(command, args, { cwd, timeoutMs = 10 * 60_000, env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 2, 2] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => (clearTimeout(timer), reject(error)));
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} failed (${sig ?? `exit ${code}`})`));
    });
  });
}

/** Installs the pinned mcp-proxy and server-everything into `scratch` when missing; returns their paths. */
export async function ensureNpmTargets(scratch, log) {
  const modules = join(scratch, 'node_modules');
  const wanted = { 'mcp-proxy': MCP_PROXY_VERSION, '@modelcontextprotocol/server-everything': EVERYTHING_VERSION };
  const missing = Object.entries(wanted).filter(([name, version]) => installedVersion(modules, name) !== version);
  if (missing.length > 0) {
    mkdirSync(scratch, { recursive: true });
    // Its own package.json keeps npm from treating the repository root as the project.
    const pkg = join(scratch, 'package.json');
    if (!existsSync(pkg)) writeFileSync(pkg, `${JSON.stringify({ name: 'globalmcp-fedbench-scratch', private: true, description: 'Scratch install for tools/bench/federationBench.mjs; safe to delete.' }, null, 2)}\n`);
    const specs = missing.map(([name, version]) => `${name}@${version}`);
    log(`installing ${specs.join(', ')} into ${scratch} (npm) ...`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    await run(npm, ['install', '--prefix', scratch, '--no-audit', '--no-fund', '--loglevel=error', ...specs], { cwd: scratch });
    for (const [name, version] of Object.entries(wanted)) {
      if (installedVersion(modules, name) !== version) throw new Error(`${name}@${version} did not install into ${modules}`);
    }
  }
  return {
    mcpProxyBin: join(modules, 'mcp-proxy', 'dist', 'bin', 'mcp-proxy.mjs'),
    everythingMain: join(modules, '@modelcontextprotocol', 'server-everything', 'dist', 'index.js'),
    versions: wanted,
  };
}

/**
 * Makes tmp/1mcp/build/index.js. Source, first found: tmp/1mcp itself (already extracted), the
 * git directory in FEDBENCH_1MCP_GIT (git archive of the pinned commit, else its HEAD), a
 * shallow clone of the GitHub repository. Build: pnpm (the version its packageManager names,
 * through npx) install --frozen-lockfile --ignore-scripts, then tsc + tsc-alias as its
 * scripts/build.sh does; the admin-console SPA (vite) is skipped, serving MCP does not need it.
 * Returns { main, version, commit } or { reason }.
 */
export async function ensureOneMcp(dir, log) {
  const main = join(dir, 'build', 'index.js');
  const describe = () => ({
    main,
    version: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version,
    commit: existsSync(join(dir, MARKER)) ? readFileSync(join(dir, MARKER), 'utf8').trim() : 'unknown commit (source put there by hand)',
  });
  if (existsSync(main) && existsSync(join(dir, BUILT))) return describe();
  try {
    if (!existsSync(join(dir, 'package.json'))) await fetchOneMcpSource(dir, log);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const pnpm = /^pnpm@[\w.-]+$/.test(pkg.packageManager ?? '') ? pkg.packageManager : 'pnpm@10';
    log(`building 1MCP ${pkg.version} in ${dir}: npx ${pnpm} install --frozen-lockfile --ignore-scripts, tsc, tsc-alias (about a minute) ...`);
    const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
    await run(npx, ['-y', pnpm, 'install', '--frozen-lockfile', '--ignore-scripts', '--reporter=silent'], { cwd: dir });
    rmSync(join(dir, 'build'), { recursive: true, force: true });
    await run(process.execPath, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '--project', 'tsconfig.build.json'], { cwd: dir });
    await run(join(dir, 'node_modules', '.bin', 'tsc-alias'), ['-p', 'tsconfig.build.json'], { cwd: dir });
    if (!existsSync(main)) throw new Error(`the build left no ${main}`);
    writeFileSync(join(dir, BUILT), `${new Date().toISOString()}\n`);
    return describe();
  } catch (error) {
    return { reason: error instanceof Error ? error.message : String(error) };
  }
}

async function fetchOneMcpSource(dir, log) {
  let gitDir = process.env.FEDBENCH_1MCP_GIT;
  if (gitDir === undefined) {
    log(`fetching 1MCP source: git clone --bare --depth 1 ${ONEMCP_REPO} ...`);
    gitDir = `${dir}-clone.git`;
    rmSync(gitDir, { recursive: true, force: true });
    try {
      await run('git', ['clone', '--bare', '--depth', '1', ONEMCP_REPO, gitDir], { timeoutMs: 120_000, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    } catch (error) {
      rmSync(gitDir, { recursive: true, force: true });
      throw new Error(`no 1MCP source: ${error.message}; set FEDBENCH_1MCP_GIT to a git directory of ${ONEMCP_REPO}, or put its source into ${dir}`, { cause: error });
    }
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const pinned = spawnSync('git', ['--git-dir', gitDir, 'cat-file', '-e', `${ONEMCP_COMMIT}^{commit}`]).status === 0;
  const commit = pinned ? ONEMCP_COMMIT : spawnSync('git', ['--git-dir', gitDir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
  if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error(`${gitDir} is not a git directory with commits`);
  log(`extracting 1MCP ${commit.slice(0, 12)}${pinned ? '' : ` (pinned ${ONEMCP_COMMIT.slice(0, 12)} not in ${gitDir})`} into ${dir} ...`);
  const archive = spawnSync('git', ['--git-dir', gitDir, 'archive', '--format=tar', commit], { maxBuffer: 1 << 30 });
  if (archive.status !== 0) throw new Error(`git archive failed: ${String(archive.stderr).trim()}`);
  const untar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
  if (untar.status !== 0) throw new Error(`tar failed: ${String(untar.stderr).trim()}`);
  writeFileSync(join(dir, MARKER), `${commit}\n`);
}

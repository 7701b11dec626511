// What runConformance.mjs (the suite against our server) and runFederationConformance.mjs (the suite
// against referenceChild.mjs alone and through the gateway) share: the pinned suite and Node 22 in
// tmp/conformance/, starting the gateway and other servers, probing what a server offers, running one
// suite scenario and grading its checks, the result table, and the processes and temporary dirs of a
// run with their cleanup on every path (end, error, SIGINT/SIGTERM, watchdog).
//
// The run state (the suite or npm process running now, the servers started, the temporary dirs,
// whether the run is stopping, the exit code a signal chose) lives here, one run per process: use
// guardRun() around the run, isStopping() to stop starting work, signalledCode() for the final exit.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

// Pinned versions. 0.2.0-alpha.x is the first line with the session-lifecycle scenario, the
// wire-schema check on every message and per-revision scenario selection (--spec-version).
export const CONFORMANCE_VERSION = '0.2.0-alpha.12';
export const NODE_VERSION = '22.23.3';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const scratch = join(root, 'tmp', 'conformance');
const modules = join(scratch, 'node_modules');
const suiteDir = join(modules, '@modelcontextprotocol', 'conformance');
/** The suite's CLI, run with the Node 22 binary ensureSuite() returns. */
export const suiteCli = join(suiteDir, 'dist', 'index.js');
export const serverMain = join(root, 'apps', 'mcp-server', 'dist', 'main.js');

/**
 * The config files the gateway under test gets: the model registry and router rules it normally
 * runs with, and no servers.json (nor filesystem_config.json) unless startGateway() is given servers,
 * so it federates no child besides those.
 */
export const CONFIG_FILES = ['model_registry.json', 'router.json'];

// ---------------------------------------------------------------------------------------------
// run state and cleanup

/** The suite or npm process running now (one at a time). */
let running;
/** Servers started by startServer(), until they exit. */
const processes = new Set();
/** Temporary config dirs, removed by cleanup() (or kept with --keep). */
const tempDirs = [];
let stopping = false;
let signalled;

/** True once cleanup has begun: start nothing new. */
export function isStopping() {
  return stopping;
}

/** The exit code SIGINT (130), SIGTERM (143) or the watchdog (2) chose, or undefined. */
export function signalledCode() {
  return signalled;
}

/**
 * Runs `body` (resolving with an exit code) with SIGINT/SIGTERM handlers and an overall watchdog of
 * `limitMs` that clean up and exit; an error thrown by `body` is printed as `<prefix>: <message>`
 * (unless a signal stopped the run) and gives 2. Everything started is stopped and the temporary
 * dirs removed (`keep`: kept and named) before it resolves.
 */
export async function guardRun({ prefix, limitMs, keep = false }, body) {
  const shutdown = (code) => {
    if (signalled !== undefined) return;
    signalled = code;
    void cleanup(keep).finally(() => process.exit(code));
  };
  process.on('SIGINT', () => shutdown(130));
  process.on('SIGTERM', () => shutdown(143));
  const watchdog = setTimeout(() => {
    console.error(`${prefix}: overall time limit reached; stopping`);
    shutdown(2);
  }, limitMs);
  watchdog.unref();
  try {
    return await body();
  } catch (error) {
    if (signalled === undefined) console.error(`${prefix}: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  } finally {
    clearTimeout(watchdog);
    await cleanup(keep);
  }
}

async function cleanup(keep) {
  stopping = true;
  // The gateway (it stops its stdio child), the HTTP children and any suite process.
  await Promise.all([running, ...processes].map(stop));
  for (const dir of tempDirs.splice(0)) {
    if (keep) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

function kill(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, 5000).unref();
}

/** SIGTERM, SIGKILL after 5 s; resolves when the child has exited (or after 8 s). */
async function stop(child) {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  kill(child);
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 8000).unref())]);
}

// ---------------------------------------------------------------------------------------------
// installation

/** Installs the pinned suite and Node 22 into tmp/conformance when missing; returns the Node 22 binary. */
export async function ensureSuite() {
  let node22 = findNode22();
  if (node22 !== undefined && installedSuiteVersion() === CONFORMANCE_VERSION) return node22;
  mkdirSync(scratch, { recursive: true });
  // Its own package.json keeps npm from treating the repository root as the project.
  const pkg = join(scratch, 'package.json');
  if (!existsSync(pkg)) writeFileSync(pkg, `${JSON.stringify({ name: 'globalmcp-conformance-scratch', private: true, description: 'Scratch install for tools/conformance; safe to delete.' }, null, 2)}\n`);
  console.log(`installing node@${NODE_VERSION} and @modelcontextprotocol/conformance@${CONFORMANCE_VERSION} into ${scratch} ...`);
  await npmInstall([`node@${NODE_VERSION}`, `@modelcontextprotocol/conformance@${CONFORMANCE_VERSION}`]);
  node22 = findNode22();
  if (node22 === undefined) {
    // node@22 fetches its platform binary in a preinstall script; when npm did not run it,
    // install the platform package it would have fetched.
    await npmInstall([`${platformNodePackage()}@${NODE_VERSION}`]);
    node22 = findNode22();
  }
  if (node22 === undefined) fatal(`no working Node ${NODE_VERSION} binary under ${modules} after installing node@${NODE_VERSION}`);
  if (installedSuiteVersion() !== CONFORMANCE_VERSION) fatal(`@modelcontextprotocol/conformance@${CONFORMANCE_VERSION} did not install into ${modules}`);
  return node22;
}

function installedSuiteVersion() {
  try {
    return JSON.parse(readFileSync(join(suiteDir, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

function platformNodePackage() {
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  const prefix = process.platform === 'darwin' && process.arch === 'arm64' ? 'node-bin' : 'node';
  return `${prefix}-${platform}-${process.arch}`;
}

function findNode22() {
  const exe = process.platform === 'win32' ? 'node.exe' : 'node';
  const candidates = [
    join(modules, 'node', 'bin', exe),
    join(modules, 'node', 'node_modules', platformNodePackage(), 'bin', exe),
    join(modules, platformNodePackage(), 'bin', exe),
  ];
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    const run = spawnSync(candidate, ['--version'], { encoding: 'utf8', timeout: 15_000 });
    if (run.status === 0 && run.stdout.trim() === `v${NODE_VERSION}`) return candidate;
  }
  return undefined;
}

function npmInstall(specs) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const args = ['install', '--prefix', scratch, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', ...specs];
  return new Promise((resolve, reject) => {
    if (stopping) return reject(new Error('stopped'));
    const child = spawn(npm, args, { cwd: scratch, stdio: ['ignore', 'inherit', 'inherit'], shell: process.platform === 'win32' });
    running = child;
    const timer = setTimeout(() => kill(child), 10 * 60_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      running = undefined;
      if (code === 0) resolve();
      else reject(new Error(`npm ${args.join(' ')} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// servers

/**
 * Starts the built gateway over HTTP on a free loopback port, on a temporary config dir with
 * CONFIG_FILES and, when `servers` is given, a servers.json federating them; resolves with
 * `{ child, url }` (its /mcp URL). `tempPrefix` names the config dir; `label` and `ready` word the
 * start-up errors (`<label> did not <ready> within 30 s`).
 */
export function startGateway({ servers, tempPrefix, logFile, label, ready }) {
  const configDir = mkdtempSync(join(tmpdir(), tempPrefix));
  tempDirs.push(configDir);
  for (const file of CONFIG_FILES) {
    if (existsSync(join(root, 'config', file))) copyFileSync(join(root, 'config', file), join(configDir, file));
  }
  if (servers !== undefined) writeFileSync(join(configDir, 'servers.json'), `${JSON.stringify({ mcpServers: servers }, null, 2)}\n`);
  const env = { ...process.env };
  // A token would make every suite request 401; the server binds to loopback, where none is needed.
  delete env.GLOBALMCP_TOKEN;
  delete env.MCP_SERVER_HOST;
  delete env.MCP_SERVER_PORT;
  delete env.GLOBALMCP_CONFIG_DIR;
  const args = [serverMain, '--http', '--host', '127.0.0.1', '--port', '0', '--config-dir', configDir, '--log-level', 'debug'];
  return startServer({ args, env, logFile, pattern: /listening on (http:\/\/\S+\/mcp)/, label, ready });
}

/**
 * Starts `node <args>`, tees its stdout and stderr to `logFile` and resolves with `{ child, url }`
 * once its output matches `pattern` (the URL is the first capture). Rejects when it exits first or
 * does not match within 30 s. cleanup() stops it.
 */
export function startServer({ args, env = process.env, logFile, pattern, label, ready = 'start' }) {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  processes.add(child);
  const log = createWriteStream(logFile);
  return new Promise((resolve, reject) => {
    let buffered = '';
    let done = false;
    const timer = setTimeout(() => reject(new Error(`${label} did not ${ready} within 30 s; see ${logFile}`)), 30_000);
    const onData = (chunk) => {
      log.write(chunk);
      if (done) return;
      buffered += chunk.toString('utf8');
      const match = pattern.exec(buffered);
      if (match) {
        done = true;
        clearTimeout(timer);
        buffered = '';
        resolve({ child, url: match[1] });
      } else if (buffered.length > 1_000_000) {
        buffered = buffered.slice(-10_000);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => {
      processes.delete(child);
      log.end();
      clearTimeout(timer);
      if (!done) reject(new Error(`${label} exited early (${signal ?? `exit ${code}`}); see ${logFile}`));
    });
  });
}

/** One MCP session with the SDK client: what the server offers (protocol version, capabilities, listed names). */
export async function probe(url) {
  const transport = new StreamableHTTPClientTransport(new URL(url));
  const client = new Client({ name: 'globalmcp-conformance-probe', version: '1.0.0' });
  const timeout = { timeout: 15_000 };
  await client.connect(transport, timeout);
  try {
    const capabilities = client.getServerCapabilities() ?? {};
    const info = client.getServerVersion() ?? {};
    const names = async (list, key, pick) => {
      const found = new Set();
      let cursor;
      do {
        const page = await list(cursor ? { cursor } : undefined, timeout);
        for (const item of page[key] ?? []) found.add(pick(item));
        cursor = page.nextCursor;
      } while (cursor);
      return found;
    };
    return {
      name: info.name,
      version: info.version,
      protocolVersion: transport.protocolVersion,
      capabilities,
      tools: capabilities.tools ? await names((p, o) => client.listTools(p, o), 'tools', (t) => t.name) : new Set(),
      prompts: capabilities.prompts ? await names((p, o) => client.listPrompts(p, o), 'prompts', (p) => p.name) : new Set(),
      resources: capabilities.resources ? await names((p, o) => client.listResources(p, o), 'resources', (r) => r.uri) : new Set(),
      templates: capabilities.resources ? await names((p, o) => client.listResourceTemplates(p, o), 'resourceTemplates', (r) => r.uriTemplate) : new Set(),
    };
  } finally {
    await transport.terminateSession().catch(() => undefined);
    await client.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// the suite

/**
 * The suite's server scenarios: `all` (name -> the revisions it targets), `inRevision` (those of
 * `specVersion`), `wanted` (`only`, or all of them) and whether `conformance server` takes --timeout.
 * Fails when the suite has nothing for `specVersion` or a wanted name is unknown.
 */
export function listScenarios(node22, specVersion, only) {
  const cliHasTimeout = runSync(node22, [suiteCli, 'server', '--help']).includes('--timeout');
  const all = parseScenarioList(runSync(node22, [suiteCli, 'list', '--server']));
  const known = new Set([...all.values()].flat());
  if (!known.has(specVersion)) fatal(`the suite has no scenarios for protocol version ${specVersion} (it knows ${[...known].join(', ')})`);
  const inRevision = parseScenarioList(runSync(node22, [suiteCli, 'list', '--server', '--spec-version', specVersion]));
  const wanted = only ?? [...all.keys()];
  for (const name of wanted) if (!all.has(name)) fatal(`unknown scenario ${JSON.stringify(name)}; the suite has: ${[...all.keys()].join(', ')}`);
  return { all, inRevision, wanted, cliHasTimeout };
}

/**
 * Runs one suite scenario against `url` in `outDir` (its cli.log and checks.json) with a hard limit
 * of `timeoutMs` + 15 s; `specVersion` undefined runs it at the suite's default revision. Resolves
 * with `{ code, checks }` (the suite's checks.json), or with `{ result: 'fail' | 'skipped', note }`
 * when it timed out, the suite skipped it or it wrote no checks.json.
 */
export async function runScenario({ node22, url, name, specVersion, cliHasTimeout, timeoutMs, outDir }) {
  mkdirSync(outDir, { recursive: true });
  const args = [suiteCli, 'server', '--url', url, '--scenario', name, ...(specVersion ? ['--spec-version', specVersion] : []), '--output-dir', outDir];
  if (cliHasTimeout) args.push('--timeout', String(timeoutMs));
  const { code, output, timedOut } = await runLimited(node22, args, timeoutMs + 15_000, join(outDir, 'cli.log'));
  const text = stripVTControlCharacters(output);
  if (timedOut) return { result: 'fail', note: `timed out after ${timeoutMs / 1000 + 15} s (killed)` };
  const skipped = /^SKIPPED: (.*)$/m.exec(text);
  if (skipped) return { result: 'skipped', note: `the suite skipped it: ${skipped[1]}` };
  const checksFile = findFile(outDir, 'checks.json');
  if (checksFile === undefined) {
    const last = text.trim().split('\n').filter((l) => l.trim()).slice(-1)[0] ?? '';
    return { result: 'fail', note: `no checks.json (exit ${code}): ${last.trim()}` };
  }
  return { code, checks: JSON.parse(readFileSync(checksFile, 'utf8')) };
}

/**
 * A scenario's verdict from its checks: fail on a FAILURE (note: the first one), or on a non-zero
 * exit of the CLI when `exitCodeCounts`; else pass (note: the warnings, which are SHOULDs).
 * `counts` has the SUCCESS, FAILURE and WARNING totals.
 */
export function grade(checks, code, exitCodeCounts = true) {
  const failures = checks.filter((c) => c.status === 'FAILURE');
  const warnings = checks.filter((c) => c.status === 'WARNING');
  const counts = { success: checks.filter((c) => c.status === 'SUCCESS').length, failure: failures.length, warning: warnings.length };
  if (failures.length) return { counts, result: 'fail', note: `${failures[0].id}: ${oneLine(failures[0].errorMessage ?? failures[0].description)}` };
  if (code !== 0 && exitCodeCounts) return { counts, result: 'fail', note: `the CLI exited ${code} without a failing check` };
  return { counts, result: 'pass', note: warnings.map((w) => `WARNING ${w.id}: ${oneLine(w.errorMessage ?? w.description)}`).join('; ') };
}

/** Runs a child with a hard time limit, teeing its output to a log file. */
function runLimited(command, args, limitMs, logFile) {
  return new Promise((resolve, reject) => {
    if (stopping) return reject(new Error('stopped'));
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    running = child;
    const log = createWriteStream(logFile);
    let output = '';
    let timedOut = false;
    const collect = (chunk) => {
      log.write(chunk);
      if (output.length < 2_000_000) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      timedOut = true;
      kill(child);
    }, limitMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      running = undefined;
      log.end();
      resolve({ code, output, timedOut });
    });
  });
}

function runSync(command, args) {
  const run = spawnSync(command, args, { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  if (run.status !== 0) fatal(`${args.slice(1).join(' ')} failed: ${run.error?.message ?? run.stderr}`);
  return stripVTControlCharacters(run.stdout);
}

/** `conformance list --server` lines look like "  - name [2025-06-18,2025-11-25]". */
function parseScenarioList(text) {
  const scenarios = new Map();
  for (const match of text.matchAll(/^\s*-\s+(\S+)(?:\s+\[([^\]]*)\])?\s*$/gm)) scenarios.set(match[1], (match[2] ?? '').split(',').filter(Boolean));
  if (scenarios.size === 0) fatal(`could not read the scenario list:\n${text}`);
  return scenarios;
}

function findFile(dir, name) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isFile() && entry.name === name) return path;
    if (entry.isDirectory()) {
      const found = findFile(path, name);
      if (found) return found;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// report and helpers

/**
 * Prints `rows` as a table after an empty line and, when given, the `heading` line. `columns` is
 * `[[key, header], ...]`: every column but the last is padded to its widest cell (dashes under the
 * header), the last is free text (40 dashes).
 */
export function printTable(columns, rows, heading) {
  const keys = columns.map(([key]) => key);
  const padded = keys.slice(0, -1);
  const last = keys[keys.length - 1];
  const headers = Object.fromEntries(columns);
  const w = Object.fromEntries(padded.map((k) => [k, Math.max(headers[k].length, ...rows.map((r) => r[k].length))]));
  const line = (r) => `${padded.map((k) => r[k].padEnd(w[k])).join('  ')}  ${r[last]}`.trimEnd();
  console.log(`\n${heading === undefined ? '' : `${heading}\n`}${line(headers)}`);
  console.log(line({ ...Object.fromEntries(padded.map((k) => [k, '-'.repeat(w[k])])), [last]: '-'.repeat(40) }));
  for (const r of rows) console.log(line(r));
}

/** The scenario name as a directory name. */
export function safeName(name) {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** A results directory name part: the current time, ISO 8601 without ':' and '.'. */
export function timestamp() {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

export function oneLine(text) {
  return String(text).replace(/\s+/g, ' ').trim();
}

export function fatal(message) {
  throw new Error(message);
}

// npm run conformance: the official MCP conformance suite (@modelcontextprotocol/conformance)
// against the built GlobalMCP server over Streamable HTTP. Not part of `npm test`.
//
// 1. Installs the pinned suite and a Node 22 binary (the suite needs Node >= 22) into
//    tmp/conformance/ at the repository root, only when they are missing or another version.
// 2. Starts apps/mcp-server/dist/main.js --http --port 0 on a config dir holding config/model_registry.json
//    and config/router.json only (no servers.json: no federated children).
// 3. Asks the server what it offers (capabilities, tools, prompts, resources, protocol
//    version) and runs every suite scenario of the negotiated revision whose fixtures the
//    server has; scenarios that need the suite's reference fixtures (test_simple_text,
//    test://static-text, test_simple_prompt, ...) or another revision are reported as
//    skipped-not-applicable, with the reason.
// 4. Adds a few local transport probes the suite has no stateful scenario for
//    (MCP-Protocol-Version, Mcp-Session-Id, Origin), prints a table and a summary, and
//    exits 1 when an applicable scenario fails (2 when the run itself could not be set up).
//
// Usage: node tools/conformance/runConformance.mjs [--scenario <name>]... [--include-na]
//        [--no-local] [--timeout <seconds>] [--help]
//        node tools/conformance/runConformance.mjs --federation [options]: the suite against a
//        server with its reference fixtures (referenceChild.mjs) alone and through the gateway
//        federating it, compared scenario by scenario (runFederationConformance.mjs;
//        --federation --help lists its options).
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, stripVTControlCharacters } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

// Pinned versions. 0.2.0-alpha.x is the first line with the session-lifecycle scenario, the
// wire-schema check on every message and per-revision scenario selection (--spec-version).
const CONFORMANCE_VERSION = '0.2.0-alpha.12';
const NODE_VERSION = '22.23.3';

const root = fileURLToPath(new URL('../../', import.meta.url));
const scratch = join(root, 'tmp', 'conformance');
const modules = join(scratch, 'node_modules');
const suiteDir = join(modules, '@modelcontextprotocol', 'conformance');
const serverMain = join(root, 'apps', 'mcp-server', 'dist', 'main.js');

const USAGE = `Usage: node tools/conformance/runConformance.mjs [options]

Runs @modelcontextprotocol/conformance@${CONFORMANCE_VERSION} (on Node ${NODE_VERSION}, both installed
into tmp/conformance/ when missing) against apps/mcp-server/dist (build it first).

  --scenario <name>   run only this suite scenario (repeatable; local probes are then skipped)
  --include-na        also run the not-applicable scenarios, for information (never fail the run)
  --no-local          skip the local transport probes (protocol version, session id, Origin)
  --timeout <s>       per-scenario limit in seconds (default 60)
  --federation        instead: a server with the suite's reference fixtures (referenceChild.mjs)
                      alone vs through the gateway that federates it, scenario by scenario
                      (--federation --help for its options)
  --help`;

// --federation: the other mode, in its own script (its options are its own).
if (process.argv.slice(2).includes('--federation')) {
  const { runFederation } = await import('./runFederationConformance.mjs');
  process.exit(await runFederation(process.argv.slice(2).filter((arg) => arg !== '--federation')));
}

let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      scenario: { type: 'string', multiple: true },
      'include-na': { type: 'boolean', default: false },
      'no-local': { type: 'boolean', default: false },
      timeout: { type: 'string', default: '60' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  }));
} catch (error) {
  console.error(`conformance: ${error.message}\n\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
const scenarioTimeoutMs = Number(opts.timeout) * 1000;
if (!Number.isFinite(scenarioTimeoutMs) || scenarioTimeoutMs < 5000) {
  console.error(`conformance: --timeout ${opts.timeout}: expected a number of seconds >= 5`);
  process.exit(2);
}

/**
 * What a scenario needs from the server besides the generic protocol. A scenario not listed
 * here is generic and always runs. `capability` is a path in the initialize result's
 * capabilities; the others are names the server must list. These are the suite's reference
 * fixtures (see its src/scenarios/server/*.ts).
 */
const NEEDS = {
  'tools-list': { capability: 'tools' },
  'logging-set-level': { capability: 'logging' },
  'completion-complete': { capability: 'completions', prompts: ['test_prompt_with_arguments'] },
  'tools-call-simple-text': { tools: ['test_simple_text'] },
  'tools-call-image': { tools: ['test_image_content'] },
  'tools-call-audio': { tools: ['test_audio_content'] },
  'tools-call-embedded-resource': { tools: ['test_embedded_resource'] },
  'tools-call-mixed-content': { tools: ['test_multiple_content_types'] },
  'tools-call-with-logging': { tools: ['test_tool_with_logging'] },
  'tools-call-error': { tools: ['test_error_handling'] },
  'tools-call-with-progress': { tools: ['test_tool_with_progress'] },
  'tools-call-sampling': { tools: ['test_sampling'] },
  'tools-call-elicitation': { tools: ['test_elicitation'] },
  'json-schema-2020-12': { tools: ['json_schema_2020_12_tool'] },
  'elicitation-sep1034-defaults': { tools: ['test_elicitation_sep1034_defaults'] },
  'elicitation-sep1330-enums': { tools: ['test_elicitation_sep1330_enums'] },
  'resources-list': { capability: 'resources' },
  'resources-read-text': { capability: 'resources', resources: ['test://static-text'] },
  'resources-read-binary': { capability: 'resources', resources: ['test://static-binary'] },
  'resources-templates-read': { capability: 'resources', templates: ['test://template/{id}/data'] },
  'resources-subscribe': { capability: 'resources.subscribe', resources: ['test://watched-resource'] },
  'resources-unsubscribe': { capability: 'resources.subscribe', resources: ['test://watched-resource'] },
  'prompts-list': { capability: 'prompts' },
  'prompts-get-simple': { capability: 'prompts', prompts: ['test_simple_prompt'] },
  'prompts-get-with-args': { capability: 'prompts', prompts: ['test_prompt_with_arguments'] },
  'prompts-get-embedded-resource': { capability: 'prompts', prompts: ['test_prompt_with_embedded_resource'] },
  'prompts-get-with-image': { capability: 'prompts', prompts: ['test_prompt_with_image'] },
};

/**
 * The config files the server under test gets: the model registry and router rules it normally
 * runs with, and no servers.json (nor filesystem_config.json), so it federates no child and the
 * suite tests the gateway's own tools, prompts and resources. No scenario of this mode needs a
 * child; the suite's reference fixtures are federated in --federation mode instead.
 */
const CONFIG_FILES = ['model_registry.json', 'router.json'];

/** Notes printed beside a generic scenario that passes only partly by design. */
const NOTES = {
  'server-sse-polling': 'its disconnect/resume part needs the reference tool test_reconnection (reported INFO); the priming-event and retry-field checks are generic',
};

const started = Date.now();
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const resultsDir = join(scratch, 'results', stamp);
let server;
let configDir;
let running;
let stopping = false;
let signalled;

process.on('SIGINT', () => shutdown(130));
process.on('SIGTERM', () => shutdown(143));
// The whole run stops by itself: install (10 min) + every scenario + margin.
const watchdog = setTimeout(() => {
  console.error('conformance: overall time limit reached; stopping');
  shutdown(2);
}, 10 * 60_000 + 30 * (scenarioTimeoutMs + 15_000));
watchdog.unref();

let exitCode = 2;
try {
  exitCode = await main();
} catch (error) {
  if (signalled === undefined) console.error(`conformance: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await cleanup();
}
process.exit(signalled ?? exitCode);

async function main() {
  if (!existsSync(serverMain)) fatal(`${serverMain} is missing: build first (npm run build)`);
  const node22 = await ensureInstalled();
  const cli = join(suiteDir, 'dist', 'index.js');
  const suiteVersion = JSON.parse(readFileSync(join(suiteDir, 'package.json'), 'utf8')).version;
  mkdirSync(resultsDir, { recursive: true });

  const url = await startServer();
  const offer = await probe(url);
  console.log(`server ${offer.name} ${offer.version} at ${url}: protocol ${offer.protocolVersion}, capabilities ${Object.keys(offer.capabilities).join(', ')}, ${offer.tools.size} tools`);

  const serverHelp = runSync(node22, [cli, 'server', '--help']);
  const all = parseScenarioList(runSync(node22, [cli, 'list', '--server']));
  const known = new Set([...all.values()].flat());
  if (!known.has(offer.protocolVersion)) fatal(`the suite has no scenarios for protocol version ${offer.protocolVersion} (it knows ${[...known].join(', ')})`);
  const specVersion = offer.protocolVersion;
  const inRevision = parseScenarioList(runSync(node22, [cli, 'list', '--server', '--spec-version', specVersion]));

  const wanted = opts.scenario ?? [...all.keys()];
  for (const name of wanted) if (!all.has(name)) fatal(`unknown scenario ${JSON.stringify(name)}; the suite has: ${[...all.keys()].join(', ')}`);

  const rows = [];
  for (const name of wanted) {
    const missing = inRevision.has(name) ? missingFixtures(name, offer) : `targets ${all.get(name).join(', ')} only; the server negotiates ${specVersion}`;
    if (missing !== undefined && !opts['include-na']) {
      rows.push({ scenario: name, result: 'skipped-not-applicable', checks: '', note: missing });
      continue;
    }
    if (stopping) throw new Error('stopped');
    process.stdout.write(`running ${name} ... `);
    const outcome = await runScenario(node22, cli, url, name, specVersion, serverHelp.includes('--timeout'), missing !== undefined);
    console.log(outcome.result);
    if (missing !== undefined) {
      rows.push({ ...outcome, result: 'skipped-not-applicable', note: `${missing} [ran anyway: ${outcome.result}${outcome.note ? `: ${outcome.note}` : ''}]` });
    } else {
      rows.push({ ...outcome, note: [outcome.note, NOTES[name]].filter(Boolean).join('; ') });
    }
  }
  if (!opts['no-local'] && opts.scenario === undefined) {
    for (const row of await localProbes(url, offer.protocolVersion)) rows.push(row);
  }

  // Applicable scenarios first (suite order, then the local probes), the not-applicable ones after.
  const na = (r) => r.result === 'skipped-not-applicable';
  printTable([...rows.filter((r) => !na(r)), ...rows.filter(na)]);
  const applicable = rows.filter((r) => r.result !== 'skipped-not-applicable');
  const failed = applicable.filter((r) => r.result === 'fail');
  const warned = applicable.filter((r) => /WARNING/.test(r.note));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `\n${failed.length === 0 ? 'PASS' : 'FAIL'}: ${applicable.length - failed.length}/${applicable.length} applicable passed` +
      `${failed.length ? ` (${failed.map((r) => r.scenario).join(', ')} failed)` : ''}, ${warned.length} with warnings, ` +
      `${rows.length - applicable.length} not applicable; suite ${suiteVersion} at spec ${specVersion} on Node ${NODE_VERSION}; ${seconds} s; results in ${resultsDir}`,
  );
  return failed.length === 0 ? 0 : 1;
}

/** Installs the pinned suite and Node 22 into tmp/conformance when missing; returns the Node 22 binary. */
async function ensureInstalled() {
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

/** Starts the built server on a config dir with CONFIG_FILES and resolves with its /mcp URL. */
function startServer() {
  configDir = mkdtempSync(join(tmpdir(), 'globalmcp-conformance-'));
  for (const file of CONFIG_FILES) {
    if (existsSync(join(root, 'config', file))) copyFileSync(join(root, 'config', file), join(configDir, file));
  }
  const env = { ...process.env };
  // A token would make every suite request 401; the server binds to loopback, where none is needed.
  delete env.GLOBALMCP_TOKEN;
  delete env.MCP_SERVER_HOST;
  delete env.MCP_SERVER_PORT;
  const args = [serverMain, '--http', '--host', '127.0.0.1', '--port', '0', '--config-dir', configDir, '--log-level', 'debug'];
  server = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const log = createWriteStream(join(resultsDir, 'server.log'));
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`the server did not report "listening on" within 30 s; see ${join(resultsDir, 'server.log')}`)), 30_000);
    server.stderr.on('data', (chunk) => {
      log.write(chunk);
      buffered += chunk.toString('utf8');
      const match = /listening on (http:\/\/\S+\/mcp)/.exec(buffered);
      if (match) {
        clearTimeout(timer);
        buffered = '';
        resolve(match[1]);
      } else if (buffered.length > 1_000_000) {
        buffered = buffered.slice(-10_000);
      }
    });
    server.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server exited early (${signal ?? `exit ${code}`}); see ${join(resultsDir, 'server.log')}`));
    });
  });
}

/** One MCP session with the SDK client: what the server offers, so fixture-bound scenarios can be classified. */
async function probe(url) {
  const health = await fetch(url.replace(/\/mcp$/, '/health'), { signal: AbortSignal.timeout(10_000) });
  if (!health.ok) fatal(`GET /health answered ${health.status}`);
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

/** Why a scenario cannot apply to this server, or undefined when it does. */
function missingFixtures(name, offer) {
  const needs = NEEDS[name];
  if (needs === undefined) return undefined;
  if (needs.capability !== undefined) {
    const has = needs.capability.split('.').reduce((at, key) => (at && typeof at === 'object' ? at[key] : undefined), offer.capabilities);
    if (!has) return `the server does not declare the "${needs.capability}" capability (the suite sends the request anyway; -32601 Method not found is the correct answer)`;
  }
  for (const [kind, label] of [['tools', 'tool'], ['prompts', 'prompt'], ['resources', 'resource'], ['templates', 'resource template']]) {
    const absent = (needs[kind] ?? []).filter((n) => !offer[kind].has(n));
    if (absent.length) return `needs the suite's reference ${label}${absent.length > 1 ? 's' : ''} ${absent.join(', ')}, which the server does not list`;
  }
  return undefined;
}

/** Runs one suite scenario in its own output directory and reads its checks.json. */
async function runScenario(node22, cli, url, name, specVersion, cliHasTimeout, informational) {
  const outDir = join(resultsDir, name.replace(/[^A-Za-z0-9_.-]/g, '_'));
  mkdirSync(outDir, { recursive: true });
  const args = [cli, 'server', '--url', url, '--scenario', name, '--spec-version', specVersion, '--output-dir', outDir];
  if (cliHasTimeout) args.push('--timeout', String(scenarioTimeoutMs));
  const { code, output, timedOut } = await runLimited(node22, args, scenarioTimeoutMs + 15_000, join(outDir, 'cli.log'));
  const text = stripVTControlCharacters(output);
  if (timedOut) return { scenario: name, result: 'fail', checks: '', note: `timed out after ${scenarioTimeoutMs / 1000 + 15} s (killed)` };
  const skipped = /^SKIPPED: (.*)$/m.exec(text);
  if (skipped) return { scenario: name, result: 'skipped-not-applicable', checks: '', note: `the suite skipped it: ${skipped[1]}` };
  const checksFile = findFile(outDir, 'checks.json');
  if (checksFile === undefined) {
    const last = text.trim().split('\n').filter((l) => l.trim()).slice(-1)[0] ?? '';
    return { scenario: name, result: 'fail', checks: '', note: `no checks.json (exit ${code}): ${last.trim()}` };
  }
  const checks = JSON.parse(readFileSync(checksFile, 'utf8'));
  const count = (status) => checks.filter((c) => c.status === status).length;
  const failures = checks.filter((c) => c.status === 'FAILURE');
  const warnings = checks.filter((c) => c.status === 'WARNING');
  const summary = `${count('SUCCESS')} ok, ${failures.length} fail, ${warnings.length} warn`;
  if (failures.length) return { scenario: name, result: 'fail', checks: summary, note: `${failures[0].id}: ${oneLine(failures[0].errorMessage ?? failures[0].description)}` };
  if (code !== 0 && !informational) return { scenario: name, result: 'fail', checks: summary, note: `the CLI exited ${code} without a failing check` };
  return { scenario: name, result: 'pass', checks: summary, note: warnings.map((w) => `WARNING ${w.id}: ${oneLine(w.errorMessage ?? w.description)}`).join('; ') };
}

/**
 * Transport rules of 2025-06-18/2025-11-25 the suite has no stateful-revision scenario for:
 * MCP-Protocol-Version (unsupported -> 400, absent -> assume 2025-03-26), Mcp-Session-Id
 * (missing -> 400, unknown -> 404) and Origin (foreign -> 403 even with a loopback Host).
 */
async function localProbes(url, protocolVersion) {
  const post = (body, headers = {}) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    }).then(async (res) => ({ status: res.status, body: await res.text().catch(() => '') }));
  const init = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo: { name: 'globalmcp-conformance-local', version: '1.0.0' } } }),
    signal: AbortSignal.timeout(15_000),
  });
  await init.text();
  const session = init.headers.get('mcp-session-id');
  const base = { 'mcp-session-id': session ?? '', 'mcp-protocol-version': protocolVersion };
  await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, base);
  const ping = (id) => ({ jsonrpc: '2.0', id, method: 'ping' });
  const probes = [
    ['local/protocol-version-header', [
      ['negotiated version accepted', () => post(ping(2), base), 200],
      ['unsupported version -> 400', () => post(ping(3), { ...base, 'mcp-protocol-version': '1999-01-01' }), 400],
      ['absent header accepted (assumed 2025-03-26)', () => post(ping(4), { 'mcp-session-id': session ?? '' }), 200],
    ]],
    ['local/session-id-header', [
      ['missing Mcp-Session-Id on a non-initialize request -> 400', () => post(ping(5), { 'mcp-protocol-version': protocolVersion }), 400],
      ['unknown Mcp-Session-Id -> 404', () => post(ping(6), { ...base, 'mcp-session-id': randomUUID() }), 404],
    ]],
    ['local/origin-validation', [
      ['foreign Origin with a loopback Host -> 403', () => post(ping(7), { ...base, origin: 'http://evil.example.com' }), 403],
      ['loopback Origin accepted', () => post(ping(8), { ...base, origin: new URL(url).origin }), 200],
    ]],
  ];
  const rows = [];
  for (const [scenario, checks] of probes) {
    const failures = [];
    for (const [label, send, expected] of checks) {
      try {
        const { status, body } = await send();
        if (status !== expected) failures.push(`${label}: got HTTP ${status} ${oneLine(body).slice(0, 160)}`);
      } catch (error) {
        failures.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    rows.push({ scenario, result: failures.length ? 'fail' : 'pass', checks: `${checks.length - failures.length} ok, ${failures.length} fail, 0 warn`, note: failures[0] ?? '' });
  }
  if (session) await fetch(url, { method: 'DELETE', headers: base, signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  return rows;
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

function printTable(rows) {
  const width = (key, header) => Math.max(header.length, ...rows.map((r) => r[key].length));
  const w = { scenario: width('scenario', 'scenario'), result: width('result', 'result'), checks: width('checks', 'checks') };
  const line = (a, b, c, d) => `${a.padEnd(w.scenario)}  ${b.padEnd(w.result)}  ${c.padEnd(w.checks)}  ${d}`.trimEnd();
  console.log(`\n${line('scenario', 'result', 'checks', 'first failing check / warning / reason')}`);
  console.log(line('-'.repeat(w.scenario), '-'.repeat(w.result), '-'.repeat(w.checks), '-'.repeat(40)));
  for (const r of rows) console.log(line(r.scenario, r.result, r.checks, r.note));
}

function oneLine(text) {
  return String(text).replace(/\s+/g, ' ').trim();
}

function kill(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, 5000).unref();
}

async function cleanup() {
  stopping = true;
  await Promise.all([running, server].map(stop));
  if (configDir) rmSync(configDir, { recursive: true, force: true });
}

/** SIGTERM, SIGKILL after 5 s; resolves when the child has exited (or after 8 s). */
async function stop(child) {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  kill(child);
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 8000).unref())]);
}

function shutdown(code) {
  if (signalled !== undefined) return;
  signalled = code;
  void cleanup().finally(() => process.exit(code));
}

function fatal(message) {
  throw new Error(message);
}

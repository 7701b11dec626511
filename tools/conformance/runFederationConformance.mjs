// npm run conformance -- --federation (or: node tools/conformance/runFederationConformance.mjs):
// the official MCP conformance suite against a server that offers the suite's reference fixtures
// (tools/conformance/referenceChild.mjs, ours), twice, scenario by scenario:
//   (a) alone, over Streamable HTTP, and
//   (b) through the GlobalMCP gateway, which federates the same server as a child without a
//       name prefix ("prefix": false), so the child's test_* tools, test:// resources and
//       test_* prompts keep the names the suite calls.
// The target is that every scenario that passes alone passes through the gateway; a scenario
// that passes alone and fails through the gateway is a regression and makes the run exit 1.
//
// 1. Installs the pinned suite and Node 22 into tmp/conformance/ (as runConformance.mjs does).
//    The child needs nothing else: it runs on this Node with the repository's
//    @modelcontextprotocol/sdk and zod.
// 2. Starts the child alone (`referenceChild.mjs --http --port 0`), and the gateway
//    (apps/mcp-server/dist/main.js --http) on a config dir holding model_registry.json,
//    router.json and a servers.json with the child: `referenceChild.mjs --stdio` by default, or
//    `--child http` for a second HTTP instance federated by URL.
// 3. Runs every suite scenario of the protocol revision both negotiate against both URLs, adds
//    a few stricter checks of our own on the suite's recorded results (sampling and elicitation
//    must round-trip: the client's answer must come back in the tool result), and prints a
//    table, the checks whose outcome differs, and the summary
//    "N of M scenarios pass through the gateway; K pass alone; regressions: [...]".
//
// Exit code: 0 without regressions, 1 with one or more, 2 when the run could not be set up.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, stripVTControlCharacters } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

// Same pins as runConformance.mjs (both scripts share tmp/conformance/node_modules).
const CONFORMANCE_VERSION = '0.2.0-alpha.12';
const NODE_VERSION = '22.23.3';
const root = fileURLToPath(new URL('../../', import.meta.url));
const scratch = join(root, 'tmp', 'conformance');
const modules = join(scratch, 'node_modules');
const suiteDir = join(modules, '@modelcontextprotocol', 'conformance');
const childScript = fileURLToPath(new URL('./referenceChild.mjs', import.meta.url));
const serverMain = join(root, 'apps', 'mcp-server', 'dist', 'main.js');

const USAGE = `Usage: node tools/conformance/runFederationConformance.mjs [options]
   or: npm run conformance -- --federation [options]

Runs @modelcontextprotocol/conformance@${CONFORMANCE_VERSION} (Node ${NODE_VERSION}) against tools/conformance/referenceChild.mjs
(a server with the suite's reference fixtures) alone and through the GlobalMCP gateway (apps/mcp-server/dist,
build it first), which federates it without a name prefix, and compares them scenario by scenario.

  --child <stdio|http>  how the gateway reaches the child (default stdio)
  --scenario <name>     run only this scenario (repeatable)
  --all-revisions       also run the scenarios of other protocol revisions and extensions, for
                        information (listed apart; they never count as regressions)
  --timeout <s>         per-scenario limit in seconds (default 60)
  --keep                keep the gateway's temporary config dir
  --help`;

// Mutable run state, for cleanup on every path.
const processes = new Set();
const tempDirs = [];
let running;
let stopping = false;
let signalled;

/** Runs the comparison; resolves with the exit code (0 no regression, 1 regressions, 2 setup failure). */
export async function runFederation(argv) {
  let opts;
  try {
    ({ values: opts } = parseArgs({
      args: argv,
      options: {
        child: { type: 'string', default: 'stdio' },
        scenario: { type: 'string', multiple: true },
        'all-revisions': { type: 'boolean', default: false },
        timeout: { type: 'string', default: '60' },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`conformance --federation: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  const timeoutMs = Number(opts.timeout) * 1000;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 5000) {
    console.error(`conformance --federation: --timeout ${opts.timeout}: expected a number of seconds >= 5`);
    return 2;
  }
  if (opts.child !== 'stdio' && opts.child !== 'http') {
    console.error(`conformance --federation: --child ${opts.child}: expected stdio or http`);
    return 2;
  }

  const onSignal = (code) => () => {
    if (signalled !== undefined) return;
    signalled = code;
    void cleanup(opts.keep).finally(() => process.exit(code));
  };
  process.on('SIGINT', onSignal(130));
  process.on('SIGTERM', onSignal(143));
  const watchdog = setTimeout(() => {
    console.error('conformance --federation: overall time limit reached; stopping');
    onSignal(2)();
  }, 15 * 60_000 + 2 * 70 * (timeoutMs + 15_000));
  watchdog.unref();

  try {
    return await compare({ ...opts, timeoutMs });
  } catch (error) {
    if (signalled === undefined) console.error(`conformance --federation: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  } finally {
    clearTimeout(watchdog);
    await cleanup(opts.keep);
  }
}

async function compare(opts) {
  const started = Date.now();
  if (!existsSync(serverMain)) fatal(`${serverMain} is missing: build first (npm run build)`);
  const node22 = await ensureSuite();
  const cli = join(suiteDir, 'dist', 'index.js');
  if (!existsSync(childScript)) fatal(`${childScript} is missing`);
  const resultsDir = join(scratch, 'results', `federation-${opts.child}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(resultsDir, { recursive: true });

  // (a) the child alone
  const aloneUrl = await startChildHttp(join(resultsDir, 'child-alone.log'));
  // (b) the gateway with the child as its only federated server
  let childEntry;
  if (opts.child === 'stdio') {
    childEntry = { command: process.execPath, args: [childScript, '--stdio'], prefix: false };
  } else {
    childEntry = { url: await startChildHttp(join(resultsDir, 'child-federated.log')), prefix: false };
  }
  const gatewayUrl = await startGateway(childEntry, join(resultsDir, 'gateway.log'), opts.keep);

  const alone = await probe(aloneUrl);
  const gateway = await probeUntil(gatewayUrl, (offer) => offer.tools.has('test_simple_text'), 30_000, join(resultsDir, 'gateway.log'));
  console.log(`alone:   ${alone.name} ${alone.version} at ${aloneUrl}: protocol ${alone.protocolVersion}, capabilities ${Object.keys(alone.capabilities).join(', ')}; ${alone.tools.size} tools, ${alone.prompts.size} prompts, ${alone.resources.size} resources, ${alone.templates.size} templates`);
  console.log(`gateway: ${gateway.name} ${gateway.version} at ${gatewayUrl} (${opts.child} child${opts.child === 'http' ? ` ${childEntry.url}` : ''}): protocol ${gateway.protocolVersion}, capabilities ${Object.keys(gateway.capabilities).join(', ')}; ${gateway.tools.size} tools, ${gateway.prompts.size} prompts, ${gateway.resources.size} resources, ${gateway.templates.size} templates`);
  const missing = [...alone.tools].filter((t) => !gateway.tools.has(t));
  if (missing.length) console.log(`note: the gateway does not list the child's tools ${missing.join(', ')}`);

  const serverHelp = runSync(node22, [cli, 'server', '--help']);
  const cliHasTimeout = serverHelp.includes('--timeout');
  const all = parseScenarioList(runSync(node22, [cli, 'list', '--server']));
  if (alone.protocolVersion !== gateway.protocolVersion) console.log(`note: the child negotiates ${alone.protocolVersion}, the gateway ${gateway.protocolVersion}; scenarios run at the gateway's`);
  const specVersion = gateway.protocolVersion;
  const known = new Set([...all.values()].flat());
  if (!known.has(specVersion)) fatal(`the suite has no scenarios for protocol version ${specVersion} (it knows ${[...known].join(', ')})`);
  const inRevision = parseScenarioList(runSync(node22, [cli, 'list', '--server', '--spec-version', specVersion]));

  const wanted = opts.scenario ?? [...all.keys()];
  for (const name of wanted) if (!all.has(name)) fatal(`unknown scenario ${JSON.stringify(name)}; the suite has: ${[...all.keys()].join(', ')}`);

  const rows = [];
  const other = [];
  for (const name of wanted) {
    const inRev = inRevision.has(name);
    if (!inRev && !opts['all-revisions']) {
      other.push({ scenario: name, revisions: all.get(name).join(', ') });
      continue;
    }
    const version = inRev ? specVersion : undefined;
    const run = (url, side) => runScenario({ node22, cli, url, name, specVersion: version, cliHasTimeout, timeoutMs: opts.timeoutMs, outDir: join(resultsDir, side, safe(name)) });
    process.stdout.write(`${name} ... alone `);
    const a = await run(aloneUrl, 'alone');
    process.stdout.write(`${a.result}, gateway `);
    const g = await run(gatewayUrl, 'gateway');
    console.log(g.result);
    rows.push({ scenario: name, informational: !inRev, revisions: all.get(name).join(', '), alone: a, gateway: g });
  }

  const main = rows.filter((r) => !r.informational);
  const info = rows.filter((r) => r.informational);
  printTable(`scenarios of ${specVersion}${alone.protocolVersion === specVersion ? ' (both servers negotiate it)' : ''}`, main);
  if (info.length) printTable('other revisions and extensions (informational: the gateway negotiates ' + specVersion + ')', info);
  if (other.length && !opts['all-revisions']) {
    console.log(`\nnot run (other protocol revisions or extensions; --all-revisions runs them for information): ${other.map((o) => `${o.scenario} [${o.revisions}]`).join(', ')}`);
  }

  const regressions = main.filter((r) => r.alone.result === 'pass' && r.gateway.result !== 'pass');
  const improvements = main.filter((r) => r.alone.result !== 'pass' && r.gateway.result === 'pass');
  const differences = rows.map((r) => ({ row: r, diff: checkDifferences(r.alone.checks, r.gateway.checks) })).filter((d) => d.diff.length);
  const describe = (list) =>
    list.flatMap(({ row, diff }) => [`  ${row.scenario}${row.informational ? ' (informational)' : ''}:`, ...diff.map((d) => `    ${d.id}: ${d.alone} -> ${d.gateway}${d.message ? `: ${d.message}` : ''}`)]).join('\n');
  writeFileSync(join(resultsDir, 'differences.txt'), `${describe(differences)}\n`);
  const mainDifferences = differences.filter((d) => !d.row.informational);
  if (mainDifferences.length) console.log(`\nchecks of ${specVersion} scenarios whose outcome differs (alone -> through the gateway):\n${describe(mainDifferences)}`);
  if (mainDifferences.length < differences.length) console.log(`\n(check-level differences of the informational scenarios: ${join(resultsDir, 'differences.txt')})`);
  if (regressions.length) {
    console.log('\nregressions (pass alone, fail through the gateway), with the suite\'s failure messages:');
    for (const r of regressions) {
      console.log(`  ${r.scenario}:`);
      const failures = r.gateway.checks.filter((c) => c.status === 'FAILURE');
      if (failures.length === 0) console.log(`    ${r.gateway.note}`);
      for (const c of failures) console.log(`    ${c.id}: ${oneLine(c.errorMessage ?? c.description)}`);
    }
  }

  const passAlone = main.filter((r) => r.alone.result === 'pass').length;
  const passGateway = main.filter((r) => r.gateway.result === 'pass').length;
  const checkCount = (side, status) => main.reduce((n, r) => n + r[side].checks.filter((c) => c.status === status).length, 0);
  const graded = (side) => main.reduce((n, r) => n + r[side].checks.filter((c) => c.status === 'SUCCESS' || c.status === 'FAILURE' || c.status === 'WARNING').length, 0);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `\n${regressions.length === 0 ? 'PASS' : 'FAIL'}: ${passGateway} of ${main.length} scenarios pass through the gateway; ${passAlone} pass alone; ` +
      `regressions: [${regressions.map((r) => r.scenario).join(', ')}]` +
      `${improvements.length ? `; pass only through the gateway: [${improvements.map((r) => r.scenario).join(', ')}]` : ''}`,
  );
  console.log(
    `individual checks: ${checkCount('gateway', 'SUCCESS')} of ${graded('gateway')} succeed through the gateway, ${checkCount('alone', 'SUCCESS')} of ${graded('alone')} alone ` +
      `(failures ${checkCount('gateway', 'FAILURE')} vs ${checkCount('alone', 'FAILURE')}, warnings ${checkCount('gateway', 'WARNING')} vs ${checkCount('alone', 'WARNING')})`,
  );
  console.log(`${opts.child} child; suite ${CONFORMANCE_VERSION} at spec ${specVersion} on Node ${NODE_VERSION}; ${seconds} s; results in ${resultsDir}`);
  writeFileSync(join(resultsDir, 'summary.json'), `${JSON.stringify({ child: opts.child, specVersion, rows: rows.map(({ alone: a, gateway: g, ...r }) => ({ ...r, alone: { result: a.result, counts: a.counts, note: a.note }, gateway: { result: g.result, counts: g.counts, note: g.note } })), regressions: regressions.map((r) => r.scenario) }, null, 2)}\n`);
  return regressions.length === 0 ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// installation and build

/** The pinned suite and Node 22 in tmp/conformance (one npm install, as in runConformance.mjs). */
async function ensureSuite() {
  let node22 = findNode22();
  if (node22 !== undefined && installedVersion(suiteDir) === CONFORMANCE_VERSION) return node22;
  mkdirSync(scratch, { recursive: true });
  const pkg = join(scratch, 'package.json');
  if (!existsSync(pkg)) writeFileSync(pkg, `${JSON.stringify({ name: 'globalmcp-conformance-scratch', private: true, description: 'Scratch install for tools/conformance; safe to delete.' }, null, 2)}\n`);
  console.log(`installing node@${NODE_VERSION} and @modelcontextprotocol/conformance@${CONFORMANCE_VERSION} into ${scratch} ...`);
  await npmInstall(scratch, [`node@${NODE_VERSION}`, `@modelcontextprotocol/conformance@${CONFORMANCE_VERSION}`]);
  node22 = findNode22();
  if (node22 === undefined) {
    await npmInstall(scratch, [`${platformNodePackage()}@${NODE_VERSION}`]);
    node22 = findNode22();
  }
  if (node22 === undefined) fatal(`no working Node ${NODE_VERSION} binary under ${modules} after installing node@${NODE_VERSION}`);
  if (installedVersion(suiteDir) !== CONFORMANCE_VERSION) fatal(`@modelcontextprotocol/conformance@${CONFORMANCE_VERSION} did not install into ${modules}`);
  return node22;
}

function installedVersion(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
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
  const candidates = [join(modules, 'node', 'bin', exe), join(modules, 'node', 'node_modules', platformNodePackage(), 'bin', exe), join(modules, platformNodePackage(), 'bin', exe)];
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    const run = spawnSync(candidate, ['--version'], { encoding: 'utf8', timeout: 15_000 });
    if (run.status === 0 && run.stdout.trim() === `v${NODE_VERSION}`) return candidate;
  }
  return undefined;
}

function npmInstall(prefix, specs) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const args = ['install', '--prefix', prefix, ...(specs.length ? ['--no-save'] : []), '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', ...specs];
  return new Promise((resolve, reject) => {
    if (stopping) return reject(new Error('stopped'));
    const child = spawn(npm, args, { cwd: prefix, stdio: ['ignore', 'inherit', 'inherit'], shell: process.platform === 'win32' });
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

/** Starts referenceChild.mjs over Streamable HTTP on a free loopback port; resolves with its /mcp URL. */
function startChildHttp(logFile) {
  const child = spawn(process.execPath, [childScript, '--http', '--host', '127.0.0.1', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  return waitFor(child, logFile, /listening (http:\/\/\S+\/mcp)/, (match) => match[1], 'the conformance child');
}

/** Starts the gateway with referenceChild.mjs as its only child; resolves with the gateway's /mcp URL. */
function startGateway(childEntry, logFile, keep) {
  const configDir = mkdtempSync(join(tmpdir(), 'globalmcp-federation-conformance-'));
  tempDirs.push({ dir: configDir, keep });
  // The model registry and router rules the server normally runs with; no other child server.
  for (const file of ['model_registry.json', 'router.json']) {
    if (existsSync(join(root, 'config', file))) copyFileSync(join(root, 'config', file), join(configDir, file));
  }
  writeFileSync(join(configDir, 'servers.json'), `${JSON.stringify({ mcpServers: { ref: childEntry } }, null, 2)}\n`);
  const env = { ...process.env };
  delete env.GLOBALMCP_TOKEN;
  delete env.MCP_SERVER_HOST;
  delete env.MCP_SERVER_PORT;
  delete env.GLOBALMCP_CONFIG_DIR;
  const args = [serverMain, '--http', '--host', '127.0.0.1', '--port', '0', '--config-dir', configDir, '--log-level', 'debug'];
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return waitFor(child, logFile, /listening on (http:\/\/\S+\/mcp)/, (match) => match[1], 'the gateway');
}

/** Tees a server's output to a log file and resolves once a line matches. */
function waitFor(child, logFile, pattern, urlOf, label) {
  processes.add(child);
  const log = createWriteStream(logFile);
  return new Promise((resolve, reject) => {
    let buffered = '';
    let done = false;
    const timer = setTimeout(() => reject(new Error(`${label} did not start within 30 s; see ${logFile}`)), 30_000);
    const onData = (chunk) => {
      log.write(chunk);
      if (done) return;
      buffered += chunk.toString('utf8');
      const match = pattern.exec(buffered);
      if (match) {
        done = true;
        clearTimeout(timer);
        buffered = '';
        resolve(urlOf(match));
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
      else if (!stopping) console.error(`conformance --federation: ${label} exited during the run (${signal ?? `exit ${code}`}); see ${logFile}`);
    });
  });
}

/** One MCP session with the SDK client: what the server offers. */
async function probe(url) {
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

/** Probes until `ready(offer)` (the child's tools are federated) or the limit. */
async function probeUntil(url, ready, limitMs, logFile) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const offer = await probe(url);
    if (ready(offer)) return offer;
    if (Date.now() > deadline) fatal(`the gateway did not list the child's tools within ${limitMs / 1000} s (it lists ${[...offer.tools].join(', ')}); see ${logFile}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

// ---------------------------------------------------------------------------------------------
// the suite

/** One suite scenario in its own output directory; its checks.json read back. */
async function runScenario({ node22, cli, url, name, specVersion, cliHasTimeout, timeoutMs, outDir }) {
  mkdirSync(outDir, { recursive: true });
  const args = [cli, 'server', '--url', url, '--scenario', name, ...(specVersion ? ['--spec-version', specVersion] : []), '--output-dir', outDir];
  if (cliHasTimeout) args.push('--timeout', String(timeoutMs));
  const { code, output, timedOut } = await runLimited(node22, args, timeoutMs + 15_000, join(outDir, 'cli.log'));
  const text = stripVTControlCharacters(output);
  const empty = { checks: [], counts: '' };
  if (timedOut) return { ...empty, result: 'fail', note: `timed out after ${timeoutMs / 1000 + 15} s (killed)` };
  const skipped = /^SKIPPED: (.*)$/m.exec(text);
  if (skipped) return { ...empty, result: 'skipped', note: `the suite skipped it: ${skipped[1]}` };
  const checksFile = findFile(outDir, 'checks.json');
  if (checksFile === undefined) {
    const last = text.trim().split('\n').filter((l) => l.trim()).slice(-1)[0] ?? '';
    return { ...empty, result: 'fail', note: `no checks.json (exit ${code}): ${last.trim()}` };
  }
  const suiteChecks = JSON.parse(readFileSync(checksFile, 'utf8'));
  const checks = [...suiteChecks, ...roundTripChecks(name, suiteChecks)];
  const count = (status) => checks.filter((c) => c.status === status).length;
  const failures = checks.filter((c) => c.status === 'FAILURE');
  const warnings = checks.filter((c) => c.status === 'WARNING');
  const counts = `${count('SUCCESS')}/${failures.length}/${warnings.length}`;
  if (failures.length) return { checks, counts, result: 'fail', note: `${failures[0].id}: ${oneLine(failures[0].errorMessage ?? failures[0].description)}` };
  if (code !== 0) return { checks, counts, result: 'fail', note: `the CLI exited ${code} without a failing check` };
  return { checks, counts, result: 'pass', note: warnings.map((w) => `WARNING ${w.id}: ${oneLine(w.errorMessage ?? w.description)}`).join('; ') };
}

/**
 * Our own checks on what the suite recorded (they are added to the scenario's checks as
 * `<scenario>-round-trip`, with the prefix "tools/conformance:" in the description). The suite only
 * asks that these tools return some content, so a tool that never saw the client's answer, or a
 * gateway that lost it on the way back, would still pass; here the answer the suite's client gives
 * (fixed strings in the suite) must come back in a text block of the tool result, without isError.
 */
const ROUND_TRIPS = {
  'tools-call-sampling': { what: "the client's sampling reply", expect: ['LLM response: This is a test response from the client'] },
  'tools-call-elicitation': { what: "the client's elicitation answer", expect: ['action=accept', 'testuser', 'test@example.com'] },
};

function roundTripChecks(name, suiteChecks) {
  const spec = ROUND_TRIPS[name];
  if (spec === undefined) return [];
  const result = suiteChecks.find((c) => c.id === name)?.details?.result;
  const texts = Array.isArray(result?.content) ? result.content.filter((b) => b?.type === 'text').map((b) => String(b.text)) : [];
  const passed = result !== undefined && result.isError !== true && texts.some((t) => spec.expect.every((part) => t.includes(part)));
  return [
    {
      id: `${name}-round-trip`,
      name: 'RoundTrip',
      description: `tools/conformance: the tool result carries ${spec.what}`,
      status: passed ? 'SUCCESS' : 'FAILURE',
      timestamp: new Date().toISOString(),
      errorMessage: passed ? undefined : `expected a text block (without isError) containing ${spec.expect.map((p) => JSON.stringify(p)).join(' and ')}; the suite recorded ${JSON.stringify(result ?? null).slice(0, 300)}`,
      details: { expected: spec.expect, texts, isError: result?.isError === true },
    },
  ];
}

/**
 * Checks whose outcome differs between the two runs, by check id. A scenario may repeat an id: its worst graded
 * outcome counts. INFO entries are mostly the suite's traffic log; an id that is INFO on one side only (e.g. a
 * step the suite could not exercise) is shown as INFO.
 */
function checkDifferences(aloneChecks, gatewayChecks) {
  const rank = { INFO: 0, SUCCESS: 1, SKIPPED: 2, WARNING: 3, FAILURE: 4 };
  const worst = (checks) => {
    const out = new Map();
    for (const c of checks) {
      if (!(c.status in rank)) continue;
      const prev = out.get(c.id);
      if (prev === undefined || rank[c.status] > rank[prev.status]) out.set(c.id, c);
    }
    return out;
  };
  const a = worst(aloneChecks);
  const g = worst(gatewayChecks);
  const graded = (c) => c !== undefined && c.status !== 'INFO';
  const ids = [...new Set([...a.keys(), ...g.keys()])].filter((id) => graded(a.get(id)) || graded(g.get(id)));
  const detail = (c) => oneLine(c.errorMessage ?? c.details?.message ?? c.description ?? '');
  return ids
    .filter((id) => a.get(id)?.status !== g.get(id)?.status)
    .map((id) => {
      const gc = g.get(id);
      const ac = a.get(id);
      const message = gc && gc.status !== 'SUCCESS' ? detail(gc) : ac && ac.status !== 'SUCCESS' ? detail(ac) : '';
      return { id, alone: ac?.status ?? 'absent', gateway: gc?.status ?? 'absent', message: message.slice(0, 400) };
    });
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
// report

function printTable(title, rows) {
  const cells = rows.map((r) => ({
    scenario: r.scenario,
    alone: `${r.alone.result}${r.alone.counts ? ` ${r.alone.counts}` : ''}`,
    gateway: `${r.gateway.result}${r.gateway.counts ? ` ${r.gateway.counts}` : ''}`,
    verdict: verdict(r),
    note: r.gateway.result !== 'pass' ? r.gateway.note : r.alone.result !== 'pass' ? `alone: ${r.alone.note}` : r.gateway.note,
  }));
  const headers = { scenario: 'scenario', alone: 'alone', gateway: 'through gateway', verdict: 'verdict', note: 'first failing check through the gateway (or alone) / warnings' };
  const keys = ['scenario', 'alone', 'gateway', 'verdict'];
  const w = Object.fromEntries(keys.map((k) => [k, Math.max(headers[k].length, ...cells.map((c) => c[k].length))]));
  const line = (c) => `${keys.map((k) => c[k].padEnd(w[k])).join('  ')}  ${c.note}`.trimEnd();
  console.log(`\n${title}; check counts are success/failure/warning`);
  console.log(line(headers));
  console.log(line({ ...Object.fromEntries(keys.map((k) => [k, '-'.repeat(w[k])])), note: '-'.repeat(40) }));
  for (const c of cells) console.log(line(c));
}

function verdict(r) {
  const a = r.alone.result === 'pass';
  const g = r.gateway.result === 'pass';
  if (a && g) return 'same';
  if (a && !g) return r.informational ? 'differs (info)' : 'REGRESSION';
  if (!a && g) return 'gateway only';
  return 'fails both';
}

function safe(name) {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function oneLine(text) {
  return String(text).replace(/\s+/g, ' ').trim();
}

function fatal(message) {
  throw new Error(message);
}

// ---------------------------------------------------------------------------------------------
// processes

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

async function cleanup(keep) {
  stopping = true;
  // The gateway first (it stops its stdio child), then the HTTP children and any suite process.
  await Promise.all([running, ...processes].map(stop));
  for (const { dir } of tempDirs.splice(0)) {
    if (keep) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await runFederation(process.argv.slice(2));
  process.exit(signalled ?? code);
}

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
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CONFORMANCE_VERSION, NODE_VERSION, ensureSuite, fatal, grade, guardRun, isStopping, listScenarios, oneLine, printTable, probe, runScenario, safeName, scratch, serverMain, signalledCode, startGateway, timestamp } from './suite.mjs';

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

// The server under test gets suite.mjs's CONFIG_FILES (the model registry and router rules it
// normally runs with) and no servers.json (nor filesystem_config.json), so it federates no child and
// the suite tests the gateway's own tools, prompts and resources. No scenario of this mode needs a
// child; the suite's reference fixtures are federated in --federation mode instead.

/** Notes printed beside a generic scenario that passes only partly by design. */
const NOTES = {
  'server-sse-polling': 'its disconnect/resume part needs the reference tool test_reconnection (reported INFO); the priming-event and retry-field checks are generic',
};

const started = Date.now();
const resultsDir = join(scratch, 'results', timestamp());

// The whole run stops by itself: install (10 min) + every scenario + margin.
const exitCode = await guardRun({ prefix: 'conformance', limitMs: 10 * 60_000 + 30 * (scenarioTimeoutMs + 15_000) }, main);
process.exit(signalledCode() ?? exitCode);

async function main() {
  if (!existsSync(serverMain)) fatal(`${serverMain} is missing: build first (npm run build)`);
  const node22 = await ensureSuite();
  mkdirSync(resultsDir, { recursive: true });

  const logFile = join(resultsDir, 'server.log');
  const { url } = await startGateway({ tempPrefix: 'globalmcp-conformance-', logFile, label: 'the server', ready: 'report "listening on"' });
  const health = await fetch(url.replace(/\/mcp$/, '/health'), { signal: AbortSignal.timeout(10_000) });
  if (!health.ok) fatal(`GET /health answered ${health.status}`);
  const offer = await probe(url);
  console.log(`server ${offer.name} ${offer.version} at ${url}: protocol ${offer.protocolVersion}, capabilities ${Object.keys(offer.capabilities).join(', ')}, ${offer.tools.size} tools`);

  const specVersion = offer.protocolVersion;
  const { all, inRevision, wanted, cliHasTimeout } = listScenarios(node22, specVersion, opts.scenario);

  const rows = [];
  for (const name of wanted) {
    const missing = inRevision.has(name) ? missingFixtures(name, offer) : `targets ${all.get(name).join(', ')} only; the server negotiates ${specVersion}`;
    if (missing !== undefined && !opts['include-na']) {
      rows.push({ scenario: name, result: 'skipped-not-applicable', checks: '', note: missing });
      continue;
    }
    if (isStopping()) throw new Error('stopped');
    process.stdout.write(`running ${name} ... `);
    const outcome = await scenarioRow(node22, url, name, specVersion, cliHasTimeout, missing !== undefined);
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
  const columns = [['scenario', 'scenario'], ['result', 'result'], ['checks', 'checks'], ['note', 'first failing check / warning / reason']];
  printTable(columns, [...rows.filter((r) => !na(r)), ...rows.filter(na)]);
  const applicable = rows.filter((r) => r.result !== 'skipped-not-applicable');
  const failed = applicable.filter((r) => r.result === 'fail');
  const warned = applicable.filter((r) => /WARNING/.test(r.note));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `\n${failed.length === 0 ? 'PASS' : 'FAIL'}: ${applicable.length - failed.length}/${applicable.length} applicable passed` +
      `${failed.length ? ` (${failed.map((r) => r.scenario).join(', ')} failed)` : ''}, ${warned.length} with warnings, ` +
      `${rows.length - applicable.length} not applicable; suite ${CONFORMANCE_VERSION} at spec ${specVersion} on Node ${NODE_VERSION}; ${seconds} s; results in ${resultsDir}`,
  );
  return failed.length === 0 ? 0 : 1;
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

/** Runs one suite scenario (suite.mjs) and makes its table row; `informational` (not applicable, run anyway): a non-zero exit without a failing check does not fail it. */
async function scenarioRow(node22, url, name, specVersion, cliHasTimeout, informational) {
  const run = await runScenario({ node22, url, name, specVersion, cliHasTimeout, timeoutMs: scenarioTimeoutMs, outDir: join(resultsDir, safeName(name)) });
  if (run.checks === undefined) return { scenario: name, result: run.result === 'skipped' ? 'skipped-not-applicable' : run.result, checks: '', note: run.note };
  const { counts, result, note } = grade(run.checks, run.code, !informational);
  return { scenario: name, result, checks: `${counts.success} ok, ${counts.failure} fail, ${counts.warning} warn`, note };
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

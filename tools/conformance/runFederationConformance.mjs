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
// 1. Installs the pinned suite and Node 22 into tmp/conformance/ (suite.mjs, as for runConformance.mjs).
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
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CONFORMANCE_VERSION, NODE_VERSION, ensureSuite, fatal, grade, guardRun, isStopping, listScenarios, oneLine, printTable, probe, runScenario, safeName, scratch, serverMain, signalledCode, startGateway, startServer, timestamp } from './suite.mjs';

const childScript = fileURLToPath(new URL('./referenceChild.mjs', import.meta.url));

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

  const limitMs = 15 * 60_000 + 2 * 70 * (timeoutMs + 15_000);
  return guardRun({ prefix: 'conformance --federation', limitMs, keep: opts.keep }, () => compare({ ...opts, timeoutMs }));
}

async function compare(opts) {
  const started = Date.now();
  if (!existsSync(serverMain)) fatal(`${serverMain} is missing: build first (npm run build)`);
  const node22 = await ensureSuite();
  if (!existsSync(childScript)) fatal(`${childScript} is missing`);
  const resultsDir = join(scratch, 'results', `federation-${opts.child}-${timestamp()}`);
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
  const gatewayUrl = await startGatewayWith(childEntry, join(resultsDir, 'gateway.log'));

  const alone = await probe(aloneUrl);
  const gateway = await probeUntil(gatewayUrl, (offer) => offer.tools.has('test_simple_text'), 30_000, join(resultsDir, 'gateway.log'));
  console.log(`alone:   ${alone.name} ${alone.version} at ${aloneUrl}: protocol ${alone.protocolVersion}, capabilities ${Object.keys(alone.capabilities).join(', ')}; ${alone.tools.size} tools, ${alone.prompts.size} prompts, ${alone.resources.size} resources, ${alone.templates.size} templates`);
  console.log(`gateway: ${gateway.name} ${gateway.version} at ${gatewayUrl} (${opts.child} child${opts.child === 'http' ? ` ${childEntry.url}` : ''}): protocol ${gateway.protocolVersion}, capabilities ${Object.keys(gateway.capabilities).join(', ')}; ${gateway.tools.size} tools, ${gateway.prompts.size} prompts, ${gateway.resources.size} resources, ${gateway.templates.size} templates`);
  const missing = [...alone.tools].filter((t) => !gateway.tools.has(t));
  if (missing.length) console.log(`note: the gateway does not list the child's tools ${missing.join(', ')}`);

  if (alone.protocolVersion !== gateway.protocolVersion) console.log(`note: the child negotiates ${alone.protocolVersion}, the gateway ${gateway.protocolVersion}; scenarios run at the gateway's`);
  const specVersion = gateway.protocolVersion;
  const { all, inRevision, wanted, cliHasTimeout } = listScenarios(node22, specVersion, opts.scenario);

  const rows = [];
  const other = [];
  for (const name of wanted) {
    const inRev = inRevision.has(name);
    if (!inRev && !opts['all-revisions']) {
      other.push({ scenario: name, revisions: all.get(name).join(', ') });
      continue;
    }
    const version = inRev ? specVersion : undefined;
    const run = (url, side) => sideResult({ node22, url, name, specVersion: version, cliHasTimeout, timeoutMs: opts.timeoutMs, outDir: join(resultsDir, side, safeName(name)) });
    process.stdout.write(`${name} ... alone `);
    const a = await run(aloneUrl, 'alone');
    process.stdout.write(`${a.result}, gateway `);
    const g = await run(gatewayUrl, 'gateway');
    console.log(g.result);
    rows.push({ scenario: name, informational: !inRev, revisions: all.get(name).join(', '), alone: a, gateway: g });
  }

  const main = rows.filter((r) => !r.informational);
  const info = rows.filter((r) => r.informational);
  printSides(`scenarios of ${specVersion}${alone.protocolVersion === specVersion ? ' (both servers negotiate it)' : ''}`, main);
  if (info.length) printSides('other revisions and extensions (informational: the gateway negotiates ' + specVersion + ')', info);
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
// servers

/** Starts referenceChild.mjs over Streamable HTTP on a free loopback port; resolves with its /mcp URL. */
async function startChildHttp(logFile) {
  const label = 'the conformance child';
  const { child, url } = await startServer({ args: [childScript, '--http', '--host', '127.0.0.1', '--port', '0'], logFile, pattern: /listening (http:\/\/\S+\/mcp)/, label });
  reportLateExit(child, label, logFile);
  return url;
}

/** Starts the gateway with referenceChild.mjs as its only child; resolves with the gateway's /mcp URL. */
async function startGatewayWith(childEntry, logFile) {
  const label = 'the gateway';
  const { child, url } = await startGateway({ servers: { ref: childEntry }, tempPrefix: 'globalmcp-federation-conformance-', logFile, label });
  reportLateExit(child, label, logFile);
  return url;
}

/** A server that exits before the run ends is worth a line on stderr. */
function reportLateExit(child, label, logFile) {
  child.on('exit', (code, signal) => {
    if (!isStopping()) console.error(`conformance --federation: ${label} exited during the run (${signal ?? `exit ${code}`}); see ${logFile}`);
  });
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

/** One suite scenario on one side (suite.mjs), with our round-trip checks added to the suite's. */
async function sideResult(scenario) {
  const run = await runScenario(scenario);
  if (run.checks === undefined) return { checks: [], counts: '', result: run.result, note: run.note };
  const checks = [...run.checks, ...roundTripChecks(scenario.name, run.checks)];
  const { counts, result, note } = grade(checks, run.code);
  return { checks, counts: `${counts.success}/${counts.failure}/${counts.warning}`, result, note };
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

// ---------------------------------------------------------------------------------------------
// report

function printSides(title, rows) {
  const cells = rows.map((r) => ({
    scenario: r.scenario,
    alone: `${r.alone.result}${r.alone.counts ? ` ${r.alone.counts}` : ''}`,
    gateway: `${r.gateway.result}${r.gateway.counts ? ` ${r.gateway.counts}` : ''}`,
    verdict: verdict(r),
    note: r.gateway.result !== 'pass' ? r.gateway.note : r.alone.result !== 'pass' ? `alone: ${r.alone.note}` : r.gateway.note,
  }));
  const columns = [['scenario', 'scenario'], ['alone', 'alone'], ['gateway', 'through gateway'], ['verdict', 'verdict'], ['note', 'first failing check through the gateway (or alone) / warnings']];
  printTable(columns, cells, `${title}; check counts are success/failure/warning`);
}

function verdict(r) {
  const a = r.alone.result === 'pass';
  const g = r.gateway.result === 'pass';
  if (a && g) return 'same';
  if (a && !g) return r.informational ? 'differs (info)' : 'REGRESSION';
  if (!a && g) return 'gateway only';
  return 'fails both';
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await runFederation(process.argv.slice(2));
  process.exit(signalledCode() ?? code);
}

// node tools/bench/routerBench.mjs [--seed N] [--repeats R]
// (run `npx nx run @globalmcp/router:build` first: this imports the built package)
//
// Classification speed of @globalmcp/router beside the seed's classifier under Python's re, on the same seeded
// synthetic corpus: short requests (one line), medium prompts (1-3 KB: prose, a code block, sometimes a trace) and
// long ones (10-12 KB). The corpus is generated here and written to a temporary file that
// tools/bench/router_seed_re.py reads. For each size class: prompts per second and p50 / p99 latency per prompt,
// the median of R runs (after a warm-up run), and the ratio of the throughputs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Classifier } from '@globalmcp/router';

const { values } = parseArgs({ options: { seed: { type: 'string', default: '7' }, repeats: { type: 'string', default: '5' } } });
const SEED = Number(values.seed);
const REPEATS = Number(values.repeats);
if (!Number.isSafeInteger(SEED) || !Number.isSafeInteger(REPEATS) || REPEATS < 1) {
  console.error('usage: node tools/bench/routerBench.mjs [--seed N] [--repeats R>=1]');
  process.exit(2);
}
const COUNTS = { short: 3000, medium: 600, long: 200 };
const here = dirname(fileURLToPath(import.meta.url));

// ---- a seeded corpus
let state = SEED >>> 0 || 1;
const random = () => ((state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
const pick = (list) => list[Math.floor(random() * list.length)];
const between = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));

const VERBS = ['fix', 'add', 'rename', 'implement', 'refactor', 'debug', 'design', 'migrate', 'optimize', 'write', 'remove', 'explain', 'integrate', 'update', 'convert', 'review', 'deploy', 'test'];
const OBJECTS = ['the parser', 'a function', 'the login form', 'this class', 'the import', 'the database queries', 'our CI/CD pipeline', 'the cache layer', 'the README', 'the API client', 'the indentation', 'a variable', 'the scheduler', 'microservices', 'the payment service', 'unit tests', 'the error message', 'the config loader'];
const TAILS = ['', '', ' in utils.py', ' across the codebase', ' without breaking the public API', ' so that it handles empty input', ' for the mobile app', ' and add tests', ' with Redis and Postgres', ' because it crashes on startup', ' please', ' in src/server/routes.ts'];
const PROSE = (
  'the of and to a in is that it for on with as this when was but not are be by we if from or have an they which one you ' +
  'value function returns error request user data file should would expected actual behaviour result module class method ' +
  'option argument setting version update output input test case call object field list string number default issue problem'
).split(' ');
const CODE = [
  'def handle(request):\n    data = parse(request.body)\n    if not data:\n        raise ValueError("empty body")\n    return Response(data, status=200)',
  'export function merge<T>(a: T[], b: T[]): T[] {\n  const out = [...a];\n  for (const x of b) if (!out.includes(x)) out.push(x);\n  return out;\n}',
  'SELECT u.id, count(o.id) FROM users u LEFT JOIN orders o ON o.user_id = u.id GROUP BY u.id HAVING count(o.id) > 5;',
  'class Cache:\n    def __init__(self, size=128):\n        self.size = size\n        self.items = {}\n    def get(self, key):\n        return self.items.get(key)',
  'for (let i = 0; i < rows.length; i++) {\n  total += rows[i].amount * rate;\n}\nconsole.log(total.toFixed(2));',
];
const TRACE = 'Traceback (most recent call last):\n  File "/app/server/handlers.py", line 88, in handle\n    result = service.run(payload)\n  File "/app/server/service.py", line 41, in run\n    return self.backend.query(payload["id"])\nKeyError: \'id\'';

function sentence() {
  const words = [];
  for (let n = between(6, 18); n > 0; n--) words.push(pick(PROSE));
  return `${words.join(' ')}.`;
}
function shortPrompt() {
  return `${pick(VERBS)} ${pick(OBJECTS)}${pick(TAILS)}`;
}
function document(minChars, maxChars) {
  const target = between(minChars, maxChars);
  const parts = [`${shortPrompt()}.`];
  let length = parts[0].length;
  while (length < target) {
    const r = random();
    const part = r < 0.6 ? Array.from({ length: between(2, 6) }, sentence).join(' ') : r < 0.85 ? `\`\`\`\n${pick(CODE)}\n\`\`\`` : r < 0.95 ? TRACE : `- ${shortPrompt()}\n- ${shortPrompt()}\n- ${shortPrompt()}`;
    parts.push(part);
    length += part.length + 2;
  }
  return parts.join('\n\n').slice(0, target);
}
const corpus = [];
for (let i = 0; i < COUNTS.short; i++) corpus.push({ size: 'short', text: shortPrompt() });
for (let i = 0; i < COUNTS.medium; i++) corpus.push({ size: 'medium', text: document(1024, 3072) });
for (let i = 0; i < COUNTS.long; i++) corpus.push({ size: 'long', text: document(10240, 12288) });

// ---- ours
const classifier = new Classifier();
const sizes = Object.keys(COUNTS);
const bySize = Object.fromEntries(sizes.map((s) => [s, corpus.filter((r) => r.size === s).map((r) => r.text)]));
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
let sink = 0; // keeps a result alive so the JIT cannot drop the work
// throughput from one timer around each size class (per-call timers would cost more than a short prompt's
// classification), then latency from a timer around each call
function runOurs() {
  const out = {};
  for (const s of sizes) {
    const texts = bySize[s];
    const start = performance.now();
    for (let i = 0; i < texts.length; i++) sink += classifier.classify(texts[i]).scores.complex;
    const total = performance.now() - start;
    const times = new Float64Array(texts.length);
    for (let i = 0; i < texts.length; i++) {
      const t0 = performance.now();
      sink += classifier.classify(texts[i]).scores.complex;
      times[i] = performance.now() - t0;
    }
    times.sort();
    out[s] = { perSecond: texts.length / (total / 1000), p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
  }
  return out;
}
runOurs(); // warm-up
const oursRuns = Array.from({ length: REPEATS }, runOurs);

// ---- the seed's patterns under Python's re, on the same corpus
const dir = mkdtempSync(join(tmpdir(), 'router-bench-'));
let seed;
try {
  const file = join(dir, 'corpus.jsonl');
  writeFileSync(file, corpus.map((r) => JSON.stringify(r)).join('\n'));
  seed = JSON.parse(execFileSync('python3', [join(here, 'router_seed_re.py'), file, String(REPEATS)], { encoding: 'utf8', maxBuffer: 64 << 20 }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// ---- report: the median of the runs, per measure
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const stat = (runs, s, key) => median(runs.map((r) => r[s][key]));
const bytes = (s) => Math.round(bySize[s].reduce((n, t) => n + t.length, 0) / bySize[s].length);
console.log(`router classification: ${corpus.length} synthetic prompts (seed ${SEED}), median of ${REPEATS} runs`);
console.log(`machine: ${cpus()[0]?.model ?? '?'} x ${cpus().length}, Node ${process.version}, Python ${seed.python}\n`);
const head = ['size class', 'prompts', 'avg chars', 'ours/s', 'p50 ms', 'p99 ms', 'seed re/s', 'p50 ms', 'p99 ms', 'ours/seed'];
const rows = sizes.map((s) => {
  const ours = stat(oursRuns, s, 'perSecond');
  const theirs = median(seed.runs[s].map((r) => r.perSecond));
  return [
    s,
    String(bySize[s].length),
    String(bytes(s)),
    ours.toFixed(0),
    stat(oursRuns, s, 'p50').toFixed(3),
    stat(oursRuns, s, 'p99').toFixed(3),
    theirs.toFixed(0),
    median(seed.runs[s].map((r) => r.p50)).toFixed(3),
    median(seed.runs[s].map((r) => r.p99)).toFixed(3),
    `${(ours / theirs).toFixed(1)}x`,
  ];
});
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
for (const r of [head, ...rows]) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
if (!Number.isFinite(sink)) console.log(sink);

// node tools/eval/routerEval.mjs [FILE.jsonl ...] [--folds 5] [--errors] [--no-python]
// (run `npx nx run @globalmcp/router:build` first: this imports the built package). With no file, the dev set at
// ../shared/data/router-dev/swebench-lite-difficulty.jsonl beside the repository, if it is there.
//
// Scores @globalmcp/router's classifier on labelled prompts ({text, tier} per line; `context` and `repo` are used
// when present) beside two baselines: the seed's original classifier (a JavaScript port, checked against the
// Python original in tools/eval/seed_patterns.py when python3 is available) and the majority class. For each:
// accuracy, macro-F1, per-class precision / recall / F1 and the confusion matrix.
//
// The rules and weights were written by hand; the three tier biases (thresholds.bias) are the only numbers fitted
// to data. --folds K (default 5) reports what fitting them costs: grouped K-fold cross-validation (folds by repo
// when the file has one, so no repository is in both the fitting and the scoring part), the biases fitted on K-1
// folds and scored on the held-out one, pooled over the folds.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Classifier, DEFAULT_ROUTER_CONFIG, TIERS } from '@globalmcp/router';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    folds: { type: 'string', default: '5' },
    errors: { type: 'boolean', default: false },
    'no-python': { type: 'boolean', default: false },
  },
});
const here = dirname(fileURLToPath(import.meta.url));
const DEV_SET = join(here, '..', '..', '..', 'shared', 'data', 'router-dev', 'swebench-lite-difficulty.jsonl');
if (positionals.length === 0 && existsSync(DEV_SET)) positionals.push(DEV_SET);
if (positionals.length === 0) {
  console.error('usage: node tools/eval/routerEval.mjs FILE.jsonl [...more] [--folds K] [--errors] [--no-python]');
  process.exit(2);
}
const folds = Number(values.folds);
if (!Number.isSafeInteger(folds) || folds < 0) {
  console.error(`--folds must be a non-negative integer; got ${values.folds}`);
  process.exit(2);
}

// ---- the seed's classifier, ported. Python's re is Unicode-aware (\b, \w, \s), so the port uses Unicode classes.
const W = String.raw`[\p{L}\p{N}\p{M}_]`;
const py = (pattern) => new RegExp(pattern.replaceAll(String.raw`\b`, `(?:(?<!${W})(?=${W})|(?<=${W})(?!${W}))`).replaceAll(String.raw`\w`, W), 'giu');
const SEED_PATTERNS = {
  simple: [String.raw`\b(fix|format|indent|rename|import)\b`, String.raw`\b(add|remove|delete)\s+\w+\s*(comment|log|print)\b`, String.raw`\bgenerate\s+(getter|setter|constructor)\b`, String.raw`\b(what|where|when|how)\s+is\b`],
  moderate: [String.raw`\b(refactor|optimize|implement|create)\b`, String.raw`\b(add|write|build)\s+(function|method|class)\b`, String.raw`\b(test|debug|fix)\s+(bug|issue|error)\b`, String.raw`\b(explain|describe|analyze)\b.*\b(code|algorithm|pattern)\b`],
  complex: [String.raw`\b(architect|design|migrate|transform)\b`, String.raw`\b(integrate|connect|sync)\s+.*\b(api|database|service)\b`, String.raw`\b(performance|security|scalability)\s+(issue|concern|optimization)\b`, String.raw`\b(multi|cross)[-\s](platform|service|thread|process)\b`, String.raw`\b(deploy|ci\/cd|infrastructure|docker|kubernetes)\b`],
};
const SEED = Object.fromEntries(Object.entries(SEED_PATTERNS).map(([t, ps]) => [t, ps.map(py)]));
const TECH = ['algorithm', 'architecture', 'framework', 'library', 'protocol', 'asynchronous', 'concurrent', 'distributed', 'microservice', 'authentication', 'authorization', 'encryption', 'validation'];
const CODE = ['class', 'function', 'method', 'interface', 'enum', 'struct'];
// str.split(): runs of Unicode whitespace, including the separators \x1c-\x1f
// eslint-disable-next-line no-control-regex
const PY_SPACE = /[\s\x1c-\x1f\x85]+/u;

function seedClassify(prompt, context = '') {
  const full = `${prompt} ${context}`.toLowerCase();
  const scores = {};
  for (const [t, res] of Object.entries(SEED)) scores[t] = res.reduce((n, re) => n + (full.match(re)?.length ?? 0), 0);
  const wc = full.split(PY_SPACE).filter(Boolean).length;
  if (wc > 100) scores.complex += 2;
  else if (wc > 50) scores.moderate += 1;
  else scores.simple += 1;
  const ts = TECH.filter((k) => full.includes(k)).length;
  if (ts >= 3) scores.complex += ts;
  else if (ts >= 1) scores.moderate += ts;
  const cs = CODE.filter((k) => full.includes(k)).length;
  if (cs >= 3) scores.moderate += 1;
  if (scores.complex > 0) return 'complex';
  return scores.moderate > scores.simple ? 'moderate' : 'simple';
}

// ---- metrics
function metrics(gold, pred) {
  const confusion = Object.fromEntries(TIERS.map((g) => [g, Object.fromEntries(TIERS.map((p) => [p, 0]))]));
  for (let i = 0; i < gold.length; i++) confusion[gold[i]][pred[i]]++;
  const perClass = {};
  for (const t of TIERS) {
    const tp = confusion[t][t];
    const predicted = TIERS.reduce((n, g) => n + confusion[g][t], 0);
    const actual = TIERS.reduce((n, p) => n + confusion[t][p], 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = actual ? tp / actual : 0;
    perClass[t] = { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, support: actual };
  }
  const accuracy = gold.filter((g, i) => g === pred[i]).length / gold.length;
  const macroF1 = TIERS.reduce((s, t) => s + perClass[t].f1, 0) / TIERS.length;
  return { accuracy, macroF1, perClass, confusion };
}

const f2 = (x) => x.toFixed(2);

/** 95% interval of macro-F1 over 2000 bootstrap resamples of the rows (seeded, so the figure is reproducible). */
function bootstrap(gold, pred) {
  let state = 12345;
  const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const values = [];
  for (let b = 0; b < 2000; b++) {
    const g = [];
    const p = [];
    for (let i = 0; i < gold.length; i++) {
      const j = Math.floor(random() * gold.length);
      g.push(gold[j]);
      p.push(pred[j]);
    }
    values.push(metrics(g, p).macroF1);
  }
  values.sort((a, b) => a - b);
  return [values[Math.floor(0.025 * values.length)], values[Math.floor(0.975 * values.length)]];
}

function report(name, m, gold, pred) {
  console.log(`\n${name}`);
  const ci = gold ? `   (95% bootstrap interval ${bootstrap(gold, pred).map(f2).join('-')})` : '';
  console.log(`  accuracy ${f2(m.accuracy)}   macro-F1 ${f2(m.macroF1)}${ci}`);
  console.log(`  ${'class'.padEnd(9)} ${'precision'.padStart(9)} ${'recall'.padStart(7)} ${'F1'.padStart(5)} ${'n'.padStart(4)}     confusion (rows: gold, columns: predicted)`);
  console.log(`  ${''.padEnd(9)} ${''.padStart(9)} ${''.padStart(7)} ${''.padStart(5)} ${''.padStart(4)}     ${TIERS.map((t) => t.padStart(9)).join('')}`);
  for (const t of TIERS) {
    const c = m.perClass[t];
    console.log(`  ${t.padEnd(9)} ${f2(c.precision).padStart(9)} ${f2(c.recall).padStart(7)} ${f2(c.f1).padStart(5)} ${String(c.support).padStart(4)}     ${TIERS.map((p) => String(m.confusion[t][p]).padStart(9)).join('')}`);
  }
}

// ---- bias fitting (the only fitted numbers): moderate fixed at its default, simple and complex on a grid
const GRID = [];
for (let s = -3; s <= 3.0001; s += 0.25) for (let c = -3; c <= 3.0001; c += 0.25) GRID.push({ simple: +s.toFixed(2), complex: +c.toFixed(2) });

/** Scores without bias, so that any bias can be applied without classifying again. */
function rawScores(classifier, row) {
  const r = classifier.classify(row.text, row.context);
  const raw = {};
  for (const t of TIERS) raw[t] = r.scores[t] - r.thresholds.bias[t];
  return raw;
}
function decide(raw, bias) {
  let best = 'moderate';
  for (const t of ['moderate', 'simple', 'complex']) if (raw[t] + bias[t] > raw[best] + bias[best]) best = t;
  return best;
}
function fitBias(raws, gold) {
  let best;
  for (const g of GRID) {
    const bias = { simple: g.simple, moderate: DEFAULT_ROUTER_CONFIG.thresholds.bias.moderate, complex: g.complex };
    const f = metrics(gold, raws.map((r) => decide(r, bias))).macroF1;
    // ties go to the smallest biases (not to the built-in ones, which were fitted on the dev set)
    const dist = Math.abs(g.simple) + Math.abs(g.complex);
    if (!best || f > best.f + 1e-12 || (Math.abs(f - best.f) <= 1e-12 && dist < best.dist)) best = { f, dist, bias };
  }
  return best.bias;
}

/** Groups (repos, else row indices) dealt into k folds, largest first onto the smallest fold. */
function groupFolds(rows, k) {
  const sizes = new Map();
  rows.forEach((r, i) => sizes.set(r.repo ?? `#${i}`, (sizes.get(r.repo ?? `#${i}`) ?? 0) + 1));
  const load = new Array(k).fill(0);
  const foldOf = new Map();
  for (const [g, n] of [...sizes].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) {
    const f = load.indexOf(Math.min(...load));
    foldOf.set(g, f);
    load[f] += n;
  }
  return rows.map((r, i) => foldOf.get(r.repo ?? `#${i}`));
}

// ---- run
for (const file of positionals) {
  const rows = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      const row = JSON.parse(l);
      if (typeof row.text !== 'string' || !TIERS.includes(row.tier)) throw new Error(`${file}:${i + 1}: expected {"text": string, "tier": "simple" | "moderate" | "complex"}`);
      return row;
    });
  const gold = rows.map((r) => r.tier);
  const counts = Object.fromEntries(TIERS.map((t) => [t, gold.filter((g) => g === t).length]));
  console.log(`# ${basename(file)}: ${rows.length} prompts (${TIERS.map((t) => `${counts[t]} ${t}`).join(', ')})`);

  const classifier = new Classifier();
  const ours = rows.map((r) => classifier.classify(r.text, r.context));
  report('ours (@globalmcp/router, built-in config)', metrics(gold, ours.map((r) => r.tier)), gold, ours.map((r) => r.tier));

  const seed = rows.map((r) => seedClassify(r.text, r.context ?? ''));
  let seedNote = '';
  if (!values['no-python']) {
    try {
      const out = execFileSync('python3', [join(here, 'seed_patterns.py'), file], { encoding: 'utf8', maxBuffer: 64 << 20 }).trim().split('\n');
      const agree = out.filter((t, i) => t === seed[i]).length;
      seedNote = `; the JavaScript port agrees with the Python original on ${agree}/${rows.length}`;
    } catch (error) {
      seedNote = `; python3 not run (${error.message.split('\n')[0]})`;
    }
  }
  report(`seed's original classifier (patterns + length + keyword counts${seedNote})`, metrics(gold, seed));

  const majority = TIERS.reduce((a, b) => (counts[b] > counts[a] ? b : a));
  report(`majority class (always "${majority}")`, metrics(gold, gold.map(() => majority)));

  if (folds >= 2) {
    const foldOf = groupFolds(rows, folds);
    const raws = rows.map((r) => rawScores(classifier, r));
    const pred = new Array(rows.length);
    const fitted = [];
    for (let f = 0; f < folds; f++) {
      const train = rows.map((_, i) => i).filter((i) => foldOf[i] !== f);
      const bias = fitBias(train.map((i) => raws[i]), train.map((i) => gold[i]));
      fitted.push(bias);
      rows.forEach((_, i) => {
        if (foldOf[i] === f) pred[i] = decide(raws[i], bias);
      });
    }
    const grouped = rows[0].repo !== undefined ? 'by repo' : 'by row';
    report(`ours, biases fitted on ${folds - 1}/${folds} folds and scored on the held-out fold (${grouped}, pooled)`, metrics(gold, pred), gold, pred);
    console.log(`  fitted biases per fold (simple, complex; moderate ${DEFAULT_ROUTER_CONFIG.thresholds.bias.moderate}): ${fitted.map((b) => `(${b.simple}, ${b.complex})`).join(' ')}`);
    const zero = metrics(gold, raws.map((r) => decide(r, { simple: 0, moderate: 0, complex: 0 })));
    console.log(`  with no biases at all (nothing fitted): accuracy ${f2(zero.accuracy)}, macro-F1 ${f2(zero.macroF1)}`);
    const all = fitBias(raws, gold);
    console.log(`  fitted on the whole file: (${all.simple}, ${all.complex}); built-in: (${DEFAULT_ROUTER_CONFIG.thresholds.bias.simple}, ${DEFAULT_ROUTER_CONFIG.thresholds.bias.complex})`);
  }

  if (values.errors) {
    console.log('\nmisclassified (gold -> ours: evidence)');
    rows.forEach((r, i) => {
      if (ours[i].tier === gold[i]) return;
      const ev = ours[i].evidence.map((e) => `${e.id}${e.kind === 'rule' ? ` ${e.detail}` : ''} +${e.weight}`).join('; ');
      console.log(`  ${r.id ?? i}: ${gold[i]} -> ${ours[i].tier} [${TIERS.map((t) => ours[i].scores[t]).join(' / ')}] ${ev}`);
    });
  }
}

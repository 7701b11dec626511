// npm run bench: @globalmcp/freqkv side by side with scipy on the same data.
// Prints medians (ms) of REPEATS runs after a warm-up, the ratios to scipy,
// a cross-check of our compressed output against scipy's, and peak memory.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compress, dctAlongAxis } from '@globalmcp/freqkv';
import { closeWorkers, compressParallel } from '@globalmcp/freqkv/parallel';
import { createRandom, parseNpy, serializeNpy } from '@globalmcp/tensor';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const HEADS = 32;
const DIM = 128;
const here = fileURLToPath(new URL('.', import.meta.url));
const cores = availableParallelism();

/** Smooth per-channel AR(1) data (rho 0.99) plus noise, float32, [heads, tokens, dim]. */
function smoothKv(tokens, seed) {
  const random = createRandom(seed);
  const data = new Float32Array(HEADS * tokens * DIM);
  const state = new Float64Array(DIM);
  for (let h = 0; h < HEADS; h++) {
    for (let j = 0; j < DIM; j++) state[j] = random.normal();
    for (let t = 0; t < tokens; t++) {
      for (let j = 0; j < DIM; j++) {
        state[j] = 0.99 * state[j] + 0.141 * random.normal();
        data[(h * tokens + t) * DIM + j] = state[j] + 0.3 * random.normal();
      }
    }
  }
  return data;
}

async function medianMs(fn) {
  let sink = 0;
  await fn(); // warm-up: JIT, plans, worker start
  const times = [];
  for (let r = 0; r < REPEATS; r++) {
    const start = performance.now();
    const result = await fn();
    times.push(performance.now() - start);
    sink += result.data?.[0] ?? result.tensor.data[0]; // keep a side effect so nothing is optimised away
  }
  times.sort((a, b) => a - b);
  if (Number.isNaN(sink)) throw new Error('benchmark produced NaN');
  spreads.push(`${spreadLabel}: ${times.map((t) => t.toFixed(0)).join(' ')}`);
  return times[Math.floor(times.length / 2)];
}

// Every run's time, sorted, per measurement: the machine is often shared, so the spread says how far to trust a median.
const spreads = [];
let spreadLabel = '';

function maxAbsDiff(a, b) {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

function scipySide(data, shape, keep, dir) {
  const input = join(dir, 'input.npy');
  writeFileSync(input, serializeNpy({ data, shape }));
  const stdout = execFileSync('python3', [join(here, 'freqkv_scipy.py'), input, String(keep), '1', String(REPEATS), join(dir, 'scipy_out')], {
    encoding: 'utf8',
  });
  return { ...JSON.parse(stdout), output: parseNpy(new Uint8Array(readFileSync(join(dir, 'scipy_out.npy')))) };
}

function peakMemory(tokens, mode) {
  const stdout = execFileSync(process.execPath, ['--expose-gc', join(here, 'freqkvMemory.mjs'), String(tokens), mode], { encoding: 'utf8' });
  return JSON.parse(stdout);
}

const fmt = (ms) => (ms === undefined ? '' : ms.toFixed(1));
const ratio = (a, b) => `${(a / b).toFixed(2)}x`;
const rows = [];
const notes = [];
const dir = mkdtempSync(join(tmpdir(), 'freqkv-bench-'));
const loadBefore = loadavg();
let scipyVersion = '?';
try {
  for (const tokens of [4096, 4092]) {
    const shape = [HEADS, tokens, DIM];
    const keep = tokens / 2;
    const data = smoothKv(tokens, tokens);
    const tensor = { data, shape };
    const scipy = scipySide(data, shape, keep, dir);
    scipyVersion = `numpy ${scipy.numpy}, scipy ${scipy.scipy}`;

    const label = `${HEADS}x${tokens}x${DIM} f32`;
    spreadLabel = `${label} ours DCT 1 thr`;
    const dct1 = await medianMs(() => dctAlongAxis(tensor, { axis: 1 }));
    const options = { sinkTokens: 0, retention: 0.5 };
    const ours = compress(tensor, options);
    spreadLabel = `${label} ours compress 1 thr`;
    const comp1 = await medianMs(() => compress(tensor, options));
    spreadLabel = `${label} ours compress ${cores} thr`;
    const compAll = await medianMs(() => compressParallel(tensor, options, { threads: cores }));
    for (const key of ['dct_1', 'dct_all', 'compress_1', 'compress_all']) spreads.push(`${label} scipy ${key}: ${scipy.runs[key].map((t) => t.toFixed(0)).join(' ')}`);
    rows.push([label, 'DCT-II along tokens', fmt(dct1), '', fmt(scipy.dct_1), fmt(scipy.dct_all), ratio(dct1, scipy.dct_1), '', '']);
    rows.push([
      label,
      `compress ${tokens}->${keep}`,
      fmt(comp1),
      fmt(compAll),
      fmt(scipy.compress_1),
      fmt(scipy.compress_all),
      ratio(comp1, scipy.compress_1),
      ratio(compAll, scipy.compress_1),
      tokens === 4096 ? '<= 1.5x' : '<= 2x',
    ]);
    notes.push(`${label}: max |ours - scipy| on the compressed tensor = ${maxAbsDiff(ours.tensor.data, scipy.output.data).toExponential(2)} (scipy computes float32 in float32, we in float64)`);
  }
} finally {
  await closeWorkers();
  rmSync(dir, { recursive: true, force: true });
}

const loadAfter = loadavg();
const memSerial = peakMemory(4096, 'serial');
const memParallel = peakMemory(4096, 'parallel');

const header = ['shape', 'operation', 'ours 1 thr', `ours ${cores} thr`, 'scipy 1 thr', `scipy ${cores} thr`, 'ours/scipy 1 thr', `ours ${cores} thr/scipy 1 thr`, 'target'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(`@globalmcp/freqkv benchmark: ${cpus()[0]?.model ?? 'cpu'}, ${cores} cores, Node ${process.version}, ${scipyVersion}`);
console.log(`median of ${REPEATS} runs after a warm-up, milliseconds; sinkTokens 0, retention 0.5 (the scipy operator exactly)`);
console.log(`load average (1 min) ${loadBefore[0].toFixed(2)} before, ${loadAfter[0].toFixed(2)} after: above ~0.5 other work shares the cores and the timings, the multi-threaded ones most\n`);
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const row of rows) console.log(line(row));
console.log('');
for (const note of notes) console.log(note);
console.log('\nruns, sorted (ms):');
for (const spread of spreads) console.log(`  ${spread}`);
console.log('');
for (const m of [memSerial, memParallel]) {
  console.log(
    `peak memory, compress ${m.mode} 32x4096x128 f32: input ${(m.inputBytes / 2 ** 20).toFixed(0)} MiB, peak RSS growth ${(m.extraBytes / 2 ** 20).toFixed(0)} MiB -> ${m.ratio.toFixed(2)}x the input (target < 3x)`,
  );
}

// npm run bench (second part): LoCoCo fusion of [32, 4096, 128] float32 into 128 slots,
// ours beside a NumPy implementation of the same operator on the same data, with the
// default kernels (no convolution to compute) and with dense kernels (the full convolution),
// on one thread and on all cores, with NumPy on all cores and on one, and for dense kernels
// NumPy's direct (BLAS) convolution and an FFT one like ours.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultKernels, fuse } from '@globalmcp/lococo';
import { closeWorkers, fuseParallel } from '@globalmcp/lococo/parallel';
import { createRandom, parseNpy, serializeNpy, syntheticSequence } from '@globalmcp/tensor';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
// the NumPy direct convolution takes seconds: one timed run after the warm-up
const DENSE_REPEATS = Number(process.env.BENCH_REPEATS ?? 1);
const GROUPS = 32;
const TOKENS = 4096;
const FEATURES = 128;
const SLOTS = 128;
const here = fileURLToPath(new URL('.', import.meta.url));

const data = new Float32Array(GROUPS * TOKENS * FEATURES);
for (let g = 0; g < GROUPS; g++) data.set(syntheticSequence({ tokens: TOKENS, dim: FEATURES, seed: g, dtype: 'float32' }).data, g * TOKENS * FEATURES);
const tensor = { data, shape: [GROUPS, TOKENS, FEATURES] };
const options = { slots: SLOTS };
const fused = SLOTS - 4 - Math.round(0.5 * (SLOTS - 4));

const dense = defaultKernels(fused, FEATURES);
const random = createRandom(7);
const unit = 1 / Math.sqrt(FEATURES * dense.size);
for (let i = 0; i < dense.weights.length; i++) dense.weights[i] = unit * random.normal();
dense.bias.fill(1);

const THREADS = availableParallelism();
const ONE_THREAD = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

// Two warm-up runs: after one, V8 is still optimising the fusion's loops.
async function medianAsync(fn, repeats) {
  await fn();
  await fn();
  const times = [];
  let result;
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    result = await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], result };
}

function median(fn, repeats) {
  fn();
  fn();
  const times = [];
  let result;
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    result = fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], result };
}

const dir = mkdtempSync(join(tmpdir(), 'lococo-bench-'));
const rows = [];
const verdicts = [];
let numpyVersion = '?';
try {
  writeFileSync(join(dir, 'x.npy'), serializeNpy(tensor));
  for (const [label, kernels, repeats, numpyRuns] of [
    [
      'default kernels (zero weights)',
      defaultKernels(fused, FEATURES),
      REPEATS,
      [
        ['NumPy (BLAS on all cores)', 'direct', {}],
        ['NumPy, 1 thread', 'direct', ONE_THREAD],
      ],
    ],
    [
      'dense kernels (full conv)',
      dense,
      DENSE_REPEATS,
      [
        ['NumPy, direct conv (BLAS, all cores)', 'direct', {}],
        ['NumPy, FFT conv (as ours)', 'fft', {}],
      ],
    ],
  ]) {
    writeFileSync(join(dir, 'w.npy'), serializeNpy({ data: kernels.weights, shape: [fused, FEATURES, kernels.size] }));
    writeFileSync(join(dir, 'b.npy'), serializeNpy({ data: kernels.bias, shape: [fused] }));
    const serial = median(() => fuse(tensor, { ...options, kernels }), repeats);
    const parallel = await medianAsync(() => fuseParallel(tensor, { ...options, kernels }), repeats);
    const references = [];
    for (const [name, conv, env] of numpyRuns) {
      const stdout = execFileSync(
        'python3',
        [join(here, 'lococo_numpy.py'), join(dir, 'x.npy'), join(dir, 'w.npy'), join(dir, 'b.npy'), String(kernels.blend), String(kernels.priorWidth), String(SLOTS), '4', String(SLOTS - 4 - fused), '32', String(repeats), join(dir, 'out.npy'), conv],
        { encoding: 'utf8', maxBuffer: 1 << 20, env: { ...process.env, ...env } },
      );
      const numpy = JSON.parse(stdout);
      numpyVersion = numpy.numpy;
      const reference = parseNpy(new Uint8Array(readFileSync(join(dir, 'out.npy'))));
      let worst = 0;
      for (let i = 0; i < reference.data.length; i++) worst = Math.max(worst, Math.abs(reference.data[i] - parallel.result.tensor.data[i]));
      references.push({ name, ms: numpy.ms, worst });
    }
    const best = Math.min(...references.map((r) => r.ms));
    const runs = `${repeats} run${repeats === 1 ? '' : 's'}`;
    rows.push([label, `ours, 1 thread (fuse), ${runs}`, serial.ms.toFixed(0), `${(serial.ms / best).toFixed(2)}x`, '']);
    rows.push(['', `ours, ${THREADS} threads (fuseParallel)`, parallel.ms.toFixed(0), `${(parallel.ms / best).toFixed(2)}x`, '']);
    for (const r of references) rows.push(['', r.name, r.ms.toFixed(0), `${(r.ms / best).toFixed(2)}x`, r.worst.toExponential(1)]);
    const ratio = Math.min(serial.ms, parallel.ms) / best;
    verdicts.push(`${label}: ours ${ratio.toFixed(2)}x the fastest NumPy: ${ratio <= 1.5 ? 'met' : 'NOT met'}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await closeWorkers();
}

console.log(`\n@globalmcp/lococo benchmark: fuse [${GROUPS}, ${TOKENS}, ${FEATURES}] float32 into ${SLOTS} slots (4 sinks, ${SLOTS - 4 - fused} heavy hitters, ${fused} fused, kernel 21)`);
console.log(`${cpus()[0]?.model ?? 'cpu'} x ${cpus().length}, Node ${process.version}, numpy ${numpyVersion}; median after two warm-up runs (NumPy: one), ms; load ${loadavg()[0].toFixed(2)}`);
console.log('target: within 1.5x of NumPy (ratios below are to the fastest NumPy row of each kernel set); max |diff| compares the float32 outputs with ours\n');
const header = ['kernels', 'implementation', 'ms', 'vs fastest NumPy', 'max |diff|'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => (i <= 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const row of rows) console.log(line(row));
console.log('');
for (const v of verdicts) console.log(v);

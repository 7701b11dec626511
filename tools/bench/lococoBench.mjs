// npm run bench (second part): LoCoCo fusion of [32, 4096, 128] float32 into 128 slots,
// ours beside a NumPy implementation of the same operator on the same data, with the
// default kernels (no convolution to compute) and with dense kernels (the full convolution).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultKernels, fuse } from '@globalmcp/lococo';
import { createRandom, parseNpy, serializeNpy, syntheticSequence } from '@globalmcp/tensor';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
// the full convolution takes tens of seconds here: one timed run after the warm-up
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

function median(fn, repeats) {
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
let numpyVersion = '?';
try {
  writeFileSync(join(dir, 'x.npy'), serializeNpy(tensor));
  for (const [label, kernels, repeats] of [
    ['default kernels (zero weights)', defaultKernels(fused, FEATURES), REPEATS],
    ['dense kernels (full conv)', dense, DENSE_REPEATS],
  ]) {
    writeFileSync(join(dir, 'w.npy'), serializeNpy({ data: kernels.weights, shape: [fused, FEATURES, kernels.size] }));
    writeFileSync(join(dir, 'b.npy'), serializeNpy({ data: kernels.bias, shape: [fused] }));
    const ours = median(() => fuse(tensor, { ...options, kernels }), repeats);
    const stdout = execFileSync(
      'python3',
      [join(here, 'lococo_numpy.py'), join(dir, 'x.npy'), join(dir, 'w.npy'), join(dir, 'b.npy'), String(kernels.blend), String(kernels.priorWidth), String(SLOTS), '4', String(SLOTS - 4 - fused), '32', String(repeats), join(dir, 'out.npy')],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    const numpy = JSON.parse(stdout);
    numpyVersion = numpy.numpy;
    const reference = parseNpy(new Uint8Array(readFileSync(join(dir, 'out.npy'))));
    let worst = 0;
    for (let i = 0; i < reference.data.length; i++) worst = Math.max(worst, Math.abs(reference.data[i] - ours.result.tensor.data[i]));
    rows.push([`${label}, ${repeats} run${repeats === 1 ? '' : 's'}`, ours.ms.toFixed(0), numpy.ms.toFixed(0), `${(ours.ms / numpy.ms).toFixed(2)}x`, worst.toExponential(1)]);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`\n@globalmcp/lococo benchmark: fuse [${GROUPS}, ${TOKENS}, ${FEATURES}] float32 into ${SLOTS} slots (4 sinks, ${SLOTS - 4 - fused} heavy hitters, ${fused} fused, kernel 21)`);
console.log(`${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, numpy ${numpyVersion}; median after a warm-up, ms; target: within 1.5x of NumPy; max |diff| compares the two float32 outputs\n`);
const header = ['kernels', 'ours', 'NumPy', 'ours/NumPy', 'max |diff|'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const row of rows) console.log(line(row));

// npm run eval:compression [-- --seed N --tokens T --slots S --heads H --dim D --steps K file.npy ...]
// One table, reproducible from the seed: for each synthetic family (and each
// .npy file given), every method at the same output size, with the median and
// p90 attention-output error over probe queries and heads, energy kept and time.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { attentionError, compress, reduceBaseline, splitKv } from '@globalmcp/freqkv';
import { fitKernels, fuse, fuseKv } from '@globalmcp/lococo';
import { compressPipeline } from '@globalmcp/pipeline';
import { createRandom, parseNpy, syntheticSequence } from '@globalmcp/tensor';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seed: { type: 'string', default: '1' },
    tokens: { type: 'string', default: '1000' },
    slots: { type: 'string', default: '128' },
    heads: { type: 'string', default: '4' },
    dim: { type: 'string', default: '64' },
    steps: { type: 'string', default: '30' },
    probes: { type: 'string', default: '64' },
  },
});
const num = (name) => {
  const v = Number(values[name]);
  if (!Number.isSafeInteger(v) || v < 1) {
    console.error(`--${name} must be a positive integer; got ${values[name]}`);
    process.exit(2);
  }
  return v;
};
const seed = num('seed');
const T = num('tokens');
const slots = num('slots');
const H = num('heads');
const D = num('dim');
const steps = num('steps');
const probes = num('probes');
const TRAIN_TOKENS = 300; // the pipeline's LoCoCo input length; kernels do not depend on the length
const FILLER_FILES = 12;

/** [1, 2, heads, tokens, dim] from a per-sequence generator (keys get a shared offset). */
function kvFrom(gen, tokens, heads, s) {
  const data = new Float64Array(2 * heads * tokens * D);
  for (let b = 0; b < 2 * heads; b++) data.set(gen(tokens, s * 1000 + b, b < heads), b * tokens * D);
  return { data, shape: [1, 2, heads, tokens, D] };
}

const smooth = (tokens, s, isKey) => syntheticSequence({ tokens, dim: D, seed: s, offsetStd: isKey ? 1 : 0 }).data;

/**
 * Smooth AR(1) caches in which 30% of the tokens are "filler" (punctuation, whitespace, frequent function
 * words): near-identical keys and values around centres fixed for the family, as for one model's head.
 * Content a convolution can learn (the same family as lococo's held-out test).
 */
function fillerKv(tokens, heads, s) {
  const kv = kvFrom(smooth, tokens, heads, s);
  const family = createRandom(4242);
  const keyCentre = Array.from({ length: D }, () => family.normal());
  const valueCentre = Array.from({ length: D }, () => family.normal());
  const keyScale = 2 / Math.hypot(...keyCentre);
  const random = createRandom(s * 7919 + 17);
  for (let h = 0; h < heads; h++) {
    for (let t = 0; t < tokens; t++) {
      if (random.uniform() >= 0.3) continue;
      const k = (h * tokens + t) * D;
      const v = ((heads + h) * tokens + t) * D;
      for (let c = 0; c < D; c++) {
        kv.data[k + c] = keyScale * keyCentre[c] + 0.1 * random.normal();
        kv.data[v + c] = valueCentre[c] + 0.1 * random.normal();
      }
    }
  }
  return kv;
}

/** Kernels are fitted per family on other caches of it (other seeds), at the pipeline's LoCoCo input length. */
const DEFAULT_FIT = { files: 2, options: {} };
const families = {
  'smooth AR(1)': { kv: (tokens, heads, s) => kvFrom(smooth, tokens, heads, s), fit: DEFAULT_FIT },
  'topics': {
    kv: (tokens, heads, s) =>
      kvFrom(
        (n, seq, isKey) => {
          const random = createRandom(seq);
          const out = new Float64Array(n * D);
          const offset = new Float64Array(D).map(() => (isKey ? random.normal() : 0));
          let topic = new Float64Array(D).map(() => 2 * random.normal());
          for (let t = 0; t < n; t++) {
            if (random.uniform() < 0.03) topic = new Float64Array(D).map(() => 2 * random.normal());
            for (let c = 0; c < D; c++) out[t * D + c] = topic[c] + 0.3 * random.normal() + offset[c];
          }
          return out;
        },
        tokens,
        heads,
        s,
      ),
    fit: DEFAULT_FIT,
  },
  'white noise': { kv: (tokens, heads, s) => kvFrom((n, seq, isKey) => syntheticSequence({ tokens: n, dim: D, seed: seq, rho: 0, noiseVariance: 0, offsetStd: isKey ? 1 : 0 }).data, tokens, heads, s), fit: DEFAULT_FIT },
  // per-token kernels without a penalty, more training caches and a third of them for validation: see lococo's README
  'filler tokens': { kv: fillerKv, fit: { files: FILLER_FILES, options: { kernelSize: 1, regularization: 0, validation: 0.34 } } },
};

const rows = [];
function measure(family, method, reference, approx, extra) {
  const err = attentionError(reference, approx, { probes, seed });
  rows.push([family, method, `${extra.tokens}`, pct(err.median), pct(err.p90), extra.energy === undefined ? '—' : pct(extra.energy), extra.ms.toFixed(0)]);
}
const pct = (x) => `${(100 * x).toFixed(2)}%`;

function evaluate(family, kv, layout, kernels, note) {
  const isKv = layout === 'kv';
  const reference = isKv ? splitKv(kv) : { keys: kv, values: kv };
  const cache = (t, counts) => (isKv ? splitKv(t, counts) : { keys: t, values: t, counts });
  const tokens = kv.shape[kv.shape.length - 2];
  const f = compress(kv, { targetTokens: slots, axis: -2 });
  measure(family, 'FreqKV', reference, cache(f.tensor, f.counts), { tokens: slots, energy: f.stats.energyKept, ms: f.stats.ms });
  const fuseWith = (options) => (isKv ? fuseKv(kv, { slots, ...options }) : fuse(kv, { slots, axis: -2, ...options }));
  const ld = fuseWith({});
  measure(family, 'LoCoCo, default kernels', reference, cache(ld.tensor, ld.counts), { tokens: slots, ms: ld.stats.ms });
  if (kernels !== undefined) {
    const lf = fuseWith({ kernels });
    measure(family, `LoCoCo, fitted kernels${note}`, reference, cache(lf.tensor, lf.counts), { tokens: slots, ms: lf.stats.ms });
  }
  for (const k of kernels === undefined ? [undefined] : [undefined, kernels]) {
    const p = compressPipeline(kv, { layout, lococo: { slots, ...(k === undefined ? {} : { kernels: k }) }, fidelity: false });
    const stage1 = p.stats.stages[0];
    measure(family, `pipeline FreqKV ${tokens}->${stage1.tokensOut} + LoCoCo ${k === undefined ? 'default' : 'fitted'}`, reference, cache(p.tensor, p.counts), {
      tokens: p.stats.tokensOut,
      energy: stage1.ran ? stage1.energyKept : undefined,
      ms: p.stats.ms,
    });
  }
  for (const [label, method] of [
    ['StreamingLLM: 4 sinks + recent', 'sinksAndRecent'],
    ['stride subsample', 'strideSubsample'],
    ['neighbour mean', 'neighbourMean'],
  ]) {
    const r = reduceBaseline(method, kv, { targetTokens: slots, axis: -2 });
    measure(family, label, reference, cache(r.tensor, r.counts), { tokens: slots, ms: r.stats.ms });
  }
  const h2o = fuseWith({ heavyHitters: 1 });
  measure(family, 'H2O-like top-k by attention', reference, cache(h2o.tensor, h2o.counts), { tokens: slots, ms: h2o.stats.ms });
}

const started = performance.now();
for (const [name, family] of Object.entries(families)) {
  const train = Array.from({ length: family.fit.files }, (_, i) => family.kv(TRAIN_TOKENS, 2, seed * 100 + 50 + i + 1));
  const { kernels, accepted } = fitKernels(train, { slots, steps, seed, probes: 8, ...family.fit.options });
  evaluate(name, family.kv(T, H, seed * 100), 'kv', kernels, accepted ? '' : ' (rejected: the defaults)');
}
for (const file of positionals) {
  let tensor;
  try {
    tensor = parseNpy(new Uint8Array(readFileSync(file)), file);
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
  const rank = tensor.shape.length;
  const layout = rank >= 4 && tensor.shape[rank - 4] === 2 ? 'kv' : 'sequence';
  const asSequence = rank === 1 ? { data: tensor.data, shape: [tensor.shape[0], 1] } : tensor;
  evaluate(`${basename(file)} [${tensor.shape.join('x')}]`, asSequence, layout, undefined, '');
}

const header = ['data', 'method', 'tokens', 'median err', 'p90 err', 'energy kept', 'ms'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(`compression evaluation: seed ${seed}, KV caches [1, 2, ${H}, ${T}, ${D}] float64, ${slots} output tokens, ${probes} probe queries per head`);
console.log(`attention-output error = ||attn(compressed, log-count bias) - attn(full)|| / ||attn(full)||; LoCoCo kernels fitted on other caches of each family (2; ${FILLER_FILES} for filler tokens)\n`);
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
let last = '';
for (const row of rows) {
  console.log(line(row[0] === last ? ['', ...row.slice(1)] : row));
  last = row[0];
}
console.log(`\n(${((performance.now() - started) / 1000).toFixed(1)} s; the same seed prints the same table)`);

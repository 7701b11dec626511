import { asTensor, assertFinite, createRandom } from '@globalmcp/tensor';
import type { Random, Tensor } from '@globalmcp/tensor';
import { z } from 'zod';
import { kvLayout, observationScores, sequenceLayout, slotPlan } from './fuse.js';
import type { Layout } from './fuse.js';
import { planConvolution } from './convolution.js';
import type { Convolution } from './convolution.js';
import { fusedCounts, mixingWeights, partition, positionalPrior, softWeights, topByScore } from './fuseCore.js';
import { defaultKernels, validateKernels } from './kernels.js';
import type { LococoKernels } from './kernels.js';
import { LococoError } from './lococoError.js';
import { FuseOptionsSchema, parseOptions } from './options.js';

const integer = (meaning: string, min: number, max: number) =>
  z
    .number({ error: `expected an integer in [${min}, ${max}] (${meaning})` })
    .int({ error: `expected an integer in [${min}, ${max}] (${meaning})` })
    .min(min, { error: `expected an integer in [${min}, ${max}] (${meaning})` })
    .max(max, { error: `expected an integer in [${min}, ${max}] (${meaning})` });

const between = (meaning: string, min: number, max: number) =>
  z
    .number({ error: `expected a number in [${min}, ${max}] (${meaning})` })
    .min(min, { error: `expected a number in [${min}, ${max}] (${meaning})` })
    .max(max, { error: `expected a number in [${min}, ${max}] (${meaning})` });

/** L2 penalty on the convolution weights (in the optimiser's units), pulling them back toward the defaults' zero. */
export const DEFAULT_REGULARIZATION = 0.1;
/** Share of the samples (of the sequences, when there is one sample) kept aside to decide whether the fitted kernels are kept. */
export const DEFAULT_VALIDATION = 0.25;
/** Relative validation improvement required to keep the fitted kernels: smaller gains are within the noise of a few validation caches. */
export const DEFAULT_MIN_IMPROVEMENT = 0.05;
/**
 * Share of the validation sequences on which the fitted kernels must do better than the starting ones:
 * a mean can be carried by one sequence that improved a lot while most got worse, and such fits lost on held-out caches.
 */
export const DEFAULT_MIN_IMPROVED_SHARE = 0.75;
/** Fixed probe queries per validation sequence: the same for the starting and the fitted kernels, so they are compared on equal terms. */
export const DEFAULT_VALIDATION_PROBES = 64;

/** The fusion settings the kernels are fitted for (as in `fuse`), plus the optimiser's. */
export const FitOptionsSchema = FuseOptionsSchema.pick({
  slots: true,
  sinkTokens: true,
  heavyHitters: true,
  kernelSize: true,
  observationWindow: true,
}).extend({
  /** 'kv': samples are `[...layers, 2, heads, tokens, headDim]`; 'sequence': `[...sequences, tokens, features]`. */
  layout: z.enum(['kv', 'sequence'], { error: 'expected "kv" or "sequence"' }).default('kv'),
  steps: integer('optimisation steps', 1, 100_000).default(100),
  learningRate: z.number({ error: 'expected a positive number' }).gt(0, { error: 'expected a positive number' }).default(0.05),
  /** Random N(0, I) probe queries per sequence and step. */
  probes: integer('random probe queries per sequence and step', 1, 4096).default(16),
  seed: z.number({ error: 'expected an integer' }).int({ error: 'expected an integer' }).default(0),
  /** Start from these kernels instead of the defaults. */
  initial: z.custom<LococoKernels>((v) => typeof v === 'object' && v !== null && 'weights' in v, { error: 'expected LococoKernels' }).optional(),
  regularization: between('L2 penalty on the convolution weights', 0, 1e6).default(DEFAULT_REGULARIZATION),
  validation: between('share of the samples kept aside to validate the fitted kernels; 0 keeps them unchecked', 0, 0.9).default(DEFAULT_VALIDATION),
  minImprovement: between('relative validation improvement the fitted kernels need to be kept', 0, 1).default(DEFAULT_MIN_IMPROVEMENT),
  minImprovedShare: between('share of the validation sequences the fitted kernels must improve to be kept', 0, 1).default(DEFAULT_MIN_IMPROVED_SHARE),
  validationProbes: integer('fixed probe queries per validation sequence', 1, 4096).default(DEFAULT_VALIDATION_PROBES),
});

export type FitOptions = z.input<typeof FitOptionsSchema>;

export interface FitResult {
  kernels: LococoKernels;
  /** Training loss before each step taken: mean squared relative attention-output error over the training sequences and probes (without the penalty). */
  losses: number[];
  /** The mean loss on the validation sequences (fixed probes) of the starting and of the fitted kernels, and on how many sequences the fitted ones did better; null without validation. */
  validation: { sequences: number; initial: number; fitted: number; improved: number } | null;
  /** Whether `kernels` are the fitted ones (else the starting kernels, which the fitted ones did not beat on validation). */
  accepted: boolean;
}

/** One sequence of one sample, with everything that does not depend on the kernels precomputed. */
export interface Problem {
  features: number;
  keyFeatures: number;
  valueOffset: number;
  valueFeatures: number;
  /** Sinks and heavy hitters: [fixed x F] and their log counts. */
  fixed: Float64Array;
  fixedLogCounts: Float64Array;
  /** The remaining tokens, [N x F] and feature-major [F x N], their counts and one-hot picks. */
  rest: Float64Array;
  restT: Float64Array;
  restCounts: Float64Array;
  oneHot: Int32Array;
  n: number;
  /** Every token, for the exact attention outputs. */
  all: Float64Array;
  allLogCounts: Float64Array;
  tokens: number;
}

export interface Grad {
  weights: Float64Array;
  bias: Float64Array;
  blend: number;
}

/**
 * Learns LoCoCo's convolution weights, biases and blend scalar from sample
 * caches by minimising the attention-output error of the fused cache (with
 * the log-count bias) for random probe queries, with Adam and an L2 penalty
 * on the weights. A share of the samples is kept aside: the fitted kernels
 * are returned only if they beat the starting kernels on it by
 * `minImprovement` on average and on `minImprovedShare` of its sequences, else the starting kernels are, so fitting never returns
 * kernels worse than the defaults on its own validation data. Only the
 * kernels are learned; the positional prior stays fixed. Deterministic for a seed. `onStep(step, loss)` reports progress.
 */
export function fitKernels(samples: readonly Tensor[], options: FitOptions, onStep?: (step: number, loss: number) => void): FitResult {
  const opts = parseOptions(FitOptionsSchema, options, 'fit options');
  const bySample = prepareSamples(samples, opts);
  const first = (bySample[0] as Problem[])[0] as Problem;
  const fused = fusedCount(opts, first.tokens);
  const start = opts.initial === undefined ? defaultKernels(fused, first.features, opts.kernelSize) : validateKernels(opts.initial, 'initial kernels');
  if (start.fused !== fused || start.features !== first.features || start.size !== opts.kernelSize) {
    throw new LococoError('SHAPE_MISMATCH', `initial kernels are ${start.fused} x ${start.features} x ${start.size}; these samples need ${fused} x ${first.features} x ${opts.kernelSize}`);
  }
  const { train, validation } = splitValidation(bySample, opts.validation, createRandom(opts.seed ^ 0x5eed));
  const random = createRandom(opts.seed);
  const validationQueries = probeQueries(validation, opts.validationProbes, createRandom(opts.seed ^ 0x7a11d));
  // Zero weights and bias leave the ReLU shut with a zero gradient almost everywhere; a bias of 1
  // opens it, and a constant per slot does not change the softmax, so the kernels are the same.
  const zeroConv = start.bias.every((b) => b === 0) && start.weights.every((w) => w === 0);
  const kernels: LococoKernels = zeroConv ? { ...start, bias: new Float64Array(fused).fill(1) } : start;
  // Adam moves every parameter by about the learning rate per step, whatever its gradient; a
  // convolution output sums features * size weights, so the weights are optimised in units of
  // 1 / sqrt(features * size) to keep a step's effect on the logits independent of the kernel's size.
  const unit = 1 / Math.sqrt(kernels.features * kernels.size);
  const raw = Float64Array.from(kernels.weights, (w) => w / unit);
  const params = { weights: Float64Array.from(kernels.weights), bias: Float64Array.from(kernels.bias), blend: kernels.blend };
  const adam = new Adam(raw.length + params.bias.length + 1, opts.learningRate);
  const current = (): LococoKernels => ({ ...kernels, weights: params.weights, bias: params.bias, blend: params.blend });
  const losses: number[] = [];
  for (let step = 0; step < opts.steps; step++) {
    const grad: Grad = { weights: new Float64Array(params.weights.length), bias: new Float64Array(params.bias.length), blend: 0 };
    let loss = 0;
    const stepKernels = current();
    const plan = planKernels(stepKernels, first.n);
    for (const problem of train) {
      const queries = new Float64Array(opts.probes * problem.keyFeatures);
      for (let i = 0; i < queries.length; i++) queries[i] = random.normal();
      loss += lossAndGradient(problem, stepKernels, queries, opts.probes, grad, plan);
    }
    const scale = 1 / train.length;
    loss *= scale;
    losses.push(loss);
    onStep?.(step, loss);
    for (let i = 0; i < grad.weights.length; i++) grad.weights[i] = (grad.weights[i] as number) * scale * unit + opts.regularization * (raw[i] as number);
    for (let i = 0; i < grad.bias.length; i++) grad.bias[i] = (grad.bias[i] as number) * scale;
    adam.step([raw, params.bias], [grad.weights, grad.bias], grad.blend * scale, (delta) => {
      params.blend = Math.min(1, Math.max(0, params.blend - delta));
    });
    for (let i = 0; i < raw.length; i++) params.weights[i] = (raw[i] as number) * unit;
  }
  const fitted = current();
  if (validation.length === 0) return { kernels: fitted, losses, validation: null, accepted: true };
  const before = sequenceLosses(validation, start, validationQueries, opts.validationProbes);
  const after = sequenceLosses(validation, fitted, validationQueries, opts.validationProbes);
  const initialLoss = mean(before);
  const fittedLoss = mean(after);
  const improved = after.filter((loss, i) => loss < (before[i] as number)).length;
  const accepted = fittedLoss < initialLoss * (1 - opts.minImprovement) && improved >= opts.minImprovedShare * validation.length;
  return { kernels: accepted ? fitted : start, losses, validation: { sequences: validation.length, initial: initialLoss, fitted: fittedLoss, improved }, accepted };
}

function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** The samples' sequences split into training and validation: whole samples when there are several, else sequences. */
function splitValidation(bySample: Problem[][], share: number, random: Random): { train: Problem[]; validation: Problem[] } {
  const units = bySample.length >= 2 ? bySample : (bySample[0] as Problem[]).map((p) => [p]);
  if (share === 0 || units.length < 2) return { train: units.flat(), validation: [] };
  const count = Math.min(units.length - 1, Math.max(1, Math.round(share * units.length)));
  const order = Array.from(units, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random.uniform() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const held = new Set(order.slice(0, count));
  return { train: units.filter((_, i) => !held.has(i)).flat(), validation: units.filter((_, i) => held.has(i)).flat() };
}

function probeQueries(problems: readonly Problem[], probes: number, random: Random): Float64Array[] {
  return problems.map((p) => {
    const queries = new Float64Array(probes * p.keyFeatures);
    for (let i = 0; i < queries.length; i++) queries[i] = random.normal();
    return queries;
  });
}

function sequenceLosses(problems: readonly Problem[], kernels: LococoKernels, queries: readonly Float64Array[], probes: number): number[] {
  const plan = problems[0] === undefined ? undefined : planKernels(kernels, problems[0].n);
  return problems.map((p, i) => lossAndGradient(p, kernels, queries[i] as Float64Array, probes, undefined, plan));
}

/**
 * The fitting objective for given kernels on samples: the mean over sequences
 * and `probes` random queries (from `seed`) of the squared relative
 * attention-output error. Use it to compare kernels on held-out caches.
 */
export function kernelLoss(samples: readonly Tensor[], kernels: LococoKernels, options: FitOptions): number {
  const opts = parseOptions(FitOptionsSchema, options, 'fit options');
  const problems = prepare(samples, opts);
  const random = createRandom(opts.seed);
  const plan = planKernels(kernels, (problems[0] as Problem).n);
  let loss = 0;
  for (const problem of problems) {
    const queries = new Float64Array(opts.probes * problem.keyFeatures);
    for (let i = 0; i < queries.length; i++) queries[i] = random.normal();
    loss += lossAndGradient(problem, kernels, queries, opts.probes, undefined, plan);
  }
  return loss / problems.length;
}

function fusedCount(opts: z.output<typeof FitOptionsSchema>, tokens: number): number {
  const plan = slotPlan(opts.slots, opts.sinkTokens, opts.heavyHitters, tokens);
  if (plan.fused === 0) throw new LococoError('INVALID_OPTIONS', 'invalid fit options: heavyHitters leaves no fused slots, so there is nothing to learn');
  return plan.fused;
}

export function prepare(samples: readonly Tensor[], opts: z.output<typeof FitOptionsSchema>): Problem[] {
  return prepareSamples(samples, opts).flat();
}

/** Every sample's sequences, one list per sample. */
function prepareSamples(samples: readonly Tensor[], opts: z.output<typeof FitOptionsSchema>): Problem[][] {
  if (!Array.isArray(samples) || samples.length === 0) throw new LococoError('INVALID_OPTIONS', 'fit needs at least one sample cache');
  const bySample: Problem[][] = [];
  let features: number | undefined;
  let tokens: number | undefined;
  samples.forEach((sample, index) => {
    const tensor = asTensor(sample, `sample ${index}`);
    assertFinite(tensor, `sample ${index}`);
    const layout: Layout = opts.layout === 'kv' ? kvLayout(tensor, opts.slots) : sequenceLayout(tensor, -2, opts.slots);
    if ((features !== undefined && layout.features !== features) || (tokens !== undefined && layout.tokens !== tokens)) {
      throw new LococoError('SHAPE_MISMATCH', `sample ${index} has ${layout.tokens} tokens of ${layout.features} features; the first sample has ${tokens} of ${features}: samples must agree`);
    }
    features = layout.features;
    tokens = layout.tokens;
    const { sinks, heavy, fused } = slotPlan(opts.slots, opts.sinkTokens, opts.heavyHitters, layout.tokens);
    const problems: Problem[] = [];
    for (let g = 0; g < layout.groups; g++) problems.push(problemFor(layout, g, sinks, heavy, fused, opts.observationWindow));
    bySample.push(problems);
  });
  return bySample;
}

function problemFor(layout: Layout, g: number, sinks: number, heavy: number, fused: number, window: number): Problem {
  const { tokens, features, keyFeatures, valueOffset } = layout;
  const x = new Float64Array(tokens * features);
  layout.gather(g, x);
  const counts = new Float64Array(tokens).fill(1);
  const scores = observationScores(x, tokens, features, keyFeatures, counts, window);
  const { heavyIdx, rest } = partition(tokens, sinks, heavy, scores);
  const fixedIdx = [...Array.from({ length: sinks }, (_, t) => t), ...heavyIdx];
  const fixed = new Float64Array(fixedIdx.length * features);
  fixedIdx.forEach((t, i) => fixed.set(x.subarray(t * features, (t + 1) * features), i * features));
  const n = rest.length;
  const restRows = new Float64Array(n * features);
  const restT = new Float64Array(features * n);
  for (let i = 0; i < n; i++) {
    const row = (rest[i] as number) * features;
    for (let c = 0; c < features; c++) {
      restRows[i * features + c] = x[row + c] as number;
      restT[c * n + i] = x[row + c] as number;
    }
  }
  const restScores = Float64Array.from(rest, (t) => scores[t] as number);
  const oneHot = topByScore(new Int32Array(n).map((_, i) => i), restScores, fused);
  return {
    features,
    keyFeatures,
    valueOffset,
    valueFeatures: valueOffset === 0 ? features : features - valueOffset,
    fixed,
    fixedLogCounts: new Float64Array(fixedIdx.length),
    rest: restRows,
    restT,
    restCounts: new Float64Array(n).fill(1),
    oneHot,
    n,
    all: x,
    allLogCounts: new Float64Array(tokens),
    tokens,
  };
}

/**
 * Forward pass for one sequence and its probe queries, returning the summed
 * squared relative error; with `grad`, also accumulates the gradient of that
 * sum (divided by the probe count) with respect to the kernels, including
 * through the fused slots' counts (they depend on the mixing weights).
 */
/** What the forward pass needs from the kernels alone, for sequences of `n` remaining tokens: plan it once per step, not per sequence. */
export interface KernelPlan {
  convolution: Convolution;
  prior: Float64Array;
}

export function planKernels(kernels: LococoKernels, n: number): KernelPlan {
  return { convolution: planConvolution(kernels, n), prior: positionalPrior(kernels.fused, n, kernels.priorWidth) };
}

export function lossAndGradient(p: Problem, kernels: LococoKernels, queries: Float64Array, probes: number, grad: Grad | undefined, plan = planKernels(kernels, p.n)): number {
  const { features: f, keyFeatures: d, valueOffset: vo, valueFeatures: dv, n } = p;
  const { fused: r, size: k, blend } = kernels;
  const pad = (k - 1) / 2;

  const z = new Float64Array(r * n);
  plan.convolution.logits(p.restT, z);
  const weights = softWeights(z, plan.prior, r, n);
  const { soft } = weights;
  const mixing = mixingWeights(weights, blend, p.oneHot, n);
  const mix = mixing.soft;

  // fused rows and their log counts
  const y = new Float64Array(r * f);
  for (let o = 0; o < r; o++) {
    for (let i = 0; i < n; i++) {
      const w = mix[o * n + i] as number;
      if (w === 0) continue;
      for (let c = 0; c < f; c++) y[o * f + c] = (y[o * f + c] as number) + w * (p.rest[i * f + c] as number);
    }
  }
  const share = new Float64Array(n);
  for (let o = 0; o < r; o++) for (let i = 0; i < n; i++) share[i] = (share[i] as number) + (mix[o * n + i] as number);
  const fusedCount = fusedCounts(mixing, n, p.restCounts);
  const fusedLog = fusedCount.map((count) => Math.log(Math.max(count, 1e-12)));
  // d loss / d log(count) of each fused slot, summed over the probes
  const dLogCount = new Float64Array(r);

  const fixedRows = p.fixed.length / f;
  const slots = fixedRows + r;
  const scale = 1 / Math.sqrt(d);
  const logits = new Float64Array(slots);
  const exact = new Float64Array(dv);
  const approx = new Float64Array(dv);
  const dY = grad === undefined ? undefined : new Float64Array(r * f);
  const row = (j: number) => (j < fixedRows ? { data: p.fixed, at: j * f } : { data: y, at: (j - fixedRows) * f });
  let loss = 0;
  for (let q = 0; q < probes; q++) {
    const qo = q * d;
    attendExact(p, queries, qo, d, scale, vo, dv, exact);
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < slots; j++) {
      const { data, at } = row(j);
      let s = 0;
      for (let c = 0; c < d; c++) s += (queries[qo + c] as number) * (data[at + c] as number);
      s = s * scale + (j < fixedRows ? (p.fixedLogCounts[j] as number) : (fusedLog[j - fixedRows] as number));
      logits[j] = s;
      if (s > max) max = s;
    }
    let total = 0;
    for (let j = 0; j < slots; j++) {
      const e = Math.exp((logits[j] as number) - max);
      logits[j] = e;
      total += e;
    }
    approx.fill(0);
    for (let j = 0; j < slots; j++) {
      const a = (logits[j] as number) / total;
      logits[j] = a;
      const { data, at } = row(j);
      for (let c = 0; c < dv; c++) approx[c] = (approx[c] as number) + a * (data[at + vo + c] as number);
    }
    let norm = 0;
    let err = 0;
    for (let c = 0; c < dv; c++) {
      norm += (exact[c] as number) ** 2;
      err += ((approx[c] as number) - (exact[c] as number)) ** 2;
    }
    norm = Math.max(norm, 1e-300);
    loss += err / norm;
    if (dY === undefined) continue;
    // d(err/norm)/d(approx) = 2 (approx - exact) / norm, averaged over probes
    const gOut = new Float64Array(dv);
    for (let c = 0; c < dv; c++) gOut[c] = (2 * ((approx[c] as number) - (exact[c] as number))) / norm / probes;
    // attention weights a_j: approx = sum a_j v_j
    let dot = 0;
    const dA = new Float64Array(slots);
    for (let j = 0; j < slots; j++) {
      const { data, at } = row(j);
      let s = 0;
      for (let c = 0; c < dv; c++) s += (gOut[c] as number) * (data[at + vo + c] as number);
      dA[j] = s;
      dot += (logits[j] as number) * s;
    }
    for (let j = fixedRows; j < slots; j++) {
      const a = logits[j] as number;
      const dLogit = a * ((dA[j] as number) - dot);
      dLogCount[j - fixedRows] = (dLogCount[j - fixedRows] as number) + dLogit;
      const base = (j - fixedRows) * f;
      // through the values of slot j
      for (let c = 0; c < dv; c++) dY[base + vo + c] = (dY[base + vo + c] as number) + a * (gOut[c] as number);
      // through the keys of slot j
      for (let c = 0; c < d; c++) dY[base + c] = (dY[base + c] as number) + dLogit * scale * (queries[qo + c] as number);
    }
  }
  if (grad === undefined || dY === undefined) return loss / probes;

  // y = mix @ rest: d mix[o, i] = dY_o . rest_i
  const dMix = new Float64Array(r * n);
  for (let o = 0; o < r; o++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < f; c++) s += (dY[o * f + c] as number) * (p.rest[i * f + c] as number);
      dMix[o * n + i] = s;
    }
  }
  // count_o = sum_i mix[o, i] c_i / share_i with share_i = sum_o' mix[o', i]
  for (let i = 0; i < n; i++) {
    const c = p.restCounts[i] as number;
    const sh = share[i] as number;
    if (!(sh > 0)) continue; // a token no slot weighs goes whole to its stretch's slot: no gradient
    let through = 0;
    for (let o = 0; o < r; o++) {
      const count = fusedCount[o] as number;
      if (count > 1e-12) through += ((dLogCount[o] as number) / count) * (mix[o * n + i] as number);
    }
    for (let o = 0; o < r; o++) {
      const count = fusedCount[o] as number;
      const dCount = count > 1e-12 ? (dLogCount[o] as number) / count : 0;
      dMix[o * n + i] = (dMix[o * n + i] as number) + (dCount * c) / sh - (through * c) / (sh * sh);
    }
  }
  // mix = (1 - blend) onehot + blend soft
  for (let o = 0; o < r; o++) {
    for (let i = 0; i < n; i++) grad.blend += (soft[o * n + i] as number) * (dMix[o * n + i] as number);
    grad.blend -= dMix[o * n + (p.oneHot[o] as number)] as number;
  }
  // softmax, ReLU, conv
  for (let o = 0; o < r; o++) {
    let dot = 0;
    for (let i = 0; i < n; i++) dot += (soft[o * n + i] as number) * blend * (dMix[o * n + i] as number);
    const dz = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const s = soft[o * n + i] as number;
      // subgradient 1 at 0, so kernels with zero weights and bias (the defaults) can still learn
      dz[i] = (z[o * n + i] as number) >= 0 ? s * (blend * (dMix[o * n + i] as number) - dot) : 0;
      grad.bias[o] = (grad.bias[o] as number) + (dz[i] as number);
    }
    for (let c = 0; c < f; c++) {
      for (let j = 0; j < k; j++) {
        const shift = j - pad;
        const lo = Math.max(0, -shift);
        const hi = Math.min(n, n - shift);
        const src = c * n + shift;
        let s = 0;
        for (let i = lo; i < hi; i++) s += (dz[i] as number) * (p.restT[src + i] as number);
        const at = (o * f + c) * k + j;
        grad.weights[at] = (grad.weights[at] as number) + s;
      }
    }
  }
  return loss / probes;
}

/** The attention output over every original token (the target). */
function attendExact(p: Problem, queries: Float64Array, qo: number, d: number, scale: number, vo: number, dv: number, out: Float64Array): void {
  const { tokens, features: f, all } = p;
  const logits = new Float64Array(tokens);
  let max = Number.NEGATIVE_INFINITY;
  for (let t = 0; t < tokens; t++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += (queries[qo + c] as number) * (all[t * f + c] as number);
    s = s * scale + (p.allLogCounts[t] as number);
    logits[t] = s;
    if (s > max) max = s;
  }
  let total = 0;
  out.fill(0);
  for (let t = 0; t < tokens; t++) {
    const e = Math.exp((logits[t] as number) - max);
    total += e;
    for (let c = 0; c < dv; c++) out[c] = (out[c] as number) + e * (all[t * f + vo + c] as number);
  }
  for (let c = 0; c < dv; c++) out[c] = (out[c] as number) / total;
}

/** Adam over several flat parameter arrays plus one scalar. */
class Adam {
  readonly #m: Float64Array;
  readonly #v: Float64Array;
  readonly #lr: number;
  #t = 0;

  constructor(size: number, learningRate: number) {
    this.#m = new Float64Array(size);
    this.#v = new Float64Array(size);
    this.#lr = learningRate;
  }

  step(params: Float64Array[], grads: Float64Array[], scalarGrad: number, applyScalar: (delta: number) => void): void {
    const beta1 = 0.9;
    const beta2 = 0.999;
    this.#t += 1;
    const c1 = 1 - beta1 ** this.#t;
    const c2 = 1 - beta2 ** this.#t;
    const m = this.#m;
    const v = this.#v;
    let at = 0;
    const update = (g: number): number => {
      m[at] = beta1 * (m[at] as number) + (1 - beta1) * g;
      v[at] = beta2 * (v[at] as number) + (1 - beta2) * g * g;
      const delta = (this.#lr * ((m[at] as number) / c1)) / (Math.sqrt((v[at] as number) / c2) + 1e-8);
      at += 1;
      return delta;
    };
    params.forEach((param, p) => {
      const grad = grads[p] as Float64Array;
      for (let i = 0; i < param.length; i++) param[i] = (param[i] as number) - update(grad[i] as number);
    });
    applyScalar(update(scalarGrad));
  }
}

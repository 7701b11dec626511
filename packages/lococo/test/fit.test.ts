import { describe, expect, it } from 'vitest';
import { createRandom, syntheticSequence } from '@globalmcp/tensor';
import type { Tensor } from '@globalmcp/tensor';
import { defaultKernels, fitKernels, fuseKv, kernelLoss } from '../src/index.js';
import { FitOptionsSchema, lossAndGradient, prepare } from '../src/fit.js';
import type { Grad } from '../src/fit.js';

function kvSample(heads: number, tokens: number, dim: number, seed: number): Tensor {
  const data = new Float64Array(2 * heads * tokens * dim);
  for (let b = 0; b < 2 * heads; b++) data.set(syntheticSequence({ tokens, dim, seed: seed * 100 + b, offsetStd: b < heads ? 1 : 0, rho: 0.95 }).data, b * tokens * dim);
  return { data, shape: [1, 2, heads, tokens, dim] };
}

/** Piecewise-constant "topics" plus noise: contiguous stretches share a key/value direction. */
function topicSample(heads: number, tokens: number, dim: number, seed: number): Tensor {
  const random = createRandom(seed);
  const data = new Float64Array(2 * heads * tokens * dim);
  for (let b = 0; b < 2 * heads; b++) {
    let topic = new Float64Array(dim).map(() => 2 * random.normal());
    for (let t = 0; t < tokens; t++) {
      if (random.uniform() < 0.04) topic = new Float64Array(dim).map(() => 2 * random.normal());
      for (let c = 0; c < dim; c++) data[(b * tokens + t) * dim + c] = (topic[c] as number) + 0.3 * random.normal();
    }
  }
  return { data, shape: [1, 2, heads, tokens, dim] };
}

/**
 * Smooth AR(1) caches in which 30% of the tokens are "filler" (punctuation, whitespace, delimiters,
 * frequent function words): near-identical keys and values around centres that are fixed for the
 * family, as they are for one model's head, plus small noise. Content a convolution can learn.
 */
function fillerSample(heads: number, tokens: number, dim: number, seed: number): Tensor {
  const sample = kvSample(heads, tokens, dim, seed);
  const data = sample.data as Float64Array;
  const family = createRandom(4242);
  const keyCentre = Array.from({ length: dim }, () => family.normal());
  const valueCentre = Array.from({ length: dim }, () => family.normal());
  const keyScale = 2 / Math.hypot(...keyCentre);
  const random = createRandom(seed * 7919 + 17);
  for (let h = 0; h < heads; h++) {
    for (let t = 0; t < tokens; t++) {
      if (random.uniform() >= 0.3) continue;
      const k = (h * tokens + t) * dim;
      const v = ((heads + h) * tokens + t) * dim;
      for (let c = 0; c < dim; c++) {
        data[k + c] = keyScale * (keyCentre[c] as number) + 0.1 * random.normal();
        data[v + c] = (valueCentre[c] as number) + 0.1 * random.normal();
      }
    }
  }
  return sample;
}

/** The lococo fitting settings of the held-out checks: small caches, so many fits stay fast. */
const HELD_OUT_FIT = { slots: 24, kernelSize: 5, heavyHitters: 0.25, steps: 40, learningRate: 0.05, probes: 8 };
/** Held-out losses use fresh probe queries, more of them than a training step. */
const EVAL = { ...HELD_OUT_FIT, probes: 32, seed: 99 };
/** Synthetic families with structure a convolution could use: piecewise-constant topics, and smooth AR(1) with offset keys. */
const FAMILIES = [
  ['topics', topicSample],
  ['smooth AR(1)', kvSample],
] as const;
const SPLITS = 3;
const SEEDS = 2;
const TRAIN_FILES = 6;
/** No family, split and seed may do more than this much worse than the defaults on held-out caches. */
const HELD_OUT_TOLERANCE = 0.05;

describe('fitKernels', () => {
  it('computes exact gradients (checked against finite differences)', () => {
    const opts = FitOptionsSchema.parse({ slots: 12, kernelSize: 3, heavyHitters: 0.25 });
    const [problem] = prepare([kvSample(1, 40, 3, 1)], opts);
    if (problem === undefined) throw new Error('no problem');
    const random = createRandom(5);
    const kernels = defaultKernels(6, 6, 3);
    const weights = kernels.weights.map(() => 0.3 * random.normal());
    const k = { ...kernels, weights, bias: new Float64Array(6).fill(0.2), blend: 0.7 };
    const queries = new Float64Array(4 * 3).map(() => random.normal());
    const grad: Grad = { weights: new Float64Array(weights.length), bias: new Float64Array(6), blend: 0 };
    lossAndGradient(problem, k, queries, 4, grad);
    const h = 1e-6;
    const at = (w: Float64Array, i: number, delta: number) => {
      const copy = Float64Array.from(w);
      copy[i] = (copy[i] as number) + delta;
      return copy;
    };
    for (const i of [0, 7, 19, weights.length - 1]) {
      const numeric = (lossAndGradient(problem, { ...k, weights: at(weights, i, h) }, queries, 4, undefined) - lossAndGradient(problem, { ...k, weights: at(weights, i, -h) }, queries, 4, undefined)) / (2 * h);
      expect(grad.weights[i]).toBeCloseTo(numeric, 6);
    }
    const numericBias = (lossAndGradient(problem, { ...k, bias: at(k.bias, 2, h) }, queries, 4, undefined) - lossAndGradient(problem, { ...k, bias: at(k.bias, 2, -h) }, queries, 4, undefined)) / (2 * h);
    expect(grad.bias[2]).toBeCloseTo(numericBias, 6);
    const numericBlend = (lossAndGradient(problem, { ...k, blend: 0.7 + h }, queries, 4, undefined) - lossAndGradient(problem, { ...k, blend: 0.7 - h }, queries, 4, undefined)) / (2 * h);
    expect(grad.blend).toBeCloseTo(numericBlend, 6);
  });

  it('is deterministic for a seed, and lowers the loss on its training caches', () => {
    const options = { ...HELD_OUT_FIT, seed: 3, validation: 0 };
    const train = [0, 1, 2].map((s) => topicSample(2, 160, 6, s));
    const a = fitKernels(train, options);
    const b = fitKernels(train, options);
    expect(Array.from(a.kernels.weights)).toEqual(Array.from(b.kernels.weights));
    expect(a.kernels.blend).toBe(b.kernels.blend);
    expect(kernelLoss(train, a.kernels, EVAL)).toBeLessThan(kernelLoss(train, defaultKernels(15, 12, 5), EVAL));
    expect(a).toMatchObject({ validation: null, accepted: true });
    // and the kernels work in fuseKv as they are
    expect(fuseKv(train[0] as Tensor, { slots: 24, heavyHitters: 0.25, kernels: a.kernels }).tensor.shape).toEqual([1, 2, 2, 24, 6]);
  });

  it('never does much worse than the defaults on held-out caches, across families, splits and seeds', () => {
    const ratios: { family: string; split: number; seed: number; ratio: number; accepted: boolean }[] = [];
    for (const [family, make] of FAMILIES) {
      for (let split = 0; split < SPLITS; split++) {
        const train = Array.from({ length: TRAIN_FILES }, (_, i) => make(2, 160, 6, split * 100 + i));
        const heldOut = [50, 51, 52].map((i) => make(2, 160, 6, split * 100 + i));
        const defaults = kernelLoss(heldOut, defaultKernels(15, 12, 5), EVAL);
        for (let seed = 0; seed < SEEDS; seed++) {
          const fit = fitKernels(train, { ...HELD_OUT_FIT, seed });
          expect(fit.validation?.sequences).toBe(2 * Math.round(0.25 * TRAIN_FILES));
          if (!fit.accepted) expect(fit.kernels).toEqual(defaultKernels(15, 12, 5));
          ratios.push({ family, split, seed, ratio: kernelLoss(heldOut, fit.kernels, EVAL) / defaults, accepted: fit.accepted });
        }
      }
    }
    expect(ratios.length).toBeGreaterThanOrEqual(10);
    for (const family of FAMILIES.map(([name]) => name)) {
      const sorted = ratios.filter((r) => r.family === family).map((r) => r.ratio).sort((x, y) => x - y);
      expect(sorted[Math.floor(sorted.length / 2)], family).toBeLessThanOrEqual(1);
    }
    for (const r of ratios) expect(r.ratio, JSON.stringify(r)).toBeLessThan(1 + HELD_OUT_TOLERANCE);
  });

  it('beats the defaults on held-out caches where content matters (filler tokens), across splits and seeds', () => {
    // Per-token kernels (size 1) and no penalty: the fit makes some slots gather the filler tokens
    // and their neighbours shed them; 12 training files, a third kept for validation.
    const options = { slots: 24, kernelSize: 1, heavyHitters: 0.25, steps: 60, learningRate: 0.05, probes: 8, regularization: 0, validation: 0.34 };
    const evaluation = { ...options, probes: 32, seed: 99 };
    const ratios: number[] = [];
    for (let split = 0; split < 3; split++) {
      const train = Array.from({ length: 12 }, (_, i) => fillerSample(2, 160, 6, split * 100 + i));
      const heldOut = Array.from({ length: 12 }, (_, i) => fillerSample(2, 160, 6, split * 100 + 50 + i));
      const defaults = kernelLoss(heldOut, defaultKernels(15, 12, 1), evaluation);
      for (let seed = 0; seed < 2; seed++) {
        const fit = fitKernels(train, { ...options, seed });
        expect(fit.accepted, `split ${split} seed ${seed}`).toBe(true);
        ratios.push(kernelLoss(heldOut, fit.kernels, evaluation) / defaults);
      }
    }
    ratios.sort((a, b) => a - b);
    // measured: 0.54-0.73, median 0.63
    expect(ratios[Math.floor(ratios.length / 2)]).toBeLessThan(0.75);
    expect(ratios.at(-1)).toBeLessThan(0.85);
  });

  it('keeps the starting kernels when the fitted ones do not beat them on the validation samples', () => {
    const train = [0, 1, 2, 3].map((s) => kvSample(1, 80, 3, s));
    const options = { slots: 12, kernelSize: 3, heavyHitters: 0.25, steps: 10, probes: 4, seed: 1 };
    const strict = fitKernels(train, { ...options, minImprovement: 1 });
    expect(strict.accepted).toBe(false);
    expect(strict.kernels).toEqual(defaultKernels(6, 6, 3));
    expect(strict.validation?.sequences).toBe(1);
    const lenient = fitKernels(train, { ...options, minImprovement: 0, regularization: 0 });
    const { initial, fitted } = lenient.validation ?? { initial: Number.NaN, fitted: Number.NaN };
    expect(lenient.accepted).toBe(fitted < initial);
    // the same split and training probes: the kernels differ only in whether they were kept
    expect(strict.losses).toEqual(fitKernels(train, { ...options, minImprovement: 0.5 }).losses);
    // one sample: its sequences are split instead
    expect(fitKernels([kvSample(4, 80, 3, 9)], options).validation?.sequences).toBe(1);
    expect(fitKernels([kvSample(1, 80, 3, 9)], options).validation).toBeNull();
  });

  it('learns from the default kernels as given (zero weights and bias) and refuses broken initial kernels', () => {
    const train = [topicSample(1, 80, 4, 1)];
    const fitted = fitKernels(train, { slots: 12, kernelSize: 3, steps: 5, initial: defaultKernels(4, 8, 3) });
    expect(Math.max(...fitted.kernels.weights.map(Math.abs))).toBeGreaterThan(0);
    expect(() => fitKernels(train, { slots: 12, kernelSize: 3, initial: { ...defaultKernels(4, 8, 3), blend: 5 } })).toThrow('initial kernels: blend must be a number in [0, 1]; got 5');
    const zeroBlend = fitKernels(train, { slots: 12, kernelSize: 3, steps: 3, initial: { ...defaultKernels(4, 8, 3), blend: 0 } });
    expect(zeroBlend.losses.every(Number.isFinite)).toBe(true);
  });

  it('rejects samples that disagree, an empty sample list and options that leave nothing to learn', () => {
    expect(() => fitKernels([], { slots: 8 })).toThrow('fit needs at least one sample cache');
    expect(() => fitKernels([kvSample(1, 40, 3, 1), kvSample(1, 41, 3, 2)], { slots: 8 })).toThrow('sample 1 has 41 tokens of 6 features; the first sample has 40 of 6');
    expect(() => fitKernels([kvSample(1, 40, 3, 1)], { slots: 8, heavyHitters: 1 })).toThrow('heavyHitters leaves no fused slots');
    expect(() => fitKernels([kvSample(1, 40, 3, 1)], { slots: 8, steps: 0 })).toThrow('steps: expected an integer in [1, 100000] (optimisation steps); got 0');
    expect(() => fitKernels([kvSample(1, 40, 3, 1)], { slots: 8, validation: 1 })).toThrow('validation: expected a number in [0, 0.9]');
    expect(() => fitKernels([kvSample(1, 40, 3, 1)], { slots: 8, regularization: -1 })).toThrow('regularization: expected a number in [0, 1000000] (L2 penalty on the convolution weights); got -1');
  });
});

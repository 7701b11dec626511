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

  it('is deterministic for a seed, and fitted kernels beat the defaults on held-out caches', () => {
    const options = { slots: 24, kernelSize: 5, heavyHitters: 0.25, steps: 40, learningRate: 0.05, probes: 8, seed: 3 };
    const train = [0, 1, 2].map((s) => topicSample(2, 160, 6, s));
    const heldOut = [10, 11, 12].map((s) => topicSample(2, 160, 6, s));
    const a = fitKernels(train, options);
    const b = fitKernels(train, options);
    expect(Array.from(a.kernels.weights)).toEqual(Array.from(b.kernels.weights));
    expect(a.losses[a.losses.length - 1]).toBeLessThan(a.losses[0] as number);
    const evalOptions = { ...options, probes: 32, seed: 99 };
    const defaults = kernelLoss(heldOut, defaultKernels(15, 12, 5), evalOptions);
    const fitted = kernelLoss(heldOut, a.kernels, evalOptions);
    expect(fitted).toBeLessThan(defaults);
    // and the kernels work in fuseKv as they are
    expect(fuseKv(heldOut[0] as Tensor, { slots: 24, heavyHitters: 0.25, kernels: a.kernels }).tensor.shape).toEqual([1, 2, 2, 24, 6]);
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
  });
});

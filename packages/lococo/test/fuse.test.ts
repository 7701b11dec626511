import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TensorError, syntheticSequence } from '@globalmcp/tensor';
import { LococoError, defaultKernels, fuse, fuseKv, kernelsFromJson, kernelsToJson } from '../src/index.js';

const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof LococoError || error instanceof TensorError) return error.code;
    throw error;
  }
  return 'no error';
}

function kvCache(layers: number, heads: number, tokens: number, dim: number, seed = 1): { data: Float64Array; shape: number[] } {
  const data = new Float64Array(layers * 2 * heads * tokens * dim);
  let s = seed;
  for (let block = 0; block < layers * 2 * heads; block++) {
    data.set(syntheticSequence({ tokens, dim, seed: s++, offsetStd: 1 }).data, block * tokens * dim);
  }
  return { data, shape: [layers, 2, heads, tokens, dim] };
}

describe('fuse', () => {
  it('gives exactly `slots` tokens per sequence whatever the input length, and conserves each sequence\'s count', () => {
    for (const tokens of [20, 129, 1000]) {
      const seq = syntheticSequence({ tokens, dim: 6, seed: tokens });
      const { tensor, counts, stats } = fuse({ data: seq.data, shape: [1, tokens, 6] }, { slots: 16 });
      expect(tensor.shape).toEqual([1, 16, 6]);
      expect(counts.length).toBe(16);
      expect(sum(counts)).toBeCloseTo(tokens, 9);
      expect(stats).toMatchObject({ tokensIn: tokens, tokensOut: 16, groups: 1, sinkTokens: 4, heavyHitters: 6, fusedSlots: 6 });
    }
  });

  it('keeps sinks raw and the heavy hitters verbatim in token order, chosen by the given scores', () => {
    const tokens = 50;
    const data = Float64Array.from({ length: tokens * 2 }, (_, i) => i);
    const scores = new Array<number>(tokens).fill(0);
    scores[40] = 5;
    scores[7] = 9;
    scores[30] = 7;
    const { tensor, counts } = fuse({ data, shape: [tokens, 2] }, { slots: 10, sinkTokens: 2, heavyHitters: 3 / 8, scores });
    const rows = (from: number, n: number) => Array.from(tensor.data.subarray(from * 2, (from + n) * 2));
    expect(rows(0, 2)).toEqual([0, 1, 2, 3]);
    expect(rows(2, 3)).toEqual([14, 15, 60, 61, 80, 81]); // tokens 7, 30, 40
    expect(Array.from(counts.subarray(0, 5))).toEqual([1, 1, 1, 1, 1]);
    expect(sum(counts.subarray(5))).toBeCloseTo(tokens - 5, 9);
  });

  it('fuses into convex mixtures: a constant sequence stays constant, and every fused value lies within the inputs\' range', () => {
    const constant = fuse({ data: new Float64Array(300 * 3).fill(-2.5), shape: [300, 3] }, { slots: 20 });
    for (const v of constant.tensor.data) expect(v).toBeCloseTo(-2.5, 12);
    const seq = syntheticSequence({ tokens: 300, dim: 3, seed: 9 });
    const fused = fuse(seq, { slots: 20 }).tensor.data;
    const lo = Math.min(...seq.data);
    const hi = Math.max(...seq.data);
    for (const v of fused) {
      expect(v).toBeGreaterThanOrEqual(lo);
      expect(v).toBeLessThanOrEqual(hi);
    }
  });

  it('with the default kernels, fused slot r averages the r-th stretch of the remaining tokens', () => {
    // a ramp: slot r's value must grow with r and sit near the middle of its stretch
    const tokens = 404;
    const data = Float64Array.from({ length: tokens }, (_, t) => t);
    const { tensor } = fuse({ data, shape: [tokens, 1] }, { slots: 14, heavyHitters: 0 });
    const fused = Array.from(tensor.data.subarray(4));
    for (let r = 1; r < fused.length; r++) expect(fused[r]).toBeGreaterThan(fused[r - 1] as number);
    expect(fused[0]).toBeGreaterThan(4);
    expect(fused[0]).toBeLessThan(4 + 400 / 10 / 2 + 20);
    expect(fused[9]).toBeGreaterThan(403 - 400 / 10 / 2 - 20);
  });

  it('lets the convolution move weight by content: a kernel that favours a large feature pulls its slot there', () => {
    const tokens = 200;
    const data = new Float64Array(tokens * 2);
    for (let t = 0; t < tokens; t++) data[2 * t] = t === 150 ? 10 : 0; // feature 0 spikes at token 150
    const kernels = defaultKernels(1, 2, 1);
    kernels.weights[0] = 5; // slot 0 looks at feature 0
    const plain = fuse({ data, shape: [tokens, 2] }, { slots: 5, heavyHitters: 0, kernelSize: 1 });
    const pulled = fuse({ data, shape: [tokens, 2] }, { slots: 5, heavyHitters: 0, kernels: { ...kernels, fused: 1 } });
    expect(pulled.tensor.data[8]).toBeGreaterThan(9); // slot 4 (the only fused one), feature 0: mostly token 150
    expect(plain.tensor.data[8]).toBeLessThan(1);
  });

  it('conserves counts even where no slot weighs a token (blend 0, or weights that underflow)', () => {
    const seq = syntheticSequence({ tokens: 60, dim: 2, seed: 8 });
    const picks = fuse(seq, { slots: 12, heavyHitters: 0.5, kernels: { ...defaultKernels(4, 2), blend: 0 } });
    expect(sum(picks.counts)).toBeCloseTo(60, 9);
    const data = new Float64Array(60 * 2);
    data[2 * 30] = 1000; // one outlier that a steep kernel pulls every slot onto
    const steep = defaultKernels(4, 2, 1);
    steep.weights[0] = steep.weights[2] = steep.weights[4] = steep.weights[6] = 1;
    const pulled = fuse({ data, shape: [60, 2] }, { slots: 12, kernels: steep });
    expect(sum(pulled.counts)).toBeCloseTo(60, 9);
  });

  it('with heavyHitters 1 keeps only top tokens (H2O-like): the dropped tokens count for nothing', () => {
    const seq = syntheticSequence({ tokens: 100, dim: 4, seed: 3 });
    const { counts, stats } = fuse(seq, { slots: 10, heavyHitters: 1 });
    expect(stats.fusedSlots).toBe(0);
    expect(Array.from(counts)).toEqual(new Array(10).fill(1));
  });

  it('scores tokens by probe queries when given, per sequence', () => {
    const tokens = 60;
    const data = new Float64Array(tokens * 2);
    data[2 * 33] = 8; // token 33 points along feature 0
    const queries = { data: Float64Array.of(4, 0), shape: [1, 2] };
    const { tensor } = fuse({ data, shape: [tokens, 2] }, { slots: 6, sinkTokens: 0, heavyHitters: 1 / 6, queries });
    expect(tensor.data[0]).toBe(8);
  });
});

describe('without WebAssembly', () => {
  it('fuses with the JavaScript loops (node --jitless has no WebAssembly) to the same slots as the SIMD kernels', () => {
    const script = `
      import { defaultKernels, fuse } from '@globalmcp/lococo';
      import { createRandom, syntheticSequence } from '@globalmcp/tensor';
      const tensor = syntheticSequence({ tokens: 700, dim: 17, seed: 5 });
      const kernels = defaultKernels(30, 17, 5);
      const random = createRandom(2);
      for (let i = 0; i < kernels.weights.length; i++) kernels.weights[i] = 0.1 * random.normal();
      const result = fuse(tensor, { slots: 64, kernels, queries: { data: Float64Array.from({ length: 9 * 17 }, () => random.normal()), shape: [9, 17] } });
      console.log(JSON.stringify({ wasm: typeof WebAssembly, data: Array.from(result.tensor.data), counts: Array.from(result.counts) }));`;
    const run = (flags: string[]) => JSON.parse(execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as { wasm: string; data: number[]; counts: number[] };
    const plain = run(['--jitless']);
    const simd = run([]);
    expect([plain.wasm, simd.wasm]).toEqual(['undefined', 'object']);
    expect(plain.data.length).toBe(64 * 17);
    let worst = 0;
    plain.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (simd.data[i] as number)))));
    expect(worst).toBeLessThan(1e-12);
    expect(plain.counts.reduce((a, b) => a + b)).toBeCloseTo(700, 9);
    plain.counts.forEach((c, i) => expect(c).toBeCloseTo(simd.counts[i] as number, 9));
  }, 30_000);
});

describe('fuseKv', () => {
  it('fuses K and V of each head with shared weights and per-head counts', () => {
    const kv = kvCache(2, 3, 120, 8);
    const { tensor, counts, stats } = fuseKv(kv, { slots: 24 });
    expect(tensor.shape).toEqual([2, 2, 3, 24, 8]);
    expect(stats.groups).toBe(6);
    expect(counts.length).toBe(6 * 24);
    for (let g = 0; g < 6; g++) expect(sum(counts.subarray(g * 24, (g + 1) * 24))).toBeCloseTo(120, 9);
    // sink token 0 of layer 1, V, head 2 is copied
    const at = (shape: number[], idx: number[]) => idx.reduce((acc, v, i) => acc * (shape[i] as number) + v, 0);
    expect(tensor.data[at([2, 2, 3, 24, 8], [1, 1, 2, 0, 5])]).toBe(kv.data[at(kv.shape, [1, 1, 2, 0, 5])]);
  });

  it('keeps float32 as float32', () => {
    const kv = kvCache(1, 1, 50, 4);
    const result = fuseKv({ data: Float32Array.from(kv.data), shape: kv.shape }, { slots: 10 });
    expect(result.tensor.data).toBeInstanceOf(Float32Array);
  });
});

describe('kernels', () => {
  it('round-trip through JSON exactly', () => {
    const k = defaultKernels(3, 4, 5);
    k.weights[7] = Math.PI;
    k.bias[1] = -1e-300;
    const back = kernelsFromJson(JSON.parse(JSON.stringify(kernelsToJson(k))));
    expect(Array.from(back.weights)).toEqual(Array.from(k.weights));
    expect(Array.from(back.bias)).toEqual(Array.from(k.bias));
    expect(back).toMatchObject({ fused: 3, features: 4, size: 5, blend: k.blend, priorWidth: k.priorWidth });
  });

  it('refuse malformed JSON naming the field', () => {
    const good = kernelsToJson(defaultKernels(2, 2, 3));
    expect(() => kernelsFromJson({ ...good, weights: good.weights.slice(1) })).toThrow('weights has 11 entries; fused * features * size = 12');
    expect(() => kernelsFromJson({ ...good, blend: 2 })).toThrow('blend: expected a number in [0, 1]');
    expect(() => kernelsFromJson({ ...good, format: 'x' })).toThrow('format: expected "globalmcp-lococo-kernels"');
    expect(() => kernelsFromJson({ ...good, size: 4, weights: new Array(16).fill(0) })).toThrow('size must be a positive odd integer');
    expect(() => defaultKernels(0, 2)).toThrow('fused must be a positive integer');
  });
});

describe('errors', () => {
  const seq = { data: new Float64Array(40), shape: [20, 2] };
  it('name what was wrong and what was expected', () => {
    expect(() => fuse(seq, { slots: 20 })).toThrow('slots (20) must be less than the number of tokens (20): there is nothing to fuse');
    expect(codeOf(() => fuse(seq, { slots: 25 }))).toBe('TOO_FEW_TOKENS');
    expect(() => fuse(seq, { slots: 4 })).toThrow('sinkTokens (4) must be less than slots (4)');
    expect(() => fuse(seq, { slots: 8, kernelSize: 4 })).toThrow('kernelSize: expected a positive odd integer; got 4');
    expect(() => fuse(seq, { slots: 0 })).toThrow('slots: expected an integer >= 1');
    expect(() => fuse(seq, { slots: 8, heavyHitters: 1.5 })).toThrow('heavyHitters: expected a number in [0, 1]');
    expect(() => fuse(seq, { slots: 8, kernels: defaultKernels(3, 2) })).toThrow('kernels were made for 3 fused slots x 2 features; this call needs 2 x 2');
    expect(() => fuse(seq, { slots: 8, counts: [1, 2, 3] })).toThrow('counts has 3 entries; expected 20 (one per token) or 20');
    expect(() => fuse(seq, { slots: 8, scores: new Array(20).fill(Number.NaN) })).toThrow('scores[0] must be a finite number');
    expect(() => fuse(seq, { slots: 8, queries: { data: new Float64Array(3), shape: [1, 3] } })).toThrow('queries must have shape [queries, 2]');
    expect(() => fuse(seq, { slot: 8 } as never)).toThrow('slots');
    expect(() => fuse(seq, { slots: 8, kernels: { ...defaultKernels(2, 2), priorWidth: 0 } })).toThrow('kernels: priorWidth must be a positive finite number; got 0');
    expect(() => fuse(seq, { slots: 8, kernels: { ...defaultKernels(2, 2), blend: -1 } })).toThrow('kernels: blend must be a number in [0, 1]; got -1');
    expect(() => fuse(seq, { slots: 8, kernels: { ...defaultKernels(2, 2, 3), size: 2 } })).toThrow('size must be a positive odd integer');
    expect(() => fuse(seq, { slots: 8, scores: new Array(20).fill(1), queries: { data: new Float64Array(2), shape: [1, 2] } })).toThrow('give scores or queries, not both');
    expect(() => fuseKv(seq, { slots: 8 })).toThrow('a KV cache must have shape [...layers, 2, heads, tokens, headDim]; got [20, 2]');
  });

  it('reject NaN input and bad tensors', () => {
    const bad = new Float64Array(40);
    bad[13] = Number.NaN;
    expect(() => fuse({ data: bad, shape: [20, 2] }, { slots: 8 })).toThrow('tensor holds NaN at index [6, 1]');
    expect(codeOf(() => fuse({ data: new Float64Array(39), shape: [20, 2] }, { slots: 8 }))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => fuse(null as never, { slots: 8 }))).toBe('INVALID_SHAPE');
  });
});

import { describe, expect, it } from 'vitest';
import { FreqKvCache, FreqKvError, attentionError, compress, reduceBaseline, splitKv, syntheticSequence } from '../src/index.js';
import type { AttentionCache, Tensor } from '../src/index.js';

/**
 * The data of the reference figures in ../shared/docs/numerics.md (reproduced
 * by tools/reference/fidelity_reference.py): per head, keys and values are
 * unit-variance AR(1) channels (rho 0.99) plus white noise of variance 0.1,
 * keys with a shared N(0, I) offset; d = 128; 64 N(0, I) probe queries.
 */
const D = 128;

function heads(count: number, tokens: number, options: { rho?: number; noiseVariance?: number; offsetStd?: number }, seed: number): Tensor {
  const data = new Float64Array(count * tokens * D);
  for (let h = 0; h < count; h++) {
    data.set(syntheticSequence({ tokens, dim: D, ...options, seed: seed + h }).data, h * tokens * D);
  }
  return { data, shape: [count, tokens, D] };
}

function smoothCache(count: number, tokens: number, seed: number): AttentionCache {
  return { keys: heads(count, tokens, { offsetStd: 1 }, seed), values: heads(count, tokens, {}, seed + 1000) };
}

/** Compresses keys and values alike (same options, so the counts agree). */
function reduce(cache: AttentionCache, fn: (t: Tensor) => { tensor: Tensor; counts: Float64Array }): AttentionCache {
  const k = fn(cache.keys);
  const v = fn(cache.values);
  return { keys: k.tensor, values: v.tensor, counts: k.counts };
}

describe('attentionError, one shot: 4 sinks + 4092 tokens -> 2046 slots (numerics.md reference)', () => {
  const cache = smoothCache(2, 4096, 1);
  const opts = { sinkTokens: 4, retention: 0.5 };
  const freq = reduce(cache, (t) => compress(t, opts));

  it('FreqKV keeps the attention output within about 1% on smooth data, a little better with the count bias', () => {
    const plain = attentionError(cache, freq, { countBias: false });
    const biased = attentionError(cache, freq);
    expect(plain.median).toBeGreaterThan(0.005); // reference 0.92%
    expect(plain.median).toBeLessThan(0.014);
    expect(biased.median).toBeLessThan(plain.median); // reference 0.86%
    expect(biased.p90).toBeGreaterThan(biased.median);
    expect(biased.errors.length).toBe(2 * 64);
  });

  it('ranks the baselines as the reference does: neighbour mean ~ FreqKV < stride-2 << sinks + recent', () => {
    const freqErr = attentionError(cache, freq).median;
    const mean = attentionError(cache, reduce(cache, (t) => reduceBaseline('neighbourMean', t, opts))).median;
    const stride = attentionError(cache, reduce(cache, (t) => reduceBaseline('strideSubsample', t, opts))).median;
    const streaming = attentionError(cache, reduce(cache, (t) => reduceBaseline('sinksAndRecent', t, opts))).median;
    expect(Math.abs(mean - freqErr) / freqErr).toBeLessThan(0.25); // reference 0.85% vs 0.86%
    expect(stride).toBeGreaterThan(3 * freqErr); // reference 4.1%
    expect(stride).toBeLessThan(0.07);
    expect(streaming).toBeGreaterThan(0.6); // reference ~100%
  });

  it('shows ~50%+ error on white noise, which nothing can compress', () => {
    const noise: AttentionCache = {
      keys: heads(1, 4096, { rho: 0, noiseVariance: 0, offsetStd: 1 }, 7),
      values: heads(1, 4096, { rho: 0, noiseVariance: 0 }, 8),
    };
    const err = attentionError(noise, reduce(noise, (t) => compress(t, opts)), { countBias: false });
    expect(err.median).toBeGreaterThan(0.5); // reference 64%
  });

  it('rejects unknown or mistyped options, NaN in keys, values or queries, and bad counts', () => {
    const small = smoothCache(1, 16, 3);
    expect(() => attentionError(small, small, { probe: 1 } as never)).toThrow('unknown option(s) "probe"');
    expect(() => attentionError(small, small, { countBias: 'false' } as never)).toThrow('countBias: expected true or false');
    expect(() => attentionError(small, small, { seed: 0.5 })).toThrow('seed: expected an integer');
    expect(() => attentionError(small, small, { probes: 0 })).toThrow('probes: expected an integer in [1, 100000]');
    const poisoned = { ...small, keys: { data: Float64Array.from(small.keys.data), shape: small.keys.shape } };
    (poisoned.keys.data as Float64Array)[5] = Number.NaN;
    expect(() => attentionError(small, poisoned)).toThrow('approx keys holds NaN');
    expect(() => attentionError(small, small, { queries: { data: Float64Array.of(Number.NaN, ...new Array(D - 1).fill(0)), shape: [1, D] } })).toThrow('queries holds NaN');
    expect(() => attentionError(small, { ...small, counts: new Array(16).fill(Number.POSITIVE_INFINITY) })).toThrow('counts[0] must be a positive finite number');
    expect(() => attentionError(small, {} as never)).toThrow('approx must be { keys, values, counts? }');
  });

  it('accepts counts per head (heads x tokens) as well as shared counts', () => {
    const small = smoothCache(2, 16, 5);
    const pattern = Array.from({ length: 16 }, (_, t) => 1 + (t % 3));
    const shared = attentionError(small, { ...small, counts: pattern });
    const perHead = attentionError(small, { ...small, counts: [...pattern, ...pattern] });
    expect(shared.max).toBeGreaterThan(0);
    expect(Array.from(perHead.errors)).toEqual(Array.from(shared.errors));
    const mixed = attentionError(small, { ...small, counts: [...new Array(16).fill(1), ...pattern] });
    expect(Math.max(...mixed.errors.subarray(0, 64))).toBe(0); // head 0: all counts 1, no bias at all
    expect(Array.from(mixed.errors.subarray(64))).toEqual(Array.from(shared.errors.subarray(64)));
    expect(() => attentionError(small, { ...small, counts: new Array(20).fill(1) })).toThrow('counts has 20 entries; expected 16 (one per token) or 32');
  });

  it('is zero for a cache compared with itself and uses given queries', () => {
    const queries = { data: new Float64Array(3 * D).fill(0.1), shape: [3, D] };
    const self = attentionError(cache, cache, { queries });
    expect(self.max).toBe(0);
    expect(self.queriesPerHead).toBe(3);
  });
});

describe('FreqKvCache, the iterative schedule', () => {
  it('over 16,384 tokens runs 7 rounds into 2,062 slots, conserves counts, and keeps ~8.5% error only with the count bias', () => {
    const tokens = 16_384;
    const full = smoothCache(2, tokens, 11);
    // keys and values go through one cache as [2 (K, V), heads, tokens, D], so they share one count vector
    const kv = new Float64Array(2 * 2 * tokens * D);
    kv.set(full.keys.data, 0);
    kv.set(full.values.data, 2 * tokens * D);
    const cache = new FreqKvCache({ capacity: 4096, sinkTokens: 4, retention: 0.5 });
    const chunk = 512;
    for (let start = 0; start < tokens; start += chunk) {
      const part = new Float64Array(2 * 2 * chunk * D);
      for (let o = 0; o < 4; o++) part.set(kv.subarray((o * tokens + start) * D, (o * tokens + start + chunk) * D), o * chunk * D);
      cache.append({ data: part, shape: [2, 2, chunk, D] });
    }
    expect(cache.rounds).toBe(7);
    expect(cache.length).toBe(2062);
    expect(cache.totalTokens).toBe(tokens);
    const counts = cache.counts();
    expect(counts.reduce((s, c) => s + c, 0)).toBeCloseTo(tokens, 6);
    expect(counts[4]).toBeGreaterThan(64); // the oldest slots stand for ~2^7 tokens

    const compressed = splitKv(
      (() => {
        const t = cache.toTensor();
        return { data: t.data, shape: [1, ...t.shape] };
      })(),
      counts,
    );
    const biased = attentionError(full, compressed);
    const plain = attentionError(full, compressed, { countBias: false });
    expect(biased.median).toBeGreaterThan(0.04); // reference 8.5% (numpy reference script: 9.5%)
    expect(biased.median).toBeLessThan(0.14);
    expect(plain.median).toBeGreaterThan(0.8); // reference 129%
  });

  it('holds tokens raw until it is full and compresses only when more arrive', () => {
    const cache = new FreqKvCache({ capacity: 10, sinkTokens: 2, retention: 0.5, axis: 0 });
    cache.append({ data: Float64Array.from({ length: 10 }, (_, i) => i), shape: [10] });
    expect(cache.rounds).toBe(0);
    expect(Array.from(cache.toTensor().data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    cache.append({ data: Float64Array.of(10), shape: [1] });
    expect(cache.rounds).toBe(1);
    expect(cache.length).toBe(2 + 4 + 1);
    expect(Array.from(cache.counts())).toEqual([1, 1, 2, 2, 2, 2, 1].map((c) => expect.closeTo(c, 9)));
    expect(cache.lastStats?.spanIn).toBe(8);
  });

  it('is left as it was when a compression round fails, and a rejected first chunk fixes nothing', () => {
    const fresh = new FreqKvCache({ capacity: 8, sinkTokens: 0, axis: 0 });
    expect(() => fresh.append({ data: Float32Array.of(1, Number.NaN), shape: [2] })).toThrow('appended chunk holds NaN');
    fresh.append({ data: new Float64Array(3), shape: [3] }); // any dtype and shape is still welcome
    expect(fresh.dtype).toBe('float64');

    // a step from 0 to near the float32 maximum overshoots past it when compressed
    const cache = new FreqKvCache({ capacity: 64, sinkTokens: 0, axis: 0 });
    const step = Float32Array.from({ length: 64 }, (_, i) => (i < 32 ? 0 : 3.4e38));
    cache.append({ data: step, shape: [64] });
    const snapshot = Array.from(cache.toTensor().data);
    expect(() => cache.append({ data: new Float32Array(40), shape: [40] })).toThrow(FreqKvError);
    expect(cache.length).toBe(64);
    expect(cache.rounds).toBe(0);
    expect(cache.totalTokens).toBe(64);
    expect(cache.counts().reduce((a, b) => a + b, 0)).toBe(64);
    expect(Array.from(cache.toTensor().data)).toEqual(snapshot);
  });

  it('rejects chunks of another shape or dtype, NaN, and bad options, leaving the cache unchanged', () => {
    const cache = new FreqKvCache({ capacity: 8 });
    cache.append({ data: new Float32Array(6), shape: [3, 2] });
    expect(() => cache.append({ data: new Float32Array(6), shape: [2, 3] })).toThrow('chunk [2, 3] (float32) does not fit a cache of [3, 2] with token axis 0 (float32)');
    expect(() => cache.append({ data: new Float64Array(6), shape: [3, 2] })).toThrow('does not fit');
    expect(() => cache.append({ data: Float32Array.of(1, Number.NaN), shape: [1, 2] })).toThrow('appended chunk holds NaN');
    expect(cache.length).toBe(3);
    expect(() => new FreqKvCache({ capacity: 8, retention: 1 })).toThrow('retention: expected a number in (0, 1)');
    expect(() => new FreqKvCache({ capacity: 5, sinkTokens: 4 })).toThrow('must leave at least 2 of the 5 slots');
    expect(() => new FreqKvCache({} as never)).toThrow('capacity');
    expect(() => new FreqKvCache({ capacity: 8, sinkTokens: 1.5 })).toThrow('sinkTokens: expected a non-negative integer (tokens at the start kept raw); got 1.5');
  });
});

describe('baselines', () => {
  it('average neighbours by count, subsample by stride, and keep sinks + the latest tokens', () => {
    const data = Float64Array.from({ length: 10 }, (_, i) => i);
    const opts = { axis: 0, sinkTokens: 2, targetTokens: 6 } as const;
    const mean = reduceBaseline('neighbourMean', { data, shape: [10] }, opts);
    expect(Array.from(mean.tensor.data)).toEqual([0, 1, 2.5, 4.5, 6.5, 8.5]);
    expect(Array.from(mean.counts)).toEqual([1, 1, 2, 2, 2, 2]);
    expect(Array.from(reduceBaseline('strideSubsample', { data, shape: [10] }, opts).tensor.data)).toEqual([0, 1, 2, 4, 6, 8]);
    const streaming = reduceBaseline('sinksAndRecent', { data, shape: [10] }, opts);
    expect(Array.from(streaming.tensor.data)).toEqual([0, 1, 6, 7, 8, 9]);
    expect(Array.from(streaming.counts)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(() => reduceBaseline('topK' as never, { data, shape: [10] })).toThrow('unknown baseline "topK"');
    expect(() => reduceBaseline('neighbourMean', { data: Float64Array.of(1, 2, Number.NaN, 4, 5, 6, 7), shape: [7] }, { axis: 0 })).toThrow('tensor holds NaN');
  });
});

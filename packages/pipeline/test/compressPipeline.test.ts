import { describe, expect, it } from 'vitest';
import { syntheticSequence } from '@globalmcp/tensor';
import { PipelineError, compressPipeline } from '../src/index.js';

function kvCache(heads: number, tokens: number, dim: number, seed = 1) {
  const data = new Float32Array(2 * heads * tokens * dim);
  for (let b = 0; b < 2 * heads; b++) data.set(syntheticSequence({ tokens, dim, seed: seed + b, offsetStd: b < heads ? 1 : 0, dtype: 'float32' }).data, b * tokens * dim);
  return { data, shape: [1, 2, heads, tokens, dim] };
}

describe('compressPipeline', () => {
  it('runs FreqKV 1000 -> 300 then LoCoCo -> 128 on a KV cache, reporting every stage and what it preserved', () => {
    const { tensor, counts, layout, stats } = compressPipeline(kvCache(2, 1000, 32));
    expect(layout).toBe('kv');
    expect(tensor.shape).toEqual([1, 2, 2, 128, 32]);
    expect(tensor.data).toBeInstanceOf(Float32Array);
    expect(stats.stages.map((s) => [s.stage, s.ran, s.tokensIn, s.tokensOut])).toEqual([
      ['freqkv', true, 1000, 4 + 298],
      ['lococo', true, 302, 128],
    ]);
    expect(stats.sizeReduction).toBeCloseTo(1 - 128 / 1000, 12);
    expect(stats.stages[0]?.energyKept).toBeGreaterThan(0.9);
    // per-head counts conserve the 1000 input tokens
    expect(counts.length).toBe(2 * 128);
    expect(Array.from(counts.subarray(0, 128)).reduce((a, b) => a + b, 0)).toBeCloseTo(1000, 6);
    // smooth data: the attention output moves by a few percent at most (87% smaller)
    expect(stats.attentionError?.median).toBeGreaterThan(0);
    expect(stats.attentionError?.median).toBeLessThan(0.05);
  });

  it('skips stages that would not shorten the input, and says why', () => {
    const small = compressPipeline(kvCache(1, 100, 8));
    expect(small.stats.stages.map((s) => s.ran)).toEqual([false, false]);
    expect(small.stats.stages[0]?.reason).toBe('it would keep 32 tokens, not more than the 128 slots LoCoCo keeps');
    expect(small.tensor.shape).toEqual([1, 2, 1, 100, 8]);
    expect(small.stats.attentionError?.median).toBe(0);
    const mid = compressPipeline(kvCache(1, 300, 8));
    expect(mid.stats.stages.map((s) => s.ran)).toEqual([false, true]);
    expect(mid.tensor.shape).toEqual([1, 2, 1, 128, 8]);
  });

  it('treats other shapes as sequences [..., tokens, features] and takes stage options', () => {
    const seq = syntheticSequence({ tokens: 600, dim: 16, seed: 2 });
    const r = compressPipeline(seq, { freqkv: { targetTokens: 200 }, lococo: { slots: 50, heavyHitters: 0 }, fidelity: false });
    expect(r.layout).toBe('sequence');
    expect(r.tensor.shape).toEqual([50, 16]);
    expect(r.stats.attentionError).toBeUndefined();
    expect(r.stats.stages[0]?.tokensOut).toBe(200);
  });

  it('rejects bad options with the option named', () => {
    const kv = kvCache(1, 50, 4);
    expect(() => compressPipeline(kv, { freqkv: { retention: 2 } })).toThrow('freqkv.retention: expected a number in (0, 1]; got 2');
    expect(() => compressPipeline(kv, { freqkv: { retention: 0.5, targetTokens: 10 } })).toThrow('give either retention or targetTokens, not both');
    expect(() => compressPipeline(kv, { layout: 'grid' as never })).toThrow('layout: expected "kv" or "sequence"');
    expect(() => compressPipeline({ data: new Float32Array(6), shape: [2, 3] }, { layout: 'kv' })).toThrow('layout: "kv" needs shape [...layers, 2, heads, tokens, headDim]; got [2, 3]');
    expect(() => compressPipeline(kv, { extra: 1 } as never)).toThrow(PipelineError);
    expect(() => compressPipeline(null as never)).toThrow('kv_cache must be an object');
  });
});

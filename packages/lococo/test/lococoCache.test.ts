import { describe, expect, it } from 'vitest';
import { syntheticSequence } from '@globalmcp/tensor';
import { LococoCache, defaultKernels, fuseKv } from '../src/index.js';

const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);

function kvChunk(heads: number, tokens: number, dim: number, seed: number) {
  const data = new Float64Array(2 * heads * tokens * dim);
  for (let b = 0; b < 2 * heads; b++) data.set(syntheticSequence({ tokens, dim, seed: seed + b }).data, b * tokens * dim);
  return { data, shape: [1, 2, heads, tokens, dim] };
}

describe('LococoCache', () => {
  it('holds tokens as they come until full, then always exactly `slots`, conserving every head\'s count', () => {
    const cache = new LococoCache({ slots: 32, kv: true });
    cache.append(kvChunk(2, 20, 8, 1));
    expect(cache.length).toBe(20);
    expect(cache.rounds).toBe(0);
    for (let i = 0; i < 6; i++) cache.append(kvChunk(2, 25, 8, 10 + i));
    expect(cache.length).toBe(32);
    expect(cache.rounds).toBe(6);
    expect(cache.totalTokens).toBe(170);
    const { tensor, counts } = cache.snapshot();
    expect(tensor.shape).toEqual([1, 2, 2, 32, 8]);
    expect(sum(counts.subarray(0, 32))).toBeCloseTo(170, 9);
    expect(sum(counts.subarray(32))).toBeCloseTo(170, 9);
  });

  it('gives the same result as one fuseKv call when a single chunk overflows it', () => {
    const chunk = kvChunk(2, 100, 8, 3);
    const cache = new LococoCache({ slots: 24, kv: true });
    cache.append(chunk);
    const direct = fuseKv(chunk, { slots: 24 });
    expect(Array.from(cache.snapshot().tensor.data)).toEqual(Array.from(direct.tensor.data));
  });

  it('keeps its own copy of a chunk it stores as it is', () => {
    const cache = new LococoCache({ slots: 16 });
    const buffer = new Float64Array(10 * 3).fill(2);
    cache.append({ data: buffer, shape: [10, 3] });
    buffer.fill(Number.NaN); // the caller reuses its buffer
    expect(Array.from(cache.snapshot().tensor.data)).toEqual(new Array(30).fill(2));
    cache.append({ data: new Float64Array(10 * 3).fill(2), shape: [10, 3] });
    expect(cache.length).toBe(16);
  });

  it('checks kernels when it is made, not at the first overflow', () => {
    expect(() => new LococoCache({ slots: 16, kernels: defaultKernels(3, 4) })).toThrow('kernels were made for 3 fused slots; this cache fuses into 6');
    expect(() => new LococoCache({ slots: 16, kernels: { weights: 1, fused: 'x' } as never })).toThrow('fused must be a positive integer');
  });

  it('refuses chunks that do not fit and is unchanged afterwards', () => {
    const cache = new LococoCache({ slots: 16 });
    cache.append({ data: new Float64Array(10 * 3), shape: [10, 3] });
    expect(() => cache.append({ data: new Float64Array(10 * 4), shape: [10, 4] })).toThrow('chunk [10, 4] does not fit a cache of [10, 3]');
    expect(() => cache.append({ data: Float64Array.of(Number.NaN, 0, 0), shape: [1, 3] })).toThrow('appended chunk holds NaN');
    expect(cache.length).toBe(10);
    expect(() => new LococoCache({ slots: 4 })).toThrow('sinkTokens (4) must be less than slots (4)');
    expect(() => new LococoCache({ slots: 8, kv: 'yes' } as never)).toThrow('kv: expected true or false');
  });
});

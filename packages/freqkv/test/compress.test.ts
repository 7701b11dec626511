import { describe, expect, it } from 'vitest';
import { FreqKvError, MIN_COUNT, TensorError, compress, createTensor, keptSpanLength } from '../src/index.js';
import { loadFixture, maxAbsDiff } from './fixtures.js';
import type { CompressCase } from './fixtures.js';

/** float64 agreement with the scipy operator (two transforms, lengths up to 4096). */
const SCIPY_TOLERANCE = 1e-12;
/** A constant must come back as itself up to float64 rounding. */
const EXACT = 1e-12;

function ramp(n: number, f: (i: number) => number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => f(i));
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof FreqKvError || error instanceof TensorError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('compress against scipy', () => {
  const fixture = loadFixture<CompressCase>('compress.json');
  it.each(fixture.cases.map((c) => [c.shape.join('x'), c.axis, c] as const))(
    'matches the scipy operator on shape %s along axis %i, counts included',
    (_shape, _axis, c) => {
      const result = compress(createTensor(Float64Array.from(c.data), c.shape), {
        axis: c.axis,
        sinkTokens: c.sinkTokens,
        recentTokens: c.recentTokens,
        targetTokens: c.sinkTokens + c.keep + c.recentTokens,
        counts: c.counts,
      });
      expect(result.tensor.shape).toEqual(c.expectedShape);
      expect(maxAbsDiff(result.tensor.data, c.expected)).toBeLessThanOrEqual(SCIPY_TOLERANCE);
      const spanCounts = result.counts.subarray(c.sinkTokens, c.sinkTokens + c.keep);
      // the scipy side does not clamp; every fixture count stays well above MIN_COUNT
      expect(maxAbsDiff(spanCounts, c.expectedSpanCounts)).toBeLessThan(1e-9);
      expect(Array.from(result.counts.subarray(0, c.sinkTokens))).toEqual(c.counts.slice(0, c.sinkTokens));
    },
  );
});

describe('compress', () => {
  it('returns a constant sequence as the same constant, in every channel and both dtypes', () => {
    const shape = [3, 1000, 5];
    for (const make of [(n: number) => new Float64Array(n), (n: number) => new Float32Array(n)]) {
      const data = make(3 * 1000 * 5).fill(2.5);
      const { tensor, stats } = compress({ data, shape }, { retention: 0.3 });
      expect(tensor.shape).toEqual([3, 4 + 298, 5]);
      expect(tensor.data.constructor).toBe(data.constructor);
      expect(maxAbsDiff(tensor.data, new Float64Array(tensor.data.length).fill(2.5))).toBeLessThan(data instanceof Float64Array ? EXACT : 1e-6);
      expect(stats.energyKept).toBeCloseTo(1, 12);
      expect(stats.reconstructionError).toBeLessThan(1e-6);
    }
  });

  it('is linear: compress(a x + b y) = a compress(x) + b compress(y)', () => {
    const shape = [2, 333, 3];
    const n = 2 * 333 * 3;
    const x = ramp(n, (i) => Math.sin(i * 0.1));
    const y = ramp(n, (i) => Math.cos(i * 0.37) * (i % 5));
    const combined = ramp(n, (i) => 2 * (x[i] as number) - 3 * (y[i] as number));
    const cx = compress({ data: x, shape }, { retention: 0.41 }).tensor.data;
    const cy = compress({ data: y, shape }, { retention: 0.41 }).tensor.data;
    const cc = compress({ data: combined, shape }, { retention: 0.41 }).tensor.data;
    expect(maxAbsDiff(cc, ramp(cc.length, (i) => 2 * (cx[i] as number) - 3 * (cy[i] as number)))).toBeLessThan(1e-12);
  });

  it('keeps sinks and the recent window bit for bit and compresses only the span between them', () => {
    const shape = [50, 2];
    const data = ramp(100, (i) => i * 1.5 + Math.sin(i));
    const { tensor, stats } = compress({ data, shape }, { sinkTokens: 3, recentTokens: 4, targetTokens: 20, axis: 0 });
    expect(tensor.shape).toEqual([20, 2]);
    expect(Array.from(tensor.data.subarray(0, 6))).toEqual(Array.from(data.subarray(0, 6)));
    expect(Array.from(tensor.data.subarray(32))).toEqual(Array.from(data.subarray(92)));
    expect(stats).toMatchObject({ tokensIn: 50, tokensOut: 20, spanIn: 43, spanOut: 13, sinkTokens: 3, recentTokens: 4, bytesIn: 800, bytesOut: 320 });
  });

  it('conserves the total token count and gives each slot about M/L tokens', () => {
    const counts = ramp(1000, (i) => 1 + (i % 3));
    const total = counts.reduce((s, c) => s + c, 0);
    const result = compress({ data: ramp(1000, Math.sqrt), shape: [1000] }, { axis: 0, retention: 0.25, counts });
    expect(result.counts.length).toBe(4 + 249);
    expect(result.counts.reduce((s, c) => s + c, 0)).toBeCloseTo(total, 9);
    const uniform = compress({ data: ramp(1000, Math.sqrt), shape: [1000] }, { axis: 0, retention: 0.25 }).counts;
    expect(maxAbsDiff(uniform.subarray(4), new Float64Array(249).fill(996 / 249))).toBeLessThan(1e-9);
  });

  it('keeps every count at or above MIN_COUNT while conserving the total, and takes counts of any numeric array type', () => {
    const counts = new Array<number>(44).fill(1);
    counts[20] = 1e4;
    const result = compress({ data: ramp(44, Math.sqrt), shape: [44] }, { axis: 0, sinkTokens: 4, retention: 0.5, counts });
    expect(Math.min(...result.counts)).toBeGreaterThanOrEqual(MIN_COUNT);
    expect(result.counts.reduce((a, b) => a + b, 0)).toBeCloseTo(1e4 + 43, 6);
    const fromInts = compress({ data: ramp(44, Math.sqrt), shape: [44] }, { axis: 0, counts: new Int32Array(44).fill(2) });
    expect(fromInts.counts.reduce((a, b) => a + b, 0)).toBeCloseTo(88, 9);
  });

  it('reports the energy kept and a reconstruction error equal to sqrt(dropped / total) by Parseval', () => {
    // one cosine at DCT frequency 10 of the span, plus one at 300: keeping 100 coefficients keeps only the first
    const m = 500;
    const data = ramp(m, (n) => Math.cos((Math.PI * 10 * (2 * n + 1)) / (2 * m)) + Math.cos((Math.PI * 300 * (2 * n + 1)) / (2 * m)));
    const { stats } = compress({ data, shape: [m] }, { axis: 0, sinkTokens: 0, targetTokens: 100 });
    expect(stats.energyKept).toBeCloseTo(0.5, 10);
    expect(stats.reconstructionError).toBeCloseTo(Math.sqrt(0.5), 10);
    expect(stats.ms).toBeGreaterThanOrEqual(0);
  });

  it('works on a KV cache [layers, 2, heads, tokens, headDim] along the default axis', () => {
    const shape = [2, 2, 3, 64, 8];
    const data = new Float32Array(2 * 2 * 3 * 64 * 8).map((_, i) => Math.sin(i / 97));
    const { tensor, counts } = compress({ data, shape });
    expect(tensor.shape).toEqual([2, 2, 3, 34, 8]);
    expect(counts.length).toBe(34);
    // channel (layer 1, V, head 2, dim 5): token 0 is a sink, kept exactly
    const at = (s: readonly number[], idx: number[]) => idx.reduce((acc, v, d) => acc * (s[d] as number) + v, 0);
    expect(tensor.data[at(tensor.shape, [1, 1, 2, 0, 5])]).toBe(data[at(shape, [1, 1, 2, 0, 5])]);
  });

  it('takes the only axis of a rank-1 tensor by default', () => {
    const { tensor } = compress({ data: new Float64Array(20).fill(3), shape: [20] });
    expect(tensor.shape).toEqual([12]);
  });

  it('keeps everything when the target is at least the input size, and retention 1 is the identity', () => {
    const data = ramp(40, (i) => i * i);
    const big = compress({ data, shape: [40] }, { axis: 0, targetTokens: 100 });
    expect(Array.from(big.tensor.data)).toEqual(Array.from(data));
    const whole = compress({ data, shape: [40] }, { axis: 0, retention: 1 });
    expect(Array.from(whole.tensor.data)).toEqual(Array.from(data));
  });

  it('compresses a single remaining token and lengths 1 to 9 exactly like the constant rule says', () => {
    for (let tokens = 5; tokens <= 13; tokens++) {
      const { tensor } = compress({ data: new Float64Array(tokens).fill(-7), shape: [tokens] }, { axis: 0, retention: 0.01 });
      expect(tensor.shape).toEqual([5]);
      expect(maxAbsDiff(tensor.data, new Float64Array(5).fill(-7))).toBeLessThan(EXACT);
    }
  });
});

describe('compress errors', () => {
  const ok = { data: new Float64Array(20), shape: [10, 2] };

  it('rejects a retention outside (0, 1] naming the option and the range', () => {
    for (const retention of [0, -0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(codeOf(() => compress(ok, { retention }))).toBe('INVALID_OPTIONS');
    }
    expect(() => compress(ok, { retention: 1.5 })).toThrow(
      'invalid compress options: retention: expected a number in (0, 1]: the fraction of the compressible tokens kept; got 1.5',
    );
  });

  it('rejects both retention and targetTokens, unknown options, and bad counts', () => {
    expect(() => compress(ok, { retention: 0.5, targetTokens: 6 })).toThrow('give either retention or targetTokens, not both');
    expect(() => compress(ok, { ratio: 0.5 } as never)).toThrow('unknown option(s) "ratio"');
    expect(() => compress(ok, { targetTokens: 4 })).toThrow('targetTokens (4) must exceed the 4 sink and recent tokens kept raw');
    expect(() => compress(ok, { counts: [1, 2] })).toThrow('counts has 2 entries but the tensor has 10 tokens');
    expect(() => compress(ok, { counts: new Array(10).fill(1).map((c, i) => (i === 3 ? 0 : c)) })).toThrow('counts[3] must be a positive finite number');
    expect(() => compress(ok, { counts: new Array(10).fill('2') as never })).toThrow('counts[0] must be a positive finite number of original tokens; got "2"');
    expect(() => compress(ok, { counts: new Array(10).fill(1e308) })).toThrow('counts sum to more than the largest float64');
    expect(() => compress(ok, { counts: 'many' as never })).toThrow('counts: expected an array or typed array of positive token counts');
  });

  it('rejects sinks and recent tokens that leave nothing to compress', () => {
    expect(() => compress(ok, { sinkTokens: 10 })).toThrow(
      'sinkTokens (10) + recentTokens (0) must be less than the number of tokens (10) on axis 0 of shape [10, 2]: nothing would be left to compress',
    );
    expect(codeOf(() => compress(ok, { sinkTokens: 6, recentTokens: 4 }))).toBe('TOO_FEW_TOKENS');
  });

  it('rejects shapes that disagree with the data, empty tensors and bad axes', () => {
    expect(() => compress({ data: new Float64Array(19), shape: [10, 2] })).toThrow('tensor shape [10, 2] needs 20 elements but the data holds 19');
    expect(codeOf(() => compress({ data: new Float64Array(0), shape: [0, 2] }))).toBe('EMPTY_TENSOR');
    expect(codeOf(() => compress(ok, { axis: 2 }))).toBe('INVALID_AXIS');
    expect(codeOf(() => compress({ data: [1, 2] as never, shape: [2] }))).toBe('UNSUPPORTED_DTYPE');
    expect(() => compress(null as never)).toThrow('tensor must be an object { data: Float32Array | Float64Array, shape: number[] }; got null');
    expect(() => compress({ data: new Float64Array(4) } as never)).toThrow('tensor must be an object');
  });

  it('rejects NaN and Infinity anywhere (span, sinks or recent window) naming the position, and returns nothing', () => {
    for (const [index, value] of [
      [13, Number.NaN],
      [1, Number.POSITIVE_INFINITY],
      [19, Number.NEGATIVE_INFINITY],
    ] as const) {
      const data = ramp(20, (i) => i);
      data[index] = value;
      const err = (() => {
        try {
          compress({ data, shape: [10, 2] }, { recentTokens: 2 });
        } catch (e) {
          return e as TensorError;
        }
        return undefined;
      })();
      expect(err?.code).toBe('NON_FINITE');
      expect(err?.message).toContain(`(flat ${index})`);
    }
  });

  it('names the non-finite value and refuses float32 overflow in any of the four channels transformed together', () => {
    // 6 channels: 0-3 go through the FFT two pairs at a time, 4-5 as one pair
    for (const channel of [0, 1, 2, 3, 5]) {
      const data = ramp(12 * 6, (i) => Math.sin(i));
      const index = 7 * 6 + channel;
      data[index] = Number.NaN;
      expect(() => compress({ data, shape: [12, 6] })).toThrow(`(flat ${index})`);
    }
    for (const channel of [2, 3]) {
      const data = new Float32Array(64 * 4);
      for (let t = 32; t < 64; t++) data[t * 4 + channel] = 3.4e38;
      expect(codeOf(() => compress({ data, shape: [64, 4] }, { sinkTokens: 0 }))).toBe('NUMERIC_OVERFLOW');
      expect(() => compress({ data, shape: [64, 4] }, { sinkTokens: 0 })).toThrow(`compressing channel ${channel} of a tensor of shape [64, 4]`);
    }
  });

  it('reports the same energy and error at extreme float64 magnitudes, where squares overflow or underflow', () => {
    const base = ramp(300, (i) => Math.sin(i / 7) + (i % 13) / 13);
    const reference = compress({ data: base, shape: [300] }, { axis: 0 });
    for (const scale of [1e160, 1e300, 1e-200, 1e-300]) {
      const { tensor, stats } = compress({ data: base.map((v) => v * scale), shape: [300] }, { axis: 0 });
      expect(stats.energyKept).toBeCloseTo(reference.stats.energyKept, 12);
      expect(stats.reconstructionError).toBeCloseTo(reference.stats.reconstructionError, 12);
      expect(maxAbsDiff(tensor.data.map((v) => v / scale), reference.tensor.data)).toBeLessThan(1e-12);
    }
  });

  it('refuses float32 results that overflow the float32 range instead of returning Infinity', () => {
    const data = Float32Array.from({ length: 64 }, (_, i) => (i < 32 ? 0 : 3.4e38));
    expect(codeOf(() => compress({ data, shape: [64] }, { axis: 0, sinkTokens: 0 }))).toBe('NUMERIC_OVERFLOW');
    expect(() => compress({ data, shape: [64] }, { axis: 0, sinkTokens: 0 })).toThrow('beyond the float32 range');
    const wide = compress({ data: Float64Array.from(data), shape: [64] }, { axis: 0, sinkTokens: 0 });
    expect(Math.max(...wide.tensor.data)).toBeGreaterThan(3.4028234663852886e38);
  });

  it('computes the kept span length the way the docs say', () => {
    expect(keptSpanLength(4092, 4, 0.5, undefined)).toBe(2046);
    expect(keptSpanLength(10, 4, 0.01, undefined)).toBe(1);
    expect(keptSpanLength(10, 4, undefined, 9)).toBe(5);
    expect(keptSpanLength(10, 4, undefined, 100)).toBe(10);
  });
});

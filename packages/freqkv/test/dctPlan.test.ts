import { describe, expect, it } from 'vitest';
import { DctPlan, FreqKvError, dct, dctAlongAxis, idct } from '../src/index.js';
import { loadFixture, maxAbsDiff } from './fixtures.js';
import type { DctCase } from './fixtures.js';

/** The bar: float64 results within 1e-12 of scipy.fft.dct/idct(norm="ortho"). */
const SCIPY_TOLERANCE = 1e-12;

const fixture = loadFixture<DctCase>('dct.json');

describe('DCT-II / DCT-III against scipy (norm="ortho")', () => {
  it.each(fixture.cases.map((c) => [c.n, c] as const))('matches scipy at length %i', (_n, c) => {
    expect(maxAbsDiff(dct(c.x), c.dct)).toBeLessThanOrEqual(SCIPY_TOLERANCE);
    expect(maxAbsDiff(idct(c.y), c.idct)).toBeLessThanOrEqual(SCIPY_TOLERANCE);
  });

  it('covers odd, prime, power-of-two and the FreqKV span lengths', () => {
    const lengths = fixture.cases.map((c) => c.n);
    expect(lengths).toEqual(expect.arrayContaining([1, 2, 3, 5, 7, 13, 17, 31, 97, 127, 257, 4092, 4096]));
  });
});

describe('DctPlan', () => {
  it('transforms many rows in one call, pairing rows and handling an odd last row', () => {
    const rows = 5;
    const n = 37;
    const input = Float64Array.from({ length: rows * n }, (_, i) => Math.sin(i * 0.37) + (i % 7));
    const plan = new DctPlan(n);
    const batched = new Float64Array(rows * n);
    plan.dct(input, batched, rows);
    for (let r = 0; r < rows; r++) {
      const single = dct(input.subarray(r * n, (r + 1) * n));
      expect(maxAbsDiff(batched.subarray(r * n, (r + 1) * n), single)).toBeLessThanOrEqual(SCIPY_TOLERANCE);
    }
  });

  it('inverts itself in place, in float64 and float32', () => {
    const n = 100;
    const x = Float64Array.from({ length: 3 * n }, (_, i) => Math.cos(i) * 3);
    const plan = new DctPlan(n);
    const y = x.slice();
    plan.dct(y, y, 3);
    plan.idct(y, y, 3);
    expect(maxAbsDiff(y, x)).toBeLessThan(1e-13);

    const x32 = Float32Array.from(x);
    const y32 = new Float32Array(3 * n);
    plan.dct(x32, y32, 3);
    plan.idct(y32, y32, 3);
    expect(maxAbsDiff(y32, x32)).toBeLessThan(1e-5);
  });

  it('preserves energy (the transform is orthonormal) and maps a constant to its DC term', () => {
    const x = Float64Array.from({ length: 4092 }, (_, i) => Math.sin(i / 50) + 0.5 * Math.cos(i / 3));
    const y = dct(x);
    const energy = (v: ArrayLike<number>) => Array.from(v).reduce((s, a) => s + a * a, 0);
    expect(energy(y) / energy(x)).toBeCloseTo(1, 12);

    const c = dct(new Float64Array(12).fill(2));
    expect(c[0]).toBeCloseTo(2 * Math.sqrt(12), 12);
    expect(maxAbsDiff(c.subarray(1), new Float64Array(11))).toBeLessThan(1e-14);
  });

  it('rejects lengths below 1 and buffers too short for the rows asked', () => {
    expect(() => new DctPlan(0)).toThrow(FreqKvError);
    expect(() => new DctPlan(2.5)).toThrow('DCT length must be an integer >= 1; got 2.5');
    expect(() => new DctPlan(8).dct(new Float64Array(8), new Float64Array(16), 2)).toThrow(
      '2 rows of length 8 need 16 elements; input holds 8, output 16',
    );
    expect(() => dct([])).toThrow('cannot transform an empty sequence');
  });
});

describe('dctAlongAxis', () => {
  it.each<[readonly [number, number, number], string]>([
    [[2, 37, 3], 'a length fft.js transforms'],
    [[3, 64, 5], 'a power of two: four channels per SIMD pass, and a last group of three'],
    [[1, 4096, 2], 'a long power of two, one group of two'],
  ])('transforms every channel along the token axis like scipy.fft.dct(axis=...) and inverts: %j, %s', (shape) => {
    const [outer, tokens, inner] = shape;
    const data = Float64Array.from({ length: outer * tokens * inner }, (_, i) => Math.sin(i * 0.3) + (i % 4));
    const spectrum = dctAlongAxis({ data, shape }, { axis: 1 });
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const channel = Array.from({ length: tokens }, (_, t) => data[(o * tokens + t) * inner + i] as number);
        const expected = dct(channel);
        const got = Array.from({ length: tokens }, (_, k) => spectrum.data[(o * tokens + k) * inner + i] as number);
        expect(maxAbsDiff(got, expected), `channel ${o}, ${i}`).toBeLessThanOrEqual(SCIPY_TOLERANCE * Math.sqrt(tokens / 37));
      }
    }
    const back = dctAlongAxis(spectrum, { axis: 1, inverse: true });
    expect(maxAbsDiff(back.data, data)).toBeLessThan(1e-13 * Math.sqrt(tokens));
  });

  it('rejects non-finite input', () => {
    expect(() => dctAlongAxis({ data: Float64Array.of(1, Number.POSITIVE_INFINITY), shape: [2] }, { axis: 0 })).toThrow('tensor holds Infinity');
  });
});

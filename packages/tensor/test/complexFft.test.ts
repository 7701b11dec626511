import { describe, expect, it } from 'vitest';
import { createComplexFft } from '../src/complexFft.js';
import { MixedRadixFft, radixFactors } from '../src/mixedRadixFft.js';

/** Error bound against a direct O(N^2) DFT in float64, for unit-scale data up to N = 4096. */
const DFT_TOLERANCE = 1e-10;

function naiveDft(input: Float64Array, sign: number): Float64Array {
  const n = input.length / 2;
  const out = new Float64Array(2 * n);
  for (let k = 0; k < n; k++) {
    let re = 0;
    let im = 0;
    for (let j = 0; j < n; j++) {
      const phase = (sign * 2 * Math.PI * ((j * k) % n)) / n;
      const c = Math.cos(phase);
      const s = Math.sin(phase);
      re += (input[2 * j] as number) * c - (input[2 * j + 1] as number) * s;
      im += (input[2 * j] as number) * s + (input[2 * j + 1] as number) * c;
    }
    out[2 * k] = re;
    out[2 * k + 1] = im;
  }
  return out;
}

function signal(n: number): Float64Array {
  return Float64Array.from({ length: 2 * n }, (_, i) => Math.sin(i * 0.7) + ((i * 37) % 11) / 11);
}

describe('complex FFT plans', () => {
  // powers of two (fft.js); smooth lengths (mixed radix: 2, 3, 4, 5, 7, 11, 31, 61), including 31 as the
  // Rader first stage alone (31), after other radices (93, 341, 2046, 4092) and twice (961, the second
  // one generic), and 11 alone and repeated (11, 121); large primes (Bluestein)
  it.each([1, 2, 4, 8, 3, 5, 6, 9, 11, 12, 15, 22, 31, 49, 61, 62, 93, 121, 341, 961, 4 * 3 * 11 * 31, 2 * 3 * 11 * 31, 67, 97, 127, 2 * 67, 4093])(
    'matches the direct DFT forward and inverse at length %i',
    (n) => {
      const fft = createComplexFft(n);
      const x = signal(n);
      const forward = new Float64Array(2 * n);
      fft.forward(forward, x);
      expect(maxAbsDiff(forward, naiveDft(x, -1))).toBeLessThan(DFT_TOLERANCE * Math.sqrt(n));
      const back = new Float64Array(2 * n);
      fft.inverse(back, forward);
      expect(maxAbsDiff(back, x)).toBeLessThan(1e-12);
      expect(Array.from(x)).toEqual(Array.from(signal(n))); // input untouched
    },
  );

  it('picks the mixed-radix transform for smooth lengths and Bluestein for large prime factors', () => {
    expect(radixFactors(4092)).toEqual([4, 3, 11, 31]);
    expect(radixFactors(2046)).toEqual([2, 3, 11, 31]);
    expect(radixFactors(4093)).toEqual([4093]);
    expect(createComplexFft(4092)).toBeInstanceOf(MixedRadixFft);
    expect(createComplexFft(61 * 4)).toBeInstanceOf(MixedRadixFft);
    expect(createComplexFft(67)).not.toBeInstanceOf(MixedRadixFft);
    expect(createComplexFft(4096)).not.toBeInstanceOf(MixedRadixFft);
  });

  it('rejects lengths below 1', () => {
    expect(() => createComplexFft(0)).toThrow('FFT length must be an integer >= 1; got 0');
  });
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

import { FreqKvError } from './freqKvError.js';
import type { PairedDct } from './pairedDct.js';
import { pairedDct } from './planCache.js';

/**
 * A reusable orthonormal DCT plan for one length N >= 1, in O(N log N): powers
 * of two use fft.js, lengths with only small prime factors a mixed-radix FFT,
 * the rest Bluestein's algorithm on fft.js (see createComplexFft). The plan
 * owns its scratch, so transforms allocate nothing.
 *
 * Matches `scipy.fft.dct(x, type=2, norm="ortho")` and
 * `scipy.fft.idct(y, type=2, norm="ortho")` (a DCT-III) to about 1e-13 in float64.
 */
export class DctPlan {
  readonly length: number;
  readonly #pair: PairedDct;
  readonly #ya: Float64Array;
  readonly #yb: Float64Array;

  constructor(length: number) {
    this.#pair = pairedDct(length);
    this.length = length;
    this.#ya = new Float64Array(length);
    this.#yb = new Float64Array(length);
  }

  /**
   * DCT-II of `rows` contiguous rows of length N: `input[r * N + n]` ->
   * `output[r * N + k]`. `output` may be `input` (in place).
   */
  dct(input: Float64Array | Float32Array, output: Float64Array | Float32Array, rows = 1): void {
    this.#checkBuffers(input, output, rows);
    const n = this.length;
    const { perm, packed } = this.#pair;
    const ya = this.#ya;
    const yb = this.#yb;
    for (let r = 0; r < rows; r += 2) {
      const a = r * n;
      const hasB = r + 1 < rows;
      const b = a + n;
      for (let i = 0; i < n; i++) {
        const p = 2 * (perm[i] as number);
        packed[p] = input[a + i] as number;
        packed[p + 1] = hasB ? (input[b + i] as number) : 0;
      }
      this.#pair.forward(packed, ya, yb, n);
      for (let k = 0; k < n; k++) output[a + k] = ya[k] as number;
      if (hasB) for (let k = 0; k < n; k++) output[b + k] = yb[k] as number;
    }
  }

  /** DCT-III (the inverse of {@link dct}) of `rows` contiguous rows; `output` may be `input`. */
  idct(input: Float64Array | Float32Array, output: Float64Array | Float32Array, rows = 1): void {
    this.#checkBuffers(input, output, rows);
    const n = this.length;
    const { perm, packed } = this.#pair;
    const ya = this.#ya;
    const yb = this.#yb;
    for (let r = 0; r < rows; r += 2) {
      const a = r * n;
      const hasB = r + 1 < rows;
      const b = a + n;
      for (let k = 0; k < n; k++) {
        ya[k] = input[a + k] as number;
        yb[k] = hasB ? (input[b + k] as number) : 0;
      }
      this.#pair.inverse(ya, yb, 1, packed);
      for (let i = 0; i < n; i++) output[a + i] = packed[2 * (perm[i] as number)] as number;
      if (hasB) for (let i = 0; i < n; i++) output[b + i] = packed[2 * (perm[i] as number) + 1] as number;
    }
  }

  #checkBuffers(input: ArrayLike<number>, output: ArrayLike<number>, rows: number): void {
    if (!Number.isSafeInteger(rows) || rows < 0) {
      throw new FreqKvError('INVALID_LENGTH', `rows must be a non-negative integer; got ${String(rows)}`);
    }
    const need = rows * this.length;
    if (input.length < need || output.length < need) {
      throw new FreqKvError(
        'INVALID_LENGTH',
        `${rows} rows of length ${this.length} need ${need} elements; input holds ${input.length}, output ${output.length}`,
      );
    }
  }
}

/** Orthonormal DCT-II of one sequence (the transform tables are cached per length). For many sequences use {@link DctPlan}. */
export function dct(x: ArrayLike<number>): Float64Array {
  const input = Float64Array.from(x);
  if (input.length === 0) throw new FreqKvError('INVALID_LENGTH', 'cannot transform an empty sequence');
  new DctPlan(input.length).dct(input, input);
  return input;
}

/** Orthonormal DCT-III, the inverse of {@link dct}. */
export function idct(y: ArrayLike<number>): Float64Array {
  const input = Float64Array.from(y);
  if (input.length === 0) throw new FreqKvError('INVALID_LENGTH', 'cannot transform an empty sequence');
  new DctPlan(input.length).idct(input, input);
  return input;
}

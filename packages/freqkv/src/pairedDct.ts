import { createComplexFft } from '@globalmcp/tensor';
import type { ComplexFft } from '@globalmcp/tensor';
import { FreqKvError } from './freqKvError.js';

/**
 * Orthonormal DCT-II / DCT-III of one length N on two real channels at once
 * (Makhoul's one-FFT algorithm; the two channels share one complex FFT as its
 * real and imaginary parts). Internal: the public surface is {@link DctPlan}
 * and the compressor, which lay out the packed buffers themselves to avoid a copy.
 *
 * Packed layout (2N doubles): channel a's x_n at `[2 * perm[n]]`, b's at
 * `[2 * perm[n] + 1]`. `forward(packed, ya, yb, K)` writes y_0..y_{K-1} of
 * both channels; `inverse(ya, yb, gain, packed)` reads N coefficients of each
 * and writes the samples in the packed layout. `packed` is scratch a caller may use.
 */
export class PairedDct {
  readonly n: number;
  /** Position in Makhoul's reordered sequence v of sample x_n. */
  readonly perm: Int32Array;
  readonly packed: Float64Array;
  readonly #spectrum: Float64Array;
  readonly #fft: ComplexFft;
  /** s_k cos(pi k / 2N) / 2 and s_k sin(pi k / 2N) / 2 (forward twiddles with the orthonormal scale). */
  readonly fwdCos: Float64Array;
  readonly fwdSin: Float64Array;
  /** cos(pi k / 2N) / s_k and sin(pi k / 2N) / s_k (inverse twiddles with the orthonormal scale undone). */
  readonly invCos: Float64Array;
  readonly invSin: Float64Array;

  constructor(n: number) {
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new FreqKvError('INVALID_LENGTH', `DCT length must be an integer >= 1; got ${String(n)}`);
    }
    this.n = n;
    this.#fft = createComplexFft(n);
    this.perm = new Int32Array(n);
    for (let i = 0; 2 * i < n; i++) this.perm[2 * i] = i;
    for (let i = 0; 2 * i + 1 < n; i++) this.perm[2 * i + 1] = n - 1 - i;
    this.packed = new Float64Array(2 * n);
    this.#spectrum = new Float64Array(2 * n);
    this.fwdCos = new Float64Array(n);
    this.fwdSin = new Float64Array(n);
    this.invCos = new Float64Array(n);
    this.invSin = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const s = k === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n);
      const theta = (Math.PI * k) / (2 * n);
      this.fwdCos[k] = (s * Math.cos(theta)) / 2;
      this.fwdSin[k] = (s * Math.sin(theta)) / 2;
      this.invCos[k] = Math.cos(theta) / s;
      this.invSin[k] = Math.sin(theta) / s;
    }
  }

  /**
   * DCT-II of the two packed channels; writes the first `count` coefficients
   * (count <= N) and returns their energy (sum of squares over both channels).
   */
  forward(packed: Float64Array, ya: Float64Array, yb: Float64Array, count: number): number {
    const n = this.n;
    const z = this.#spectrum;
    const c = this.fwdCos;
    const s = this.fwdSin;
    this.#fft.forward(z, packed);
    const a0 = (c[0] as number) * 2 * (z[0] as number);
    const b0 = (c[0] as number) * 2 * (z[1] as number);
    ya[0] = a0;
    yb[0] = b0;
    let energy = a0 * a0 + b0 * b0;
    for (let k = 1; k < count; k++) {
      const zr = z[2 * k] as number;
      const zi = z[2 * k + 1] as number;
      const j = 2 * (n - k);
      const wr = z[j] as number;
      const wi = z[j + 1] as number;
      const ck = c[k] as number;
      const sk = s[k] as number;
      const a = ck * (zr + wr) + sk * (zi - wi);
      const b = ck * (zi + wi) + sk * (wr - zr);
      ya[k] = a;
      yb[k] = b;
      energy += a * a + b * b;
    }
    return energy;
  }

  /** DCT-III (the inverse) of N coefficients per channel, each multiplied by `gain`, into `packed`. */
  inverse(ya: Float64Array, yb: Float64Array, gain: number, packed: Float64Array): void {
    const n = this.n;
    const w = this.#spectrum;
    const cs = this.invCos;
    const sn = this.invSin;
    // IFFT(V)_n = FFT(V')_n with V'_k = V_(-k mod N) / N: writing V reversed and scaled here saves
    // the inverse transform's own scaling pass. 1 / s_k is sqrt(n) for k = 0 and sqrt(n / 2) for
    // every other k (already in the tables).
    const g = gain / n;
    const g0 = Math.sqrt(n) * g;
    w[0] = (ya[0] as number) * g0;
    w[1] = (yb[0] as number) * g0;
    for (let k = 1; k < n; k++) {
      const m = n - k;
      const ak = ya[k] as number;
      const am = ya[m] as number;
      const bk = yb[k] as number;
      const bm = yb[m] as number;
      const c = cs[k] as number;
      const s = sn[k] as number;
      w[2 * m] = g * (c * (ak + bm) + s * (am - bk));
      w[2 * m + 1] = g * (s * (ak + bm) - c * (am - bk));
    }
    this.#fft.forward(packed, w);
  }
}

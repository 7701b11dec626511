import { createComplexFft, nextPowerOfTwo } from '@globalmcp/tensor';
import type { ComplexFft } from '@globalmcp/tensor';
import type { LococoKernels } from './kernels.js';
import { complexRowDots } from './linalg.js';
import { withResidentArrays } from './simd.js';

/**
 * The fused slots' convolution logits for sequences of `n` tokens:
 * out[r * n + i] = bias[r] + sum_{f, j} weights[r, f, j] * xt[f, i + j - pad],
 * with xt feature-major [F x n] and zero outside [0, n).
 */
export interface Convolution {
  logits(xt: Float64Array, out: Float64Array): void;
}

/**
 * Picks the cheaper of the direct sum (R F k n multiply-adds) and an
 * overlap-save FFT convolution (about 2 R F n plus the transforms), which
 * wins from kernel sizes of about 7 on: at the default 21 it does a tenth of
 * the work. Both give the same logits to rounding (~1e-15 relative).
 */
export function planConvolution(kernels: LococoKernels, n: number): Convolution {
  const block = fftBlockSize(kernels.size, n);
  const { fused: r, features: f, size: k } = kernels;
  const direct = r * f * k * n;
  const step = block - (k - 1);
  const blocks = Math.ceil(n / step);
  const transform = block * Math.log2(block) * 3;
  const viaFft = blocks * (block / 2 + 1) * r * f * 4 + blocks * ((f + r) / 2) * transform + ((r * f) / 2) * transform;
  return viaFft < direct ? new FftConvolution(kernels, n, block) : new DirectConvolution(kernels, n);
}

/** FFT length for kernel size k: about 8 (k - 1) so the overlap wastes ~1/8 of each block, but no longer than n needs. */
function fftBlockSize(k: number, n: number): number {
  return Math.max(16, Math.min(nextPowerOfTwo(8 * (k - 1)), nextPowerOfTwo(n + k - 1), 1024));
}

export class DirectConvolution implements Convolution {
  readonly #kernels: LococoKernels;
  readonly #n: number;

  constructor(kernels: LococoKernels, n: number) {
    this.#kernels = kernels;
    this.#n = n;
  }

  logits(xt: Float64Array, out: Float64Array): void {
    const { fused: r, features: f, size: k, weights, bias } = this.#kernels;
    const n = this.#n;
    const pad = (k - 1) / 2;
    for (let o = 0; o < r; o++) {
      const row = o * n;
      out.fill(bias[o] as number, row, row + n);
      for (let c = 0; c < f; c++) {
        const src = c * n;
        for (let j = 0; j < k; j++) {
          const w = weights[(o * f + c) * k + j] as number;
          if (w === 0) continue;
          const shift = j - pad;
          const from = Math.max(0, -shift);
          const to = Math.min(n, n - shift);
          for (let i = from; i < to; i++) out[row + i] = (out[row + i] as number) + w * (xt[src + i + shift] as number);
        }
      }
    }
  }
}

/**
 * Overlap-save: the tokens are cut into blocks of `step` outputs; each block's
 * input window (step + k - 1 tokens) is transformed, multiplied by the
 * conjugated kernel spectra and summed over the features for every output
 * slot (one complex matrix product per frequency), and transformed back.
 * Inputs and outputs are real, so two channels share each complex transform.
 */
export class FftConvolution implements Convolution {
  readonly #kernels: LococoKernels;
  readonly #n: number;
  readonly #block: number;
  readonly #step: number;
  readonly #blocks: number;
  readonly #half: number;
  readonly #fft: ComplexFft;
  /** Conjugated kernel spectra, [half x R x F]. */
  readonly #wRe: Float64Array;
  readonly #wIm: Float64Array;
  readonly #time: Float64Array;
  readonly #freq: Float64Array;

  constructor(kernels: LococoKernels, n: number, block: number) {
    const { fused: r, features: f, size: k, weights } = kernels;
    this.#kernels = kernels;
    this.#n = n;
    this.#block = block;
    this.#step = block - (k - 1);
    this.#blocks = Math.ceil(n / this.#step);
    this.#half = block / 2 + 1;
    this.#fft = createComplexFft(block);
    this.#time = new Float64Array(2 * block);
    this.#freq = new Float64Array(2 * block);
    this.#wRe = new Float64Array(this.#half * r * f);
    this.#wIm = new Float64Array(this.#half * r * f);
    const rows = r * f;
    for (let at = 0; at < rows; at += 2) {
      this.#time.fill(0);
      for (let j = 0; j < k; j++) {
        this.#time[2 * j] = weights[at * k + j] as number;
        if (at + 1 < rows) this.#time[2 * j + 1] = weights[(at + 1) * k + j] as number;
      }
      this.#fft.forward(this.#freq, this.#time);
      this.#unpack((fr, a, b) => {
        this.#wRe[fr * rows + at] = a[0];
        this.#wIm[fr * rows + at] = -a[1];
        if (at + 1 < rows) {
          this.#wRe[fr * rows + at + 1] = b[0];
          this.#wIm[fr * rows + at + 1] = -b[1];
        }
      });
    }
  }

  logits(xt: Float64Array, out: Float64Array): void {
    const { fused: r, features: f, size: k, bias } = this.#kernels;
    const n = this.#n;
    const pad = (k - 1) / 2;
    const block = this.#block;
    const step = this.#step;
    const blocks = this.#blocks;
    const half = this.#half;
    const time = this.#time;
    const freq = this.#freq;
    // the spectra live where the SIMD complex products read and write them in place
    withResidentArrays((resident) => {
      // input spectra [half x blocks x F]
      const sRe = resident(half * blocks * f);
      const sIm = resident(half * blocks * f);
      for (let c = 0; c < f; c += 2) {
        const second = c + 1 < f;
        for (let b = 0; b < blocks; b++) {
          const start = b * step - pad;
          const from = Math.max(0, -start);
          const to = Math.min(block, n - start);
          time.fill(0);
          for (let m = from; m < to; m++) {
            time[2 * m] = xt[c * n + start + m] as number;
            if (second) time[2 * m + 1] = xt[(c + 1) * n + start + m] as number;
          }
          this.#fft.forward(freq, time);
          this.#unpack((fr, a, s) => {
            const at = (fr * blocks + b) * f + c;
            sRe[at] = a[0];
            sIm[at] = a[1];
            if (second) {
              sRe[at + 1] = s[0];
              sIm[at + 1] = s[1];
            }
          });
        }
      }
      // output spectra [half x R x blocks]
      const zRe = resident(half * r * blocks);
      const zIm = resident(half * r * blocks);
      for (let fr = 0; fr < half; fr++) complexRowDots(this.#wRe, this.#wIm, fr * r * f, r, sRe, sIm, fr * blocks * f, blocks, f, zRe, zIm, fr * r * blocks);
      for (let o = 0; o < r; o += 2) {
        const second = o + 1 < r;
        for (let b = 0; b < blocks; b++) {
          // Q = Z_o + i Z_{o+1}, both Hermitian: Q(B - f) = conj(Z_o(f)) + i conj(Z_{o+1}(f))
          for (let fr = 0; fr < half; fr++) {
            const za = (fr * r + o) * blocks + b;
            const ar = zRe[za] as number;
            const ai = zIm[za] as number;
            const br = second ? (zRe[za + blocks] as number) : 0;
            const bi = second ? (zIm[za + blocks] as number) : 0;
            freq[2 * fr] = ar - bi;
            freq[2 * fr + 1] = ai + br;
            if (fr > 0 && fr < half - 1) {
              const mirror = block - fr;
              freq[2 * mirror] = ar + bi;
              freq[2 * mirror + 1] = br - ai;
            }
          }
          this.#fft.inverse(time, freq);
          const first = b * step;
          const count = Math.min(step, n - first);
          const rowA = o * n + first;
          const biasA = bias[o] as number;
          for (let t = 0; t < count; t++) out[rowA + t] = (time[2 * t] as number) + biasA;
          if (second) {
            const rowB = rowA + n;
            const biasB = bias[o + 1] as number;
            for (let t = 0; t < count; t++) out[rowB + t] = (time[2 * t + 1] as number) + biasB;
          }
        }
      }
    });
  }

  /** Splits the spectrum in #freq of x_a + i x_b (both real) into X_a(f) and X_b(f) for f in [0, block / 2]. */
  #unpack(take: (fr: number, a: [number, number], b: [number, number]) => void): void {
    const freq = this.#freq;
    const block = this.#block;
    const a: [number, number] = [0, 0];
    const b: [number, number] = [0, 0];
    for (let fr = 0; fr < this.#half; fr++) {
      const mirror = (block - fr) % block;
      const pr = freq[2 * fr] as number;
      const pi = freq[2 * fr + 1] as number;
      const mr = freq[2 * mirror] as number;
      const mi = freq[2 * mirror + 1] as number;
      // X_a = (P(f) + conj(P(-f))) / 2, X_b = (P(f) - conj(P(-f))) / 2i
      a[0] = (pr + mr) / 2;
      a[1] = (pi - mi) / 2;
      b[0] = (pi + mi) / 2;
      b[1] = (mr - pr) / 2;
      take(fr, a, b);
    }
  }
}

import FFT from 'fft.js';
import { TensorError } from './tensorError.js';
import { MAX_MIXED_RADIX_PRIME, MixedRadixFft, radixFactors } from './mixedRadixFft.js';

/**
 * A complex FFT of one fixed length on interleaved `[re0, im0, re1, im1, ...]`
 * Float64Arrays. `forward` uses the kernel e^{-2 pi i n k / N}; `inverse`
 * uses e^{+2 pi i n k / N} and divides by N. Input and output must be
 * different buffers; the input is left untouched. Neither allocates.
 */
export interface ComplexFft {
  readonly size: number;
  forward(out: Float64Array, input: Float64Array): void;
  inverse(out: Float64Array, input: Float64Array): void;
}

/** The only place that touches fft.js, whose type declarations are all `any`. */
interface FftJs {
  transform(out: Float64Array, data: Float64Array): void;
  inverseTransform(out: Float64Array, data: Float64Array): void;
}

export function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** fft.js for a power of two >= 2. */
class Radix2Fft implements ComplexFft {
  readonly size: number;
  readonly #fft: FftJs;

  constructor(size: number) {
    this.size = size;
    this.#fft = new FFT(size) as unknown as FftJs;
  }

  forward(out: Float64Array, input: Float64Array): void {
    this.#fft.transform(out, input);
  }

  inverse(out: Float64Array, input: Float64Array): void {
    this.#fft.inverseTransform(out, input);
  }
}

/** N = 1: the transform is the identity. */
class UnitFft implements ComplexFft {
  readonly size = 1;

  forward(out: Float64Array, input: Float64Array): void {
    out[0] = input[0] as number;
    out[1] = input[1] as number;
  }

  inverse(out: Float64Array, input: Float64Array): void {
    this.forward(out, input);
  }
}

/**
 * Bluestein's chirp-z FFT for any N, on top of a power-of-two FFT of size
 * P >= 2N - 1: X_k = conj(w_k) * (a conv b)_k with w_m = e^{i pi m^2 / N},
 * a_n = x_n conj(w_n), b_m = w_{|m|}. m^2 is reduced mod 2N before the
 * cosine so the phase stays exact for large m.
 */
class BluesteinFft implements ComplexFft {
  readonly size: number;
  readonly #inner: Radix2Fft;
  /** w_m for m < N, interleaved. */
  readonly #chirp: Float64Array;
  /** FFT_P(b). */
  readonly #kernel: Float64Array;
  /** a, zero-padded to P: only its first N entries are ever written. */
  readonly #padded: Float64Array;
  readonly #work: Float64Array;
  readonly #spectrum: Float64Array;

  constructor(size: number) {
    this.size = size;
    const p = nextPowerOfTwo(2 * size - 1);
    this.#inner = new Radix2Fft(p);
    this.#chirp = new Float64Array(2 * size);
    const twoN = 2 * size;
    for (let m = 0; m < size; m++) {
      const phase = (Math.PI * ((m * m) % twoN)) / size;
      this.#chirp[2 * m] = Math.cos(phase);
      this.#chirp[2 * m + 1] = Math.sin(phase);
    }
    const b = new Float64Array(2 * p);
    for (let m = 0; m < size; m++) {
      const re = this.#chirp[2 * m] as number;
      const im = this.#chirp[2 * m + 1] as number;
      b[2 * m] = re;
      b[2 * m + 1] = im;
      if (m > 0) {
        b[2 * (p - m)] = re;
        b[2 * (p - m) + 1] = im;
      }
    }
    this.#kernel = new Float64Array(2 * p);
    this.#inner.forward(this.#kernel, b);
    this.#padded = new Float64Array(2 * p);
    this.#work = new Float64Array(2 * p);
    this.#spectrum = new Float64Array(2 * p);
  }

  forward(out: Float64Array, input: Float64Array): void {
    this.#run(out, input, 1, 1);
  }

  inverse(out: Float64Array, input: Float64Array): void {
    // IFFT(x) = conj(FFT(conj(x))) / N
    this.#run(out, input, -1, 1 / this.size);
  }

  /** `sign` = -1 conjugates input and output; `scale` multiplies the output. */
  #run(out: Float64Array, input: Float64Array, sign: number, scale: number): void {
    const n = this.size;
    const chirp = this.#chirp;
    const padded = this.#padded;
    const work = this.#work;
    const spectrum = this.#spectrum;
    const kernel = this.#kernel;
    for (let m = 0; m < n; m++) {
      const xr = input[2 * m] as number;
      const xi = sign * (input[2 * m + 1] as number);
      const wr = chirp[2 * m] as number;
      const wi = chirp[2 * m + 1] as number;
      // x * conj(w)
      padded[2 * m] = xr * wr + xi * wi;
      padded[2 * m + 1] = xi * wr - xr * wi;
    }
    this.#inner.forward(spectrum, padded);
    const len = spectrum.length;
    for (let j = 0; j < len; j += 2) {
      const ar = spectrum[j] as number;
      const ai = spectrum[j + 1] as number;
      const br = kernel[j] as number;
      const bi = kernel[j + 1] as number;
      spectrum[j] = ar * br - ai * bi;
      spectrum[j + 1] = ar * bi + ai * br;
    }
    this.#inner.inverse(work, spectrum);
    for (let k = 0; k < n; k++) {
      const cr = work[2 * k] as number;
      const ci = work[2 * k + 1] as number;
      const wr = chirp[2 * k] as number;
      const wi = chirp[2 * k + 1] as number;
      // conj(w) * c
      out[2 * k] = scale * (cr * wr + ci * wi);
      out[2 * k + 1] = sign * scale * (ci * wr - cr * wi);
    }
  }
}

/**
 * A complex FFT plan for any length N >= 1: fft.js for powers of two, a
 * mixed-radix transform when every prime factor is small (4092 = 4 * 3 * 11 * 31),
 * Bluestein on fft.js otherwise (primes, and lengths with a large prime factor).
 */
export function createComplexFft(size: number): ComplexFft {
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new TensorError('INVALID_ARGUMENT', `FFT length must be an integer >= 1; got ${String(size)}`);
  }
  if (size === 1) return new UnitFft();
  if (isPowerOfTwo(size)) return new Radix2Fft(size);
  const largestPrime = Math.max(...radixFactors(size));
  return largestPrime <= MAX_MIXED_RADIX_PRIME ? new MixedRadixFft(size) : new BluesteinFft(size);
}

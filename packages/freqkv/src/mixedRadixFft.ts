import type { ComplexFft } from './complexFft.js';

/**
 * Largest prime factor handled by the mixed-radix path. Above it a radix-p
 * stage (about p^2 / 2 multiply-adds per p points) costs more than
 * Bluestein's two power-of-two FFTs of about 2N points.
 */
export const MAX_MIXED_RADIX_PRIME = 64;

/** Factors of n in the order the transform applies them: 4s, then 2s, then odd primes ascending. */
export function radixFactors(n: number): number[] {
  const factors: number[] = [];
  let rest = n;
  while (rest % 4 === 0) {
    factors.push(4);
    rest /= 4;
  }
  while (rest % 2 === 0) {
    factors.push(2);
    rest /= 2;
  }
  for (let p = 3; p * p <= rest; p += 2) {
    while (rest % p === 0) {
      factors.push(p);
      rest /= p;
    }
  }
  if (rest > 1) factors.push(rest);
  return factors;
}

/**
 * A mixed-radix decimation-in-time complex FFT (the KissFFT recursion) for
 * lengths whose prime factors are all small, such as FreqKV's default span
 * 4092 = 4 * 3 * 11 * 31. fft.js only handles powers of two, and Bluestein's
 * algorithm on top of it costs two FFTs of the next power of two >= 2N - 1;
 * for such lengths this is about twice as fast and as exact.
 *
 * Radix 2, 3 and 4 have their own butterflies; other odd radices use one
 * generic butterfly that pairs outputs k and p - k, halving its multiplies.
 */
export class MixedRadixFft implements ComplexFft {
  readonly size: number;
  /** [p0, m0, p1, m1, ...]: at level i, p_i sub-transforms of length m_i are combined. */
  readonly #plan: Int32Array;
  /** e^{-2 pi i k / N}, interleaved, k < N. */
  readonly #twiddle: Float64Array;
  /** Per odd radix p > 3: cos and sin of 2 pi q k / p for q, k in 1..(p-1)/2, as [k * h + q]. */
  readonly #cos = new Map<number, Float64Array>();
  readonly #sin = new Map<number, Float64Array>();
  /** Twiddled inputs of one generic butterfly, and the pair sums/differences. */
  readonly #x: Float64Array;
  readonly #pairs: Float64Array;
  readonly #conj: Float64Array;

  constructor(size: number) {
    this.size = size;
    const factors = radixFactors(size);
    this.#plan = new Int32Array(2 * factors.length);
    let m = size;
    factors.forEach((p, i) => {
      m /= p;
      this.#plan[2 * i] = p;
      this.#plan[2 * i + 1] = m;
    });
    this.#twiddle = new Float64Array(2 * size);
    for (let k = 0; k < size; k++) {
      const phase = (-2 * Math.PI * k) / size;
      this.#twiddle[2 * k] = Math.cos(phase);
      this.#twiddle[2 * k + 1] = Math.sin(phase);
    }
    let maxRadix = 4;
    for (const p of factors) {
      maxRadix = Math.max(maxRadix, p);
      if (p > 4 && !this.#cos.has(p)) {
        const h = (p - 1) / 2;
        const c = new Float64Array((h + 1) * (h + 1));
        const s = new Float64Array((h + 1) * (h + 1));
        for (let k = 1; k <= h; k++) {
          for (let q = 1; q <= h; q++) {
            const phase = (2 * Math.PI * ((q * k) % p)) / p;
            c[k * h + q] = Math.cos(phase);
            s[k * h + q] = Math.sin(phase);
          }
        }
        this.#cos.set(p, c);
        this.#sin.set(p, s);
      }
    }
    this.#x = new Float64Array(2 * maxRadix);
    this.#pairs = new Float64Array(4 * maxRadix);
    this.#conj = new Float64Array(2 * size);
  }

  forward(out: Float64Array, input: Float64Array): void {
    this.#work(out, 0, input, 0, 1, 0);
  }

  /** IFFT(x) = conj(FFT(conj(x))) / N. */
  inverse(out: Float64Array, input: Float64Array): void {
    const n2 = 2 * this.size;
    const conj = this.#conj;
    for (let i = 0; i < n2; i += 2) {
      conj[i] = input[i] as number;
      conj[i + 1] = -(input[i + 1] as number);
    }
    this.#work(out, 0, conj, 0, 1, 0);
    const scale = 1 / this.size;
    for (let i = 0; i < n2; i += 2) {
      out[i] = (out[i] as number) * scale;
      out[i + 1] = -(out[i + 1] as number) * scale;
    }
  }

  /** Output complex elements [outAt, outAt + p*m) from input elements inAt + j * stride. */
  #work(out: Float64Array, outAt: number, input: Float64Array, inAt: number, stride: number, level: number): void {
    const p = this.#plan[2 * level] as number;
    const m = this.#plan[2 * level + 1] as number;
    if (m === 1) {
      for (let j = 0; j < p; j++) {
        const src = 2 * (inAt + j * stride);
        out[2 * (outAt + j)] = input[src] as number;
        out[2 * (outAt + j) + 1] = input[src + 1] as number;
      }
    } else {
      for (let j = 0; j < p; j++) this.#work(out, outAt + j * m, input, inAt + j * stride, stride * p, level + 1);
    }
    if (p === 4) this.#radix4(out, outAt, stride, m);
    else if (p === 2) this.#radix2(out, outAt, stride, m);
    else if (p === 3) this.#radix3(out, outAt, stride, m);
    else this.#radixOdd(out, outAt, stride, m, p);
  }

  #radix2(out: Float64Array, at: number, stride: number, m: number): void {
    const tw = this.#twiddle;
    for (let u = 0; u < m; u++) {
      const a = 2 * (at + u);
      const b = a + 2 * m;
      const t = 2 * u * stride;
      const wr = tw[t] as number;
      const wi = tw[t + 1] as number;
      const br = out[b] as number;
      const bi = out[b + 1] as number;
      const tr = br * wr - bi * wi;
      const ti = br * wi + bi * wr;
      const ar = out[a] as number;
      const ai = out[a + 1] as number;
      out[b] = ar - tr;
      out[b + 1] = ai - ti;
      out[a] = ar + tr;
      out[a + 1] = ai + ti;
    }
  }

  #radix3(out: Float64Array, at: number, stride: number, m: number): void {
    const tw = this.#twiddle;
    const s3 = -Math.sqrt(3) / 2; // sin(-2 pi / 3)
    for (let u = 0; u < m; u++) {
      const i0 = 2 * (at + u);
      const i1 = i0 + 2 * m;
      const i2 = i1 + 2 * m;
      const t1 = 2 * u * stride;
      const t2 = 2 * t1;
      const x1r = (out[i1] as number) * (tw[t1] as number) - (out[i1 + 1] as number) * (tw[t1 + 1] as number);
      const x1i = (out[i1] as number) * (tw[t1 + 1] as number) + (out[i1 + 1] as number) * (tw[t1] as number);
      const x2r = (out[i2] as number) * (tw[t2] as number) - (out[i2 + 1] as number) * (tw[t2 + 1] as number);
      const x2i = (out[i2] as number) * (tw[t2 + 1] as number) + (out[i2 + 1] as number) * (tw[t2] as number);
      const sr = x1r + x2r;
      const si = x1i + x2i;
      const dr = (x1r - x2r) * s3;
      const di = (x1i - x2i) * s3;
      const x0r = out[i0] as number;
      const x0i = out[i0 + 1] as number;
      const mr = x0r - 0.5 * sr;
      const mi = x0i - 0.5 * si;
      out[i0] = x0r + sr;
      out[i0 + 1] = x0i + si;
      // y1 = m + i * d, y2 = m - i * d (with d already times sin(-2 pi / 3))
      out[i1] = mr - di;
      out[i1 + 1] = mi + dr;
      out[i2] = mr + di;
      out[i2 + 1] = mi - dr;
    }
  }

  #radix4(out: Float64Array, at: number, stride: number, m: number): void {
    const tw = this.#twiddle;
    for (let u = 0; u < m; u++) {
      const i0 = 2 * (at + u);
      const i1 = i0 + 2 * m;
      const i2 = i1 + 2 * m;
      const i3 = i2 + 2 * m;
      const t1 = 2 * u * stride;
      const t2 = 2 * t1;
      const t3 = t1 + t2;
      const x1r = (out[i1] as number) * (tw[t1] as number) - (out[i1 + 1] as number) * (tw[t1 + 1] as number);
      const x1i = (out[i1] as number) * (tw[t1 + 1] as number) + (out[i1 + 1] as number) * (tw[t1] as number);
      const x2r = (out[i2] as number) * (tw[t2] as number) - (out[i2 + 1] as number) * (tw[t2 + 1] as number);
      const x2i = (out[i2] as number) * (tw[t2 + 1] as number) + (out[i2 + 1] as number) * (tw[t2] as number);
      const x3r = (out[i3] as number) * (tw[t3] as number) - (out[i3 + 1] as number) * (tw[t3 + 1] as number);
      const x3i = (out[i3] as number) * (tw[t3 + 1] as number) + (out[i3 + 1] as number) * (tw[t3] as number);
      const x0r = out[i0] as number;
      const x0i = out[i0 + 1] as number;
      const ar = x0r + x2r;
      const ai = x0i + x2i;
      const br = x0r - x2r;
      const bi = x0i - x2i;
      const cr = x1r + x3r;
      const ci = x1i + x3i;
      const dr = x1r - x3r;
      const di = x1i - x3i;
      out[i0] = ar + cr;
      out[i0 + 1] = ai + ci;
      out[i2] = ar - cr;
      out[i2 + 1] = ai - ci;
      // kernel e^{-i pi / 2} = -i: y1 = b - i d, y3 = b + i d
      out[i1] = br + di;
      out[i1 + 1] = bi - dr;
      out[i3] = br - di;
      out[i3 + 1] = bi + dr;
    }
  }

  /** Radix p (odd): y_k = x_0 + sum_q [a_q cos(2 pi q k / p) - i b_q sin(2 pi q k / p)], a_q = x_q + x_{p-q}, b_q = x_q - x_{p-q}. */
  #radixOdd(out: Float64Array, at: number, stride: number, m: number, p: number): void {
    const h = (p - 1) / 2;
    const cos = this.#cos.get(p) as Float64Array;
    const sin = this.#sin.get(p) as Float64Array;
    const x = this.#x;
    const pairs = this.#pairs;
    for (let u = 0; u < m; u++) {
      const base = 2 * (at + u);
      // q * u * stride < N = stride * p * m, so twiddle indices need no reduction
      this.#twiddleInputs(out, base, m, p, 2 * u * stride);
      const x0r = x[0] as number;
      const x0i = x[1] as number;
      let y0r = x0r;
      let y0i = x0i;
      for (let q = 1; q <= h; q++) {
        const ar = (x[2 * q] as number) + (x[2 * (p - q)] as number);
        const ai = (x[2 * q + 1] as number) + (x[2 * (p - q) + 1] as number);
        pairs[4 * q] = ar;
        pairs[4 * q + 1] = ai;
        pairs[4 * q + 2] = (x[2 * q] as number) - (x[2 * (p - q)] as number);
        pairs[4 * q + 3] = (x[2 * q + 1] as number) - (x[2 * (p - q) + 1] as number);
        y0r += ar;
        y0i += ai;
      }
      out[base] = y0r;
      out[base + 1] = y0i;
      // Two outputs (k, k + 1) per pass share every load of the pair sums.
      let k = 1;
      for (; k + 1 <= h; k += 2) {
        let cr0 = x0r;
        let ci0 = x0i;
        let sr0 = 0;
        let si0 = 0;
        let cr1 = x0r;
        let ci1 = x0i;
        let sr1 = 0;
        let si1 = 0;
        const row0 = k * h;
        const row1 = row0 + h;
        for (let q = 1; q <= h; q++) {
          const ar = pairs[4 * q] as number;
          const ai = pairs[4 * q + 1] as number;
          const br = pairs[4 * q + 2] as number;
          const bi = pairs[4 * q + 3] as number;
          const c0 = cos[row0 + q] as number;
          const s0 = sin[row0 + q] as number;
          const c1 = cos[row1 + q] as number;
          const s1 = sin[row1 + q] as number;
          cr0 += ar * c0;
          ci0 += ai * c0;
          sr0 += br * s0;
          si0 += bi * s0;
          cr1 += ar * c1;
          ci1 += ai * c1;
          sr1 += br * s1;
          si1 += bi * s1;
        }
        this.#writePair(out, base, m, p, k, cr0, ci0, sr0, si0);
        this.#writePair(out, base, m, p, k + 1, cr1, ci1, sr1, si1);
      }
      if (k === h) {
        let cr = x0r;
        let ci = x0i;
        let sr = 0;
        let si = 0;
        const row = k * h;
        for (let q = 1; q <= h; q++) {
          const c = cos[row + q] as number;
          const sn = sin[row + q] as number;
          cr += (pairs[4 * q] as number) * c;
          ci += (pairs[4 * q + 1] as number) * c;
          sr += (pairs[4 * q + 2] as number) * sn;
          si += (pairs[4 * q + 3] as number) * sn;
        }
        this.#writePair(out, base, m, p, k, cr, ci, sr, si);
      }
    }
  }

  /** y_k = (cr + si, ci - sr) and y_{p-k} = (cr - si, ci + sr). */
  #writePair(out: Float64Array, base: number, m: number, p: number, k: number, cr: number, ci: number, sr: number, si: number): void {
    const ik = base + 2 * k * m;
    const ipk = base + 2 * (p - k) * m;
    out[ik] = cr + si;
    out[ik + 1] = ci - sr;
    out[ipk] = cr - si;
    out[ipk + 1] = ci + sr;
  }

  /** x_q = out[base + q m] * W^(q u stride) for q < p, where `step` = 2 u stride. */
  #twiddleInputs(out: Float64Array, base: number, m: number, p: number, step: number): void {
    const tw = this.#twiddle;
    const x = this.#x;
    for (let q = 0, t = 0; q < p; q++, t += step) {
      const i = base + 2 * q * m;
      const vr = out[i] as number;
      const vi = out[i + 1] as number;
      const wr = tw[t] as number;
      const wi = tw[t + 1] as number;
      x[2 * q] = vr * wr - vi * wi;
      x[2 * q + 1] = vr * wi + vi * wr;
    }
  }
}

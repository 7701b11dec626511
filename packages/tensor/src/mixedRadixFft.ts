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
 * for such lengths this is several times faster and as exact.
 *
 * Radix 2, 3, 4 and 11 have their own butterflies (11 written out, with outputs
 * k and 11 - k paired). When 31 is the last factor, as in 4092 and 2046, the
 * first stage applied is all its radix-31 butterflies at once by Rader's
 * algorithm ({@link raderLeaf}): about 1,250 flops per butterfly instead of
 * 1,900, in loops over contiguous rows. Other odd radices use one generic
 * butterfly that pairs outputs k and p - k, halving its multiplies. On the
 * reference machine this took a 4092-point transform from 169 us to about 85-90 us
 * (fft.js at 4096: 47 us).
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
  /**
   * When the last factor (the first stage applied) is 31, that whole stage runs
   * at once by Rader's algorithm (see {@link raderLeaf}); undefined otherwise.
   */
  readonly #leaf: RaderLeaf | undefined;

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
    if (factors[factors.length - 1] === RADER_PRIME) {
      const level = factors.length - 1;
      const lanes = size / RADER_PRIME;
      const leafOut = new Int32Array(lanes);
      // where the recursion in #work would put the outputs of the leaf butterfly reading input r + q lanes
      const walk = (outAt: number, inAt: number, stride: number, at: number): void => {
        if (at === level) {
          leafOut[inAt] = outAt;
          return;
        }
        const p = this.#plan[2 * at] as number;
        const m = this.#plan[2 * at + 1] as number;
        for (let j = 0; j < p; j++) walk(outAt + j * m, inAt + j * stride, stride * p, at + 1);
      };
      walk(0, 0, 1, 0);
      this.#leaf = { ...raderPlan(RADER_PRIME), level, lanes, leafOut, rows: new Float64Array(2 * (RADER_PRIME - 1) * lanes) };
    } else {
      this.#leaf = undefined;
    }
    this.#x = new Float64Array(2 * maxRadix);
    this.#pairs = new Float64Array(4 * maxRadix);
  }

  forward(out: Float64Array, input: Float64Array): void {
    if (this.#leaf !== undefined) raderLeaf(this.#leaf, input, out);
    this.#work(out, 0, input, 0, 1, 0);
  }

  /** IFFT(x)_n = FFT(x)_(-n mod N) / N: one forward transform, then reverse and scale in place. */
  inverse(out: Float64Array, input: Float64Array): void {
    this.forward(out, input);
    const n = this.size;
    const scale = 1 / n;
    out[0] = (out[0] as number) * scale;
    out[1] = (out[1] as number) * scale;
    for (let k = 1, j = n - 1; k <= j; k++, j--) {
      const a = 2 * k;
      const b = 2 * j;
      const ar = (out[a] as number) * scale;
      const ai = (out[a + 1] as number) * scale;
      out[a] = (out[b] as number) * scale;
      out[a + 1] = (out[b + 1] as number) * scale;
      out[b] = ar;
      out[b + 1] = ai;
    }
  }

  /** Output complex elements [outAt, outAt + p*m) from input elements inAt + j * stride. */
  #work(out: Float64Array, outAt: number, input: Float64Array, inAt: number, stride: number, level: number): void {
    if (level === this.#leaf?.level) return; // done for all butterflies at once by raderLeaf
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
    else if (p === 11) radix11(out, this.#twiddle, outAt, stride, m);
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

/** The radix done by Rader's algorithm: its convolution length 30 = 2 * 3 * 5 has a twiddle-free prime-factor FFT. */
const RADER_PRIME = 31;

/**
 * Tables for Rader's algorithm at prime p = 31: the p - 1 inputs x_q, q != 0,
 * reordered by powers of a primitive root g, are cyclically convolved with
 * b_m = W_p^(g^-m), and y_(g^-n) = x_0 + (a conv b)_n. The convolution takes
 * two prime-factor (Good-Thomas) FFTs of length L = 30 over a 2 x 3 x 5 array:
 * position t = 15 i2 + 5 i3 + i5 holds sequence index n = (15 i2 + 10 i3 + 6 i5) mod L
 * before a pass and frequency k (k = i2 mod 2, i3 mod 3, i5 mod 5) after it,
 * and the other way round for the second pass.
 */
interface RaderPlan {
  p: number;
  /** Input index q = g^n mod p read into position t. */
  inIndex: Int32Array;
  /** Output index g^-n mod p of the convolution term at position t after the second pass. */
  outIndex: Int32Array;
  /** DFT_L(b)_k / L at position t, interleaved. */
  kernel: Float64Array;
}

/** A Rader plan for a whole stage of `lanes` butterflies; butterfly r reads input[r + q lanes] and writes p outputs from leafOut[r]. */
interface RaderLeaf extends RaderPlan {
  level: number;
  lanes: number;
  leafOut: Int32Array;
  /** Scratch: row t holds position t of every butterfly, 2 * lanes doubles per row. */
  rows: Float64Array;
}

function raderPlan(p: number): RaderPlan {
  const length = p - 1;
  const g = primitiveRoot(p);
  const power = new Int32Array(length); // g^n mod p
  const inversePower = new Int32Array(length); // g^-n mod p
  for (let n = 0, v = 1; n < length; n++, v = (v * g) % p) power[n] = v;
  for (let n = 0; n < length; n++) inversePower[n] = power[(length - n) % length] as number;
  const inIndex = new Int32Array(length);
  const outIndex = new Int32Array(length);
  const kernel = new Float64Array(2 * length);
  for (let i2 = 0; i2 < 2; i2++) {
    for (let i3 = 0; i3 < 3; i3++) {
      for (let i5 = 0; i5 < 5; i5++) {
        const t = 15 * i2 + 5 * i3 + i5;
        const n = (15 * i2 + 10 * i3 + 6 * i5) % length;
        inIndex[t] = power[n] as number;
        outIndex[t] = inversePower[n] as number;
        let k = 0;
        while (k % 2 !== i2 || k % 3 !== i3 || k % 5 !== i5) k++;
        // DFT_L(b)_k = sum_m W_p^(g^-m) W_L^(m k), with both phases reduced exactly
        let re = 0;
        let im = 0;
        for (let m = 0; m < length; m++) {
          const phase = -2 * Math.PI * ((inversePower[m] as number) / p + ((m * k) % length) / length);
          re += Math.cos(phase);
          im += Math.sin(phase);
        }
        kernel[2 * t] = re / length;
        kernel[2 * t + 1] = im / length;
      }
    }
  }
  return { p, inIndex, outIndex, kernel };
}

function primitiveRoot(p: number): number {
  for (let g = 2; g < p; g++) {
    let v = 1;
    let order = 0;
    do {
      v = (v * g) % p;
      order++;
    } while (v !== 1);
    if (order === p - 1) return g;
  }
  return 1; // p = 2
}

const SIN_3 = Math.sqrt(3) / 2;

const COS_5_1 = Math.cos((2 * Math.PI) / 5);
const COS_5_2 = Math.cos((4 * Math.PI) / 5);
const SIN_5_1 = Math.sin((2 * Math.PI) / 5);
const SIN_5_2 = Math.sin((4 * Math.PI) / 5);

const C11_1 = Math.cos((2 * Math.PI * 1) / 11);
const S11_1 = Math.sin((2 * Math.PI * 1) / 11);
const C11_2 = Math.cos((2 * Math.PI * 2) / 11);
const S11_2 = Math.sin((2 * Math.PI * 2) / 11);
const C11_3 = Math.cos((2 * Math.PI * 3) / 11);
const S11_3 = Math.sin((2 * Math.PI * 3) / 11);
const C11_4 = Math.cos((2 * Math.PI * 4) / 11);
const S11_4 = Math.sin((2 * Math.PI * 4) / 11);
const C11_5 = Math.cos((2 * Math.PI * 5) / 11);
const S11_5 = Math.sin((2 * Math.PI * 5) / 11);

/**
 * Radix 11, written out: with x_q = out[q] W^(q u stride), a_q = x_q + x_{11-q}, b_q = x_q - x_{11-q} (q = 1..5),
 * c_k = x_0 + sum_q a_q cos(2 pi q k / 11) and s_k = sum_q b_q sin(2 pi q k / 11),
 * y_k = c_k - i s_k and y_{11-k} = c_k + i s_k. All 25 (q, k) coefficients are constants, so nothing but
 * the data and twiddles is loaded: about 300 flops per butterfly, as the generic loop, at twice its speed.
 */
function radix11(out: Float64Array, tw: Float64Array, at: number, stride: number, m: number): void {
  const m2 = 2 * m;
  for (let u = 0; u < m; u++) {
    const i0 = 2 * (at + u);
    const i1 = i0 + m2;
    const i2 = i1 + m2;
    const i3 = i2 + m2;
    const i4 = i3 + m2;
    const i5 = i4 + m2;
    const i6 = i5 + m2;
    const i7 = i6 + m2;
    const i8 = i7 + m2;
    const i9 = i8 + m2;
    const i10 = i9 + m2;
    const t1 = 2 * u * stride;
    const x0r = out[i0] as number;
    const x0i = out[i0 + 1] as number;
    const w1 = t1;
    const v1r = out[i1] as number;
    const v1i = out[i1 + 1] as number;
    const w1r = tw[w1] as number;
    const w1i = tw[w1 + 1] as number;
    const x1r = v1r * w1r - v1i * w1i;
    const x1i = v1r * w1i + v1i * w1r;
    const w2 = 2 * t1;
    const v2r = out[i2] as number;
    const v2i = out[i2 + 1] as number;
    const w2r = tw[w2] as number;
    const w2i = tw[w2 + 1] as number;
    const x2r = v2r * w2r - v2i * w2i;
    const x2i = v2r * w2i + v2i * w2r;
    const w3 = 3 * t1;
    const v3r = out[i3] as number;
    const v3i = out[i3 + 1] as number;
    const w3r = tw[w3] as number;
    const w3i = tw[w3 + 1] as number;
    const x3r = v3r * w3r - v3i * w3i;
    const x3i = v3r * w3i + v3i * w3r;
    const w4 = 4 * t1;
    const v4r = out[i4] as number;
    const v4i = out[i4 + 1] as number;
    const w4r = tw[w4] as number;
    const w4i = tw[w4 + 1] as number;
    const x4r = v4r * w4r - v4i * w4i;
    const x4i = v4r * w4i + v4i * w4r;
    const w5 = 5 * t1;
    const v5r = out[i5] as number;
    const v5i = out[i5 + 1] as number;
    const w5r = tw[w5] as number;
    const w5i = tw[w5 + 1] as number;
    const x5r = v5r * w5r - v5i * w5i;
    const x5i = v5r * w5i + v5i * w5r;
    const w6 = 6 * t1;
    const v6r = out[i6] as number;
    const v6i = out[i6 + 1] as number;
    const w6r = tw[w6] as number;
    const w6i = tw[w6 + 1] as number;
    const x6r = v6r * w6r - v6i * w6i;
    const x6i = v6r * w6i + v6i * w6r;
    const w7 = 7 * t1;
    const v7r = out[i7] as number;
    const v7i = out[i7 + 1] as number;
    const w7r = tw[w7] as number;
    const w7i = tw[w7 + 1] as number;
    const x7r = v7r * w7r - v7i * w7i;
    const x7i = v7r * w7i + v7i * w7r;
    const w8 = 8 * t1;
    const v8r = out[i8] as number;
    const v8i = out[i8 + 1] as number;
    const w8r = tw[w8] as number;
    const w8i = tw[w8 + 1] as number;
    const x8r = v8r * w8r - v8i * w8i;
    const x8i = v8r * w8i + v8i * w8r;
    const w9 = 9 * t1;
    const v9r = out[i9] as number;
    const v9i = out[i9 + 1] as number;
    const w9r = tw[w9] as number;
    const w9i = tw[w9 + 1] as number;
    const x9r = v9r * w9r - v9i * w9i;
    const x9i = v9r * w9i + v9i * w9r;
    const w10 = 10 * t1;
    const v10r = out[i10] as number;
    const v10i = out[i10 + 1] as number;
    const w10r = tw[w10] as number;
    const w10i = tw[w10 + 1] as number;
    const x10r = v10r * w10r - v10i * w10i;
    const x10i = v10r * w10i + v10i * w10r;
    const a1r = x1r + x10r;
    const b1r = x1r - x10r;
    const a1i = x1i + x10i;
    const b1i = x1i - x10i;
    const a2r = x2r + x9r;
    const b2r = x2r - x9r;
    const a2i = x2i + x9i;
    const b2i = x2i - x9i;
    const a3r = x3r + x8r;
    const b3r = x3r - x8r;
    const a3i = x3i + x8i;
    const b3i = x3i - x8i;
    const a4r = x4r + x7r;
    const b4r = x4r - x7r;
    const a4i = x4i + x7i;
    const b4i = x4i - x7i;
    const a5r = x5r + x6r;
    const b5r = x5r - x6r;
    const a5i = x5i + x6i;
    const b5i = x5i - x6i;
    out[i0] = x0r + a1r + a2r + a3r + a4r + a5r;
    out[i0 + 1] = x0i + a1i + a2i + a3i + a4i + a5i;
    const c1r = x0r + C11_1 * a1r + C11_2 * a2r + C11_3 * a3r + C11_4 * a4r + C11_5 * a5r;
    const c1i = x0i + C11_1 * a1i + C11_2 * a2i + C11_3 * a3i + C11_4 * a4i + C11_5 * a5i;
    const s1r = S11_1 * b1r + S11_2 * b2r + S11_3 * b3r + S11_4 * b4r + S11_5 * b5r;
    const s1i = S11_1 * b1i + S11_2 * b2i + S11_3 * b3i + S11_4 * b4i + S11_5 * b5i;
    out[i1] = c1r + s1i;
    out[i1 + 1] = c1i - s1r;
    out[i10] = c1r - s1i;
    out[i10 + 1] = c1i + s1r;
    const c2r = x0r + C11_2 * a1r + C11_4 * a2r + C11_5 * a3r + C11_3 * a4r + C11_1 * a5r;
    const c2i = x0i + C11_2 * a1i + C11_4 * a2i + C11_5 * a3i + C11_3 * a4i + C11_1 * a5i;
    const s2r = S11_2 * b1r + S11_4 * b2r - S11_5 * b3r - S11_3 * b4r - S11_1 * b5r;
    const s2i = S11_2 * b1i + S11_4 * b2i - S11_5 * b3i - S11_3 * b4i - S11_1 * b5i;
    out[i2] = c2r + s2i;
    out[i2 + 1] = c2i - s2r;
    out[i9] = c2r - s2i;
    out[i9 + 1] = c2i + s2r;
    const c3r = x0r + C11_3 * a1r + C11_5 * a2r + C11_2 * a3r + C11_1 * a4r + C11_4 * a5r;
    const c3i = x0i + C11_3 * a1i + C11_5 * a2i + C11_2 * a3i + C11_1 * a4i + C11_4 * a5i;
    const s3r = S11_3 * b1r - S11_5 * b2r - S11_2 * b3r + S11_1 * b4r + S11_4 * b5r;
    const s3i = S11_3 * b1i - S11_5 * b2i - S11_2 * b3i + S11_1 * b4i + S11_4 * b5i;
    out[i3] = c3r + s3i;
    out[i3 + 1] = c3i - s3r;
    out[i8] = c3r - s3i;
    out[i8 + 1] = c3i + s3r;
    const c4r = x0r + C11_4 * a1r + C11_3 * a2r + C11_1 * a3r + C11_5 * a4r + C11_2 * a5r;
    const c4i = x0i + C11_4 * a1i + C11_3 * a2i + C11_1 * a3i + C11_5 * a4i + C11_2 * a5i;
    const s4r = S11_4 * b1r - S11_3 * b2r + S11_1 * b3r + S11_5 * b4r - S11_2 * b5r;
    const s4i = S11_4 * b1i - S11_3 * b2i + S11_1 * b3i + S11_5 * b4i - S11_2 * b5i;
    out[i4] = c4r + s4i;
    out[i4 + 1] = c4i - s4r;
    out[i7] = c4r - s4i;
    out[i7 + 1] = c4i + s4r;
    const c5r = x0r + C11_5 * a1r + C11_1 * a2r + C11_4 * a3r + C11_2 * a4r + C11_3 * a5r;
    const c5i = x0i + C11_5 * a1i + C11_1 * a2i + C11_4 * a3i + C11_2 * a4i + C11_3 * a5i;
    const s5r = S11_5 * b1r - S11_1 * b2r + S11_4 * b3r - S11_2 * b4r + S11_3 * b5r;
    const s5i = S11_5 * b1i - S11_1 * b2i + S11_4 * b3i - S11_2 * b4i + S11_3 * b5i;
    out[i5] = c5r + s5i;
    out[i5 + 1] = c5i - s5r;
    out[i6] = c5r - s5i;
    out[i6 + 1] = c5i + s5r;
  }
}


/**
 * The first stage of the transform, all `lanes` radix-31 butterflies at once
 * (no twiddles), with lanes innermost so every loop walks contiguous rows. The
 * second FFT computes the inverse as conj(FFT(conj(.))): both conjugations are
 * folded into the pointwise product and the final scatter.
 */
function raderLeaf(leaf: RaderLeaf, input: Float64Array, out: Float64Array): void {
  const { inIndex, outIndex, kernel, lanes, leafOut, rows } = leaf;
  const w = 2 * lanes;
  // forward FFT_30 of the reordered inputs: the 5-point pass gathers input rows
  for (let b = 0; b < 30; b += 5) {
    dft5Rows(
      input,
      (inIndex[b] as number) * w,
      (inIndex[b + 1] as number) * w,
      (inIndex[b + 2] as number) * w,
      (inIndex[b + 3] as number) * w,
      (inIndex[b + 4] as number) * w,
      rows,
      b * w,
      w,
      w,
    );
  }
  for (let b = 0; b < 30; b += 15) for (let i5 = 0; i5 < 5; i5++) dft3Rows(rows, (b + i5) * w, 5 * w, w);
  // y_0 = x_0 + sum of the other inputs = x_0 + DC term of the FFT
  for (let r = 0; r < lanes; r++) {
    const o = 2 * (leafOut[r] as number);
    out[o] = (input[2 * r] as number) + (rows[2 * r] as number) + (rows[15 * w + 2 * r] as number);
    out[o + 1] = (input[2 * r + 1] as number) + (rows[2 * r + 1] as number) + (rows[15 * w + 2 * r + 1] as number);
  }
  for (let j = 0; j < 15; j++) dft2KernelRows(rows, j * w, 15 * w, w, kernel, 2 * j, 2 * (j + 15));
  // second FFT_30
  for (let b = 0; b < 30; b += 5) dft5Rows(rows, b * w, (b + 1) * w, (b + 2) * w, (b + 3) * w, (b + 4) * w, rows, b * w, w, w);
  for (let b = 0; b < 30; b += 15) for (let i5 = 0; i5 < 5; i5++) dft3Rows(rows, (b + i5) * w, 5 * w, w);
  for (let j = 0; j < 15; j++) {
    dft2ScatterRows(rows, j * w, 15 * w, lanes, input, out, leafOut, 2 * (outIndex[j] as number), 2 * (outIndex[j + 15] as number));
  }
}

/** 2-point DFT of the rows at `at` and `at + step` (`width` doubles each), each result times its kernel value and conjugated. */
function dft2KernelRows(s: Float64Array, at: number, step: number, width: number, kernel: Float64Array, ka: number, kb: number): void {
  const kar = kernel[ka] as number;
  const kai = kernel[ka + 1] as number;
  const kbr = kernel[kb] as number;
  const kbi = kernel[kb + 1] as number;
  const end = at + width;
  for (let i0 = at; i0 < end; i0 += 2) {
    const i1 = i0 + step;
    const ar = s[i0] as number;
    const ai = s[i0 + 1] as number;
    const br = s[i1] as number;
    const bi = s[i1 + 1] as number;
    const ur = ar + br;
    const ui = ai + bi;
    const vr = ar - br;
    const vi = ai - bi;
    s[i0] = ur * kar - ui * kai;
    s[i0 + 1] = -(ur * kai + ui * kar);
    s[i1] = vr * kbr - vi * kbi;
    s[i1 + 1] = -(vr * kbi + vi * kbr);
  }
}

/** 2-point DFT of rows at `at` and `at + step`; lane r's results, conjugated and plus x_0, go to outputs ka and kb of its butterfly. */
function dft2ScatterRows(
  s: Float64Array,
  at: number,
  step: number,
  lanes: number,
  input: Float64Array,
  out: Float64Array,
  leafOut: Int32Array,
  ka: number,
  kb: number,
): void {
  for (let r = 0; r < lanes; r++) {
    const i0 = at + 2 * r;
    const i1 = i0 + step;
    const ar = s[i0] as number;
    const ai = s[i0 + 1] as number;
    const br = s[i1] as number;
    const bi = s[i1 + 1] as number;
    const x0r = input[2 * r] as number;
    const x0i = input[2 * r + 1] as number;
    const o = 2 * (leafOut[r] as number);
    out[o + ka] = x0r + ar + br;
    out[o + ka + 1] = x0i - ai - bi;
    out[o + kb] = x0r + ar - br;
    out[o + kb + 1] = x0i - ai + bi;
  }
}

/** 3-point DFT (kernel e^{-2 pi i / 3}) of the rows at `at`, `at + step`, `at + 2 step`, in place, `width` doubles each. */
function dft3Rows(s: Float64Array, at: number, step: number, width: number): void {
  const end = at + width;
  for (let i0 = at; i0 < end; i0 += 2) {
    const i1 = i0 + step;
    const i2 = i1 + step;
    const x0r = s[i0] as number;
    const x0i = s[i0 + 1] as number;
    const x1r = s[i1] as number;
    const x1i = s[i1 + 1] as number;
    const x2r = s[i2] as number;
    const x2i = s[i2 + 1] as number;
    const sr = x1r + x2r;
    const si = x1i + x2i;
    const dr = SIN_3 * (x1r - x2r);
    const di = SIN_3 * (x1i - x2i);
    const mr = x0r - 0.5 * sr;
    const mi = x0i - 0.5 * si;
    s[i0] = x0r + sr;
    s[i0 + 1] = x0i + si;
    // y1 = m - i d, y2 = m + i d
    s[i1] = mr + di;
    s[i1 + 1] = mi - dr;
    s[i2] = mr - di;
    s[i2 + 1] = mi + dr;
  }
}

/**
 * 5-point DFT (kernel e^{-2 pi i / 5}) of `width` doubles from five rows of `src` into
 * rows `at + k step` of `dst` (may be the same rows):
 * y_k = x_0 + sum_{q=1,2} [(x_q + x_{5-q}) cos(2 pi q k / 5) - i (x_q - x_{5-q}) sin(2 pi q k / 5)].
 */
function dft5Rows(
  src: Float64Array,
  s0: number,
  s1: number,
  s2: number,
  s3: number,
  s4: number,
  dst: Float64Array,
  at: number,
  step: number,
  width: number,
): void {
  for (let j = 0; j < width; j += 2) {
    const x0r = src[s0 + j] as number;
    const x0i = src[s0 + j + 1] as number;
    const x1r = src[s1 + j] as number;
    const x1i = src[s1 + j + 1] as number;
    const x2r = src[s2 + j] as number;
    const x2i = src[s2 + j + 1] as number;
    const x3r = src[s3 + j] as number;
    const x3i = src[s3 + j + 1] as number;
    const x4r = src[s4 + j] as number;
    const x4i = src[s4 + j + 1] as number;
    const ar = x1r + x4r;
    const ai = x1i + x4i;
    const br = x2r + x3r;
    const bi = x2i + x3i;
    const cr = x1r - x4r;
    const ci = x1i - x4i;
    const dr = x2r - x3r;
    const di = x2i - x3i;
    const m1r = x0r + COS_5_1 * ar + COS_5_2 * br;
    const m1i = x0i + COS_5_1 * ai + COS_5_2 * bi;
    const m2r = x0r + COS_5_2 * ar + COS_5_1 * br;
    const m2i = x0i + COS_5_2 * ai + COS_5_1 * bi;
    const n1r = SIN_5_1 * cr + SIN_5_2 * dr;
    const n1i = SIN_5_1 * ci + SIN_5_2 * di;
    const n2r = SIN_5_2 * cr - SIN_5_1 * dr;
    const n2i = SIN_5_2 * ci - SIN_5_1 * di;
    const i0 = at + j;
    const i1 = i0 + step;
    const i2 = i1 + step;
    const i3 = i2 + step;
    const i4 = i3 + step;
    dst[i0] = x0r + ar + br;
    dst[i0 + 1] = x0i + ai + bi;
    // y_k = m_k - i n_k, y_{5-k} = m_k + i n_k
    dst[i1] = m1r + n1i;
    dst[i1 + 1] = m1i - n1r;
    dst[i4] = m1r - n1i;
    dst[i4 + 1] = m1i + n1r;
    dst[i2] = m2r + n2i;
    dst[i2 + 1] = m2i - n2r;
    dst[i3] = m2r - n2i;
    dst[i3 + 1] = m2i + n2r;
  }
}

import { laneFft } from '@globalmcp/tensor';
import type { LaneFft } from '@globalmcp/tensor';
import type { PairedDct } from './pairedDct.js';

/**
 * {@link PairedDct}'s transforms on two channel pairs at once, one per lane of a WebAssembly SIMD FFT: the same
 * algorithm (Makhoul's, two real channels as one complex sequence) and tables, about twice as fast. Only for
 * power-of-two lengths; {@link quadDct} is null otherwise and where WebAssembly is missing.
 *
 * Layout: the lane FFT's buffer. For sample n of the forward transform, `samplesAt[n]` is where pair 0's two
 * channels go (+0, +2) and pair 1's (+1, +3); the inverse leaves sample n at `4 * perm[n]` in the same order.
 */
export class QuadDct {
  readonly n: number;
  readonly data: Float64Array;
  /** Where sample n of each channel goes for the forward transform (Makhoul's reordering, then bit reversal). */
  readonly samplesAt: Int32Array;
  /** Where sample n of each channel is after the inverse transform. */
  readonly samplesFrom: Int32Array;
  /** The energies of the two pairs' kept coefficients, from the last forward transform. */
  readonly kept = new Float64Array(2);

  constructor(
    private readonly plan: PairedDct,
    private readonly fft: LaneFft,
  ) {
    this.n = plan.n;
    this.data = fft.data;
    this.samplesAt = Int32Array.from(plan.perm, (p) => fft.inputAt[p] as number);
    this.samplesFrom = Int32Array.from(plan.perm, (p) => 4 * p);
  }

  /**
   * DCT-II of the four channels written at {@link samplesAt}: the first `count` coefficients of pair 0 into
   * ya, yb and of pair 1 into ya2, yb2; their energies into {@link kept}.
   */
  forward(count: number, ya: Float64Array, yb: Float64Array, ya2: Float64Array, yb2: Float64Array): void {
    const { n, data: z } = this;
    const { fwdCos: c, fwdSin: s } = this.plan;
    this.fft.forward();
    const c0 = 2 * (c[0] as number);
    ya[0] = c0 * (z[0] as number);
    ya2[0] = c0 * (z[1] as number);
    yb[0] = c0 * (z[2] as number);
    yb2[0] = c0 * (z[3] as number);
    let e0 = (ya[0] as number) ** 2 + (yb[0] as number) ** 2;
    let e1 = (ya2[0] as number) ** 2 + (yb2[0] as number) ** 2;
    for (let k = 1; k < count; k++) {
      const at = 4 * k;
      const mirror = 4 * (n - k);
      const ck = c[k] as number;
      const sk = s[k] as number;
      const zr0 = z[at] as number;
      const zr1 = z[at + 1] as number;
      const zi0 = z[at + 2] as number;
      const zi1 = z[at + 3] as number;
      const wr0 = z[mirror] as number;
      const wr1 = z[mirror + 1] as number;
      const wi0 = z[mirror + 2] as number;
      const wi1 = z[mirror + 3] as number;
      const a0 = ck * (zr0 + wr0) + sk * (zi0 - wi0);
      const b0 = ck * (zi0 + wi0) + sk * (wr0 - zr0);
      const a1 = ck * (zr1 + wr1) + sk * (zi1 - wi1);
      const b1 = ck * (zi1 + wi1) + sk * (wr1 - zr1);
      ya[k] = a0;
      yb[k] = b0;
      ya2[k] = a1;
      yb2[k] = b1;
      e0 += a0 * a0 + b0 * b0;
      e1 += a1 * a1 + b1 * b1;
    }
    this.kept[0] = e0;
    this.kept[1] = e1;
  }

  /** DCT-III of N coefficients per channel, each multiplied by `gain`; sample n ends at {@link samplesFrom}[n]. */
  inverse(ya: Float64Array, yb: Float64Array, ya2: Float64Array, yb2: Float64Array, gain: number): void {
    const { n, data: w } = this;
    const { invCos: cs, invSin: sn } = this.plan;
    const at = this.fft.inputAt;
    // As PairedDct.inverse: V reversed and scaled, then a forward transform.
    const g = gain / n;
    const g0 = Math.sqrt(n) * g;
    w[0] = (ya[0] as number) * g0;
    w[1] = (ya2[0] as number) * g0;
    w[2] = (yb[0] as number) * g0;
    w[3] = (yb2[0] as number) * g0;
    for (let k = 1; k < n; k++) {
      const m = at[n - k] as number;
      const c = cs[k] as number;
      const s = sn[k] as number;
      const p0 = (ya[k] as number) + (yb[n - k] as number);
      const q0 = (ya[n - k] as number) - (yb[k] as number);
      const p1 = (ya2[k] as number) + (yb2[n - k] as number);
      const q1 = (ya2[n - k] as number) - (yb2[k] as number);
      w[m] = g * (c * p0 + s * q0);
      w[m + 1] = g * (c * p1 + s * q1);
      w[m + 2] = g * (s * p0 - c * q0);
      w[m + 3] = g * (s * p1 - c * q1);
    }
    this.fft.forward();
  }
}

const quads = new WeakMap<PairedDct, QuadDct | null>();

/** The four-channel form of a plan, or null where it does not apply (see {@link QuadDct}). */
export function quadDct(plan: PairedDct): QuadDct | null {
  let quad = quads.get(plan);
  if (quad === undefined) {
    const fft = laneFft(plan.n);
    quad = fft === null ? null : new QuadDct(plan, fft);
    quads.set(plan, quad);
  }
  return quad;
}

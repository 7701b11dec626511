import { assertFinite, asTensor, tokenLayout } from '@globalmcp/tensor';
import type { FloatArray, Tensor } from '@globalmcp/tensor';
import { allocateLike } from './compress.js';
import { pairedDct } from './planCache.js';
import { quadDct } from './quadDct.js';
import type { QuadDct } from './quadDct.js';

/**
 * The orthonormal DCT-II (or, with `inverse`, DCT-III) of every channel of a
 * tensor along its token axis, like `scipy.fft.dct(x, type=2, norm="ortho", axis=axis)`
 * (but the axis defaults to the token axis, -2, where scipy's defaults to -1).
 * NaN and Infinity are rejected, as in {@link compress}.
 * Returns a new tensor of the same shape and dtype; channels are read in place
 * with their stride, two per complex FFT, as {@link compress} does (four per pass through a SIMD FFT for
 * power-of-two lengths).
 */
export function dctAlongAxis<A extends FloatArray>(input: Tensor<A>, options: { axis?: number; inverse?: boolean } = {}): Tensor<A> {
  const tensor = asTensor(input);
  assertFinite(tensor);
  const { tokens, inner, channels } = tokenLayout(tensor.shape, options.axis ?? -2);
  const src = tensor.data;
  const out = allocateLike(src, src.length);
  const plan = pairedDct(tokens);
  const inverse = options.inverse === true;
  const quad = quadDct(plan);
  if (quad !== null) {
    transformQuads(quad, src, out, tokens, inner, channels, inverse);
    return { data: out, shape: Object.freeze([...tensor.shape]) };
  }
  const perm = plan.perm;
  const packed = new Float64Array(2 * tokens);
  const ya = new Float64Array(tokens);
  const yb = new Float64Array(tokens);
  for (let c = 0; c < channels; c += 2) {
    const oa = Math.floor(c / inner);
    const a = oa * tokens * inner + (c - oa * inner);
    const hasB = c + 1 < channels;
    const ob = Math.floor((c + 1) / inner);
    const b = ob * tokens * inner + (c + 1 - ob * inner);
    if (inverse) {
      for (let k = 0; k < tokens; k++) {
        ya[k] = src[a + k * inner] as number;
        yb[k] = hasB ? (src[b + k * inner] as number) : 0;
      }
      plan.inverse(ya, yb, 1, packed);
      for (let n = 0; n < tokens; n++) {
        const p = 2 * (perm[n] as number);
        out[a + n * inner] = packed[p] as number;
        if (hasB) out[b + n * inner] = packed[p + 1] as number;
      }
    } else {
      for (let n = 0; n < tokens; n++) {
        const p = 2 * (perm[n] as number);
        packed[p] = src[a + n * inner] as number;
        packed[p + 1] = hasB ? (src[b + n * inner] as number) : 0;
      }
      plan.forward(packed, ya, yb, tokens);
      for (let k = 0; k < tokens; k++) {
        out[a + k * inner] = ya[k] as number;
        if (hasB) out[b + k * inner] = yb[k] as number;
      }
    }
  }
  return { data: out, shape: Object.freeze([...tensor.shape]) };
}

/** Four channels per pass: (c, c + 1) in lane 0 and (c + 2, c + 3) in lane 1; missing channels are zeros. */
function transformQuads(quad: QuadDct, src: FloatArray, out: FloatArray, tokens: number, inner: number, channels: number, inverse: boolean): void {
  const { data, samplesAt, samplesFrom } = quad;
  const y = [0, 1, 2, 3].map(() => new Float64Array(tokens)) as [Float64Array, Float64Array, Float64Array, Float64Array];
  // where channel j of a group sits in an element of the lane FFT's buffer, and which of y it uses
  const slot = [0, 2, 1, 3];
  for (let c = 0; c < channels; c += 4) {
    const width = Math.min(4, channels - c);
    const starts = Array.from({ length: width }, (_, j) => {
      const o = Math.floor((c + j) / inner);
      return o * tokens * inner + (c + j - o * inner);
    });
    if (inverse) {
      for (let j = 0; j < 4; j++) {
        const yj = y[j as 0 | 1 | 2 | 3];
        const start = starts[j];
        for (let k = 0; k < tokens; k++) yj[k] = start === undefined ? 0 : (src[start + k * inner] as number);
      }
      quad.inverse(y[0], y[1], y[2], y[3], 1);
      starts.forEach((start, j) => {
        const lane = slot[j] as number;
        for (let n = 0; n < tokens; n++) out[start + n * inner] = data[(samplesFrom[n] as number) + lane] as number;
      });
    } else {
      for (let j = 0; j < 4; j++) {
        const lane = slot[j] as number;
        const start = starts[j];
        for (let n = 0; n < tokens; n++) data[(samplesAt[n] as number) + lane] = start === undefined ? 0 : (src[start + n * inner] as number);
      }
      quad.forward(tokens, y[0], y[1], y[2], y[3]);
      starts.forEach((start, j) => {
        const yj = y[j as 0 | 1 | 2 | 3];
        for (let k = 0; k < tokens; k++) out[start + k * inner] = yj[k] as number;
      });
    }
  }
}

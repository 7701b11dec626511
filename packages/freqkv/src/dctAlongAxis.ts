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

/**
 * Four channels per pass: (c, c + 1) in lane 0 and (c + 2, c + 3) in lane 1; missing channels are zeros. The
 * four are read and written together: they share the cache lines their strided samples sit on.
 */
function transformQuads(quad: QuadDct, src: FloatArray, out: FloatArray, tokens: number, inner: number, channels: number, inverse: boolean): void {
  const { data, samplesAt, samplesFrom } = quad;
  const [y0, y1, y2, y3] = [0, 1, 2, 3].map(() => new Float64Array(tokens)) as [Float64Array, Float64Array, Float64Array, Float64Array];
  const starts = [-1, -1, -1, -1];
  for (let c = 0; c < channels; c += 4) {
    for (let j = 0; j < 4; j++) {
      const o = Math.floor((c + j) / inner);
      starts[j] = c + j < channels ? o * tokens * inner + (c + j - o * inner) : -1;
    }
    const [s0, s1, s2, s3] = starts as [number, number, number, number];
    const read = (start: number, i: number) => (start < 0 ? 0 : (src[start + i] as number));
    if (inverse) {
      for (let k = 0; k < tokens; k++) {
        const i = k * inner;
        y0[k] = read(s0, i);
        y1[k] = read(s1, i);
        y2[k] = read(s2, i);
        y3[k] = read(s3, i);
      }
      quad.inverse(y0, y1, y2, y3, 1);
      for (let n = 0; n < tokens; n++) {
        const p = samplesFrom[n] as number;
        const i = n * inner;
        out[s0 + i] = data[p] as number;
        if (s1 >= 0) out[s1 + i] = data[p + 2] as number;
        if (s2 >= 0) out[s2 + i] = data[p + 1] as number;
        if (s3 >= 0) out[s3 + i] = data[p + 3] as number;
      }
    } else {
      for (let n = 0; n < tokens; n++) {
        const p = samplesAt[n] as number;
        const i = n * inner;
        data[p] = read(s0, i);
        data[p + 2] = read(s1, i);
        data[p + 1] = read(s2, i);
        data[p + 3] = read(s3, i);
      }
      quad.forward(tokens, y0, y1, y2, y3);
      for (let k = 0; k < tokens; k++) {
        const i = k * inner;
        out[s0 + i] = y0[k] as number;
        if (s1 >= 0) out[s1 + i] = y1[k] as number;
        if (s2 >= 0) out[s2 + i] = y2[k] as number;
        if (s3 >= 0) out[s3 + i] = y3[k] as number;
      }
    }
  }
}

import { assertFinite, asTensor, tokenLayout } from '@globalmcp/tensor';
import type { FloatArray, Tensor } from '@globalmcp/tensor';
import { allocateLike } from './compress.js';
import { pairedDct } from './planCache.js';

/**
 * The orthonormal DCT-II (or, with `inverse`, DCT-III) of every channel of a
 * tensor along its token axis, like `scipy.fft.dct(x, type=2, norm="ortho", axis=axis)`
 * (but the axis defaults to the token axis, -2, where scipy's defaults to -1).
 * NaN and Infinity are rejected, as in {@link compress}.
 * Returns a new tensor of the same shape and dtype; channels are read in place
 * with their stride, two per complex FFT, as {@link compress} does.
 */
export function dctAlongAxis<A extends FloatArray>(input: Tensor<A>, options: { axis?: number; inverse?: boolean } = {}): Tensor<A> {
  const tensor = asTensor(input);
  assertFinite(tensor);
  const { tokens, inner, channels } = tokenLayout(tensor.shape, options.axis ?? -2);
  const src = tensor.data;
  const out = allocateLike(src, src.length);
  const plan = pairedDct(tokens);
  const perm = plan.perm;
  const packed = new Float64Array(2 * tokens);
  const ya = new Float64Array(tokens);
  const yb = new Float64Array(tokens);
  const inverse = options.inverse === true;
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

// Dense inner loops of the fusion. Each runs as WebAssembly SIMD (simd.ts, wasm/linalg.wat) where the runtime
// has it; elsewhere as JavaScript written for V8, which also serves as the reference the kernels are tested
// against. V8 does not vectorise, so the JavaScript's speed comes from register tiles (several independent
// accumulators per loaded value) instead of one dot product or one axpy at a time.
import { simdKernels } from './simd.js';

/**
 * All dot products between the rows of two row-major matrices:
 * out[i * bRows + j] = sum_{c < depth} a[i * aStride + c] * b[j * bStride + c].
 * `b` is read once, in order: make it the larger matrix. WebAssembly SIMD where available, else
 * {@link rowDotsScalar}; the two agree to rounding (the SIMD sums even and odd terms apart).
 */
export function rowDots(a: Float64Array, aStride: number, aRows: number, b: Float64Array, bStride: number, bRows: number, depth: number, out: Float64Array): void {
  if (!(simdKernels()?.rowDots(a, aStride, aRows, b, bStride, bRows, depth, out) ?? false)) rowDotsScalar(a, aStride, aRows, b, bStride, bRows, depth, out);
}

/** {@link rowDots} in JavaScript: tiles of 4 rows of `a` by 2 of `b`. */
export function rowDotsScalar(a: Float64Array, aStride: number, aRows: number, b: Float64Array, bStride: number, bRows: number, depth: number, out: Float64Array): void {
  const fullA = aRows - (aRows % 4);
  let j = 0;
  for (; j + 2 <= bRows; j += 2) {
    const b0 = j * bStride;
    const b1 = b0 + bStride;
    for (let i = 0; i < fullA; i += 4) {
      const a0 = i * aStride;
      const a1 = a0 + aStride;
      const a2 = a1 + aStride;
      const a3 = a2 + aStride;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      let s20 = 0;
      let s21 = 0;
      let s30 = 0;
      let s31 = 0;
      for (let c = 0; c < depth; c++) {
        const x0 = b[b0 + c] as number;
        const x1 = b[b1 + c] as number;
        const v0 = a[a0 + c] as number;
        const v1 = a[a1 + c] as number;
        const v2 = a[a2 + c] as number;
        const v3 = a[a3 + c] as number;
        s00 += v0 * x0;
        s01 += v0 * x1;
        s10 += v1 * x0;
        s11 += v1 * x1;
        s20 += v2 * x0;
        s21 += v2 * x1;
        s30 += v3 * x0;
        s31 += v3 * x1;
      }
      const o0 = i * bRows + j;
      const o1 = o0 + bRows;
      const o2 = o1 + bRows;
      const o3 = o2 + bRows;
      out[o0] = s00;
      out[o0 + 1] = s01;
      out[o1] = s10;
      out[o1 + 1] = s11;
      out[o2] = s20;
      out[o2 + 1] = s21;
      out[o3] = s30;
      out[o3 + 1] = s31;
    }
    for (let i = fullA; i < aRows; i++) {
      dotInto(a, i * aStride, b, b0, depth, out, i * bRows + j);
      dotInto(a, i * aStride, b, b1, depth, out, i * bRows + j + 1);
    }
  }
  for (; j < bRows; j++) for (let i = 0; i < aRows; i++) dotInto(a, i * aStride, b, j * bStride, depth, out, i * bRows + j);
}

function dotInto(a: Float64Array, a0: number, b: Float64Array, b0: number, depth: number, out: Float64Array, at: number): void {
  let s = 0;
  for (let c = 0; c < depth; c++) s += (a[a0 + c] as number) * (b[b0 + c] as number);
  out[at] = s;
}

/**
 * Column sums of row softmaxes: for each of `rows` rows of `tokens` logits l, s = l * scale + bias and
 * scores[t] += e^(s_t - max s) / sum e^(s - max s). `logits` is overwritten (with the exponentials).
 * WebAssembly SIMD where available (its exp agrees with Math.exp to about an ulp), else
 * {@link softmaxColumnSumsScalar}.
 */
export function softmaxColumnSums(logits: Float64Array, rows: number, tokens: number, scale: number, bias: Float64Array, scores: Float64Array): void {
  if (!(simdKernels()?.softmaxColumnSums(logits, rows, tokens, scale, bias, scores) ?? false)) softmaxColumnSumsScalar(logits, rows, tokens, scale, bias, scores);
}

/** {@link softmaxColumnSums} in JavaScript. */
export function softmaxColumnSumsScalar(logits: Float64Array, rows: number, tokens: number, scale: number, bias: Float64Array, scores: Float64Array): void {
  for (let q = 0; q < rows; q++) {
    const row = q * tokens;
    let max = Number.NEGATIVE_INFINITY;
    for (let t = 0; t < tokens; t++) {
      const s = (logits[row + t] as number) * scale + (bias[t] as number);
      logits[row + t] = s;
      if (s > max) max = s;
    }
    let total = 0;
    for (let t = 0; t < tokens; t++) {
      const e = Math.exp((logits[row + t] as number) - max);
      logits[row + t] = e;
      total += e;
    }
    for (let t = 0; t < tokens; t++) scores[t] = (scores[t] as number) + (logits[row + t] as number) / total;
  }
}

/**
 * Weighted sums of rows: y[yOffset + o * width + c] = sum_{i in [lo_o, hi_o)} w[o * n + i] * x[rows[i] * stride + c]
 * for c < width, where w is [outputs x n] and zero outside each output's range. WebAssembly SIMD where
 * available, else {@link weightedRowSumsScalar}; the two agree exactly (same order of terms).
 */
export function weightedRowSums(
  w: Float64Array,
  n: number,
  lo: Int32Array,
  hi: Int32Array,
  x: Float64Array,
  rows: Int32Array,
  stride: number,
  width: number,
  y: Float64Array,
  yOffset: number,
): void {
  if (!(simdKernels()?.weightedRowSums(w, n, lo, hi, x, rows, stride, width, y, yOffset) ?? false)) weightedRowSumsScalar(w, n, lo, hi, x, rows, stride, width, y, yOffset);
}

/** {@link weightedRowSums} in JavaScript: 8 columns at a time. */
export function weightedRowSumsScalar(
  w: Float64Array,
  n: number,
  lo: Int32Array,
  hi: Int32Array,
  x: Float64Array,
  rows: Int32Array,
  stride: number,
  width: number,
  y: Float64Array,
  yOffset: number,
): void {
  const outputs = lo.length;
  for (let o = 0; o < outputs; o++) {
    const base = o * n;
    const from = lo[o] as number;
    const to = hi[o] as number;
    const out = yOffset + o * width;
    let c = 0;
    for (; c + 8 <= width; c += 8) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let s4 = 0;
      let s5 = 0;
      let s6 = 0;
      let s7 = 0;
      for (let i = from; i < to; i++) {
        const v = w[base + i] as number;
        const r = (rows[i] as number) * stride + c;
        s0 += v * (x[r] as number);
        s1 += v * (x[r + 1] as number);
        s2 += v * (x[r + 2] as number);
        s3 += v * (x[r + 3] as number);
        s4 += v * (x[r + 4] as number);
        s5 += v * (x[r + 5] as number);
        s6 += v * (x[r + 6] as number);
        s7 += v * (x[r + 7] as number);
      }
      y[out + c] = s0;
      y[out + c + 1] = s1;
      y[out + c + 2] = s2;
      y[out + c + 3] = s3;
      y[out + c + 4] = s4;
      y[out + c + 5] = s5;
      y[out + c + 6] = s6;
      y[out + c + 7] = s7;
    }
    for (; c < width; c++) {
      let s = 0;
      for (let i = from; i < to; i++) s += (w[base + i] as number) * (x[(rows[i] as number) * stride + c] as number);
      y[out + c] = s;
    }
  }
}

/**
 * Complex dot products between rows, on split real / imaginary arrays:
 * out[i * bRows + j] = sum_{c < depth} a[i * depth + c] * b[j * depth + c] (no conjugation),
 * with `a` and `b` offset by aOff / bOff and `out` by outOff.
 * WebAssembly SIMD where available, else {@link complexRowDotsScalar}; the two agree to rounding.
 */
export function complexRowDots(
  aRe: Float64Array,
  aIm: Float64Array,
  aOff: number,
  aRows: number,
  bRe: Float64Array,
  bIm: Float64Array,
  bOff: number,
  bRows: number,
  depth: number,
  outRe: Float64Array,
  outIm: Float64Array,
  outOff: number,
): void {
  if (!(simdKernels()?.complexRowDots(aRe, aIm, aOff, aRows, bRe, bIm, bOff, bRows, depth, outRe, outIm, outOff) ?? false)) {
    complexRowDotsScalar(aRe, aIm, aOff, aRows, bRe, bIm, bOff, bRows, depth, outRe, outIm, outOff);
  }
}

/** {@link complexRowDots} in JavaScript: tiles of 2 rows by 2. */
export function complexRowDotsScalar(
  aRe: Float64Array,
  aIm: Float64Array,
  aOff: number,
  aRows: number,
  bRe: Float64Array,
  bIm: Float64Array,
  bOff: number,
  bRows: number,
  depth: number,
  outRe: Float64Array,
  outIm: Float64Array,
  outOff: number,
): void {
  let i = 0;
  for (; i + 2 <= aRows; i += 2) {
    const a0 = aOff + i * depth;
    const a1 = a0 + depth;
    const o0 = outOff + i * bRows;
    const o1 = o0 + bRows;
    let j = 0;
    for (; j + 2 <= bRows; j += 2) {
      const b0 = bOff + j * depth;
      const b1 = b0 + depth;
      let r00 = 0;
      let i00 = 0;
      let r01 = 0;
      let i01 = 0;
      let r10 = 0;
      let i10 = 0;
      let r11 = 0;
      let i11 = 0;
      for (let c = 0; c < depth; c++) {
        const xr0 = bRe[b0 + c] as number;
        const xi0 = bIm[b0 + c] as number;
        const xr1 = bRe[b1 + c] as number;
        const xi1 = bIm[b1 + c] as number;
        const wr0 = aRe[a0 + c] as number;
        const wi0 = aIm[a0 + c] as number;
        const wr1 = aRe[a1 + c] as number;
        const wi1 = aIm[a1 + c] as number;
        r00 += wr0 * xr0 - wi0 * xi0;
        i00 += wr0 * xi0 + wi0 * xr0;
        r01 += wr0 * xr1 - wi0 * xi1;
        i01 += wr0 * xi1 + wi0 * xr1;
        r10 += wr1 * xr0 - wi1 * xi0;
        i10 += wr1 * xi0 + wi1 * xr0;
        r11 += wr1 * xr1 - wi1 * xi1;
        i11 += wr1 * xi1 + wi1 * xr1;
      }
      outRe[o0 + j] = r00;
      outIm[o0 + j] = i00;
      outRe[o0 + j + 1] = r01;
      outIm[o0 + j + 1] = i01;
      outRe[o1 + j] = r10;
      outIm[o1 + j] = i10;
      outRe[o1 + j + 1] = r11;
      outIm[o1 + j + 1] = i11;
    }
    for (; j < bRows; j++) {
      complexDot(aRe, aIm, a0, bRe, bIm, bOff + j * depth, depth, outRe, outIm, o0 + j);
      complexDot(aRe, aIm, a1, bRe, bIm, bOff + j * depth, depth, outRe, outIm, o1 + j);
    }
  }
  for (; i < aRows; i++) {
    for (let j = 0; j < bRows; j++) complexDot(aRe, aIm, aOff + i * depth, bRe, bIm, bOff + j * depth, depth, outRe, outIm, outOff + i * bRows + j);
  }
}

function complexDot(aRe: Float64Array, aIm: Float64Array, a0: number, bRe: Float64Array, bIm: Float64Array, b0: number, depth: number, outRe: Float64Array, outIm: Float64Array, at: number): void {
  let re = 0;
  let im = 0;
  for (let c = 0; c < depth; c++) {
    const xr = bRe[b0 + c] as number;
    const xi = bIm[b0 + c] as number;
    const wr = aRe[a0 + c] as number;
    const wi = aIm[a0 + c] as number;
    re += wr * xr - wi * xi;
    im += wr * xi + wi * xr;
  }
  outRe[at] = re;
  outIm[at] = im;
}

import { describe, expect, it } from 'vitest';
import { createRandom } from '@globalmcp/tensor';
import { defaultKernels } from '../src/index.js';
import { DirectConvolution, FftConvolution, planConvolution } from '../src/convolution.js';
import { SOFTMAX_CUTOFF, softWeights, topByScore } from '../src/fuseCore.js';
import { complexRowDots, complexRowDotsScalar, rowDots, rowDotsScalar, softmaxColumnSums, softmaxColumnSumsScalar, weightedRowSums, weightedRowSumsScalar } from '../src/linalg.js';
import { simdAvailable, withResidentArrays } from '../src/simd.js';

const random = createRandom(11);
const normals = (length: number) => Float64Array.from({ length }, () => random.normal());

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] as number));
  return m;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe('topByScore', () => {
  it('picks the same tokens as a full sort by (score desc, token asc), including ties, in token order', () => {
    for (const [n, take, levels] of [
      [1, 1, 0],
      [10, 3, 0],
      [200, 50, 4],
      [4096, 62, 0],
      [4096, 62, 3],
      [300, 300, 2],
      [50, 0, 0],
    ] as const) {
      const candidates = Int32Array.from({ length: n }, (_, i) => i * 2 + 1);
      const scores = new Float64Array(2 * n + 1);
      // levels > 0: only a few distinct values, so the threshold falls inside a run of ties
      for (let i = 0; i < scores.length; i++) scores[i] = levels > 0 ? Math.floor(random.uniform() * levels) : random.normal();
      const expected = Array.from(candidates)
        .sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b)
        .slice(0, take)
        .sort((a, b) => a - b);
      expect(Array.from(topByScore(candidates, scores, take)), `n=${n} take=${take} levels=${levels}`).toEqual(expected);
    }
  });
});

describe('rowDots and complexRowDots', () => {
  it('equal the naive products for every tile remainder', () => {
    for (const [aRows, bRows, depth] of [
      [1, 1, 1],
      [4, 2, 3],
      [5, 3, 7],
      [7, 9, 16],
      [32, 101, 33],
    ] as const) {
      const a = normals(aRows * depth);
      const b = normals(bRows * depth);
      const out = new Float64Array(aRows * bRows);
      rowDots(a, depth, aRows, b, depth, bRows, depth, out);
      const aIm = normals(aRows * depth);
      const bIm = normals(bRows * depth);
      const outRe = new Float64Array(aRows * bRows + 3);
      const outIm = new Float64Array(aRows * bRows + 3);
      complexRowDots(a, aIm, 0, aRows, b, bIm, 0, bRows, depth, outRe, outIm, 3);
      for (let i = 0; i < aRows; i++) {
        for (let j = 0; j < bRows; j++) {
          let s = 0;
          let re = 0;
          let im = 0;
          for (let c = 0; c < depth; c++) {
            const [ar, ai, br, bi] = [a[i * depth + c], aIm[i * depth + c], b[j * depth + c], bIm[j * depth + c]] as number[] as [number, number, number, number];
            s += ar * br;
            re += ar * br - ai * bi;
            im += ar * bi + ai * br;
          }
          expect(out[i * bRows + j]).toBeCloseTo(s, 12);
          expect(outRe[3 + i * bRows + j]).toBeCloseTo(re, 12);
          expect(outIm[3 + i * bRows + j]).toBeCloseTo(im, 12);
        }
      }
    }
  });

  it('rowDots runs as WebAssembly SIMD here, and agrees with the JavaScript tiles on strided, odd and empty shapes', () => {
    expect(simdAvailable()).toBe(true);
    for (const [aRows, bRows, depth, aStride, bStride] of [
      [32, 4096, 128, 128, 256],
      [5, 3, 7, 9, 8],
      [4, 2, 1, 1, 1],
      [9, 11, 33, 33, 40],
      [3, 0, 4, 4, 4],
      [2, 5, 0, 0, 0],
    ] as const) {
      const a = normals(Math.max(1, aRows * aStride));
      const b = normals(Math.max(1, bRows * bStride));
      // garbage in the outputs must be overwritten, NaN in the strides' gaps must not leak in
      for (let r = 0; r < bRows; r++) for (let c = depth; c < bStride; c++) b[r * bStride + c] = Number.NaN;
      const simd = new Float64Array(aRows * bRows).fill(7);
      const scalar = new Float64Array(aRows * bRows).fill(-7);
      rowDots(a, aStride, aRows, b, bStride, bRows, depth, simd);
      rowDotsScalar(a, aStride, aRows, b, bStride, bRows, depth, scalar);
      expect(maxAbsDiff(simd, scalar), `${aRows}x${bRows}x${depth}`).toBeLessThan(1e-12 * Math.max(1, maxAbs(scalar)));
      if (depth === 0) expect(Array.from(simd)).toEqual(new Array(aRows * bRows).fill(0));
    }
    // after a large product, a small odd one still gets its padding zeroed
    const small = new Float64Array(1);
    rowDots(Float64Array.of(2, 3, 5), 3, 1, Float64Array.of(7, 11, 13), 3, 1, 3, small);
    expect(small[0]).toBe(2 * 7 + 3 * 11 + 5 * 13);
  });

  it('weightedRowSums as WebAssembly SIMD equals the JavaScript loop exactly, for every column remainder, with operands in and out of its memory', () => {
    for (const width of [1, 2, 15, 16, 17, 35, 128]) {
      const tokens = 50;
      const n = 40;
      const stride = width + 3;
      const x = normals(tokens * stride);
      const rows = Int32Array.from({ length: n }, (_, i) => (i * 7) % tokens);
      const lo = Int32Array.of(0, 5, 39, 12);
      const hi = Int32Array.of(40, 9, 40, 12);
      const w = normals(lo.length * n);
      const simd = new Float64Array(3 + lo.length * width).fill(9);
      const scalar = Float64Array.from(simd);
      weightedRowSums(w, n, lo, hi, x, rows, stride, width, simd, 3);
      weightedRowSumsScalar(w, n, lo, hi, x, rows, stride, width, scalar, 3);
      expect(Array.from(simd), `width ${width}`).toEqual(Array.from(scalar));
      const inPlace = withResidentArrays((resident) => {
        const rx = resident(x.length);
        rx.set(x);
        const ry = resident(lo.length * width);
        weightedRowSums(w, n, lo, hi, rx, rows, stride, width, ry, 0);
        return Array.from(ry);
      });
      expect(inPlace).toEqual(Array.from(scalar.subarray(3)));
    }
  });

  it('complexRowDots as WebAssembly SIMD agrees with the JavaScript tiles for every remainder and offset', () => {
    for (const [aRows, bRows, depth] of [
      [1, 1, 1],
      [2, 2, 2],
      [3, 5, 7],
      [62, 18, 128],
      [5, 4, 0],
    ] as const) {
      const [aRe, aIm] = [normals(5 + aRows * depth), normals(5 + aRows * depth)];
      const [bRe, bIm] = [normals(2 + bRows * depth), normals(2 + bRows * depth)];
      const simd = [new Float64Array(1 + aRows * bRows).fill(3), new Float64Array(1 + aRows * bRows).fill(3)] as const;
      const scalar = [Float64Array.from(simd[0]), Float64Array.from(simd[1])] as const;
      complexRowDots(aRe, aIm, 5, aRows, bRe, bIm, 2, bRows, depth, simd[0], simd[1], 1);
      complexRowDotsScalar(aRe, aIm, 5, aRows, bRe, bIm, 2, bRows, depth, scalar[0], scalar[1], 1);
      const scale = Math.max(1, maxAbs(scalar[0]), maxAbs(scalar[1]));
      expect(maxAbsDiff(simd[0], scalar[0]), `re ${aRows}x${bRows}x${depth}`).toBeLessThan(1e-13 * scale);
      expect(maxAbsDiff(simd[1], scalar[1]), `im ${aRows}x${bRows}x${depth}`).toBeLessThan(1e-13 * scale);
      expect([simd[0][0], simd[1][0]]).toEqual([3, 3]);
    }
  });

  it("softmaxColumnSums as WebAssembly SIMD: its exp is within 2 ulp of Math.exp on [-708, 0], and the sums agree with JavaScript's to 1e-15", () => {
    const xs = [0, -1e-300, -1e-12, -0.3465, -0.3466, -0.5, -1, -2.5, -10, -37.5, -100, -700, -707.9, -708];
    for (let i = 0; i < 2000; i++) xs.push(-708 * random.uniform() ** 3);
    const logits = new Float64Array(xs.length + 1);
    logits.set(xs, 1); // a 0 first: the row's maximum, so each exponential is exp(x) itself
    const scores = new Float64Array(logits.length);
    softmaxColumnSums(logits, 1, logits.length, 1, new Float64Array(logits.length), scores);
    let worst = 0;
    xs.forEach((x, i) => {
      const expected = Math.exp(x);
      worst = Math.max(worst, Math.abs((logits[i + 1] as number) - expected) / expected);
    });
    expect(worst).toBeLessThan(4.5e-16);

    for (const [rows, tokens] of [
      [1, 1],
      [3, 7],
      [32, 4096],
      [2, 801],
    ] as const) {
      const l = normals(rows * tokens).map((v) => 40 * v);
      const bias = normals(tokens).map((v) => Math.log(1 + Math.abs(v)));
      const simd = normals(tokens);
      const scalar = Float64Array.from(simd);
      softmaxColumnSums(Float64Array.from(l), rows, tokens, 0.125, bias, simd);
      softmaxColumnSumsScalar(Float64Array.from(l), rows, tokens, 0.125, bias, scalar);
      expect(maxAbsDiff(simd, scalar), `${rows}x${tokens}`).toBeLessThan(1e-15 * rows);
    }
  });

  it('weightedRowSums adds only the rows inside each range, for widths with and without a remainder of 8', () => {
    for (const width of [3, 8, 13]) {
      const n = 20;
      const x = normals(30 * width);
      const rows = Int32Array.from({ length: n }, (_, i) => 29 - i);
      const w = normals(2 * n);
      const lo = Int32Array.of(0, 5);
      const hi = Int32Array.of(20, 9);
      const y = new Float64Array(1 + 2 * width);
      weightedRowSums(w, n, lo, hi, x, rows, width, width, y, 1);
      for (let o = 0; o < 2; o++) {
        for (let c = 0; c < width; c++) {
          let s = 0;
          for (let i = lo[o] as number; i < (hi[o] as number); i++) s += (w[o * n + i] as number) * (x[(rows[i] as number) * width + c] as number);
          expect(y[1 + o * width + c]).toBeCloseTo(s, 12);
        }
      }
    }
  });
});

describe('convolution', () => {
  it('the FFT (overlap-save) convolution equals the direct sum to rounding, for odd and even channel and slot counts', () => {
    for (const [fused, features, size, n, block] of [
      [3, 5, 5, 37, 16],
      [4, 6, 21, 300, 256],
      [5, 7, 21, 1000, 64],
      [62, 16, 21, 530, 256],
      [1, 1, 1, 10, 16],
    ] as const) {
      const kernels = { ...defaultKernels(fused, features, size), weights: normals(fused * features * size), bias: normals(fused) };
      const xt = normals(features * n);
      const direct = new Float64Array(fused * n);
      const viaFft = new Float64Array(fused * n);
      new DirectConvolution(kernels, n).logits(xt, direct);
      new FftConvolution(kernels, n, block).logits(xt, viaFft);
      expect(maxAbsDiff(viaFft, direct) / maxAbs(direct), `R=${fused} F=${features} k=${size} n=${n} B=${block}`).toBeLessThan(1e-13);
    }
  });

  it('is planned as an FFT convolution for the default kernel size and directly for small kernels', () => {
    expect(planConvolution(defaultKernels(62, 256), 4030)).toBeInstanceOf(FftConvolution);
    expect(planConvolution(defaultKernels(6, 12, 3), 100)).toBeInstanceOf(DirectConvolution);
  });
});

describe('softWeights', () => {
  it('is the softmax of relu(logits) + prior per row, with terms below e^-cutoff of the row maximum left out', () => {
    const n = 50;
    const prior = Float64Array.from({ length: 2 * n }, (_, i) => -(((i % n) - 10 * Math.floor(i / n) - 10) ** 2) / 4);
    const logits = Float64Array.from({ length: 2 * n }, (_, i) => (i === 30 ? 110 : i === 31 ? -5 : 0));
    const { soft, lo, hi } = softWeights(logits, prior, 2, n);
    for (let o = 0; o < 2; o++) {
      const v = Array.from({ length: n }, (_, i) => Math.max(logits[o * n + i] as number, 0) + (prior[o * n + i] as number));
      const max = Math.max(...v);
      const kept = v.map((x) => (x >= max - SOFTMAX_CUTOFF ? Math.exp(x - max) : 0));
      const total = kept.reduce((s, x) => s + x, 0);
      for (let i = 0; i < n; i++) expect(soft[o * n + i]).toBeCloseTo((kept[i] as number) / total, 15);
      const nonzero = kept.flatMap((x, i) => (x > 0 ? [i] : []));
      expect([lo[o], hi[o]]).toEqual([nonzero[0], (nonzero.at(-1) as number) + 1]);
    }
    // row 0: the prior peaks at token 10 with a support of about +-12, but the logit at token 30 outweighs it
    expect(soft[30]).toBeGreaterThan(0.99);
  });
});

import { planConvolution } from './convolution.js';
import type { Convolution } from './convolution.js';
import type { LococoKernels } from './kernels.js';
import { rowDots, softmaxColumnSums, weightedRowSums } from './linalg.js';
import { withResidentArrays } from './simd.js';

/** One sequence to fuse: T tokens of F features in a row-major [T x F] float64 matrix. */
export interface GroupInput {
  x: Float64Array;
  tokens: number;
  features: number;
  /** The first `keyFeatures` features are the keys that scores are computed from. */
  keyFeatures: number;
  counts: Float64Array;
  scores: Float64Array;
}

export interface GroupPlan {
  slots: number;
  sinks: number;
  heavy: number;
  fused: number;
  kernels: LococoKernels;
  /** Remaining tokens per sequence (neither sinks nor heavy hitters): the same for every sequence of a call. */
  n: number;
  prior: Float64Array;
  /**
   * Where the fused slots' softmax weights come from: the same weights for every sequence when the
   * convolution's weights are all zero (it then adds a constant per slot, which the softmax ignores),
   * else the planned convolution of each sequence.
   */
  weights: SoftWeights | Convolution;
}

/** Everything about a call's fusion that does not depend on the sequence, computed once. */
export function planGroups(slots: number, sinks: number, heavy: number, fused: number, kernels: LococoKernels, tokens: number): GroupPlan {
  const n = tokens - sinks - heavy;
  const prior = fused === 0 ? new Float64Array(0) : positionalPrior(fused, n, kernels.priorWidth);
  const convIsZero = fused === 0 || kernels.weights.every((w) => w === 0);
  return { slots, sinks, heavy, fused, kernels, n, prior, weights: convIsZero ? softWeights(undefined, prior, fused, n) : planConvolution(kernels, n) };
}

export interface GroupOutput {
  /** [slots x F]: sinks, then heavy hitters in token order, then fused slots. */
  y: Float64Array;
  counts: Float64Array;
}

/**
 * Indices of the `take` largest scores among `candidates` (ascending token
 * indices), returned in token order; ties keep the earlier token. O(n): the
 * take-th largest score is found by selection, not by sorting.
 */
export function topByScore(candidates: Int32Array, scores: Float64Array, take: number): Int32Array {
  const count = Math.min(take, candidates.length);
  const picked = new Int32Array(count);
  if (count === 0) return picked;
  const values = Float64Array.from(candidates, (t) => scores[t] as number);
  const threshold = kthLargest(values, count);
  let above = 0;
  for (let i = 0; i < candidates.length; i++) if ((scores[candidates[i] as number] as number) > threshold) above++;
  // every score above the threshold, and the earliest tokens that equal it
  let ties = count - above;
  let at = 0;
  for (let i = 0; i < candidates.length; i++) {
    const t = candidates[i] as number;
    const s = scores[t] as number;
    if (s > threshold || (s === threshold && ties-- > 0)) picked[at++] = t;
  }
  return picked;
}

/** The k-th largest value (k >= 1) by quickselect; reorders `values`. */
function kthLargest(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((values[i] as number) > pivot) i++;
      while ((values[j] as number) < pivot) j--;
      if (i <= j) {
        const tmp = values[i] as number;
        values[i] = values[j] as number;
        values[j] = tmp;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return values[target] as number;
}

/** The fused slots' softmax prior: a Gaussian window over the r-th of R stretches of the N tokens. */
export function positionalPrior(fused: number, tokens: number, width: number): Float64Array {
  const prior = new Float64Array(fused * tokens);
  const sigma = width / fused;
  const scale = 1 / (2 * sigma * sigma);
  for (let r = 0; r < fused; r++) {
    const centre = (r + 0.5) / fused;
    for (let i = 0; i < tokens; i++) {
      const d = (i + 0.5) / tokens - centre;
      prior[r * tokens + i] = -d * d * scale;
    }
  }
  return prior;
}

/**
 * Softmax terms below e^-SOFTMAX_CUTOFF (~4e-18) of their row's largest are
 * left out (set to 0): together they move a fused slot by less than
 * n * 4e-18 of the tokens' scale, far below float32 resolution, and leaving
 * them out lets the mixing skip ~90% of the tokens with the default prior.
 */
export const SOFTMAX_CUTOFF = 40;

/** Softmax rows [R x N] and, per row, the range [lo, hi) outside which every weight is 0. */
export interface SoftWeights {
  soft: Float64Array;
  lo: Int32Array;
  hi: Int32Array;
}

/** The fused slots' softmax over the N remaining tokens: softmax(relu(logits) + prior) per row, logits undefined meaning 0. */
export function softWeights(logits: Float64Array | undefined, prior: Float64Array, r: number, n: number): SoftWeights {
  const soft = new Float64Array(r * n);
  const lo = new Int32Array(r);
  const hi = new Int32Array(r);
  for (let o = 0; o < r; o++) {
    const row = o * n;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const z = logits === undefined ? 0 : (logits[row + i] as number);
      const v = (z > 0 ? z : 0) + (prior[row + i] as number);
      soft[row + i] = v;
      if (v > max) max = v;
    }
    const floor = max - SOFTMAX_CUTOFF;
    let total = 0;
    let first = n;
    let last = -1;
    for (let i = 0; i < n; i++) {
      const v = soft[row + i] as number;
      if (v < floor) {
        soft[row + i] = 0;
        continue;
      }
      const e = Math.exp(v - max);
      soft[row + i] = e;
      total += e;
      if (first === n) first = i;
      last = i;
    }
    for (let i = first; i <= last; i++) soft[row + i] = (soft[row + i] as number) / total;
    lo[o] = first;
    hi[o] = last + 1;
  }
  return { soft, lo, hi };
}

/**
 * The mixing weights of the fused slots, [R x N]: (1 - blend) * onehot + blend * soft,
 * with each row's nonzero range (the soft weights themselves when blend is 1).
 */
export function mixingWeights(weights: SoftWeights, blend: number, oneHot: Int32Array, n: number): SoftWeights {
  if (blend === 1) return weights;
  const mix = new Float64Array(weights.soft.length);
  const lo = Int32Array.from(weights.lo);
  const hi = Int32Array.from(weights.hi);
  for (let o = 0; o < lo.length; o++) {
    const row = o * n;
    for (let i = lo[o] as number; i < (hi[o] as number); i++) mix[row + i] = blend * (weights.soft[row + i] as number);
    const pick = oneHot[o] as number;
    mix[row + pick] = (mix[row + pick] as number) + (1 - blend);
    lo[o] = Math.min(lo[o] as number, pick);
    hi[o] = Math.max(hi[o] as number, pick + 1);
  }
  return { soft: mix, lo, hi };
}

/**
 * The fused slots' counts: each remaining token's count is shared among the
 * slots in proportion to their weights on it. A token no slot weighs at all
 * (its softmax weights underflowed, or blend is 0 and it was not picked) goes
 * to the slot whose stretch it lies in, so the total is always conserved.
 */
export function fusedCounts(mix: SoftWeights, n: number, counts: Float64Array): Float64Array {
  const { soft: w, lo, hi } = mix;
  const fused = lo.length;
  const share = new Float64Array(n);
  for (let o = 0; o < fused; o++) for (let i = lo[o] as number; i < (hi[o] as number); i++) share[i] = (share[i] as number) + (w[o * n + i] as number);
  const out = new Float64Array(fused);
  for (let o = 0; o < fused; o++) {
    let sum = 0;
    for (let i = lo[o] as number; i < (hi[o] as number); i++) {
      const v = w[o * n + i] as number;
      if (v !== 0) sum += (v * (counts[i] as number)) / (share[i] as number);
    }
    out[o] = sum;
  }
  for (let i = 0; i < n; i++) {
    if (share[i] === 0) {
      const o = stretchOf(i, n, fused);
      out[o] = (out[o] as number) + (counts[i] as number);
    }
  }
  return out;
}

/** The fused slot whose stretch (prior window centre) token i of n lies in. */
export function stretchOf(i: number, n: number, fused: number): number {
  return Math.min(fused - 1, Math.floor(((i + 0.5) / n) * fused));
}

/** Splits a sequence's tokens into sinks, heavy hitters and the rest, in token order. */
export function partition(tokens: number, sinks: number, heavy: number, scores: Float64Array) {
  const candidates = new Int32Array(tokens - sinks);
  for (let t = sinks; t < tokens; t++) candidates[t - sinks] = t;
  const heavyIdx = topByScore(candidates, scores, heavy);
  const isHeavy = new Uint8Array(tokens);
  for (const t of heavyIdx) isHeavy[t] = 1;
  const rest = new Int32Array(tokens - sinks - heavy);
  let n = 0;
  for (let t = sinks; t < tokens; t++) if (isHeavy[t] === 0) rest[n++] = t;
  return { heavyIdx, rest };
}

/** Fuses one sequence into `plan.slots` tokens. */
export function fuseGroup(input: GroupInput, plan: GroupPlan): GroupOutput {
  const { x, tokens, features, counts, scores } = input;
  const { slots, sinks, heavy, fused } = plan;
  const y = new Float64Array(slots * features);
  const outCounts = new Float64Array(slots);
  for (let t = 0; t < sinks; t++) {
    y.set(x.subarray(t * features, (t + 1) * features), t * features);
    outCounts[t] = counts[t] as number;
  }
  const { heavyIdx, rest } = partition(tokens, sinks, heavy, scores);
  heavyIdx.forEach((t, h) => {
    y.set(x.subarray(t * features, (t + 1) * features), (sinks + h) * features);
    outCounts[sinks + h] = counts[t] as number;
  });
  if (fused === 0) return { y, counts: outCounts };

  const n = rest.length;
  const { kernels } = plan;
  let weights: SoftWeights;
  if ('soft' in plan.weights) {
    weights = plan.weights;
  } else {
    const xt = new Float64Array(features * n);
    for (let i = 0; i < n; i++) {
      const row = (rest[i] as number) * features;
      for (let c = 0; c < features; c++) xt[c * n + i] = x[row + c] as number;
    }
    const logits = new Float64Array(fused * n);
    plan.weights.logits(xt, logits);
    weights = softWeights(logits, plan.prior, fused, n);
  }
  let mix = weights;
  if (kernels.blend !== 1) {
    const restScores = Float64Array.from(rest, (t) => scores[t] as number);
    const oneHot = topByScore(new Int32Array(n).map((_, i) => i), restScores, fused);
    mix = mixingWeights(weights, kernels.blend, oneHot, n);
  }
  weightedRowSums(mix.soft, n, mix.lo, mix.hi, x, rest, features, features, y, (sinks + heavy) * features);
  outCounts.set(fusedCounts(mix, n, Float64Array.from(rest, (t) => counts[t] as number)), sinks + heavy);
  return { y, counts: outCounts };
}

/**
 * Importance of every token as attention received: column sums of
 * softmax(q K^T / sqrt(d) + log c) over the queries (`queries` is [Q x d]
 * row-major, the keys are the first d features of x).
 */
export function attentionScores(x: Float64Array, tokens: number, features: number, keyFeatures: number, counts: Float64Array, queries: Float64Array, queryCount: number): Float64Array {
  const scores = new Float64Array(tokens);
  const scale = 1 / Math.sqrt(keyFeatures);
  const bias = Float64Array.from(counts, Math.log);
  // queries in chunks, so the logits stay small whatever the number of queries
  const chunk = Math.max(1, Math.min(queryCount, Math.floor(QUERY_CHUNK_ELEMENTS / tokens)));
  withResidentArrays((resident) => {
    const logits = resident(chunk * tokens);
    for (let q0 = 0; q0 < queryCount; q0 += chunk) {
      const rows = Math.min(chunk, queryCount - q0);
      rowDots(queries.subarray(q0 * keyFeatures), keyFeatures, rows, x, features, tokens, keyFeatures, logits);
      softmaxColumnSums(logits, rows, tokens, scale, bias, scores);
    }
  });
  return scores;
}

/** Logits held at once while scoring: 1M values (8 MiB). */
const QUERY_CHUNK_ELEMENTS = 1 << 20;

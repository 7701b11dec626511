import type { LococoKernels } from './kernels.js';

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
  /** All weights zero: the convolution contributes a constant per slot, which the softmax ignores. */
  convIsZero: boolean;
}

export interface GroupOutput {
  /** [slots x F]: sinks, then heavy hitters in token order, then fused slots. */
  y: Float64Array;
  counts: Float64Array;
}

/** Indices of the `take` largest scores among `candidates`, returned in token order (ties keep the earlier token). */
export function topByScore(candidates: Int32Array, scores: Float64Array, take: number): Int32Array {
  const order = Array.from(candidates);
  order.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
  return Int32Array.from(order.slice(0, take)).sort();
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
 * The mixing weights of the fused slots over the N remaining tokens, [R x N]:
 * (1 - blend) * onehot + blend * softmax(relu(conv) + prior), and the softmax
 * part alone (kept for fitting). `xt` holds the remaining tokens feature-major, [F x N].
 */
export function mixingWeights(
  kernels: LococoKernels,
  convIsZero: boolean,
  xt: Float64Array,
  tokens: number,
  oneHot: Int32Array,
): { mix: Float64Array; soft: Float64Array; logits: Float64Array } {
  const { fused: r, features: f, size: k, weights, bias, blend } = kernels;
  const pad = (k - 1) / 2;
  const logits = new Float64Array(r * tokens);
  if (!convIsZero) {
    for (let o = 0; o < r; o++) {
      const row = o * tokens;
      logits.fill(bias[o] as number, row, row + tokens);
      for (let c = 0; c < f; c++) {
        const src = c * tokens;
        for (let j = 0; j < k; j++) {
          const w = weights[(o * f + c) * k + j] as number;
          if (w === 0) continue;
          const shift = j - pad;
          const from = Math.max(0, -shift);
          const to = Math.min(tokens, tokens - shift);
          for (let i = from; i < to; i++) logits[row + i] = (logits[row + i] as number) + w * (xt[src + i + shift] as number);
        }
      }
    }
  }
  const prior = positionalPrior(r, tokens, kernels.priorWidth);
  const soft = new Float64Array(r * tokens);
  for (let o = 0; o < r; o++) {
    const row = o * tokens;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < tokens; i++) {
      const z = logits[row + i] as number;
      const v = (z > 0 ? z : 0) + (prior[row + i] as number);
      soft[row + i] = v;
      if (v > max) max = v;
    }
    let total = 0;
    for (let i = 0; i < tokens; i++) {
      const e = Math.exp((soft[row + i] as number) - max);
      soft[row + i] = e;
      total += e;
    }
    for (let i = 0; i < tokens; i++) soft[row + i] = (soft[row + i] as number) / total;
  }
  const mix = new Float64Array(r * tokens);
  for (let i = 0; i < mix.length; i++) mix[i] = blend * (soft[i] as number);
  for (let o = 0; o < r; o++) {
    const at = o * tokens + (oneHot[o] as number);
    mix[at] = (mix[at] as number) + (1 - blend);
  }
  return { mix, soft, logits };
}

/**
 * The fused slots' counts: each remaining token's count is shared among the
 * slots in proportion to their weights on it. A token no slot weighs at all
 * (its softmax weights underflowed, or blend is 0 and it was not picked) goes
 * to the slot whose stretch it lies in, so the total is always conserved.
 */
export function fusedCounts(mix: Float64Array, fused: number, n: number, counts: Float64Array): Float64Array {
  const share = new Float64Array(n);
  for (let o = 0; o < fused; o++) for (let i = 0; i < n; i++) share[i] = (share[i] as number) + (mix[o * n + i] as number);
  const out = new Float64Array(fused);
  for (let i = 0; i < n; i++) {
    const c = counts[i] as number;
    const sh = share[i] as number;
    if (sh > 0) {
      for (let o = 0; o < fused; o++) {
        const w = mix[o * n + i] as number;
        if (w !== 0) out[o] = (out[o] as number) + (w * c) / sh;
      }
    } else {
      const o = stretchOf(i, n, fused);
      out[o] = (out[o] as number) + c;
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
  const xt = new Float64Array(features * n);
  for (let i = 0; i < n; i++) {
    const row = (rest[i] as number) * features;
    for (let c = 0; c < features; c++) xt[c * n + i] = x[row + c] as number;
  }
  const restScores = Float64Array.from(rest, (t) => scores[t] as number);
  const positions = new Int32Array(n).map((_, i) => i);
  const oneHot = topByScore(positions, restScores, fused);
  const { mix } = mixingWeights(plan.kernels, plan.convIsZero, xt, n, oneHot);

  const base = (sinks + heavy) * features;
  for (let o = 0; o < fused; o++) {
    const out = base + o * features;
    for (let i = 0; i < n; i++) {
      const w = mix[o * n + i] as number;
      if (w === 0) continue;
      const row = (rest[i] as number) * features;
      for (let c = 0; c < features; c++) y[out + c] = (y[out + c] as number) + w * (x[row + c] as number);
    }
  }
  outCounts.set(fusedCounts(mix, fused, n, Float64Array.from(rest, (t) => counts[t] as number)), sinks + heavy);
  return { y, counts: outCounts };
}

/**
 * Importance of every token as attention received: column sums of
 * softmax(q K^T / sqrt(d) + log c) over the queries (`queries` is [Q x d]
 * row-major, the keys are the first d features of x).
 */
export function attentionScores(x: Float64Array, tokens: number, features: number, keyFeatures: number, counts: Float64Array, queries: Float64Array, queryCount: number): Float64Array {
  const scores = new Float64Array(tokens);
  const logits = new Float64Array(tokens);
  const scale = 1 / Math.sqrt(keyFeatures);
  const bias = Float64Array.from(counts, Math.log);
  for (let q = 0; q < queryCount; q++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let t = 0; t < tokens; t++) {
      let s = 0;
      for (let c = 0; c < keyFeatures; c++) s += (queries[q * keyFeatures + c] as number) * (x[t * features + c] as number);
      s = s * scale + (bias[t] as number);
      logits[t] = s;
      if (s > max) max = s;
    }
    let total = 0;
    for (let t = 0; t < tokens; t++) {
      const e = Math.exp((logits[t] as number) - max);
      logits[t] = e;
      total += e;
    }
    for (let t = 0; t < tokens; t++) scores[t] = (scores[t] as number) + (logits[t] as number) / total;
  }
  return scores;
}

import { asTensor, assertFinite, bytesPerElement, dtypeOf, formatShape, shapeSize, tokenLayout, withTokens } from '@globalmcp/tensor';
import type { FloatArray, Tensor } from '@globalmcp/tensor';
import { attentionScores, fuseGroup, planGroups } from './fuseCore.js';
import type { GroupPlan } from './fuseCore.js';
import { defaultKernels, validateKernels } from './kernels.js';
import type { LococoKernels } from './kernels.js';
import { LococoError } from './lococoError.js';
import { withResidentArrays } from './simd.js';
import { FuseOptionsSchema, parseOptions } from './options.js';
import type { FuseOptions, ResolvedFuseOptions } from './options.js';

export interface FuseStats {
  tokensIn: number;
  tokensOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Independent sequences (heads, layers ...) fused. */
  groups: number;
  sinkTokens: number;
  heavyHitters: number;
  fusedSlots: number;
  ms: number;
}

export interface FuseResult<A extends FloatArray = FloatArray> {
  /** Same dtype and shape as the input, with `slots` tokens. */
  tensor: Tensor<A>;
  /**
   * Original tokens per output slot, [groups x slots] row-major: heavy hitters
   * differ between sequences, so each has its own. Each sequence's total is conserved.
   */
  counts: Float64Array;
  stats: FuseStats;
}

/** How a tensor maps onto sequences of feature vectors. */
export interface Layout {
  groups: number;
  tokens: number;
  features: number;
  /** Keys are features [0, keyFeatures); values start at valueOffset (0 when keys and values are the same features). */
  keyFeatures: number;
  valueOffset: number;
  gather(g: number, x: Float64Array): void;
  scatter(g: number, y: Float64Array, out: FloatArray): void;
  outShape: number[];
  /** Sequences [from, to) copied into a tensor of their own that the same kind of layout reads as sequences 0 .. to - from. */
  extract(from: number, to: number): Tensor;
}

/**
 * LoCoCo fusion of a token sequence: `[...sequences, tokens, ...features]`
 * (token axis as in `@globalmcp/freqkv`: default the second to last) into
 * exactly `slots` tokens per sequence, whatever the input length: `sinkTokens`
 * kept raw, a share of the rest (`heavyHitters`) kept verbatim by importance,
 * and the others fused into convex mixtures of the remaining tokens (see
 * {@link LococoKernels}). The features are used as both keys and values.
 */
export function fuse<A extends FloatArray>(input: Tensor<A>, options: FuseOptions): FuseResult<A> {
  const started = performance.now();
  const opts = parseOptions(FuseOptionsSchema, options, 'fuse options');
  const tensor = asTensor(input);
  return run(tensor, sequenceLayout(tensor, opts.axis, opts.slots), opts, started);
}

/** `[...sequences, tokens, ...features]` around the token axis: each sequence is one contiguous block. */
export function sequenceLayout(tensor: Tensor, axis: number | undefined, slots: number): Layout {
  const layout = tokenLayout(tensor.shape, axis);
  const { outer, tokens, inner } = layout;
  const data = tensor.data;
  return {
    groups: outer,
    tokens,
    features: inner,
    keyFeatures: inner,
    valueOffset: 0,
    gather: (g, x) => x.set(data.subarray(g * tokens * inner, (g + 1) * tokens * inner)),
    scatter: (g, y, out) => out.set(y, g * slots * inner),
    outShape: withTokens(tensor.shape, layout.axis, slots),
    extract: (from, to) => ({ data: data.slice(from * tokens * inner, to * tokens * inner), shape: [to - from, tokens, inner] }),
  };
}

/**
 * LoCoCo fusion of a KV cache `[...layers, 2 (K, V), heads, tokens, headDim]`:
 * each head's keys and values are fused together (the convolution reads the
 * concatenated [K; V] channels, and K and V slots share their mixing weights),
 * and importance comes from the keys.
 */
export function fuseKv<A extends FloatArray>(kv: Tensor<A>, options: FuseOptions): FuseResult<A> {
  const started = performance.now();
  const opts = parseOptions(FuseOptionsSchema, options, 'fuseKv options');
  const tensor = asTensor(kv, 'kv cache');
  if (opts.axis !== undefined) throw new LococoError('INVALID_OPTIONS', 'invalid fuseKv options: axis: a KV cache has its tokens on axis -2; leave axis out');
  return run(tensor, kvLayout(tensor, opts.slots), opts, started);
}

/** `[...layers, 2, heads, tokens, headDim]`: one sequence per (layer, head), features [K; V]. */
export function kvLayout(tensor: Tensor, slots: number): Layout {
  const rank = tensor.shape.length;
  if (rank < 4 || tensor.shape[rank - 4] !== 2) {
    throw new LococoError('SHAPE_MISMATCH', `a KV cache must have shape [...layers, 2, heads, tokens, headDim]; got ${formatShape(tensor.shape)}`);
  }
  const heads = tensor.shape[rank - 3] as number;
  const tokens = tensor.shape[rank - 2] as number;
  const dim = tensor.shape[rank - 1] as number;
  const layers = shapeSize(tensor.shape.slice(0, rank - 4));
  const data = tensor.data;
  const block = (l: number, kOrV: number, h: number, t: number) => ((l * 2 + kOrV) * heads + h) * t * dim;
  return {
    groups: layers * heads,
    tokens,
    features: 2 * dim,
    keyFeatures: dim,
    valueOffset: dim,
    gather: (g, x) => {
      const l = Math.floor(g / heads);
      const h = g - l * heads;
      const kBase = block(l, 0, h, tokens);
      const vBase = block(l, 1, h, tokens);
      for (let t = 0; t < tokens; t++) {
        for (let c = 0; c < dim; c++) {
          x[t * 2 * dim + c] = data[kBase + t * dim + c] as number;
          x[t * 2 * dim + dim + c] = data[vBase + t * dim + c] as number;
        }
      }
    },
    scatter: (g, y, out) => {
      const l = Math.floor(g / heads);
      const h = g - l * heads;
      const kBase = block(l, 0, h, slots);
      const vBase = block(l, 1, h, slots);
      for (let s = 0; s < slots; s++) {
        for (let c = 0; c < dim; c++) {
          out[kBase + s * dim + c] = y[s * 2 * dim + c] as number;
          out[vBase + s * dim + c] = y[s * 2 * dim + dim + c] as number;
        }
      }
    },
    outShape: withTokens(tensor.shape, rank - 2, slots),
    extract: (from, to) => {
      // each sequence becomes a layer of one head: [to - from, 2, 1, tokens, dim]
      const part = tensor.data instanceof Float64Array ? new Float64Array((to - from) * 2 * tokens * dim) : new Float32Array((to - from) * 2 * tokens * dim);
      for (let g = from; g < to; g++) {
        const l = Math.floor(g / heads);
        const h = g - l * heads;
        for (let kOrV = 0; kOrV < 2; kOrV++) {
          const at = block(l, kOrV, h, tokens);
          part.set(data.subarray(at, at + tokens * dim), ((g - from) * 2 + kOrV) * tokens * dim);
        }
      }
      return { data: part, shape: [to - from, 2, 1, tokens, dim] };
    },
  };
}

/** Fusion sizes for a call: how many slots are sinks, heavy hitters and fused. */
export function slotPlan(slots: number, sinkTokens: number, heavyHitters: number, tokens: number): { sinks: number; heavy: number; fused: number } {
  if (tokens <= slots) {
    throw new LococoError('TOO_FEW_TOKENS', `slots (${slots}) must be less than the number of tokens (${tokens}): there is nothing to fuse`);
  }
  if (sinkTokens >= slots) {
    throw new LococoError('INVALID_OPTIONS', `sinkTokens (${sinkTokens}) must be less than slots (${slots}), leaving room for the rest`);
  }
  const heavy = Math.round(heavyHitters * (slots - sinkTokens));
  return { sinks: sinkTokens, heavy, fused: slots - sinkTokens - heavy };
}

/** A validated fusion call: everything but the per-sequence work. */
export interface FuseJob {
  layout: Layout;
  opts: ResolvedFuseOptions;
  plan: GroupPlan;
  counts: ((g: number) => Float64Array) | undefined;
  scores: ((g: number) => Float64Array) | undefined;
  queries: { data: (g: number) => Float64Array; count: number } | undefined;
}

/** Checks a call as a whole (every error `fuse` throws is thrown here) and plans it. */
export function prepareFuse(tensor: Tensor, layout: Layout, opts: ResolvedFuseOptions, checkFinite = true): FuseJob {
  if (checkFinite) assertFinite(tensor);
  const { groups, tokens, features, keyFeatures } = layout;
  const { sinks, heavy, fused } = slotPlan(opts.slots, opts.sinkTokens, opts.heavyHitters, tokens);
  const kernels = resolveKernels(opts.kernels, fused, features, opts.kernelSize);
  if (opts.scores !== undefined && opts.queries !== undefined) {
    throw new LococoError('INVALID_OPTIONS', 'give scores or queries, not both: scores are the importance itself, queries are used to compute it');
  }
  return {
    layout,
    opts,
    plan: planGroups(opts.slots, sinks, heavy, fused, kernels, tokens),
    counts: perGroup(opts.counts, groups, tokens, 'counts', true),
    scores: perGroup(opts.scores, groups, tokens, 'scores', false),
    queries: resolveQueries(opts.queries, groups, keyFeatures),
  };
}

/** Fuses sequences [from, to) of a job, handing each one's slots ([slots x features], float64) and counts to `take`. */
export function fuseGroups(job: FuseJob, from: number, to: number, take: (g: number, y: Float64Array, counts: Float64Array) => void): void {
  const { tokens, features } = job.layout;
  // x lives where the SIMD kernels read it in place (scores and mixing), not copied in twice per sequence
  withResidentArrays((resident) => fuseGroupsWith(job, from, to, take, resident(tokens * features)));
}

function fuseGroupsWith(job: FuseJob, from: number, to: number, take: (g: number, y: Float64Array, counts: Float64Array) => void, x: Float64Array): void {
  const { layout, opts, plan } = job;
  const { tokens, features, keyFeatures } = layout;
  const ones = new Float64Array(tokens).fill(1);
  for (let g = from; g < to; g++) {
    layout.gather(g, x);
    const groupCounts = job.counts === undefined ? ones : job.counts(g);
    let groupScores: Float64Array;
    if (job.scores !== undefined) {
      groupScores = job.scores(g);
    } else if (job.queries !== undefined) {
      groupScores = attentionScores(x, tokens, features, keyFeatures, groupCounts, job.queries.data(g), job.queries.count);
    } else {
      groupScores = observationScores(x, tokens, features, keyFeatures, groupCounts, opts.observationWindow);
    }
    const result = fuseGroup({ x, tokens, features, keyFeatures, counts: groupCounts, scores: groupScores }, plan);
    take(g, result.y, result.counts);
  }
}

/** An empty output for a job, in the input's dtype, and `place` to put one sequence's slots and counts into it. */
export function allocateOutput<A extends FloatArray>(like: A, job: FuseJob): { out: A; counts: Float64Array; place: (g: number, y: Float64Array, counts: Float64Array) => void } {
  const { layout, opts } = job;
  const length = layout.groups * opts.slots * layout.features;
  const out = (like instanceof Float64Array ? new Float64Array(length) : new Float32Array(length)) as A;
  const counts = new Float64Array(layout.groups * opts.slots);
  const place = (g: number, y: Float64Array, groupCounts: Float64Array) => {
    layout.scatter(g, y, out);
    counts.set(groupCounts, g * opts.slots);
  };
  return { out, counts, place };
}

export function finishFuse<A extends FloatArray>(tensor: Tensor<A>, job: FuseJob, out: A, counts: Float64Array, started: number): FuseResult<A> {
  const bytes = bytesPerElement(dtypeOf(tensor.data));
  const { plan, layout } = job;
  return {
    tensor: { data: out, shape: Object.freeze(layout.outShape) },
    counts,
    stats: {
      tokensIn: layout.tokens,
      tokensOut: job.opts.slots,
      bytesIn: tensor.data.length * bytes,
      bytesOut: out.length * bytes,
      groups: layout.groups,
      sinkTokens: plan.sinks,
      heavyHitters: plan.heavy,
      fusedSlots: plan.fused,
      ms: performance.now() - started,
    },
  };
}

function run<A extends FloatArray>(tensor: Tensor<A>, layout: Layout, opts: ResolvedFuseOptions, started: number): FuseResult<A> {
  const job = prepareFuse(tensor, layout, opts);
  const output = allocateOutput(tensor.data, job);
  fuseGroups(job, 0, layout.groups, output.place);
  return finishFuse(tensor, job, output.out, output.counts, started);
}

/** Importance by SnapKV's observation window: the keys of the last `window` tokens act as queries. */
export function observationScores(x: Float64Array, tokens: number, features: number, keyFeatures: number, counts: Float64Array, window: number): Float64Array {
  const w = Math.min(window, tokens);
  const q = new Float64Array(w * keyFeatures);
  for (let i = 0; i < w; i++) {
    const row = (tokens - w + i) * features;
    for (let c = 0; c < keyFeatures; c++) q[i * keyFeatures + c] = x[row + c] as number;
  }
  return attentionScores(x, tokens, features, keyFeatures, counts, q, w);
}

function resolveKernels(given: LococoKernels | undefined, fused: number, features: number, size: number): LococoKernels {
  if (given === undefined || fused === 0) return defaultKernels(Math.max(fused, 1), features, size);
  validateKernels(given);
  if (given.fused !== fused || given.features !== features) {
    throw new LococoError(
      'SHAPE_MISMATCH',
      `kernels were made for ${given.fused} fused slots x ${given.features} features; this call needs ${fused} x ${features} (create them with defaultKernels(${fused}, ${features}) or fit them for this shape)`,
    );
  }
  return given;
}

/** A per-token option given once for all sequences (length T) or per sequence (length groups * T). */
function perGroup(values: ArrayLike<number> | undefined, groups: number, tokens: number, name: string, positive: boolean): ((g: number) => Float64Array) | undefined {
  if (values === undefined) return undefined;
  if (values.length !== tokens && values.length !== groups * tokens) {
    throw new LococoError('SHAPE_MISMATCH', `${name} has ${values.length} entries; expected ${tokens} (one per token) or ${groups * tokens} (one per token of each of ${groups} sequences)`);
  }
  const all = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || (positive && !(v > 0))) {
      throw new LococoError('INVALID_OPTIONS', `${name}[${i}] must be a ${positive ? 'positive ' : ''}finite number; got ${String(v)}`);
    }
    all[i] = v;
  }
  return values.length === tokens ? () => all : (g) => all.subarray(g * tokens, (g + 1) * tokens);
}

function resolveQueries(given: Tensor | undefined, groups: number, keyFeatures: number): { data: (g: number) => Float64Array; count: number } | undefined {
  if (given === undefined) return undefined;
  const q = asTensor(given, 'queries');
  assertFinite(q, 'queries');
  const rank = q.shape.length;
  const leading = shapeSize(q.shape.slice(0, -2));
  if (rank < 2 || q.shape[rank - 1] !== keyFeatures || (rank > 2 && leading !== groups)) {
    throw new LococoError('SHAPE_MISMATCH', `queries must have shape [queries, ${keyFeatures}] or [...sequences, queries, ${keyFeatures}] with ${groups} sequences; got ${formatShape(q.shape)}`);
  }
  const count = q.shape[rank - 2] as number;
  const all = Float64Array.from(q.data);
  return { count, data: rank === 2 ? () => all : (g) => all.subarray(g * count * keyFeatures, (g + 1) * count * keyFeatures) };
}

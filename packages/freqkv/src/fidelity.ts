import { z } from 'zod';
import { assertFinite, asTensor, createRandom, createTensor, formatShape, shapeSize } from '@globalmcp/tensor';
import type { Tensor } from '@globalmcp/tensor';
import { FreqKvError } from './freqKvError.js';
import { parseOptions } from './options.js';

/**
 * Keys and values of one or more attention heads, shape `[...heads, tokens, headDim]`
 * (the token axis is the second to last), with optional counts: how many
 * original tokens each stands for, one per token (shared by all heads) or one
 * per token of each head (heads x tokens, as LoCoCo's fusion gives).
 */
export interface AttentionCache {
  keys: Tensor;
  values: Tensor;
  counts?: ArrayLike<number>;
}

export const AttentionErrorOptionsSchema = z.strictObject({
  /** Probe queries, `[queries, headDim]` for all heads or `[...heads, queries, headDim]`. Default: random. */
  queries: z
    .custom<Tensor>((v) => typeof v === 'object' && v !== null && 'data' in v && 'shape' in v, { error: 'expected a tensor { data, shape }' })
    .optional(),
  /** Number of random N(0, I) probe queries per head when `queries` is not given. */
  probes: z
    .number({ error: 'expected an integer in [1, 100000]' })
    .int({ error: 'expected an integer in [1, 100000]' })
    .min(1, { error: 'expected an integer in [1, 100000]' })
    .max(100_000, { error: 'expected an integer in [1, 100000]' })
    .default(64),
  /** Seed of the random probe queries. */
  seed: z.number({ error: 'expected an integer' }).int({ error: 'expected an integer' }).default(0),
  /** Add log(count) to each slot's logit (proportional attention, ToMe). */
  countBias: z.boolean({ error: 'expected true or false' }).default(true),
});

export type AttentionErrorOptions = z.input<typeof AttentionErrorOptionsSchema>;

export interface AttentionErrorResult {
  median: number;
  p90: number;
  mean: number;
  max: number;
  /** One relative error per (head, query), head-major. */
  errors: Float64Array;
  heads: number;
  queriesPerHead: number;
}

/**
 * Relative error of the attention output of `approx` against `reference` for
 * probe queries q, per head:
 *
 *   err(q) = || softmax(q K'^T / sqrt(d) + log c') V' - softmax(q K^T / sqrt(d) + log c) V || / || softmax(q K^T / sqrt(d) + log c) V ||
 *
 * with c, c' the caches' counts (1 when absent) and the log-count terms only
 * when `countBias` is on. The caches may have different token counts but must
 * agree on heads and head dimension.
 */
export function attentionError(reference: AttentionCache, approx: AttentionCache, options: AttentionErrorOptions = {}): AttentionErrorResult {
  const opts = parseOptions(AttentionErrorOptionsSchema, options, 'attentionError options');
  const ref = checkCache(reference, 'reference');
  const apx = checkCache(approx, 'approx');
  if (ref.heads !== apx.heads || ref.dim !== apx.dim) {
    throw new FreqKvError(
      'SHAPE_MISMATCH',
      `reference keys ${formatShape(reference.keys.shape)} and approx keys ${formatShape(approx.keys.shape)} must agree on heads and head dimension`,
    );
  }
  const { heads, dim } = ref;
  const { data: queries, perHead, count: queriesPerHead } = resolveQueries(opts.queries, opts.seed, heads, dim, opts.probes);
  const bias = opts.countBias;
  const refBias = logCounts(reference.counts, ref.tokens, heads, bias);
  const apxBias = logCounts(approx.counts, apx.tokens, heads, bias);
  const scale = 1 / Math.sqrt(dim);

  const errors = new Float64Array(heads * queriesPerHead);
  const exact = new Float64Array(dim);
  const estimate = new Float64Array(dim);
  const refLogits = new Float64Array(ref.tokens);
  const apxLogits = new Float64Array(apx.tokens);
  for (let h = 0; h < heads; h++) {
    for (let q = 0; q < queriesPerHead; q++) {
      const qOffset = ((perHead ? h * queriesPerHead : 0) + q) * dim;
      attend(queries, qOffset, reference, h, ref.tokens, dim, scale, refBias?.(h), refLogits, exact);
      attend(queries, qOffset, approx, h, apx.tokens, dim, scale, apxBias?.(h), apxLogits, estimate);
      let diff = 0;
      let norm = 0;
      for (let i = 0; i < dim; i++) {
        const e = exact[i] as number;
        const d = (estimate[i] as number) - e;
        diff += d * d;
        norm += e * e;
      }
      errors[h * queriesPerHead + q] = norm > 0 ? Math.sqrt(diff / norm) : Math.sqrt(diff);
    }
  }
  const sorted = Float64Array.from(errors).sort();
  let sum = 0;
  for (const e of sorted) sum += e;
  return {
    median: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    mean: sum / sorted.length,
    max: sorted[sorted.length - 1] as number,
    errors,
    heads,
    queriesPerHead,
  };
}

/** Linear-interpolated quantile of sorted values (numpy's default). */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  const a = sorted[lo] as number;
  return a + ((sorted[hi] as number) - a) * (pos - lo);
}

function attend(
  queries: Float64Array,
  qOffset: number,
  cache: AttentionCache,
  head: number,
  tokens: number,
  dim: number,
  scale: number,
  bias: Float64Array | undefined,
  logits: Float64Array,
  out: Float64Array,
): void {
  const keys = cache.keys.data;
  const values = cache.values.data;
  const base = head * tokens * dim;
  let max = Number.NEGATIVE_INFINITY;
  for (let t = 0; t < tokens; t++) {
    const row = base + t * dim;
    let s = 0;
    for (let i = 0; i < dim; i++) s += (queries[qOffset + i] as number) * (keys[row + i] as number);
    s = s * scale + (bias === undefined ? 0 : (bias[t] as number));
    logits[t] = s;
    if (s > max) max = s;
  }
  out.fill(0);
  let total = 0;
  for (let t = 0; t < tokens; t++) {
    const w = Math.exp((logits[t] as number) - max);
    total += w;
    const row = base + t * dim;
    for (let i = 0; i < dim; i++) out[i] = (out[i] as number) + w * (values[row + i] as number);
  }
  for (let i = 0; i < dim; i++) out[i] = (out[i] as number) / total;
}

function checkCache(cache: AttentionCache, what: string) {
  if (typeof cache !== 'object' || cache === null || cache.keys === undefined || cache.values === undefined) {
    throw new FreqKvError('SHAPE_MISMATCH', `${what} must be { keys, values, counts? } with keys and values of shape [...heads, tokens, headDim]`);
  }
  const keys = createTensor(cache.keys.data, cache.keys.shape);
  const values = createTensor(cache.values.data, cache.values.shape);
  assertFinite(keys, `${what} keys`);
  assertFinite(values, `${what} values`);
  if (keys.shape.length < 2) {
    throw new FreqKvError('SHAPE_MISMATCH', `${what} keys must have shape [...heads, tokens, headDim]; got ${formatShape(keys.shape)}`);
  }
  if (formatShape(keys.shape) !== formatShape(values.shape)) {
    throw new FreqKvError('SHAPE_MISMATCH', `${what} keys ${formatShape(keys.shape)} and values ${formatShape(values.shape)} must have the same shape`);
  }
  const rank = keys.shape.length;
  const tokens = keys.shape[rank - 2] as number;
  const dim = keys.shape[rank - 1] as number;
  return { tokens, dim, heads: shapeSize(keys.shape.slice(0, rank - 2)) };
}

/** log(count) per token, shared by all heads (length tokens) or per head (length heads * tokens). */
function logCounts(counts: ArrayLike<number> | undefined, tokens: number, heads: number, enabled: boolean): ((head: number) => Float64Array) | undefined {
  if (!enabled || counts === undefined) return undefined;
  if (counts.length !== tokens && counts.length !== heads * tokens) {
    throw new FreqKvError('SHAPE_MISMATCH', `counts has ${counts.length} entries; expected ${tokens} (one per token) or ${heads * tokens} (one per token of each of ${heads} heads)`);
  }
  const out = new Float64Array(counts.length);
  for (let t = 0; t < counts.length; t++) {
    const c = counts[t] as number;
    if (!(c > 0) || c === Number.POSITIVE_INFINITY) throw new FreqKvError('INVALID_OPTIONS', `counts[${t}] must be a positive finite number; got ${String(c)}`);
    out[t] = Math.log(c);
  }
  return counts.length === tokens ? () => out : (h) => out.subarray(h * tokens, (h + 1) * tokens);
}

function resolveQueries(given: Tensor | undefined, seed: number, heads: number, dim: number, probes: number) {
  if (given !== undefined) {
    const q = createTensor(given.data, given.shape);
    assertFinite(q, 'queries');
    const rank = q.shape.length;
    const qDim = q.shape[rank - 1] as number;
    const leading = shapeSize(q.shape.slice(0, -2));
    if (rank < 2 || qDim !== dim || (rank > 2 && leading !== heads)) {
      throw new FreqKvError(
        'SHAPE_MISMATCH',
        `queries must have shape [queries, ${dim}] or [...heads, queries, ${dim}] with ${heads} heads; got ${formatShape(q.shape)}`,
      );
    }
    return { data: Float64Array.from(q.data), perHead: rank > 2, count: q.shape[rank - 2] as number };
  }
  const random = createRandom(seed);
  const data = new Float64Array(heads * probes * dim);
  for (let i = 0; i < data.length; i++) data[i] = random.normal();
  return { data, perHead: true, count: probes };
}

/**
 * Splits a KV cache `[...layers, 2, heads, tokens, headDim]` (axis -4 holds K
 * then V) into the keys and values {@link attentionError} takes. Copies.
 */
export function splitKv(kv: Tensor, counts?: ArrayLike<number>): AttentionCache {
  const tensor = asTensor(kv, 'kv cache');
  const rank = tensor.shape.length;
  if (rank < 4 || tensor.shape[rank - 4] !== 2) {
    throw new FreqKvError('SHAPE_MISMATCH', `a KV cache must have shape [...layers, 2, heads, tokens, headDim]; got ${formatShape(tensor.shape)}`);
  }
  const block = shapeSize(tensor.shape.slice(rank - 3));
  const layers = shapeSize(tensor.shape.slice(0, rank - 4));
  const halfShape = [...tensor.shape.slice(0, rank - 4), ...tensor.shape.slice(rank - 3)];
  const make = () => (tensor.data instanceof Float64Array ? new Float64Array(layers * block) : new Float32Array(layers * block));
  const keys = make();
  const values = make();
  for (let l = 0; l < layers; l++) {
    keys.set(tensor.data.subarray(2 * l * block, (2 * l + 1) * block), l * block);
    values.set(tensor.data.subarray((2 * l + 1) * block, (2 * l + 2) * block), l * block);
  }
  const cache: AttentionCache = { keys: { data: keys, shape: halfShape }, values: { data: values, shape: halfShape } };
  if (counts !== undefined) cache.counts = counts;
  return cache;
}

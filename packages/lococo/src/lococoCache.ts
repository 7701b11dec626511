import { asTensor, assertFinite, formatShape, tokenLayout } from '@globalmcp/tensor';
import type { FloatArray, Tensor } from '@globalmcp/tensor';
import { z } from 'zod';
import { fuse, fuseKv } from './fuse.js';
import type { FuseStats } from './fuse.js';
import { validateKernels } from './kernels.js';
import type { LococoKernels } from './kernels.js';
import { LococoError } from './lococoError.js';
import { FuseOptionsSchema, parseOptions } from './options.js';

export const LococoCacheOptionsSchema = FuseOptionsSchema.pick({
  slots: true,
  sinkTokens: true,
  heavyHitters: true,
  observationWindow: true,
  kernels: true,
  kernelSize: true,
}).extend({
  /** The chunks are KV caches `[...layers, 2, heads, tokens, headDim]` (fused with `fuseKv`); otherwise sequences `[...sequences, tokens, features]`. */
  kv: z.boolean({ error: 'expected true or false' }).default(false),
});

export type LococoCacheOptions = z.input<typeof LococoCacheOptionsSchema>;

/**
 * LoCoCo's streaming form: a cache of at most `slots` tokens per sequence
 * that absorbs chunks of new tokens. While everything fits, tokens are kept
 * as they come; after that, every chunk is fused together with the slots
 * already held (their counts carried), so the cache always holds `slots`.
 * The token axis is the second to last. A failed append changes nothing.
 */
export class LococoCache {
  readonly slots: number;
  readonly #options: { sinkTokens: number; heavyHitters: number; observationWindow: number; kernels?: LococoKernels; kernelSize: number };
  readonly #kv: boolean;
  #state: Tensor | undefined;
  #counts: Float64Array | undefined;
  #rounds = 0;
  #total = 0;
  #lastStats: FuseStats | undefined;

  constructor(options: LococoCacheOptions) {
    const opts = parseOptions(LococoCacheOptionsSchema, options, 'LococoCache options');
    if (opts.sinkTokens >= opts.slots) {
      throw new LococoError('INVALID_OPTIONS', `invalid LococoCache options: sinkTokens (${opts.sinkTokens}) must be less than slots (${opts.slots})`);
    }
    if (opts.kernels !== undefined) {
      validateKernels(opts.kernels);
      const fused = opts.slots - opts.sinkTokens - Math.round(opts.heavyHitters * (opts.slots - opts.sinkTokens));
      if (opts.kernels.fused !== fused) {
        throw new LococoError('SHAPE_MISMATCH', `kernels were made for ${opts.kernels.fused} fused slots; this cache fuses into ${fused} (slots - sinkTokens - heavy hitters)`);
      }
    }
    this.slots = opts.slots;
    this.#kv = opts.kv;
    this.#options = {
      sinkTokens: opts.sinkTokens,
      heavyHitters: opts.heavyHitters,
      observationWindow: opts.observationWindow,
      kernelSize: opts.kernelSize,
      ...(opts.kernels === undefined ? {} : { kernels: opts.kernels }),
    };
  }

  /** Tokens held per sequence. */
  get length(): number {
    return this.#state === undefined ? 0 : (this.#state.shape[this.#state.shape.length - 2] as number);
  }

  /** Fusions so far. */
  get rounds(): number {
    return this.#rounds;
  }

  /** Original tokens absorbed per sequence. */
  get totalTokens(): number {
    return this.#total;
  }

  get lastStats(): FuseStats | undefined {
    return this.#lastStats;
  }

  /** A copy of what the cache holds: the tensor, and its counts [sequences x length]. */
  snapshot(): { tensor: Tensor; counts: Float64Array } {
    if (this.#state === undefined || this.#counts === undefined) throw new LococoError('SHAPE_MISMATCH', 'the cache is empty: append a chunk first');
    return { tensor: { data: this.#state.data.slice(), shape: [...this.#state.shape] }, counts: this.#counts.slice() };
  }

  append(chunk: Tensor): void {
    const tensor = asTensor(chunk, 'appended chunk');
    assertFinite(tensor, 'appended chunk');
    const rank = tensor.shape.length;
    if (rank < 2 || (this.#kv && (rank < 4 || tensor.shape[rank - 4] !== 2))) {
      throw new LococoError('SHAPE_MISMATCH', `chunk ${formatShape(tensor.shape)} must be ${this.#kv ? '[...layers, 2, heads, tokens, headDim]' : '[...sequences, tokens, features]'}`);
    }
    const layout = tokenLayout(tensor.shape, -2);
    if (this.#state !== undefined) {
      const expected = [...this.#state.shape];
      expected[rank - 2] = layout.tokens;
      const sameDtype = tensor.data instanceof Float64Array === this.#state.data instanceof Float64Array;
      if (formatShape(expected) !== formatShape(tensor.shape) || !sameDtype) {
        throw new LococoError('SHAPE_MISMATCH', `chunk ${formatShape(tensor.shape)} does not fit a cache of ${formatShape(this.#state.shape)} (all dimensions but the tokens, and the dtype, must match)`);
      }
    }
    // the cache must not hold the caller's own array: a caller reusing its buffer would change the cache
    const joined = this.#state === undefined ? { data: tensor.data.slice(), shape: [...tensor.shape] } : concatTokens(this.#state, tensor);
    const sequences = this.#kv ? layout.outer / 2 : layout.outer;
    const chunkCounts = new Float64Array(sequences * layout.tokens).fill(1);
    const counts = this.#counts === undefined ? chunkCounts : concatCounts(this.#counts, chunkCounts, sequences);
    const joinedTokens = joined.shape[rank - 2] as number;
    if (joinedTokens <= this.slots) {
      this.#state = joined;
      this.#counts = counts;
    } else {
      const options = { ...this.#options, slots: this.slots, counts };
      const result = this.#kv ? fuseKv(joined, options) : fuse(joined, options);
      this.#state = result.tensor;
      this.#counts = result.counts;
      this.#rounds += 1;
      this.#lastStats = result.stats;
    }
    this.#total += layout.tokens;
  }
}

/** [outer, a, inner] ++ [outer, b, inner] along the tokens. */
function concatTokens(a: Tensor, b: Tensor): Tensor {
  const la = tokenLayout(a.shape, -2);
  const lb = tokenLayout(b.shape, -2);
  const tokens = la.tokens + lb.tokens;
  const out: FloatArray = a.data instanceof Float64Array ? new Float64Array(la.outer * tokens * la.inner) : new Float32Array(la.outer * tokens * la.inner);
  for (let o = 0; o < la.outer; o++) {
    out.set(a.data.subarray(o * la.tokens * la.inner, (o + 1) * la.tokens * la.inner), o * tokens * la.inner);
    out.set(b.data.subarray(o * lb.tokens * lb.inner, (o + 1) * lb.tokens * lb.inner), (o * tokens + la.tokens) * la.inner);
  }
  const shape = [...a.shape];
  shape[shape.length - 2] = tokens;
  return { data: out, shape };
}

/** Per-sequence counts [sequences x a] ++ [sequences x b]. */
function concatCounts(a: Float64Array, b: Float64Array, sequences: number): Float64Array {
  const na = a.length / sequences;
  const nb = b.length / sequences;
  const out = new Float64Array(a.length + b.length);
  for (let s = 0; s < sequences; s++) {
    out.set(a.subarray(s * na, (s + 1) * na), s * (na + nb));
    out.set(b.subarray(s * nb, (s + 1) * nb), s * (na + nb) + na);
  }
  return out;
}

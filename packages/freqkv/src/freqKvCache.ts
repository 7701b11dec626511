import { assertFinite, asTensor, formatShape, tokenLayout } from '@globalmcp/tensor';
import type { DType, FloatArray, Tensor } from '@globalmcp/tensor';
import { compress } from './compress.js';
import type { CompressStats } from './compress.js';
import { resolveCounts } from './counts.js';
import { FreqKvError } from './freqKvError.js';
import { DEFAULT_RETENTION, DEFAULT_SINK_TOKENS, parseOptions } from './options.js';
import { z } from 'zod';

export const FreqKvCacheOptionsSchema = z.strictObject({
  /** Slots in all, sinks included. */
  capacity: z
    .number({ error: 'expected an integer >= 2: slots in all, sinks included' })
    .int({ error: 'expected an integer >= 2: slots in all, sinks included' })
    .min(2, { error: 'expected an integer >= 2: slots in all, sinks included' }),
  sinkTokens: z
    .number({ error: 'expected a non-negative integer (tokens at the start kept raw)' })
    .int({ error: 'expected a non-negative integer (tokens at the start kept raw)' })
    .nonnegative({ error: 'expected a non-negative integer (tokens at the start kept raw)' })
    .default(DEFAULT_SINK_TOKENS),
  /** Fraction of the non-sink span kept at each compression. */
  retention: z
    .number({ error: 'expected a number in (0, 1): the fraction of the span kept at each compression' })
    .gt(0, { error: 'expected a number in (0, 1): the fraction of the span kept at each compression' })
    .lt(1, { error: 'expected a number in (0, 1): a cache that keeps everything never frees room' })
    .default(DEFAULT_RETENTION),
  /** Default: the second to last axis of the first chunk (the only one of a rank-1 chunk). */
  axis: z.number({ error: 'expected an integer: the token axis' }).int({ error: 'expected an integer: the token axis' }).optional(),
});

export type FreqKvCacheOptions = z.input<typeof FreqKvCacheOptionsSchema>;

/**
 * FreqKV's iterative cache. It holds at most `capacity` slots; when it is full
 * and more tokens arrive, the whole non-sink span (earlier compressed slots and
 * newer raw tokens alike) is compressed to floor(retention * (capacity - sinks))
 * slots, freeing room. Slot counts are carried along, so after r rounds the
 * oldest slots stand for about 2^r tokens (at retention 0.5).
 *
 * The first appended chunk fixes the dtype and every dimension except the token axis.
 */
export class FreqKvCache {
  readonly capacity: number;
  readonly sinkTokens: number;
  readonly retention: number;
  readonly #axis: number | undefined;
  #shape: number[] | undefined;
  #outer = 0;
  #inner = 0;
  #data: FloatArray | undefined;
  #counts: Float64Array;
  #length = 0;
  #rounds = 0;
  #appended = 0;
  #lastStats: CompressStats | undefined;

  constructor(options: FreqKvCacheOptions) {
    const opts = parseOptions(FreqKvCacheOptionsSchema, options, 'FreqKvCache options');
    if (opts.sinkTokens >= opts.capacity - 1) {
      throw new FreqKvError('INVALID_OPTIONS', `sinkTokens (${opts.sinkTokens}) must leave at least 2 of the ${opts.capacity} slots for compression`);
    }
    this.capacity = opts.capacity;
    this.sinkTokens = opts.sinkTokens;
    this.retention = opts.retention;
    this.#axis = opts.axis;
    this.#counts = new Float64Array(this.capacity);
  }

  /** Slots in use. */
  get length(): number {
    return this.#length;
  }

  /** How many times the span has been compressed. */
  get rounds(): number {
    return this.#rounds;
  }

  /** Original tokens appended so far (the sum of the slot counts). */
  get totalTokens(): number {
    return this.#appended;
  }

  get dtype(): DType | undefined {
    return this.#data === undefined ? undefined : this.#data instanceof Float64Array ? 'float64' : 'float32';
  }

  /** The stats of the latest compression round. */
  get lastStats(): CompressStats | undefined {
    return this.#lastStats;
  }

  /** A copy of the slot counts in use. */
  counts(): Float64Array {
    return this.#counts.slice(0, this.#length);
  }

  /** A compact copy of the slots in use, shaped like the appended chunks with `length` tokens. */
  toTensor(): Tensor {
    if (this.#data === undefined || this.#shape === undefined) {
      throw new FreqKvError('SHAPE_MISMATCH', 'the cache is empty: append a chunk first');
    }
    const { axis } = tokenLayout(this.#shape, this.#axis);
    const rows = this.#outer;
    const width = this.#length * this.#inner;
    const out = this.#data instanceof Float64Array ? new Float64Array(rows * width) : new Float32Array(rows * width);
    for (let o = 0; o < rows; o++) {
      out.set(this.#data.subarray(o * this.capacity * this.#inner, o * this.capacity * this.#inner + width), o * width);
    }
    const shape = [...this.#shape];
    shape[axis] = this.#length;
    return { data: out, shape };
  }

  /**
   * Appends a chunk of tokens (with optional counts), compressing whenever the
   * cache is full and more remain. Everything is validated before the cache
   * changes, and a compression round that fails (float32 overflow) leaves the
   * cache as it was before the call.
   */
  append(chunk: Tensor, counts?: ArrayLike<number>): void {
    const tensor = asTensor(chunk, 'appended chunk');
    const layout = tokenLayout(tensor.shape, this.#axis);
    const chunkCounts = resolveCounts(counts, layout.tokens);
    assertFinite(tensor, 'appended chunk');
    this.#checkFits(tensor, layout.axis);

    const before = { shape: this.#shape, data: this.#data, length: this.#length, rounds: this.#rounds, appended: this.#appended, lastStats: this.#lastStats };
    if (this.#shape === undefined) this.#initialise(tensor, layout.axis);
    const willCompress = this.#length + layout.tokens > this.capacity;
    const saved = willCompress ? { data: (this.#data as FloatArray).slice(), counts: this.#counts.slice() } : undefined;
    try {
      this.#copyIn(tensor, layout.tokens, chunkCounts);
    } catch (error) {
      this.#shape = before.shape;
      this.#data = before.shape === undefined ? undefined : (saved?.data ?? before.data);
      if (saved !== undefined) this.#counts = saved.counts;
      this.#length = before.length;
      this.#rounds = before.rounds;
      this.#appended = before.appended;
      this.#lastStats = before.lastStats;
      throw error;
    }
  }

  #copyIn(tensor: Tensor, tokens: number, chunkCounts: Float64Array): void {
    const src = tensor.data;
    const data = this.#data as FloatArray;
    const inner = this.#inner;
    let done = 0;
    while (done < tokens) {
      if (this.#length === this.capacity) this.#compress();
      const take = Math.min(tokens - done, this.capacity - this.#length);
      for (let o = 0; o < this.#outer; o++) {
        const from = (o * tokens + done) * inner;
        data.set(src.subarray(from, from + take * inner), (o * this.capacity + this.#length) * inner);
      }
      this.#counts.set(chunkCounts.subarray(done, done + take), this.#length);
      this.#length += take;
      done += take;
    }
    for (const c of chunkCounts) this.#appended += c;
  }

  #initialise(tensor: Tensor, axis: number): void {
    const layout = tokenLayout(tensor.shape, axis);
    this.#shape = [...tensor.shape];
    this.#outer = layout.outer;
    this.#inner = layout.inner;
    const size = layout.outer * this.capacity * layout.inner;
    this.#data = tensor.data instanceof Float64Array ? new Float64Array(size) : new Float32Array(size);
  }

  #checkFits(tensor: Tensor, axis: number): void {
    if (this.#shape === undefined) return;
    const expected = [...this.#shape];
    expected[axis] = tensor.shape[axis] as number;
    const sameDtype = (tensor.data instanceof Float64Array) === (this.#data instanceof Float64Array);
    if (formatShape(expected) !== formatShape(tensor.shape) || !sameDtype) {
      throw new FreqKvError(
        'SHAPE_MISMATCH',
        `chunk ${formatShape(tensor.shape)} (${tensor.data instanceof Float64Array ? 'float64' : 'float32'}) does not fit a cache of ${formatShape(this.#shape)} with token axis ${axis} (${this.dtype})`,
      );
    }
  }

  /** The cache is full, so its buffer is exactly [outer, capacity, inner]: compress it in place. */
  #compress(): void {
    const data = this.#data as FloatArray;
    const result = compress(
      { data, shape: [this.#outer, this.capacity, this.#inner] },
      { axis: 1, sinkTokens: this.sinkTokens, retention: this.retention, counts: this.#counts },
    );
    const kept = result.stats.tokensOut;
    const rowWidth = kept * this.#inner;
    for (let o = 0; o < this.#outer; o++) {
      data.set(result.tensor.data.subarray(o * rowWidth, (o + 1) * rowWidth), o * this.capacity * this.#inner);
    }
    this.#counts.set(result.counts, 0);
    this.#length = kept;
    this.#rounds += 1;
    this.#lastStats = result.stats;
  }
}

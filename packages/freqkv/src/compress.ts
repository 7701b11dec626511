import { asTensor, bytesPerElement, dtypeOf, nonFiniteError, tokenLayout, withTokens } from '@globalmcp/tensor';
import type { FloatArray, Tensor, TokenLayout } from '@globalmcp/tensor';
import { compressSpanCounts, resolveCounts } from './counts.js';
import { FreqKvError } from './freqKvError.js';
import { CompressOptionsSchema, DEFAULT_RETENTION, parseOptions } from './options.js';
import type { CompressOptions } from './options.js';
import { pairedDct } from './planCache.js';
import { quadDct } from './quadDct.js';
import type { QuadDct } from './quadDct.js';

/** What one call did. Energies and errors are over all channels together. */
export interface CompressStats {
  tokensIn: number;
  tokensOut: number;
  bytesIn: number;
  bytesOut: number;
  sinkTokens: number;
  recentTokens: number;
  /** Tokens between the sinks and the recent window (M), and the slots they became (L). */
  spanIn: number;
  spanOut: number;
  /** Kept DCT energy over the span's total (1 when nothing was dropped or the span is all zeros). */
  energyKept: number;
  /**
   * ||x - x^|| / ||x|| over the whole input, where x^ is the input rebuilt at
   * its original length from what was kept (raw tokens exactly, the span from
   * its first L DCT coefficients). By Parseval this needs no extra transform.
   */
  reconstructionError: number;
  ms: number;
}

export interface CompressResult<A extends FloatArray = FloatArray> {
  /** Same dtype and shape as the input except the token axis, which has `stats.tokensOut` entries. */
  tensor: Tensor<A>;
  /** How many original tokens each output token stands for; sums to the input's total. */
  counts: Float64Array;
  stats: CompressStats;
}

/** How many span slots `retention` or `targetTokens` leaves, given the raw tokens around the span. */
export function keptSpanLength(span: number, raw: number, retention: number | undefined, targetTokens: number | undefined): number {
  if (targetTokens !== undefined) {
    if (targetTokens <= raw) {
      throw new FreqKvError(
        'INVALID_OPTIONS',
        `targetTokens (${targetTokens}) must exceed the ${raw} sink and recent tokens kept raw, leaving at least one slot for the compressed span`,
      );
    }
    return Math.min(span, targetTokens - raw);
  }
  return Math.max(1, Math.floor((retention ?? DEFAULT_RETENTION) * span));
}

/**
 * FreqKV along the token axis: the first `sinkTokens` and last `recentTokens`
 * tokens stay raw; the M tokens between them become
 * `sqrt(L/M) * IDCT_L(DCT_M(x)[0:L])` for every channel, with
 * L = floor(retention * M) (at least 1) or L = targetTokens - sinks - recent.
 *
 * Throws `TensorError` for a malformed tensor or NaN/Infinity (nothing is
 * returned half-done) and {@link FreqKvError} for bad options.
 */
export function compress<A extends FloatArray>(input: Tensor<A>, options: CompressOptions = {}): CompressResult<A> {
  const job = prepareCompress(input, options);
  const result = runCompress(job);
  return energiesOutOfRange(job, result) ? compressRescaled(job) : result;
}

function runCompress<A extends FloatArray>(job: CompressJob<A>): CompressResult<A> {
  const out = allocateLike(job.tensor.data, job.outputLength);
  const rawEnergy = copyRawTokens(job, out);
  const energy = job.span.keep === job.span.span ? copySpan(job, out) : compressChannels(job.tensor.data, job.tensor.shape, job.span, out, 0, job.span.channels);
  return finishCompress(job, out, rawEnergy, energy);
}

/**
 * Squares of float64 values beyond ~1e154 overflow, and below ~1e-154
 * underflow, so the energy stats (not the output) break at such magnitudes.
 * float32 values never get there.
 */
export function energiesOutOfRange(job: CompressJob, result: CompressResult): boolean {
  if (!(job.tensor.data instanceof Float64Array)) return false;
  const { energyKept, reconstructionError } = result.stats;
  if (!Number.isFinite(energyKept) || !Number.isFinite(reconstructionError)) return true;
  return result.stats.tokensIn > 0 && totalEnergyTiny(job.tensor.data);
}

function totalEnergyTiny(data: FloatArray): boolean {
  let energy = 0;
  let largest = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    energy += v * v;
    const a = Math.abs(v);
    if (a > largest) largest = a;
    if (energy > 1e-280) return false;
  }
  return largest > 0;
}

/** The operator is linear: compress x / s, then scale the output back by s, with stats from the scaled run. */
export function compressRescaled<A extends FloatArray>(job: CompressJob<A>): CompressResult<A> {
  const data = job.tensor.data;
  let scale = 0;
  for (let i = 0; i < data.length; i++) scale = Math.max(scale, Math.abs(data[i] as number));
  const scaled = allocateLike(data, data.length);
  for (let i = 0; i < data.length; i++) scaled[i] = (data[i] as number) / scale;
  const result = runCompress({ ...job, tensor: { data: scaled, shape: job.tensor.shape } });
  const out = result.tensor.data;
  for (let i = 0; i < out.length; i++) {
    const v = (out[i] as number) * scale;
    if (v - v !== 0) {
      throw new FreqKvError('NUMERIC_OVERFLOW', `compressing a tensor of shape [${job.tensor.shape.join(', ')}] gives values beyond the float64 range: the DCT overshoots near jumps this large`);
    }
    out[i] = v;
  }
  result.stats.ms = performance.now() - job.started;
  return result;
}

/** What the span transform needs: plain numbers, so a worker thread can receive it as a message. */
export interface SpanJob {
  tokens: number;
  inner: number;
  channels: number;
  sinks: number;
  span: number;
  keep: number;
  tokensOut: number;
}

export interface SpanEnergy {
  spanEnergy: number;
  keptEnergy: number;
}

/** A validated call: everything {@link compress} decides before touching the data. */
export interface CompressJob<A extends FloatArray = FloatArray> {
  started: number;
  tensor: Tensor<A>;
  layout: TokenLayout;
  recent: number;
  counts: Float64Array;
  span: SpanJob;
  outputLength: number;
}

/** Parses options and validates the tensor once, at the boundary. */
export function prepareCompress<A extends FloatArray>(input: Tensor<A>, options: CompressOptions = {}): CompressJob<A> {
  const started = performance.now();
  const opts = parseOptions(CompressOptionsSchema, options, 'compress options');
  const tensor = asTensor(input);
  const layout = tokenLayout(tensor.shape, opts.axis);
  const sinks = opts.sinkTokens;
  const recent = opts.recentTokens;
  const tokens = layout.tokens;
  if (sinks + recent >= tokens) {
    throw new FreqKvError(
      'TOO_FEW_TOKENS',
      `sinkTokens (${sinks}) + recentTokens (${recent}) must be less than the number of tokens (${tokens}) on axis ${layout.axis} of shape [${tensor.shape.join(', ')}]: nothing would be left to compress`,
    );
  }
  const counts = resolveCounts(opts.counts, tokens);
  const span = tokens - sinks - recent;
  const keep = keptSpanLength(span, sinks + recent, opts.retention, opts.targetTokens);
  const tokensOut = sinks + keep + recent;
  return {
    started,
    tensor,
    layout,
    recent,
    counts,
    span: { tokens, inner: layout.inner, channels: layout.channels, sinks, span, keep, tokensOut },
    outputLength: layout.outer * tokensOut * layout.inner,
  };
}

export function allocateLike<A extends FloatArray>(like: A, length: number, buffer?: ArrayBufferLike): A {
  const bytes = like instanceof Float64Array ? 8 : 4;
  const storage = buffer ?? new ArrayBuffer(length * bytes);
  return (like instanceof Float64Array ? new Float64Array(storage, 0, length) : new Float32Array(storage, 0, length)) as A;
}

/** Counts and stats, once the output holds every token. */
export function finishCompress<A extends FloatArray>(job: CompressJob<A>, out: A, rawEnergy: number, energy: SpanEnergy): CompressResult<A> {
  const { sinks, span, keep, tokensOut, tokens } = job.span;
  const { counts, recent } = job;
  const outCounts = new Float64Array(tokensOut);
  outCounts.set(counts.subarray(0, sinks), 0);
  compressSpanCounts(counts, sinks, span, keep, outCounts, sinks);
  outCounts.set(counts.subarray(tokens - recent), sinks + keep);

  const { spanEnergy, keptEnergy } = energy;
  const totalEnergy = rawEnergy + spanEnergy;
  const dropped = Math.max(0, spanEnergy - keptEnergy);
  const bytes = bytesPerElement(dtypeOf(out));
  return {
    tensor: { data: out, shape: Object.freeze(withTokens(job.tensor.shape, job.layout.axis, tokensOut)) },
    counts: outCounts,
    stats: {
      tokensIn: tokens,
      tokensOut,
      bytesIn: job.tensor.data.length * bytes,
      bytesOut: out.length * bytes,
      sinkTokens: sinks,
      recentTokens: recent,
      spanIn: span,
      spanOut: keep,
      energyKept: spanEnergy > 0 ? Math.min(1, keptEnergy / spanEnergy) : 1,
      reconstructionError: totalEnergy > 0 ? Math.sqrt(dropped / totalEnergy) : 0,
      ms: performance.now() - job.started,
    },
  };
}

/** Copies sinks and the recent window row by row (each row is `inner` contiguous values); returns their energy. */
export function copyRawTokens(job: CompressJob, out: FloatArray): number {
  const { tensor, recent } = job;
  const { outer } = job.layout;
  const { tokens, inner, sinks, tokensOut } = job.span;
  const src = tensor.data;
  let energy = 0;
  for (let o = 0; o < outer; o++) {
    const from = o * tokens * inner;
    const to = o * tokensOut * inner;
    energy += copyRange(tensor, from, sinks * inner, out, to);
    energy += copyRange(tensor, from + (tokens - recent) * inner, recent * inner, out, to + (tokensOut - recent) * inner);
  }
  return energy;

  function copyRange(t: Tensor, start: number, length: number, dst: FloatArray, dstStart: number): number {
    let e = 0;
    for (let i = 0; i < length; i++) {
      const v = src[start + i] as number;
      e += v * v;
      dst[dstStart + i] = v;
    }
    if (!Number.isFinite(e)) throwNonFinite(t, start, start + length);
    return e;
  }
}

/** The span kept whole (L = M): a copy, with its energy. */
function copySpan(job: CompressJob, out: FloatArray): SpanEnergy {
  const { tensor } = job;
  const { outer } = job.layout;
  const { tokens, inner, sinks, span, tokensOut } = job.span;
  const src = tensor.data;
  let energy = 0;
  for (let o = 0; o < outer; o++) {
    const from = (o * tokens + sinks) * inner;
    const to = (o * tokensOut + sinks) * inner;
    for (let i = 0; i < span * inner; i++) {
      const v = src[from + i] as number;
      energy += v * v;
      out[to + i] = v;
    }
  }
  if (!Number.isFinite(energy)) throwNonFinite(tensor, 0, src.length);
  return { spanEnergy: energy, keptEnergy: energy };
}

/**
 * The transform proper. Channels go two at a time through one complex FFT
 * (real and imaginary parts); each is read with stride `inner` straight into
 * Makhoul's reordered layout and written back the same way, two pairs (four
 * neighbouring channels) per pass over the tensor. (Two pairs measured ~5%
 * faster than one; four or eight pairs, like gathering whole cache lines,
 * 1.3-3x slower: their scratch no longer fits in L2 next to the FFT's; and
 * transposing each outer slice into channel-major scratch first, ~20% slower.)
 * Scratch is allocated once per call.
 * Handles channels [from, to), so several threads can split one tensor.
 */
export function compressChannels(src: FloatArray, shape: readonly number[], job: SpanJob, out: FloatArray, from: number, to: number): SpanEnergy {
  const { tokens, inner, sinks, span, keep, tokensOut } = job;
  const tensor: Tensor = { data: src, shape };
  const forward = pairedDct(span);
  const inverse = pairedDct(keep);
  const forwardQuad = quadDct(forward);
  const inverseQuad = quadDct(inverse);
  if (forwardQuad !== null && inverseQuad !== null) return compressQuads(src, shape, job, out, from, to, forwardQuad, inverseQuad);
  const fwdPerm = forward.perm;
  const invPerm = inverse.perm;
  const packedIn = new Float64Array(2 * span);
  const packedOut = new Float64Array(2 * keep);
  const packedIn2 = new Float64Array(2 * span);
  const packedOut2 = new Float64Array(2 * keep);
  const ya = new Float64Array(keep);
  const yb = new Float64Array(keep);
  const gain = Math.sqrt(keep / span);
  const limit = out instanceof Float32Array ? FLOAT32_MAX : Number.MAX_VALUE;
  let spanEnergy = 0;
  let keptEnergy = 0;

  // Two pairs at a time: four neighbouring channels share each cache line that the strided
  // reads and writes touch, which halves the passes over the tensor's lines. The pairs, their
  // arithmetic and the order of the energy sums are the same as one pair at a time.
  let c = from;
  for (; c + 3 < to; c += 4) {
    const s0 = spanStart(c, inner, tokens, sinks);
    const s1 = spanStart(c + 1, inner, tokens, sinks);
    const s2 = spanStart(c + 2, inner, tokens, sinks);
    const s3 = spanStart(c + 3, inner, tokens, sinks);
    let energy0 = 0;
    let energy1 = 0;
    for (let n = 0; n < span; n++) {
      const p = 2 * (fwdPerm[n] as number);
      const i = n * inner;
      const a = src[s0 + i] as number;
      const b = src[s1 + i] as number;
      const a2 = src[s2 + i] as number;
      const b2 = src[s3 + i] as number;
      packedIn[p] = a;
      packedIn[p + 1] = b;
      packedIn2[p] = a2;
      packedIn2[p + 1] = b2;
      energy0 += a * a + b * b;
      energy1 += a2 * a2 + b2 * b2;
    }
    if (!Number.isFinite(energy0 + energy1)) {
      for (const start of [s0, s1, s2, s3]) throwNonFiniteStrided(tensor, start, span, inner);
    }
    spanEnergy += energy0;
    spanEnergy += energy1;
    const kept0 = forward.forward(packedIn, ya, yb, keep);
    keptEnergy += kept0;
    inverse.inverse(ya, yb, gain, packedOut);
    const kept1 = forward.forward(packedIn2, ya, yb, keep);
    keptEnergy += kept1;
    inverse.inverse(ya, yb, gain, packedOut2);

    const d0 = spanStart(c, inner, tokensOut, sinks);
    const d1 = spanStart(c + 1, inner, tokensOut, sinks);
    const d2 = spanStart(c + 2, inner, tokensOut, sinks);
    const d3 = spanStart(c + 3, inner, tokensOut, sinks);
    for (let n = 0; n < keep; n++) {
      const p = 2 * (invPerm[n] as number);
      const i = n * inner;
      out[d0 + i] = packedOut[p] as number;
      out[d1 + i] = packedOut[p + 1] as number;
      out[d2 + i] = packedOut2[p] as number;
      out[d3 + i] = packedOut2[p + 1] as number;
    }
    if (!(gain * Math.sqrt(Math.max(kept0, kept1)) <= limit)) {
      checkOverflow(out, d0, keep, inner, shape, c);
      checkOverflow(out, d1, keep, inner, shape, c + 1);
      checkOverflow(out, d2, keep, inner, shape, c + 2);
      checkOverflow(out, d3, keep, inner, shape, c + 3);
    }
  }

  for (; c < to; c += 2) {
    const oa = Math.floor(c / inner);
    const srcA = (oa * tokens + sinks) * inner + (c - oa * inner);
    const dstA = (oa * tokensOut + sinks) * inner + (c - oa * inner);
    const hasB = c + 1 < to;
    const ob = Math.floor((c + 1) / inner);
    const srcB = (ob * tokens + sinks) * inner + (c + 1 - ob * inner);
    const dstB = (ob * tokensOut + sinks) * inner + (c + 1 - ob * inner);

    let energy = 0;
    if (hasB) {
      for (let n = 0; n < span; n++) {
        const p = 2 * (fwdPerm[n] as number);
        const a = src[srcA + n * inner] as number;
        const b = src[srcB + n * inner] as number;
        packedIn[p] = a;
        packedIn[p + 1] = b;
        energy += a * a + b * b;
      }
    } else {
      for (let n = 0; n < span; n++) {
        const p = 2 * (fwdPerm[n] as number);
        const a = src[srcA + n * inner] as number;
        packedIn[p] = a;
        packedIn[p + 1] = 0;
        energy += a * a;
      }
    }
    if (!Number.isFinite(energy)) {
      throwNonFiniteStrided(tensor, srcA, span, inner);
      if (hasB) throwNonFiniteStrided(tensor, srcB, span, inner);
    }
    spanEnergy += energy;

    const kept = forward.forward(packedIn, ya, yb, keep);
    keptEnergy += kept;
    inverse.inverse(ya, yb, gain, packedOut);

    if (hasB) {
      for (let n = 0; n < keep; n++) {
        const p = 2 * (invPerm[n] as number);
        out[dstA + n * inner] = packedOut[p] as number;
        out[dstB + n * inner] = packedOut[p + 1] as number;
      }
    } else {
      for (let n = 0; n < keep; n++) out[dstA + n * inner] = packedOut[2 * (invPerm[n] as number)] as number;
    }
    // An output is at most gain * ||kept coefficients|| (the inverse is orthonormal), so only a pair
    // whose bound exceeds the dtype's range needs its outputs checked.
    if (!(gain * Math.sqrt(kept) <= limit)) {
      checkOverflow(out, dstA, keep, inner, shape, c);
      if (hasB) checkOverflow(out, dstB, keep, inner, shape, c + 1);
    }
  }
  return { spanEnergy, keptEnergy };
}

/**
 * {@link compressChannels} for power-of-two spans and kept lengths, where WebAssembly SIMD is there: four
 * channels per pass, the pairs (c, c + 1) and (c + 2, c + 3) in the two lanes of one lane FFT. A group of
 * fewer than four at the end fills the rest with zeros; the lanes never mix, so every channel's result is the
 * same whichever channels share its pass (compressParallel's shares give compress's bits).
 */
function compressQuads(src: FloatArray, shape: readonly number[], job: SpanJob, out: FloatArray, from: number, to: number, forward: QuadDct, inverse: QuadDct): SpanEnergy {
  const { tokens, inner, sinks, span, keep, tokensOut } = job;
  const tensor: Tensor = { data: src, shape };
  const { data: input, samplesAt } = forward;
  const { data: output, samplesFrom } = inverse;
  const ya = new Float64Array(keep);
  const yb = new Float64Array(keep);
  const ya2 = new Float64Array(keep);
  const yb2 = new Float64Array(keep);
  const gain = Math.sqrt(keep / span);
  const limit = out instanceof Float32Array ? FLOAT32_MAX : Number.MAX_VALUE;
  // where the group's channels 0..3 sit in an element: (re, lane 0), (im, lane 0), (re, lane 1), (im, lane 1)
  const slot = [0, 2, 1, 3] as const;
  const starts = [0, 0, 0, 0];
  const ends = [0, 0, 0, 0];
  let spanEnergy = 0;
  let keptEnergy = 0;
  for (let c = from; c < to; c += 4) {
    const width = Math.min(4, to - c);
    for (let j = 0; j < 4; j++) starts[j] = j < width ? spanStart(c + j, inner, tokens, sinks) : -1;
    let energy0 = 0;
    let energy1 = 0;
    if (width === 4) {
      const [s0, s1, s2, s3] = starts as [number, number, number, number];
      for (let n = 0; n < span; n++) {
        const p = samplesAt[n] as number;
        const i = n * inner;
        const a = src[s0 + i] as number;
        const b = src[s1 + i] as number;
        const a2 = src[s2 + i] as number;
        const b2 = src[s3 + i] as number;
        input[p] = a;
        input[p + 2] = b;
        input[p + 1] = a2;
        input[p + 3] = b2;
        energy0 += a * a + b * b;
        energy1 += a2 * a2 + b2 * b2;
      }
    } else {
      // the same arithmetic as a full group, with zeros for the missing channels
      const read = (j: number, i: number) => ((starts[j] as number) < 0 ? 0 : (src[(starts[j] as number) + i] as number));
      for (let n = 0; n < span; n++) {
        const p = samplesAt[n] as number;
        const i = n * inner;
        const a = read(0, i);
        const b = read(1, i);
        const a2 = read(2, i);
        const b2 = read(3, i);
        input[p] = a;
        input[p + 2] = b;
        input[p + 1] = a2;
        input[p + 3] = b2;
        energy0 += a * a + b * b;
        energy1 += a2 * a2 + b2 * b2;
      }
    }
    if (!Number.isFinite(energy0 + energy1)) {
      for (let j = 0; j < width; j++) throwNonFiniteStrided(tensor, starts[j] as number, span, inner);
    }
    spanEnergy += energy0;
    spanEnergy += energy1;
    forward.forward(keep, ya, yb, ya2, yb2);
    const [kept0, kept1] = forward.kept as unknown as [number, number];
    keptEnergy += kept0;
    keptEnergy += kept1;
    inverse.inverse(ya, yb, ya2, yb2, gain);

    for (let j = 0; j < width; j++) ends[j] = spanStart(c + j, inner, tokensOut, sinks);
    if (width === 4) {
      const [d0, d1, d2, d3] = ends as [number, number, number, number];
      for (let n = 0; n < keep; n++) {
        const p = samplesFrom[n] as number;
        const i = n * inner;
        out[d0 + i] = output[p] as number;
        out[d1 + i] = output[p + 2] as number;
        out[d2 + i] = output[p + 1] as number;
        out[d3 + i] = output[p + 3] as number;
      }
    } else {
      for (let j = 0; j < width; j++) {
        const d = ends[j] as number;
        const lane = slot[j as 0 | 1 | 2 | 3];
        for (let n = 0; n < keep; n++) out[d + n * inner] = output[(samplesFrom[n] as number) + lane] as number;
      }
    }
    // An output is at most gain * ||kept coefficients|| (the inverse is orthonormal): only a group whose bound
    // exceeds the dtype's range needs its outputs checked.
    if (!(gain * Math.sqrt(Math.max(kept0, kept1)) <= limit)) {
      for (let j = 0; j < width; j++) checkOverflow(out, ends[j] as number, keep, inner, shape, c + j);
    }
  }
  return { spanEnergy, keptEnergy };
}

const FLOAT32_MAX = 3.4028234663852886e38;

/** Where channel `channel`'s span starts in a tensor with `tokensPer` tokens on its token axis. */
function spanStart(channel: number, inner: number, tokensPer: number, sinks: number): number {
  const o = Math.floor(channel / inner);
  return (o * tokensPer + sinks) * inner + (channel - o * inner);
}

function checkOverflow(out: FloatArray, start: number, count: number, stride: number, shape: readonly number[], channel: number): void {
  for (let n = 0; n < count; n++) {
    const v = out[start + n * stride] as number;
    if (v - v !== 0) {
      const dtype = out instanceof Float32Array ? 'float32' : 'float64';
      throw new FreqKvError(
        'NUMERIC_OVERFLOW',
        `compressing channel ${channel} of a tensor of shape [${shape.join(', ')}] gives values beyond the ${dtype} range: the DCT overshoots near jumps this large${dtype === 'float32' ? '; compress a Float64Array instead' : ''}`,
      );
    }
  }
}

function throwNonFinite(tensor: Tensor, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const v = tensor.data[i] as number;
    if (v - v !== 0) throw nonFiniteError(tensor, i);
  }
}

function throwNonFiniteStrided(tensor: Tensor, start: number, count: number, stride: number): void {
  for (let n = 0; n < count; n++) {
    const i = start + n * stride;
    const v = tensor.data[i] as number;
    if (v - v !== 0) throw nonFiniteError(tensor, i);
  }
}

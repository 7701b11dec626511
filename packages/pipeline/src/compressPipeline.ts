import { attentionError, compress, splitKv } from '@globalmcp/freqkv';
import type { AttentionCache } from '@globalmcp/freqkv';
import { fuse, fuseKv } from '@globalmcp/lococo';
import type { LococoKernels } from '@globalmcp/lococo';
import { asTensor, bytesPerElement, describeIssues, dtypeOf, formatShape, shapeSize } from '@globalmcp/tensor';
import type { FloatArray, Tensor } from '@globalmcp/tensor';
import { z } from 'zod';
import { PipelineError } from './pipelineError.js';

/** FreqKV keeps 30% of the span (the seed's 1000 -> 300), LoCoCo fuses into 128 slots. */
export const DEFAULT_FREQKV_RETENTION = 0.3;
export const DEFAULT_SLOTS = 128;
export const DEFAULT_PROBES = 16;

export const PipelineOptionsSchema = z.strictObject({
  /** 'kv': `[...layers, 2, heads, tokens, headDim]`; 'sequence': `[...sequences, tokens, features]`. Default: 'kv' when the shape has a K/V axis of size 2 at -4. */
  layout: z.enum(['kv', 'sequence'], { error: 'expected "kv" or "sequence"' }).optional(),
  sinkTokens: z.number().int().nonnegative({ error: 'expected a non-negative integer' }).default(4),
  freqkv: z
    .strictObject({
      retention: z.number().gt(0, { error: 'expected a number in (0, 1]' }).lte(1, { error: 'expected a number in (0, 1]' }).optional(),
      targetTokens: z.number().int().positive({ error: 'expected a positive integer' }).optional(),
    })
    .default({}),
  lococo: z
    .strictObject({
      slots: z.number().int().positive({ error: 'expected a positive integer' }).default(DEFAULT_SLOTS),
      heavyHitters: z.number({ error: 'expected a number in [0, 1]' }).min(0, { error: 'expected a number in [0, 1]' }).max(1, { error: 'expected a number in [0, 1]' }).optional(),
      kernels: z.custom<LococoKernels>((v) => typeof v === 'object' && v !== null && 'weights' in v, { error: 'expected LococoKernels' }).optional(),
    })
    .default({ slots: DEFAULT_SLOTS }),
  /** Measure the attention-output error of the result against the input with this many random probe queries per head; false to skip. */
  fidelity: z.union([z.literal(false), z.strictObject({ probes: z.number().int().min(1).max(4096).default(DEFAULT_PROBES), seed: z.number().int().default(0) })]).default({ probes: DEFAULT_PROBES, seed: 0 }),
});

export type PipelineOptions = z.input<typeof PipelineOptionsSchema>;

export interface StageStats {
  stage: 'freqkv' | 'lococo';
  /** False when the stage had nothing to do (the input was already small enough); `reason` says why. */
  ran: boolean;
  reason?: string;
  tokensIn: number;
  tokensOut: number;
  bytesIn: number;
  bytesOut: number;
  ms: number;
  /** FreqKV only: spectral energy kept and reconstruction error of its span. */
  energyKept?: number;
  reconstructionError?: number;
}

export interface PipelineStats {
  tokensIn: number;
  tokensOut: number;
  bytesIn: number;
  bytesOut: number;
  /** 1 - bytesOut / bytesIn. */
  sizeReduction: number;
  ms: number;
  stages: StageStats[];
  /** Relative attention-output error of the result against the input (with the log-count bias), over probe queries and heads. */
  attentionError?: { median: number; p90: number; probes: number };
}

export interface PipelineResult<A extends FloatArray = FloatArray> {
  tensor: Tensor<A>;
  /** Original tokens per output slot, [sequences x tokensOut]. */
  counts: Float64Array;
  layout: 'kv' | 'sequence';
  stats: PipelineStats;
}

/**
 * FreqKV (along the token axis, sinks kept) and then LoCoCo (into a fixed
 * number of slots), the pipeline the MCP server and the CLI call. Each stage
 * runs only when it shortens the input; the stats say what each did, how much
 * smaller the result is, and how far its attention output moved.
 */
export function compressPipeline<A extends FloatArray>(input: Tensor<A>, options: PipelineOptions = {}): PipelineResult<A> {
  const started = performance.now();
  const parsed = PipelineOptionsSchema.safeParse(options ?? {}, { reportInput: true });
  if (!parsed.success) {
    throw new PipelineError('INVALID_OPTIONS', `invalid pipeline options: ${describeIssues(parsed.error.issues, 'pipeline options')}`, { cause: parsed.error });
  }
  const opts = parsed.data;
  if (opts.freqkv.retention !== undefined && opts.freqkv.targetTokens !== undefined) {
    throw new PipelineError('INVALID_OPTIONS', 'invalid pipeline options: freqkv: give either retention or targetTokens, not both');
  }
  const tensor = asTensor(input, 'kv_cache');
  const rank = tensor.shape.length;
  const layout = opts.layout ?? (rank >= 4 && tensor.shape[rank - 4] === 2 ? 'kv' : 'sequence');
  if (layout === 'kv' && (rank < 4 || tensor.shape[rank - 4] !== 2)) {
    throw new PipelineError('INVALID_OPTIONS', `invalid pipeline options: layout: "kv" needs shape [...layers, 2, heads, tokens, headDim]; got ${formatShape(tensor.shape)}`);
  }
  if (rank < 2) throw new PipelineError('INVALID_OPTIONS', `the input must have a token axis and a feature axis ([..., tokens, features]); got ${formatShape(tensor.shape)}`);
  const tokens = tensor.shape[rank - 2] as number;
  const sequences = layout === 'kv' ? shapeSize(tensor.shape.slice(0, rank - 4)) * (tensor.shape[rank - 3] as number) : shapeSize(tensor.shape.slice(0, rank - 2));
  const bytes = bytesPerElement(dtypeOf(tensor.data));
  const { slots } = opts.lococo;
  const stages: StageStats[] = [];

  // Stage 1: FreqKV, unless it would not get below the slots LoCoCo keeps anyway
  let current: Tensor<A> = tensor;
  let sharedCounts: Float64Array | undefined;
  const retention = opts.freqkv.retention ?? (opts.freqkv.targetTokens === undefined ? DEFAULT_FREQKV_RETENTION : undefined);
  const freqTarget = opts.freqkv.targetTokens;
  const wouldKeep = freqTarget ?? opts.sinkTokens + Math.max(1, Math.floor((retention ?? 1) * (tokens - opts.sinkTokens)));
  if (tokens > opts.sinkTokens && wouldKeep < tokens && wouldKeep > slots) {
    const r = compress(current, { sinkTokens: opts.sinkTokens, axis: -2, ...(freqTarget === undefined ? { retention } : { targetTokens: freqTarget }) });
    current = r.tensor;
    sharedCounts = r.counts;
    stages.push({
      stage: 'freqkv',
      ran: true,
      tokensIn: r.stats.tokensIn,
      tokensOut: r.stats.tokensOut,
      bytesIn: r.stats.bytesIn,
      bytesOut: r.stats.bytesOut,
      ms: r.stats.ms,
      energyKept: r.stats.energyKept,
      reconstructionError: r.stats.reconstructionError,
    });
  } else {
    stages.push(skipped('freqkv', tokens, tensor.data.length * bytes, wouldKeep >= tokens ? `it would keep all ${tokens} tokens` : `it would keep ${wouldKeep} tokens, not more than the ${slots} slots LoCoCo keeps`));
  }

  // Stage 2: LoCoCo, if there are more tokens than slots
  const midTokens = current.shape[rank - 2] as number;
  let counts: Float64Array;
  if (midTokens > slots) {
    const fuseOptions = {
      slots,
      sinkTokens: Math.min(opts.sinkTokens, slots - 1),
      ...(sharedCounts === undefined ? {} : { counts: sharedCounts }),
      ...(opts.lococo.heavyHitters === undefined ? {} : { heavyHitters: opts.lococo.heavyHitters }),
      ...(opts.lococo.kernels === undefined ? {} : { kernels: opts.lococo.kernels }),
    };
    const r = layout === 'kv' ? fuseKv(current, fuseOptions) : fuse(current, { ...fuseOptions, axis: -2 });
    current = r.tensor;
    counts = r.counts;
    stages.push({ stage: 'lococo', ran: true, tokensIn: r.stats.tokensIn, tokensOut: r.stats.tokensOut, bytesIn: r.stats.bytesIn, bytesOut: r.stats.bytesOut, ms: r.stats.ms });
  } else {
    stages.push(skipped('lococo', midTokens, current.data.length * bytes, `only ${midTokens} tokens, not more than the ${slots} slots`));
    const perToken = sharedCounts ?? new Float64Array(midTokens).fill(1);
    counts = new Float64Array(sequences * midTokens);
    for (let s = 0; s < sequences; s++) counts.set(perToken, s * midTokens);
  }

  const bytesIn = tensor.data.length * bytes;
  const bytesOut = current.data.length * bytes;
  const stats: PipelineStats = {
    tokensIn: tokens,
    tokensOut: current.shape[rank - 2] as number,
    bytesIn,
    bytesOut,
    sizeReduction: 1 - bytesOut / bytesIn,
    ms: 0,
    stages,
  };
  if (opts.fidelity !== false) {
    const err = attentionError(asCache(tensor, layout), { ...asCache(current, layout), counts }, { probes: opts.fidelity.probes, seed: opts.fidelity.seed });
    stats.attentionError = { median: err.median, p90: err.p90, probes: opts.fidelity.probes };
  }
  stats.ms = performance.now() - started;
  return { tensor: current, counts, layout, stats };
}

function skipped(stage: 'freqkv' | 'lococo', tokens: number, bytes: number, reason: string): StageStats {
  return { stage, ran: false, reason, tokensIn: tokens, tokensOut: tokens, bytesIn: bytes, bytesOut: bytes, ms: 0 };
}

/** Keys and values per head for the fidelity metric (a plain sequence is its own keys and values). */
function asCache(tensor: Tensor, layout: 'kv' | 'sequence'): AttentionCache {
  return layout === 'kv' ? splitKv(tensor) : { keys: tensor, values: tensor };
}

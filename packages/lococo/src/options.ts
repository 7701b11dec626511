import { describeIssues, isNumberList } from '@globalmcp/tensor';
import type { Tensor } from '@globalmcp/tensor';
import { z } from 'zod';
import type { LococoKernels } from './kernels.js';
import { DEFAULT_KERNEL_SIZE } from './kernels.js';
import { LococoError } from './lococoError.js';

/** Sink tokens kept raw at the start (as in FreqKV and StreamingLLM). */
export const DEFAULT_SINK_TOKENS = 4;
/** Fraction of the non-sink slots that keep heavy hitters verbatim (half, as in the official code). */
export const DEFAULT_HEAVY_HITTERS = 0.5;
/** Recent tokens whose keys act as queries when no scores or queries are given (SnapKV's observation window). */
export const DEFAULT_OBSERVATION_WINDOW = 32;

const int = (meaning: string, min: number) =>
  z
    .number({ error: `expected an integer >= ${min} (${meaning})` })
    .int({ error: `expected an integer >= ${min} (${meaning})` })
    .min(min, { error: `expected an integer >= ${min} (${meaning})` });

const numberList = (meaning: string) => z.custom<ArrayLike<number>>(isNumberList, { error: `expected an array or typed array (${meaning})` });

export const FuseOptionsSchema = z.strictObject({
  slots: int('output tokens per sequence, sinks included', 1),
  sinkTokens: int('tokens at the start kept raw', 0).default(DEFAULT_SINK_TOKENS),
  heavyHitters: z
    .number({ error: 'expected a number in [0, 1]: the fraction of the non-sink slots that keep top-scoring tokens verbatim' })
    .min(0, { error: 'expected a number in [0, 1]: the fraction of the non-sink slots that keep top-scoring tokens verbatim' })
    .max(1, { error: 'expected a number in [0, 1]: the fraction of the non-sink slots that keep top-scoring tokens verbatim' })
    .default(DEFAULT_HEAVY_HITTERS),
  axis: z.number({ error: 'expected an integer: the token axis' }).int({ error: 'expected an integer: the token axis' }).optional(),
  scores: numberList('importance per token: one per token, or one per token of every sequence').optional(),
  queries: z
    .custom<Tensor>((v) => typeof v === 'object' && v !== null && 'data' in v && 'shape' in v, { error: 'expected a tensor { data, shape } of probe queries' })
    .optional(),
  observationWindow: int('recent tokens whose keys score the others when no scores or queries are given', 1).default(DEFAULT_OBSERVATION_WINDOW),
  counts: numberList('original tokens per input token: one per token, or one per token of every sequence').optional(),
  kernels: z.custom<LococoKernels>((v) => typeof v === 'object' && v !== null && 'weights' in v && 'fused' in v, { error: 'expected LococoKernels' }).optional(),
  kernelSize: z
    .number({ error: 'expected a positive odd integer' })
    .int({ error: 'expected a positive odd integer' })
    .refine((k) => k >= 1 && k % 2 === 1, { error: 'expected a positive odd integer' })
    .default(DEFAULT_KERNEL_SIZE),
});

export type FuseOptions = z.input<typeof FuseOptionsSchema>;
export type ResolvedFuseOptions = z.output<typeof FuseOptionsSchema>;

export function parseOptions<S extends z.ZodType>(schema: S, options: unknown, what: string): z.output<S> {
  const result = schema.safeParse(options ?? {}, { reportInput: true });
  if (result.success) return result.data;
  throw new LococoError('INVALID_OPTIONS', `invalid ${what}: ${describeIssues(result.error.issues, what)}`, { cause: result.error });
}

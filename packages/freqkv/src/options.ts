import { describeIssues, isNumberList } from '@globalmcp/tensor';
import { z } from 'zod';
import { FreqKvError } from './freqKvError.js';

/** Sink tokens kept raw at the start of every sequence by default (FreqKV and StreamingLLM use 4). */
export const DEFAULT_SINK_TOKENS = 4;
/** Fraction of the compressible span kept when neither `retention` nor `targetTokens` is given. */
export const DEFAULT_RETENTION = 0.5;

const count = (what: string) =>
  z.number({ error: `expected a non-negative integer (${what})` }).int({ error: `expected a non-negative integer (${what})` }).nonnegative({ error: `expected a non-negative integer (${what})` });

/**
 * Options of {@link compress}. Give `retention` or `targetTokens`, not both;
 * with neither, `retention` is 0.5.
 */
export const CompressOptionsSchema = z
  .strictObject({
    retention: z
      .number({ error: 'expected a number in (0, 1]: the fraction of the compressible tokens kept' })
      .gt(0, { error: 'expected a number in (0, 1]: the fraction of the compressible tokens kept' })
      .lte(1, { error: 'expected a number in (0, 1]: the fraction of the compressible tokens kept' })
      .optional(),
    targetTokens: z
      .number({ error: 'expected a positive integer: the number of tokens to keep in all, sinks and recent window included' })
      .int({ error: 'expected a positive integer: the number of tokens to keep in all, sinks and recent window included' })
      .positive({ error: 'expected a positive integer: the number of tokens to keep in all, sinks and recent window included' })
      .optional(),
    sinkTokens: count('tokens at the start kept raw').default(DEFAULT_SINK_TOKENS),
    recentTokens: count('tokens at the end kept raw').default(0),
    /** Default: the second to last axis (the only one of a rank-1 tensor). */
    axis: z
      .number({ error: 'expected an integer: the token axis, negative counts from the end' })
      .int({ error: 'expected an integer: the token axis, negative counts from the end' })
      .optional(),
    counts: z
      .custom<ArrayLike<number>>(isNumberList, {
        error: 'expected an array or typed array of positive token counts, one per input token',
      })
      .optional(),
  })
  .refine((o) => o.retention === undefined || o.targetTokens === undefined, {
    error: 'give either retention or targetTokens, not both',
    path: ['retention'],
  });

export type CompressOptions = z.input<typeof CompressOptionsSchema>;
export type ResolvedCompressOptions = z.output<typeof CompressOptionsSchema>;

/** Parses options once at the boundary, turning zod's issues into one readable {@link FreqKvError}. */
export function parseOptions<S extends z.ZodType>(schema: S, options: unknown, what: string): z.output<S> {
  const result = schema.safeParse(options ?? {}, { reportInput: true });
  if (result.success) return result.data;
  throw new FreqKvError('INVALID_OPTIONS', `invalid ${what}: ${describeIssues(result.error.issues, what)}`, { cause: result.error });
}

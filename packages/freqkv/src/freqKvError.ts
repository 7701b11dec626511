/**
 * Codes of {@link FreqKvError}. Stable: callers may switch on them.
 *
 * - `INVALID_OPTIONS`: an option is missing, of the wrong type or out of range (the message names it).
 * - `TOO_FEW_TOKENS`: sinks and the recent window leave no token to compress.
 * - `INVALID_LENGTH`: a transform length or buffer size is not usable.
 * - `SHAPE_MISMATCH`: an appended chunk or a counts vector does not fit the tensor it goes with.
 * - `NUMERIC_OVERFLOW`: the compressed values do not fit the output dtype (float32 near ±3.4e38).
 * - `WORKER_FAILED`: a worker thread of `compressParallel` died or failed unexpectedly.
 *
 * Malformed tensors (empty, data length vs. shape, bad axis, NaN/Infinity)
 * raise `TensorError` from `@globalmcp/tensor`, re-exported here.
 */
export type FreqKvErrorCode = 'INVALID_OPTIONS' | 'TOO_FEW_TOKENS' | 'INVALID_LENGTH' | 'SHAPE_MISMATCH' | 'NUMERIC_OVERFLOW' | 'WORKER_FAILED';

export class FreqKvError extends Error {
  override readonly name = 'FreqKvError';
  readonly code: FreqKvErrorCode;

  constructor(code: FreqKvErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

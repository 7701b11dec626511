/**
 * Codes of {@link LococoError}. Stable: callers may switch on them.
 *
 * - `INVALID_OPTIONS`: an option is missing, of the wrong type or out of range (the message names it).
 * - `TOO_FEW_TOKENS`: the input has no more tokens than the slots asked for, so there is nothing to fuse.
 * - `SHAPE_MISMATCH`: kernels, scores, counts, queries or a chunk do not fit the tensor they go with.
 * - `INVALID_KERNELS`: kernels (or their JSON) are malformed.
 * - `WORKER_FAILED`: a worker thread of `fuseParallel` / `fuseKvParallel` failed or was stopped mid-call.
 *
 * Malformed tensors and NaN/Infinity raise `TensorError` from `@globalmcp/tensor`.
 */
export type LococoErrorCode = 'INVALID_OPTIONS' | 'TOO_FEW_TOKENS' | 'SHAPE_MISMATCH' | 'INVALID_KERNELS' | 'WORKER_FAILED';

export class LococoError extends Error {
  override readonly name = 'LococoError';
  readonly code: LococoErrorCode;

  constructor(code: LococoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * Codes of {@link TensorError}. Stable: callers may switch on them.
 *
 * - `EMPTY_TENSOR`: the tensor has no elements (a dimension is 0) or no dimensions.
 * - `INVALID_SHAPE`: a dimension is not a non-negative safe integer.
 * - `SHAPE_MISMATCH`: the data length is not the product of the shape, or two tensors that must agree do not.
 * - `INVALID_AXIS`: the axis is not an integer in [-rank, rank).
 * - `NON_FINITE`: the data holds NaN or ±Infinity.
 * - `UNSUPPORTED_DTYPE`: the data is not a Float32Array or a Float64Array.
 * - `INVALID_ARGUMENT`: another argument is out of range (the message names it).
 * - `INVALID_FORMAT`: bytes that should be a tensor file (.npy) are not a usable one.
 */
export type TensorErrorCode =
  | 'EMPTY_TENSOR'
  | 'INVALID_SHAPE'
  | 'SHAPE_MISMATCH'
  | 'INVALID_AXIS'
  | 'NON_FINITE'
  | 'UNSUPPORTED_DTYPE'
  | 'INVALID_ARGUMENT'
  | 'INVALID_FORMAT';

/** A tensor that cannot be used as given. `message` says what was wrong and what was expected. */
export class TensorError extends Error {
  override readonly name = 'TensorError';
  readonly code: TensorErrorCode;

  constructor(code: TensorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

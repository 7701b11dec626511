/**
 * Codes of {@link PipelineError}.
 *
 * - `INVALID_OPTIONS`: an option is of the wrong type or out of range (the message names it).
 *
 * Each stage's own errors (`FreqKvError`, `LococoError`, `TensorError`) pass through unchanged.
 */
export type PipelineErrorCode = 'INVALID_OPTIONS';

export class PipelineError extends Error {
  override readonly name = 'PipelineError';
  readonly code: PipelineErrorCode;

  constructor(code: PipelineErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

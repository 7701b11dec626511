/**
 * Codes of {@link GatewayError}.
 *
 * - `INVALID_ARGUMENT`: a tool argument is malformed (the message names it and says what was expected).
 * - `FORBIDDEN_PATH`: a file path is outside the allowed directories, or file access is off.
 * - `CONFIG_INVALID`: a server option or environment variable is wrong (named).
 * - `INSECURE_BIND`: asked to listen beyond loopback without a bearer token.
 *
 * The packages' own errors (`RegistryError`, `RouterError`, `TensorError`, `FreqKvError` ...) pass through
 * unchanged; the server turns all of them into tool results with `isError: true`.
 */
export type GatewayErrorCode = 'INVALID_ARGUMENT' | 'FORBIDDEN_PATH' | 'CONFIG_INVALID' | 'INSECURE_BIND';

export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly code: GatewayErrorCode;

  constructor(code: GatewayErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

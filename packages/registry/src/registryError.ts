import type { Attempt } from './attempt.js';

/**
 * Codes of {@link RegistryError}.
 *
 * Configuration and registry edits:
 * - `CONFIG_INVALID`: a registry file is not JSON or does not match the schema (the message names the file, the JSON path and what was expected).
 * - `CONFIG_LOCKED`: another process held the registry file's lock for longer than the lock timeout.
 * - `INVALID_ENDPOINT`: an endpoint URI or model entry cannot be understood.
 * - `UNKNOWN_MODEL`: a name that is not registered.
 * - `INVALID_REQUEST`: a generate/chat request is malformed (empty prompt, no messages, bad maxTokens ...).
 *
 * Calls to a model (each carries `url` and, where there was one, `status`):
 * - `CONNECTION_REFUSED`: nothing listens at the URL tried.
 * - `CONNECTION_DROPPED`: the server closed the connection before the answer was complete.
 * - `TIMEOUT`: no answer (or, when streaming, no new chunk) within the model's timeout.
 * - `ABORTED`: the caller's AbortSignal fired.
 * - `MODEL_NOT_FOUND`: the server does not have the model (Ollama: pull it first).
 * - `AUTH_FAILED`: 401/403; check the API key variable named in the config.
 * - `RATE_LIMITED`: 429 or 503 still returned after the retries.
 * - `HTTP_ERROR`: any other non-2xx status.
 * - `STREAM_ERROR`: the server reported an error in the middle of a stream (Ollama's `{"error": ...}` line with status 200, or an SSE error event).
 * - `BAD_RESPONSE`: the body is not what the protocol promises (invalid JSON, missing fields).
 * - `ALL_FAILED`: every candidate of a fallback chain failed and the fallback is `"error"`; `attempts` lists each one.
 */
export type RegistryErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_LOCKED'
  | 'INVALID_ENDPOINT'
  | 'UNKNOWN_MODEL'
  | 'INVALID_REQUEST'
  | 'CONNECTION_REFUSED'
  | 'CONNECTION_DROPPED'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'MODEL_NOT_FOUND'
  | 'AUTH_FAILED'
  | 'RATE_LIMITED'
  | 'HTTP_ERROR'
  | 'STREAM_ERROR'
  | 'BAD_RESPONSE'
  | 'ALL_FAILED';

export interface RegistryErrorDetails {
  readonly url?: string;
  readonly status?: number;
  readonly cause?: unknown;
  /** From a 429/503 answer's `Retry-After` header. */
  readonly retryAfterMs?: number;
  /** For `ALL_FAILED` and for errors after the first streamed chunk: what was tried. */
  readonly attempts?: readonly Attempt[];
}

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly code: RegistryErrorCode;
  readonly url: string | undefined;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly attempts: readonly Attempt[] | undefined;

  constructor(code: RegistryErrorCode, message: string, details: RegistryErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.url = details.url;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.attempts = details.attempts;
  }
}

/** Errors after which trying the same endpoint again soon is pointless: they put the endpoint in cooldown. */
export function isEndpointFailure(error: RegistryError): boolean {
  return error.code === 'CONNECTION_REFUSED' || error.code === 'CONNECTION_DROPPED' || error.code === 'TIMEOUT' || error.code === 'RATE_LIMITED';
}

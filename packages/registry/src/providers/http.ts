import type * as Undici from 'undici';
import type { Dispatcher } from 'undici';
import { RegistryError } from '../registryError.js';

/**
 * The time budget of one model call and the caller's cancellation in one signal.
 * `touch()` restarts the clock: streams call it on every chunk, so the budget
 * bounds the wait for the first byte and every silence after it (a stalled stream), not the total length.
 */
export class CallDeadline {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private expired = false;
  private touchedAt = 0;

  constructor(
    readonly timeoutMs: number,
    readonly callerSignal: AbortSignal | undefined,
  ) {
    this.signal = callerSignal === undefined ? this.controller.signal : AbortSignal.any([callerSignal, this.controller.signal]);
    this.touch();
  }

  touch(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.touchedAt = performance.now();
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort(new Error('timeout'));
    }, this.timeoutMs);
  }

  remainingMs(): number {
    return this.timeoutMs - (performance.now() - this.touchedAt);
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Throws when the call should stop: the caller aborted or the time ran out. */
  check(url: string): void {
    if (this.signal.aborted) throw this.failure(undefined, url);
  }

  /** The RegistryError for `error`, knowing whether the deadline or the caller stopped the call. */
  failure(error: unknown, url: string): RegistryError {
    if (error instanceof RegistryError) return error;
    if (this.callerSignal?.aborted) return new RegistryError('ABORTED', `request to ${url} was cancelled`, { url, cause: error });
    if (this.expired) return new RegistryError('TIMEOUT', `no answer from ${url} within ${this.timeoutMs} ms`, { url, cause: error });
    return networkError(error, url);
  }
}

const DROPPED = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH']);

export function networkError(error: unknown, url: string): RegistryError {
  const code = (error as { code?: unknown } | undefined)?.code;
  const detail = error instanceof Error ? error.message || String(code ?? error.name) : String(error);
  if (code === 'ECONNREFUSED') return new RegistryError('CONNECTION_REFUSED', `connection refused: nothing is listening at ${url}`, { url, cause: error });
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new RegistryError('CONNECTION_REFUSED', `cannot resolve the host of ${url} (${String(code)})`, { url, cause: error });
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new RegistryError('TIMEOUT', `${url}: ${detail}`, { url, cause: error });
  }
  if (typeof code === 'string' && DROPPED.has(code)) {
    return new RegistryError('CONNECTION_DROPPED', `${url} closed the connection before the answer was complete (${detail})`, { url, cause: error });
  }
  return new RegistryError('CONNECTION_DROPPED', `request to ${url} failed: ${detail}`, { url, cause: error });
}

export interface HttpRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  readonly deadline: CallDeadline;
  readonly dispatcher: Dispatcher | undefined;
}

/** undici takes ~100 ms to load: a gateway that never calls a model over HTTP (or not yet) does not pay it. */
let undici: Promise<typeof Undici> | undefined;

export async function send(req: HttpRequest): Promise<Dispatcher.ResponseData> {
  req.deadline.check(req.url);
  try {
    // a failed import is not kept: the next call tries again
    const { request } = await (undici ??= import('undici').catch((error: unknown) => {
      undici = undefined;
      throw error;
    }));
    return await request(req.url, {
      method: req.method,
      headers: req.body === undefined ? (req.headers ?? {}) : { 'content-type': 'application/json', ...req.headers },
      body: req.body === undefined ? null : JSON.stringify(req.body),
      signal: req.deadline.signal,
      ...(req.dispatcher === undefined ? {} : { dispatcher: req.dispatcher }),
    });
  } catch (error) {
    throw req.deadline.failure(error, req.url);
  }
}

/** Reads a whole JSON body; `BAD_RESPONSE` when it is not JSON. */
export async function readJson(res: Dispatcher.ResponseData, url: string, deadline: CallDeadline): Promise<unknown> {
  let text: string;
  try {
    text = await res.body.text();
  } catch (error) {
    throw deadline.failure(error, url);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new RegistryError('BAD_RESPONSE', `${url} answered ${res.statusCode} with a body that is not JSON: ${preview(text)}`, { url, status: res.statusCode });
  }
}

/** The lines of a streamed body, decoded as UTF-8; each chunk restarts the deadline. */
export async function* readLines(res: Dispatcher.ResponseData, url: string, deadline: CallDeadline): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      deadline.touch();
      buffered += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).replace(/\r$/, '');
        buffered = buffered.slice(newline + 1);
        if (line.trim() !== '') yield line;
      }
    }
  } catch (error) {
    throw deadline.failure(error, url);
  }
  buffered += decoder.decode();
  if (buffered.trim() !== '') yield buffered;
}

/** Decoded text chunks of a streamed body; each chunk restarts the deadline. */
export async function* readText(res: Dispatcher.ResponseData, url: string, deadline: CallDeadline): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      deadline.touch();
      yield decoder.decode(chunk, { stream: true });
    }
  } catch (error) {
    throw deadline.failure(error, url);
  }
  const rest = decoder.decode();
  if (rest !== '') yield rest;
}

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The error for a non-2xx answer. `message` is what the server said (its
 * `{"error": ...}`), extracted by the provider; the body is read at most to 64 KB.
 */
export async function httpError(
  res: Dispatcher.ResponseData,
  url: string,
  deadline: CallDeadline,
  describe: (status: number, serverMessage: string) => RegistryError | undefined,
): Promise<RegistryError> {
  let text = '';
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      text += Buffer.from(chunk).toString('utf8');
      if (text.length > 65_536) {
        res.body.destroy();
        break;
      }
    }
  } catch {
    // The status says enough.
  }
  const status = res.statusCode;
  const serverMessage = errorMessageOf(text);
  const specific = describe(status, serverMessage);
  if (specific !== undefined) return specific;
  const said = serverMessage === '' ? '' : `: ${serverMessage}`;
  if (status === 429 || status === 503) {
    const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
    return new RegistryError('RATE_LIMITED', `${url} answered ${status}${said}${retryAfterMs === undefined ? '' : ` (Retry-After ${retryAfterMs} ms)`}`, {
      url,
      status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status === 401 || status === 403) return new RegistryError('AUTH_FAILED', `${url} answered ${status}${said}`, { url, status });
  return new RegistryError('HTTP_ERROR', `${url} answered ${status}${said}`, { url, status });
}

/** `{"error": "..."}` (Ollama), `{"error": {"message": "..."}}` (OpenAI), or the start of a plain-text body. */
export function errorMessageOf(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof body.error === 'string') return body.error;
    if (body.error !== null && typeof body.error === 'object' && typeof (body.error as { message?: unknown }).message === 'string') {
      return (body.error as { message: string }).message;
    }
    if (typeof body.message === 'string') return body.message;
  } catch {
    // not JSON
  }
  return preview(text.trim());
}

export function preview(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

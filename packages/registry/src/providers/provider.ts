import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import type { ModelSpec } from '../registryConfig.js';
import type { RegistryError } from '../registryError.js';
import type { CallDeadline, HttpRequest } from './http.js';
import { httpError, send } from './http.js';

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** What a provider is asked: a single prompt (Ollama `/api/generate`) or a conversation (`/api/chat`). */
export type ModelRequest =
  | { readonly kind: 'generate'; readonly prompt: string; readonly system?: string | undefined }
  | { readonly kind: 'chat'; readonly messages: readonly ChatMessage[] };

export interface Usage {
  readonly promptTokens: number | undefined;
  readonly completionTokens: number | undefined;
}

/** What a provider returns besides the text. */
export interface CompletionMeta {
  readonly finishReason: string | undefined;
  readonly usage: Usage | undefined;
}

export interface Completion extends CompletionMeta {
  readonly text: string;
}

/** One call's state: its deadline, the HTTP dispatcher, and a count of HTTP requests made (retries included). */
export interface CallContext {
  readonly deadline: CallDeadline;
  readonly dispatcher: Dispatcher | undefined;
  readonly maxTokens: number;
  readonly temperature: number | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  requests: number;
}

export interface ProbeResult {
  /** `true` reachable and answering, `false` failing, `null` when the protocol has nothing to probe (plain HTTP). */
  readonly ok: boolean | null;
  /** Models the server says it has (Ollama `/api/tags`, OpenAI `/v1/models`). */
  readonly models: readonly string[] | undefined;
  readonly error: RegistryError | undefined;
}

/** A model server protocol. Implementations: Ollama, OpenAI-compatible, plain HTTP, mock. */
export interface Provider {
  /** The whole answer in one response (`stream: false`). */
  complete(spec: ModelSpec, request: ModelRequest, ctx: CallContext): Promise<Completion>;
  /** The answer as text chunks; the generator's return value carries the finish reason and usage. */
  stream(spec: ModelSpec, request: ModelRequest, ctx: CallContext): AsyncGenerator<string, CompletionMeta>;
  probe(spec: ModelSpec, ctx: CallContext): Promise<ProbeResult>;
}

const RETRY_BASE_MS = 200;
const RETRY_MAX_MS = 10_000;

/**
 * Sends a request and returns its 2xx response. 429 and 503 (honouring
 * `Retry-After`), 502, 504 and connections dropped before the response are
 * retried up to `spec.retries` times with exponential backoff, as long as the
 * wait fits in the call's time budget; anything else fails at once.
 */
export async function openWithRetries(
  spec: ModelSpec,
  ctx: CallContext,
  build: () => HttpRequest,
  describe: (status: number, serverMessage: string) => RegistryError | undefined,
): Promise<Dispatcher.ResponseData> {
  for (let retry = 0; ; retry++) {
    const req = build();
    let failure: RegistryError;
    try {
      ctx.requests++;
      const res = await send(req);
      if (res.statusCode >= 200 && res.statusCode < 300) return res;
      failure = await httpError(res, req.url, ctx.deadline, describe);
    } catch (error) {
      failure = ctx.deadline.failure(error, req.url);
    }
    if (retry >= spec.retries || !isRetryable(failure)) throw failure;
    const delay = failure.retryAfterMs ?? Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** retry);
    if (delay > RETRY_MAX_MS || delay >= ctx.deadline.remainingMs()) throw failure;
    try {
      await sleep(delay, undefined, { signal: ctx.deadline.signal });
    } catch (error) {
      throw ctx.deadline.failure(error, req.url);
    }
  }
}

function isRetryable(error: RegistryError): boolean {
  if (error.code === 'RATE_LIMITED' || error.code === 'CONNECTION_DROPPED') return true;
  return error.code === 'HTTP_ERROR' && (error.status === 502 || error.status === 504);
}

/** The text a prompt-only endpoint gets for a request: the system text, then the prompt or the conversation. */
export function flattenRequest(request: ModelRequest): string {
  if (request.kind === 'generate') return request.system ? `${request.system}\n\n${request.prompt}` : request.prompt;
  return request.messages.map((m) => (m.role === 'user' ? m.content : `${m.role}: ${m.content}`)).join('\n\n');
}

import type { ModelSpec } from '../registryConfig.js';
import { RegistryError } from '../registryError.js';
import type { HttpRequest } from './http.js';
import { readJson, readLines, send } from './http.js';
import { openWithRetries } from './provider.js';
import type { CallContext, Completion, CompletionMeta, ModelRequest, ProbeResult, Provider } from './provider.js';

interface OllamaChunk {
  response?: unknown;
  message?: { content?: unknown };
  done?: unknown;
  done_reason?: unknown;
  prompt_eval_count?: unknown;
  eval_count?: unknown;
  error?: unknown;
}

/** Ollama's native API: `/api/generate` and `/api/chat`, NDJSON when streaming, `/api/tags` for health. */
export const ollamaProvider: Provider = {
  async complete(spec, request, ctx): Promise<Completion> {
    const url = urlOf(spec, request);
    const res = await openWithRetries(spec, ctx, () => build(spec, request, ctx, url, false), notFound(spec, url));
    const body = (await readJson(res, url, ctx.deadline)) as OllamaChunk;
    if (body.error !== undefined) throw new RegistryError('STREAM_ERROR', `${url}: ${String(body.error)}`, { url });
    const text = textOf(body);
    if (text === undefined) throw new RegistryError('BAD_RESPONSE', `${url} answered without ${request.kind === 'chat' ? 'message.content' : '"response"'}`, { url });
    return { text, ...metaOf(body) };
  },

  async *stream(spec, request, ctx): AsyncGenerator<string, CompletionMeta> {
    const url = urlOf(spec, request);
    const res = await openWithRetries(spec, ctx, () => build(spec, request, ctx, url, true), notFound(spec, url));
    let final: CompletionMeta | undefined;
    // Read to the end even after "done", so that the connection goes back to the pool.
    for await (const line of readLines(res, url, ctx.deadline)) {
      if (final !== undefined) continue;
      let chunk: OllamaChunk;
      try {
        chunk = JSON.parse(line) as OllamaChunk;
      } catch {
        res.body.destroy();
        throw new RegistryError('BAD_RESPONSE', `${url} sent a stream line that is not JSON: ${line.slice(0, 120)}`, { url });
      }
      if (chunk.error !== undefined) {
        res.body.destroy();
        throw new RegistryError('STREAM_ERROR', `${url} failed mid-stream: ${String(chunk.error)}`, { url, status: res.statusCode });
      }
      const text = textOf(chunk);
      if (text) yield text;
      if (chunk.done === true) final = metaOf(chunk);
    }
    if (final !== undefined) return final;
    throw new RegistryError('CONNECTION_DROPPED', `${url} ended the stream without its final "done" line`, { url });
  },

  async probe(spec, ctx): Promise<ProbeResult> {
    const url = `${spec.baseUrl}/api/tags`;
    try {
      ctx.requests++;
      const res = await send({ url, method: 'GET', deadline: ctx.deadline, dispatcher: ctx.dispatcher });
      const body = (await readJson(res, url, ctx.deadline)) as { models?: Array<{ name?: unknown; model?: unknown }> };
      if (res.statusCode !== 200 || !Array.isArray(body.models)) {
        return { ok: false, models: undefined, error: new RegistryError('BAD_RESPONSE', `${url} answered ${res.statusCode} without a model list`, { url, status: res.statusCode }) };
      }
      return { ok: true, models: body.models.map((m) => String(m.name ?? m.model)), error: undefined };
    } catch (error) {
      return { ok: false, models: undefined, error: ctx.deadline.failure(error, url) };
    }
  },
};

/** `phi3` and `phi3:latest` are the same Ollama model. */
export function sameOllamaModel(a: string, b: string): boolean {
  const norm = (name: string) => (/:[^/]*$/.test(name) ? name : `${name}:latest`);
  return norm(a) === norm(b);
}

function urlOf(spec: ModelSpec, request: ModelRequest): string {
  return `${spec.baseUrl}${request.kind === 'chat' ? '/api/chat' : '/api/generate'}`;
}

function build(spec: ModelSpec, request: ModelRequest, ctx: CallContext, url: string, stream: boolean): HttpRequest {
  const options: Record<string, number> = { num_predict: ctx.maxTokens };
  if (ctx.temperature !== undefined) options['temperature'] = ctx.temperature;
  if (spec.contextLength !== undefined) options['num_ctx'] = spec.contextLength;
  const body =
    request.kind === 'chat'
      ? { model: spec.model, messages: request.messages, stream, options }
      : { model: spec.model, prompt: request.prompt, ...(request.system ? { system: request.system } : {}), stream, options };
  return { url, method: 'POST', headers: { ...spec.headers }, body, deadline: ctx.deadline, dispatcher: ctx.dispatcher };
}

function notFound(spec: ModelSpec, url: string) {
  return (status: number, serverMessage: string): RegistryError | undefined =>
    status === 404
      ? new RegistryError(
          'MODEL_NOT_FOUND',
          `model "${spec.model}" is not installed at ${spec.baseUrl}${serverMessage ? ` (${serverMessage})` : ''}; pull it with \`ollama pull ${spec.model}\``,
          { url, status },
        )
      : undefined;
}

function textOf(chunk: OllamaChunk): string | undefined {
  if (typeof chunk.response === 'string') return chunk.response;
  if (chunk.message !== undefined && typeof chunk.message.content === 'string') return chunk.message.content;
  return undefined;
}

function metaOf(chunk: OllamaChunk): CompletionMeta {
  const count = (v: unknown) => (typeof v === 'number' ? v : undefined);
  return {
    finishReason: typeof chunk.done_reason === 'string' ? chunk.done_reason : undefined,
    usage: { promptTokens: count(chunk.prompt_eval_count), completionTokens: count(chunk.eval_count) },
  };
}

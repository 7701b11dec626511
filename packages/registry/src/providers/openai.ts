import { createParser } from 'eventsource-parser';
import type { EventSourceMessage } from 'eventsource-parser';
import type { ModelSpec } from '../registryConfig.js';
import { RegistryError } from '../registryError.js';
import type { HttpRequest } from './http.js';
import { errorMessageOf, readJson, readText, send } from './http.js';
import { openWithRetries } from './provider.js';
import type { CallContext, Completion, CompletionMeta, ModelRequest, ProbeResult, Provider } from './provider.js';

interface ChatCompletion {
  choices?: Array<{ message?: { content?: unknown }; delta?: { content?: unknown }; text?: unknown; finish_reason?: unknown }>;
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null;
  error?: unknown;
}

/**
 * The OpenAI-compatible API that llama.cpp's server, vLLM, LM Studio and
 * Ollama's `/v1` speak: `POST {baseUrl}/chat/completions`, SSE when streaming
 * (ending with `data: [DONE]`), `GET {baseUrl}/models` for health.
 */
export const openAiProvider: Provider = {
  async complete(spec, request, ctx): Promise<Completion> {
    const url = `${spec.baseUrl}/chat/completions`;
    const res = await openWithRetries(spec, ctx, () => build(spec, request, ctx, url, false), describeFailure(spec, url));
    const body = (await readJson(res, url, ctx.deadline)) as ChatCompletion;
    if (body.error !== undefined) throw new RegistryError('STREAM_ERROR', `${url}: ${errorMessageOf(JSON.stringify(body))}`, { url });
    const choice = body.choices?.[0];
    const text = choice?.message?.content ?? choice?.text;
    if (typeof text !== 'string') throw new RegistryError('BAD_RESPONSE', `${url} answered without choices[0].message.content`, { url });
    return { text, finishReason: typeof choice?.finish_reason === 'string' ? choice.finish_reason : undefined, usage: usageOf(body) };
  },

  async *stream(spec, request, ctx): AsyncGenerator<string, CompletionMeta> {
    const url = `${spec.baseUrl}/chat/completions`;
    const res = await openWithRetries(spec, ctx, () => build(spec, request, ctx, url, true), describeFailure(spec, url));
    const events: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (event) => events.push(event) });
    let finishReason: string | undefined;
    let usage: CompletionMeta['usage'];
    let finished = false;
    // Read to the end even after [DONE], so that the connection goes back to the pool.
    for await (const text of readText(res, url, ctx.deadline)) {
      if (finished) continue;
      parser.feed(text);
      for (const event of events.splice(0)) {
        if (event.data === '[DONE]') {
          finished = true;
          break;
        }
        let chunk: ChatCompletion;
        try {
          chunk = JSON.parse(event.data) as ChatCompletion;
        } catch {
          res.body.destroy();
          throw new RegistryError('BAD_RESPONSE', `${url} sent an event that is not JSON: ${event.data.slice(0, 120)}`, { url });
        }
        if (chunk.error !== undefined || event.event === 'error') {
          res.body.destroy();
          throw new RegistryError('STREAM_ERROR', `${url} failed mid-stream: ${errorMessageOf(event.data)}`, { url, status: res.statusCode });
        }
        const choice = chunk.choices?.[0];
        const delta = choice?.delta?.content ?? choice?.text;
        if (typeof delta === 'string' && delta !== '') yield delta;
        if (typeof choice?.finish_reason === 'string') finishReason = choice.finish_reason;
        if (chunk.usage) usage = usageOf(chunk);
      }
    }
    if (finished) return { finishReason, usage };
    throw new RegistryError('CONNECTION_DROPPED', `${url} ended the stream without "data: [DONE]"`, { url });
  },

  async probe(spec, ctx): Promise<ProbeResult> {
    const url = `${spec.baseUrl}/models`;
    try {
      ctx.requests++;
      const res = await send({ url, method: 'GET', headers: headers(spec, ctx), deadline: ctx.deadline, dispatcher: ctx.dispatcher });
      const body = (await readJson(res, url, ctx.deadline)) as { data?: Array<{ id?: unknown }>; error?: unknown };
      if (res.statusCode !== 200 || !Array.isArray(body.data)) {
        const code = res.statusCode === 401 || res.statusCode === 403 ? 'AUTH_FAILED' : 'BAD_RESPONSE';
        return { ok: false, models: undefined, error: new RegistryError(code, `${url} answered ${res.statusCode} without a model list`, { url, status: res.statusCode }) };
      }
      return { ok: true, models: body.data.map((m) => String(m.id)), error: undefined };
    } catch (error) {
      return { ok: false, models: undefined, error: ctx.deadline.failure(error, url) };
    }
  },
};

function headers(spec: ModelSpec, ctx: CallContext): Record<string, string> {
  const out: Record<string, string> = { ...spec.headers };
  if (spec.apiKeyEnv !== undefined) {
    const key = ctx.env[spec.apiKeyEnv];
    if (!key) throw new RegistryError('AUTH_FAILED', `model "${spec.name}" reads its API key from $${spec.apiKeyEnv}, which is not set`);
    out['authorization'] = `Bearer ${key}`;
  }
  return out;
}

function build(spec: ModelSpec, request: ModelRequest, ctx: CallContext, url: string, stream: boolean): HttpRequest {
  const messages =
    request.kind === 'chat'
      ? request.messages
      : [...(request.system ? [{ role: 'system', content: request.system }] : []), { role: 'user', content: request.prompt }];
  const body: Record<string, unknown> = { model: spec.model, messages, max_tokens: ctx.maxTokens, stream };
  if (stream) body['stream_options'] = { include_usage: true };
  if (ctx.temperature !== undefined) body['temperature'] = ctx.temperature;
  return { url, method: 'POST', headers: headers(spec, ctx), body, deadline: ctx.deadline, dispatcher: ctx.dispatcher };
}

function describeFailure(spec: ModelSpec, url: string) {
  return (status: number, serverMessage: string): RegistryError | undefined => {
    if (status === 404 && /model/i.test(serverMessage)) {
      return new RegistryError('MODEL_NOT_FOUND', `model "${spec.model}" is not served at ${spec.baseUrl} (${serverMessage}); load or pull it on that server`, { url, status });
    }
    if ((status === 401 || status === 403) && spec.apiKeyEnv !== undefined) {
      return new RegistryError('AUTH_FAILED', `${url} answered ${status}${serverMessage ? `: ${serverMessage}` : ''}; check the key in $${spec.apiKeyEnv}`, { url, status });
    }
    return undefined;
  };
}

function usageOf(body: ChatCompletion): CompletionMeta['usage'] {
  if (!body.usage) return undefined;
  const count = (v: unknown) => (typeof v === 'number' ? v : undefined);
  return { promptTokens: count(body.usage.prompt_tokens), completionTokens: count(body.usage.completion_tokens) };
}

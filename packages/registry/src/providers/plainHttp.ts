import { RegistryError } from '../registryError.js';
import { readJson } from './http.js';
import { flattenRequest, openWithRetries } from './provider.js';
import type { Completion, CompletionMeta, ProbeResult, Provider } from './provider.js';

/**
 * The seed's plain JSON endpoint: `POST url {prompt, max_tokens}` answered by
 * `{response}` or `{text}` (or an OpenAI-style `choices[0].text`). It has no
 * streaming form, so a stream is the whole answer in one chunk, and nothing to probe.
 */
export const plainHttpProvider: Provider = {
  async complete(spec, request, ctx): Promise<Completion> {
    const url = spec.baseUrl;
    const res = await openWithRetries(
      spec,
      ctx,
      () => ({
        url,
        method: 'POST',
        headers: { ...spec.headers },
        body: { prompt: flattenRequest(request), max_tokens: ctx.maxTokens, ...(spec.model ? { model: spec.model } : {}) },
        deadline: ctx.deadline,
        dispatcher: ctx.dispatcher,
      }),
      () => undefined,
    );
    const body = (await readJson(res, url, ctx.deadline)) as { response?: unknown; text?: unknown; choices?: Array<{ text?: unknown }>; error?: unknown };
    if (body.error !== undefined) throw new RegistryError('STREAM_ERROR', `${url}: ${String(body.error)}`, { url });
    const text = body.response ?? body.text ?? body.choices?.[0]?.text;
    if (typeof text !== 'string') throw new RegistryError('BAD_RESPONSE', `${url} answered without "response" or "text"`, { url });
    return { text, finishReason: undefined, usage: undefined };
  },

  async *stream(spec, request, ctx): AsyncGenerator<string, CompletionMeta> {
    const { text, ...meta } = await plainHttpProvider.complete(spec, request, ctx);
    if (text !== '') yield text;
    return meta;
  },

  async probe(): Promise<ProbeResult> {
    return { ok: null, models: undefined, error: undefined };
  },
};

import { flattenRequest } from './provider.js';
import type { Completion, CompletionMeta, ProbeResult, Provider } from './provider.js';

/**
 * `mock://name`: answers without any model, instantly and deterministically.
 * The text always starts with `[MOCK name]` and results carry `mock: true`, so a
 * mock answer is never mistaken for a model's.
 */
export const mockProvider: Provider = {
  async complete(spec, request, ctx): Promise<Completion> {
    ctx.deadline.check(spec.baseUrl);
    return { text: mockText(spec.model, flattenRequest(request)), finishReason: 'mock', usage: undefined };
  },

  async *stream(spec, request, ctx): AsyncGenerator<string, CompletionMeta> {
    const text = mockText(spec.model, flattenRequest(request));
    for (const piece of text.split(/(?<= )/)) {
      ctx.deadline.check(spec.baseUrl);
      yield piece;
    }
    return { finishReason: 'mock', usage: undefined };
  },

  async probe(): Promise<ProbeResult> {
    return { ok: true, models: undefined, error: undefined };
  },
};

export function mockText(name: string, prompt: string): string {
  const oneLine = prompt.replace(/\s+/g, ' ').trim();
  const excerpt = oneLine.length > 80 ? `${oneLine.slice(0, 80)}…` : oneLine;
  return `[MOCK ${name}] No model answered; this placeholder stands in for one. Prompt: "${excerpt}"`;
}

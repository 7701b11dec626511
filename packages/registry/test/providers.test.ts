import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ModelRegistry, RegistryError } from '../src/index.ts';
import type { InvokeRequest, ModelEntry, StreamEvent } from '../src/index.ts';
import { startFakeModelServer } from '../src/testing/fakeModelServer.ts';
import type { FakeModelServer } from '../src/testing/fakeModelServer.ts';

let server: FakeModelServer;
let deadPort: number;

beforeAll(async () => {
  server = await startFakeModelServer({ apiKey: 'sk-test' });
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  deadPort = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
});
afterAll(() => server.close());
beforeEach(() => server.reset());

/** A registry with one model; calls fail with ALL_FAILED (no mock) so each failure can be inspected. */
function registryWith(entry: ModelEntry, env: Record<string, string> = { TEST_KEY: 'sk-test' }): ModelRegistry {
  return ModelRegistry.fromDocument(
    { ollamaHost: server.url, fallback: 'error', health: { cooldownMs: 0 }, models: { m: entry, backup: `ollama://mistral` }, complexity_mapping: { simple: ['m', 'backup'] } },
    { env },
  );
}

async function failureOf(registry: ModelRegistry, request: Partial<InvokeRequest> = {}) {
  try {
    await registry.invoke({ models: ['m'], prompt: 'hello there', ...request } as InvokeRequest);
  } catch (error) {
    if (!(error instanceof RegistryError) || error.code !== 'ALL_FAILED') throw new Error('expected ALL_FAILED', { cause: error });
    const attempt = error.attempts?.[0];
    if (attempt === undefined) throw new Error('no attempt recorded', { cause: error });
    return attempt;
  }
  throw new Error('expected the call to fail');
}

async function collect(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe('Ollama', () => {
  it('generates without streaming and sends the documented request', async () => {
    const result = await registryWith('ollama://phi3').invoke({ models: ['m'], prompt: 'say hi', system: 'be brief', maxTokens: 64, temperature: 0.2 });
    expect(result).toMatchObject({ text: 'echo(phi3): say hi', model: 'm', provider: 'ollama', mock: false, finishReason: 'stop' });
    expect(result.usage).toEqual({ promptTokens: 7, completionTokens: 3 });
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: '/api/generate',
      body: { model: 'phi3', prompt: 'say hi', system: 'be brief', stream: false, options: { num_predict: 64, temperature: 0.2 } },
    });
  });

  it('chats and streams NDJSON chunk by chunk', async () => {
    const events = await collect(registryWith('ollama://phi3').stream({ models: ['m'], messages: [{ role: 'user', content: 'one two three' }] }));
    const deltas = events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text);
    expect(deltas).toEqual(['echo(phi3): ', 'one ', 'two ', 'three']);
    const done = events.at(-1);
    expect(done?.type).toBe('done');
    expect(done?.type === 'done' && done.result).toMatchObject({ text: 'echo(phi3): one two three', usage: { completionTokens: 4 } });
    expect(server.requests[0]?.path).toBe('/api/chat');
    expect(server.requests[0]?.body).toMatchObject({ stream: true, messages: [{ role: 'user', content: 'one two three' }] });
  });

  it('reports a model that is not installed as MODEL_NOT_FOUND with the hint to pull it', async () => {
    const attempt = await failureOf(registryWith('ollama://phi4'));
    expect(attempt.error?.code).toBe('MODEL_NOT_FOUND');
    expect(attempt.error?.message).toBe(`model "phi4" is not installed at ${server.url} (model 'phi4' not found); pull it with \`ollama pull phi4\``);
  });

  it('treats the mid-stream {"error"} line as a failure even though the status was 200', async () => {
    server.script('phi3', { kind: 'midStreamError', afterChunks: 2, message: 'CUDA out of memory' });
    const registry = registryWith('ollama://phi3');
    const seen: StreamEvent[] = [];
    const error = await (async () => {
      try {
        for await (const event of registry.stream({ models: ['m'], prompt: 'a b c d' })) seen.push(event);
      } catch (e) {
        return e as RegistryError;
      }
      throw new Error('expected the stream to fail');
    })();
    expect(seen.filter((e) => e.type === 'delta')).toHaveLength(2);
    expect(error.code).toBe('STREAM_ERROR');
    expect(error.message).toMatch(/m failed after streaming began: .*failed mid-stream: CUDA out of memory/);
    expect(error.attempts?.map((a) => a.outcome)).toEqual(['failed']);
  });

  it('falls back to the next model when the error line comes before any text', async () => {
    server.script('phi3', { kind: 'midStreamError', afterChunks: 0, message: 'model failed to load' });
    const events = await collect(registryWith('ollama://phi3').stream({ tier: 'simple', prompt: 'x y' }));
    const done = events.at(-1);
    if (done?.type !== 'done') throw new Error('no done event');
    expect(done.result.model).toBe('backup');
    expect(done.result.text).toBe('echo(mistral): x y');
    expect(done.result.attempts.map((a) => [a.model, a.outcome, a.error?.code])).toEqual([
      ['m', 'failed', 'STREAM_ERROR'],
      ['backup', 'ok', undefined],
    ]);
  });
});

describe('OpenAI-compatible servers', () => {
  const studio: ModelEntry = { endpoint: '', provider: 'openai', model: 'llama3', apiKeyEnv: 'TEST_KEY' };
  const entry = () => ({ ...studio, endpoint: `${server.url}/v1` });

  it('completes a chat with the bearer key from the named environment variable', async () => {
    const result = await registryWith(entry()).invoke({ models: ['m'], prompt: 'hello', maxTokens: 10 });
    expect(result).toMatchObject({ text: 'echo(llama3): hello', provider: 'openai', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 2 } });
    expect(server.requests[0]?.headers.authorization).toBe('Bearer sk-test');
    expect(server.requests[0]?.body).toMatchObject({ model: 'llama3', messages: [{ role: 'user', content: 'hello' }], max_tokens: 10, stream: false });
  });

  it('streams server-sent events up to data: [DONE], with usage', async () => {
    const events = await collect(registryWith(entry()).stream({ models: ['m'], prompt: 'alpha beta' }));
    expect(events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text).join('')).toBe('echo(llama3): alpha beta');
    const done = events.at(-1);
    expect(done?.type === 'done' && done.result).toMatchObject({ finishReason: 'stop', usage: { completionTokens: 3 } });
    expect(server.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('reports a wrong key as AUTH_FAILED naming the variable, and a missing one before calling', async () => {
    const wrong = await failureOf(registryWith(entry(), { TEST_KEY: 'nope' }));
    expect(wrong.error).toEqual({ code: 'AUTH_FAILED', message: `${server.url}/v1/chat/completions answered 401: Invalid API key; check the key in $TEST_KEY` });
    const missing = await failureOf(registryWith(entry(), {}));
    expect(missing.error).toEqual({ code: 'AUTH_FAILED', message: 'model "m" reads its API key from $TEST_KEY, which is not set' });
    expect(missing.requests).toBe(0);
    expect(server.requests.filter((r) => r.headers.authorization === undefined)).toHaveLength(0);
  });

  it('reports an SSE error event mid-stream as STREAM_ERROR', async () => {
    server.script('llama3', { kind: 'midStreamError', afterChunks: 1, message: 'context length exceeded' });
    const registry = registryWith(entry());
    await expect(collect(registry.stream({ models: ['m'], prompt: 'a b c' }))).rejects.toMatchObject({
      code: 'STREAM_ERROR',
      message: expect.stringContaining('context length exceeded'),
    });
  });

  it('reports a model the server does not serve as MODEL_NOT_FOUND', async () => {
    const attempt = await failureOf(registryWith({ ...entry(), model: 'gpt-9' }));
    expect(attempt.error?.code).toBe('MODEL_NOT_FOUND');
    expect(attempt.error?.message).toMatch(/model "gpt-9" is not served at .*\/v1 \(model "gpt-9" not found, try pulling it first\)/);
  });
});

describe('connections', () => {
  it('go back to the pool after streamed and plain answers alike', async () => {
    const registry = registryWith('ollama://phi3');
    const before = server.connections;
    for (let i = 0; i < 5; i++) {
      await collect(registry.stream({ models: ['m'], prompt: 'a b c' }));
      await registry.invoke({ models: ['m'], prompt: 'a b c' });
    }
    expect(server.connections - before).toBeLessThanOrEqual(1);
  });
});

describe('plain HTTP endpoints', () => {
  it('posts {prompt, max_tokens} and reads "response"', async () => {
    const result = await registryWith(`${server.url}/generate`).invoke({ models: ['m'], prompt: 'question', system: 'context here', maxTokens: 99 });
    expect(result).toMatchObject({ text: 'echo(plain): context here\n\nquestion', provider: 'http' });
    expect(server.requests[0]?.body).toEqual({ prompt: 'context here\n\nquestion', max_tokens: 99 });
  });

  it('streams as one chunk, since the protocol has no stream', async () => {
    const events = await collect(registryWith(`${server.url}/generate`).stream({ models: ['m'], prompt: 'q' }));
    expect(events.filter((e) => e.type === 'delta')).toEqual([{ type: 'delta', text: 'echo(plain): q', model: 'm' }]);
  });
});

describe('failures on the wire', () => {
  it('reports connection refused with the URL it tried, without retrying', async () => {
    const attempt = await failureOf(registryWith(`ollama://127.0.0.1:${deadPort}/phi3`));
    expect(attempt.error).toEqual({ code: 'CONNECTION_REFUSED', message: `connection refused: nothing is listening at http://127.0.0.1:${deadPort}/api/generate` });
    expect(attempt.requests).toBe(1);
  });

  it('times out a slow server after the model timeout', async () => {
    server.script('phi3', { kind: 'delay', ms: 2_000 });
    const attempt = await failureOf(registryWith({ endpoint: 'ollama://phi3', timeoutMs: 150 }));
    expect(attempt.error?.code).toBe('TIMEOUT');
    expect(attempt.error?.message).toBe(`no answer from ${server.url}/api/generate within 150 ms`);
    expect(attempt.durationMs).toBeGreaterThanOrEqual(140);
    expect(attempt.durationMs).toBeLessThan(1_500);
  });

  it('times out a stream that stalls, however long it ran before', async () => {
    server.script('phi3', { kind: 'stall', afterChunks: 2, ms: 2_000 });
    const registry = registryWith({ endpoint: 'ollama://phi3', timeoutMs: 200 });
    await expect(collect(registry.stream({ models: ['m'], prompt: 'a b c d' }))).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('retries a dropped connection, then reports it', async () => {
    server.script('phi3', { kind: 'drop' });
    const attempt = await failureOf(registryWith({ endpoint: 'ollama://phi3', retries: 2 }));
    expect(attempt.error?.code).toBe('CONNECTION_DROPPED');
    expect(attempt.requests).toBe(3);
  });

  it('reports a connection dropped mid-stream as a failure after streaming began', async () => {
    server.script('phi3', { kind: 'drop', afterChunks: 2 });
    await expect(collect(registryWith('ollama://phi3').stream({ models: ['m'], prompt: 'a b c d' }))).rejects.toMatchObject({
      code: 'CONNECTION_DROPPED',
      message: expect.stringMatching(/^m failed after streaming began/),
    });
  });

  it('honours Retry-After on 503 and succeeds on the retry', async () => {
    server.script('phi3', { kind: 'status', status: 503, body: { error: 'server busy, please try again' }, headers: { 'retry-after': '1' }, times: 1 });
    const started = performance.now();
    const result = await registryWith('ollama://phi3').invoke({ models: ['m'], prompt: 'hi' });
    const elapsed = performance.now() - started;
    expect(result.text).toBe('echo(phi3): hi');
    expect(result.attempts[0]?.requests).toBe(2);
    expect(elapsed).toBeGreaterThanOrEqual(950);
  });

  it('gives up on 429 when Retry-After is longer than the time budget', async () => {
    server.script('phi3', { kind: 'status', status: 429, headers: { 'retry-after': '30' } });
    const attempt = await failureOf(registryWith({ endpoint: 'ollama://phi3', timeoutMs: 2_000 }));
    expect(attempt.error?.code).toBe('RATE_LIMITED');
    expect(attempt.error?.message).toMatch(/answered 429: status 429 \(Retry-After 30000 ms\)/);
    expect(attempt.requests).toBe(1);
  });

  it('reports a body that is not JSON as BAD_RESPONSE', async () => {
    server.script('phi3', { kind: 'garbage' });
    const attempt = await failureOf(registryWith('ollama://phi3'));
    expect(attempt.error?.code).toBe('BAD_RESPONSE');
    expect(attempt.error?.message).toMatch(/body that is not JSON: \{"response": "trunc/);
  });

  it('stops at once when the caller aborts, without falling back', async () => {
    server.script('phi3', { kind: 'delay', ms: 2_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const registry = registryWith('ollama://phi3');
    const started = performance.now();
    await expect(registry.invoke({ tier: 'simple', prompt: 'x', signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(server.requests.map((r) => (r.body as { model: string }).model)).toEqual(['phi3']);
  });
});

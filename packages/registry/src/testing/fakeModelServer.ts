import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * How the fake server treats requests for one model. Without a script a model
 * that is installed answers normally: its text is `echo(model): <prompt>`,
 * streamed word by word.
 */
export type FakeBehaviour =
  /** Wait before the status line. */
  | { readonly kind: 'delay'; readonly ms: number }
  /** Send `afterChunks` chunks, then go silent for `ms` (a stalled stream). */
  | { readonly kind: 'stall'; readonly afterChunks: number; readonly ms: number }
  /** Close the socket without answering, or after `afterChunks` streamed chunks. */
  | { readonly kind: 'drop'; readonly afterChunks?: number }
  /** Answer `status` with `body` and `headers`, `times` times (default always), then normally. */
  | { readonly kind: 'status'; readonly status: number; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>>; readonly times?: number }
  /** Stream `afterChunks` chunks, then Ollama's `{"error": message}` line (status 200), or an SSE error event. */
  | { readonly kind: 'midStreamError'; readonly afterChunks: number; readonly message: string }
  /** Answer 200 with a body that is not JSON. */
  | { readonly kind: 'garbage' }
  /** Answer normally, but with this text instead of the echo. */
  | { readonly kind: 'reply'; readonly text: string };

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

export interface FakeModelServerOptions {
  /** Installed models, as `/api/tags` and `/v1/models` list them (default phi3, mistral, llama3, all `:latest`). */
  readonly models?: readonly string[];
  /** When set, `/v1/*` requires `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string;
  readonly port?: number;
}

export interface FakeModelServer {
  /** `http://127.0.0.1:<port>`: use it as an Ollama host; `${url}/v1` is the OpenAI-compatible root; `${url}/generate` the plain endpoint. */
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** TCP connections accepted so far (a client that reuses connections keeps this low). */
  readonly connections: number;
  /** Requests whose client went away before the answer was complete (a cancelled call). */
  readonly abandoned: number;
  script(model: string, behaviour: FakeBehaviour | undefined): void;
  setModels(models: readonly string[]): void;
  /** Forgets scripts and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 that speaks the Ollama API (`/api/generate`,
 * `/api/chat`, `/api/tags`, `/api/version`; NDJSON streaming; 404 for a model
 * that is not installed) and the OpenAI-compatible API (`/v1/chat/completions`
 * with SSE, `/v1/completions`, `/v1/models`), plus the seed's plain
 * `POST /generate {prompt, max_tokens}`, with scripted failures. For testing
 * clients without Ollama; it is what this package's tests and benchmark use.
 */
export async function startFakeModelServer(options: FakeModelServerOptions = {}): Promise<FakeModelServer> {
  let installed = new Set((options.models ?? ['phi3:latest', 'mistral:latest', 'llama3:latest']).map(withTag));
  const scripts = new Map<string, { behaviour: FakeBehaviour; used: number }>();
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    res.on('close', () => {
      if (!res.writableFinished && !droppedOnPurpose.has(res)) abandoned++;
    });
    readBody(req)
      .then((raw) => handle(req, res, raw))
      .catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
  });
  server.keepAliveTimeout = 10_000;
  let connections = 0;
  let abandoned = 0;
  const droppedOnPurpose = new WeakSet<ServerResponse>();
  server.on('connection', () => connections++);

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] as string;
    let body: unknown = undefined;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        return json(res, 400, { error: 'invalid JSON body' });
      }
    }
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });
    const b = (body ?? {}) as Record<string, unknown>;

    if (req.method === 'GET' && path === '/api/version') return json(res, 200, { version: '0.12.0-fake' });
    if (req.method === 'GET' && path === '/api/tags') {
      return json(res, 200, {
        models: [...installed].map((name) => ({ name, model: name, size: 1, digest: 'fake', details: { parameter_size: '3.8B', quantization_level: 'Q4_0' } })),
      });
    }
    if (path.startsWith('/v1/') && options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return json(res, 401, { error: { message: 'Invalid API key', type: 'invalid_request_error', code: 'invalid_api_key' } });
    }
    if (req.method === 'GET' && path === '/v1/models') {
      return json(res, 200, { object: 'list', data: [...installed].map((id) => ({ id, object: 'model', created: 0, owned_by: 'library' })) });
    }
    if (req.method !== 'POST') return json(res, 404, { error: `no route ${req.method} ${path}` });

    const api = path === '/api/generate' || path === '/api/chat' ? 'ollama' : path === '/v1/chat/completions' || path === '/v1/completions' ? 'openai' : path === '/generate' ? 'plain' : undefined;
    if (api === undefined) return json(res, 404, { error: `no route POST ${path}` });
    const model = typeof b['model'] === 'string' ? b['model'] : api === 'plain' ? 'plain' : '';
    const prompt = promptOf(b);
    if (api !== 'plain' && (model === '' || prompt === undefined)) {
      return api === 'ollama' ? json(res, 400, { error: 'model and prompt/messages are required' }) : json(res, 400, { error: { message: 'model and messages are required', type: 'invalid_request_error' } });
    }

    const script = scripts.get(model);
    let behaviour: FakeBehaviour | undefined;
    if (script !== undefined) {
      const times = script.behaviour.kind === 'status' ? script.behaviour.times : undefined;
      if (times === undefined || script.used < times) {
        script.used++;
        behaviour = script.behaviour;
      }
    }
    if (behaviour?.kind === 'delay') await sleep(behaviour.ms);
    if (behaviour?.kind === 'drop' && !behaviour.afterChunks) {
      droppedOnPurpose.add(res);
      req.socket.destroy();
      return;
    }
    if (behaviour?.kind === 'status') {
      res.writeHead(behaviour.status, { 'content-type': 'application/json', ...behaviour.headers });
      res.end(JSON.stringify(behaviour.body ?? (api === 'openai' ? { error: { message: `status ${behaviour.status}` } } : { error: `status ${behaviour.status}` })));
      return;
    }
    if (api !== 'plain' && !installed.has(withTag(model))) {
      return api === 'ollama'
        ? json(res, 404, { error: `model '${model}' not found` })
        : json(res, 404, { error: { message: `model "${model}" not found, try pulling it first`, type: 'api_error', param: null, code: null } });
    }
    if (behaviour?.kind === 'garbage') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"response": "trunc');
      return;
    }

    const text = behaviour?.kind === 'reply' ? behaviour.text : `echo(${model}): ${prompt ?? ''}`;
    const pieces = text.split(/(?<= )/);
    const stream = api === 'ollama' ? b['stream'] !== false : api === 'openai' ? b['stream'] === true : false;
    const chat = path === '/api/chat' || path === '/v1/chat/completions';

    if (!stream) {
      if (api === 'plain') return json(res, 200, { response: text });
      if (api === 'ollama') return json(res, 200, ollamaChunk(model, chat, text, true, pieces.length));
      return json(res, 200, openAiCompletion(model, chat, text, pieces.length, prompt ?? ''));
    }

    res.writeHead(200, { 'content-type': api === 'ollama' ? 'application/x-ndjson' : 'text/event-stream', 'cache-control': 'no-cache' });
    for (let i = 0; i < pieces.length; i++) {
      if (behaviour?.kind === 'drop' && i === behaviour.afterChunks) {
        await sleep(20); // let the chunks already written reach the client
        droppedOnPurpose.add(res);
        req.socket.destroy();
        return;
      }
      if (behaviour?.kind === 'stall' && i === behaviour.afterChunks) await sleep(behaviour.ms);
      if (behaviour?.kind === 'midStreamError' && i === behaviour.afterChunks) {
        res.end(api === 'ollama' ? `${JSON.stringify({ error: behaviour.message })}\n` : `data: ${JSON.stringify({ error: { message: behaviour.message, type: 'server_error' } })}\n\n`);
        return;
      }
      const piece = pieces[i] as string;
      if (res.destroyed) return;
      res.write(api === 'ollama' ? `${JSON.stringify(ollamaChunk(model, chat, piece, false, 0))}\n` : `data: ${JSON.stringify(openAiChunk(model, chat, piece, null))}\n\n`);
    }
    if (api === 'ollama') {
      res.end(`${JSON.stringify(ollamaChunk(model, chat, '', true, pieces.length))}\n`);
    } else {
      res.write(`data: ${JSON.stringify(openAiChunk(model, chat, '', 'stop'))}\n\n`);
      const options = b['stream_options'] as { include_usage?: boolean } | undefined;
      if (options?.include_usage === true) {
        res.write(`data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 0, model, choices: [], usage: usage(prompt ?? '', pieces.length) })}\n\n`);
      }
      res.end('data: [DONE]\n\n');
    }
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get connections() {
      return connections;
    },
    get abandoned() {
      return abandoned;
    },
    script(model, behaviour) {
      if (behaviour === undefined) scripts.delete(model);
      else scripts.set(model, { behaviour, used: 0 });
    },
    setModels(models) {
      installed = new Set(models.map(withTag));
    },
    reset() {
      scripts.clear();
      requests.length = 0;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function withTag(name: string): string {
  return /:[^/]*$/.test(name) ? name : `${name}:latest`;
}

function promptOf(body: Record<string, unknown>): string | undefined {
  if (typeof body['prompt'] === 'string') return body['prompt'];
  if (Array.isArray(body['messages'])) {
    const last = [...body['messages']].reverse().find((m: { role?: unknown }) => m.role === 'user') as { content?: unknown } | undefined;
    return typeof last?.content === 'string' ? last.content : undefined;
  }
  return undefined;
}

function ollamaChunk(model: string, chat: boolean, text: string, done: boolean, evalCount: number): Record<string, unknown> {
  const base: Record<string, unknown> = { model, created_at: new Date(0).toISOString(), done };
  if (chat) base['message'] = { role: 'assistant', content: text };
  else base['response'] = text;
  if (done) {
    Object.assign(base, { done_reason: 'stop', total_duration: 1_000_000, load_duration: 1000, prompt_eval_count: 7, prompt_eval_duration: 1000, eval_count: evalCount, eval_duration: 1000 });
  }
  return base;
}

function openAiCompletion(model: string, chat: boolean, text: string, count: number, prompt: string): Record<string, unknown> {
  return {
    id: 'chatcmpl-fake',
    object: chat ? 'chat.completion' : 'text_completion',
    created: 0,
    model,
    choices: [chat ? { index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' } : { index: 0, text, finish_reason: 'stop' }],
    usage: usage(prompt, count),
  };
}

function openAiChunk(model: string, chat: boolean, text: string, finish: string | null): Record<string, unknown> {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 0,
    model,
    choices: [chat ? { index: 0, delta: text === '' ? {} : { role: 'assistant', content: text }, finish_reason: finish } : { index: 0, text, finish_reason: finish }],
  };
}

function usage(prompt: string, completion: number): Record<string, number> {
  const promptTokens = prompt.split(/\s+/).filter(Boolean).length;
  return { prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

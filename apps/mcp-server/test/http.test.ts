import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startFakeModelServer } from '@globalmcp/registry/testing';
import type { FakeModelServer } from '@globalmcp/registry/testing';
import { MAIN, configFor, startHttpProcess } from './support.ts';
import type { ServerProcess } from './support.ts';

let models: FakeModelServer;
let config: Awaited<ReturnType<typeof configFor>>;
let server: ServerProcess;

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } };
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

beforeAll(async () => {
  models = await startFakeModelServer();
  config = await configFor(models.url);
  server = await startHttpProcess(['--config-dir', config.dir, '--max-body-bytes', '65536']);
});
afterAll(async () => {
  await server.stop();
  await models.close();
  await config.cleanup();
});

async function connect(): Promise<Client> {
  const client = new Client({ name: 'http-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
  return client;
}

async function openSession(): Promise<string> {
  const res = await fetch(server.url, { method: 'POST', headers: HEADERS, body: JSON.stringify(INIT) });
  expect(res.status).toBe(200);
  await res.text();
  return res.headers.get('mcp-session-id') as string;
}

describe('Streamable HTTP with the SDK client', () => {
  it('lists and calls tools', async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(7);
    const result = await client.callTool({ name: 'route_prompt', arguments: { prompt: 'Build CI/CD pipeline for the services' } });
    expect(result.structuredContent).toMatchObject({ complexity: 'complex', model_used: 'llama3' });
    await client.close();
  });

  it('keeps concurrent sessions apart', async () => {
    const clients = await Promise.all(Array.from({ length: 5 }, () => connect()));
    const results = await Promise.all(clients.map((c, i) => c.callTool({ name: 'route_prompt', arguments: { prompt: `Rename variable v${i} to w${i}` } })));
    results.forEach((r, i) => expect((r.structuredContent as { response: string }).response).toBe(`echo(phi3): Rename variable v${i} to w${i}`));
    const ids = new Set(clients.map((c) => (c.transport as StreamableHTTPClientTransport).sessionId));
    expect(ids.size).toBe(5);
    await Promise.all(clients.map((c) => c.close()));
  });

  it('cancels the model call when the client cancels the tool call, and keeps serving', async () => {
    models.script('llama3', { kind: 'delay', ms: 5_000 });
    try {
      const client = await connect();
      const controller = new AbortController();
      const before = models.requests.length;
      const abandonedBefore = models.abandoned;
      const call = client.callTool({ name: 'route_prompt', arguments: { prompt: 'Design microservices and migrate the monolith to Kubernetes' } }, undefined, { signal: controller.signal });
      await expect.poll(() => models.requests.slice(before).some((r) => (r.body as { model?: string }).model === 'llama3'), { timeout: 5_000 }).toBe(true);
      const started = performance.now();
      controller.abort();
      await expect(call).rejects.toThrow();
      expect(performance.now() - started).toBeLessThan(1_000);
      await expect.poll(() => server.stderr(), { timeout: 3_000 }).toMatch(/route_prompt was cancelled by the client/);
      // The model request itself was aborted, not left running.
      await expect.poll(() => models.abandoned, { timeout: 3_000 }).toBe(abandonedBefore + 1);
      const after = await client.callTool({ name: 'classify_prompt', arguments: { prompt: 'Fix indentation' } });
      expect(after.structuredContent).toMatchObject({ complexity: 'simple' });
      await client.close();
    } finally {
      models.script('llama3', undefined);
    }
  });

  it('survives a client that disconnects mid-call', async () => {
    models.script('mistral', { kind: 'delay', ms: 1_500 });
    try {
      const sessionId = await openSession();
      const controller = new AbortController();
      const pending = fetch(server.url, {
        method: 'POST',
        headers: { ...HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'route_prompt', arguments: { prompt: 'Implement a function to parse a date' } } }),
        signal: controller.signal,
      }).catch((e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 200));
      controller.abort();
      await pending;
      await new Promise((resolve) => setTimeout(resolve, 1_600));
      const health = await fetch(`${server.base}/health`);
      expect(health.status).toBe(200);
      const client = await connect();
      expect((await client.listTools()).tools).toHaveLength(7);
      await client.close();
    } finally {
      models.script('mistral', undefined);
    }
  });
});

describe('resumable streams', () => {
  it('open with a priming event id and a retry hint, so a client can resume with Last-Event-ID', async () => {
    const sessionId = await openSession();
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { ...HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }),
    });
    const body = await res.text();
    expect(body).toMatch(/^id: \S+\nretry: 1000\ndata: *\n/m);
    expect(body).toMatch(/id: \S+\ndata: \{.*"id":7/);
  });
});

describe('GET /health', () => {
  it('reports status, version, uptime and every model endpoint', async () => {
    const res = await fetch(`${server.base}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'ok', name: 'globalmcp', version: '0.1.0', fallback: 'mock', children: [] });
    expect(body['uptimeSeconds']).toBeGreaterThan(0);
    expect((body['models'] as { name: string }[]).map((m) => m.name)).toEqual(['phi3', 'mistral', 'llama3', 'slow']);
  });
});

describe('requests refused before the MCP layer', () => {
  it('answers a foreign Origin with 403, and accepts loopback origins', async () => {
    const evil = await fetch(server.url, { method: 'POST', headers: { ...HEADERS, origin: 'https://evil.example' }, body: JSON.stringify(INIT) });
    expect(evil.status).toBe(403);
    expect(await evil.text()).toBe('Forbidden: Origin "https://evil.example" is not allowed');
    const local = await fetch(server.url, { method: 'POST', headers: { ...HEADERS, origin: 'http://localhost:5173' }, body: JSON.stringify(INIT) });
    expect(local.status).toBe(200);
    await local.text();
  });

  it('answers a rebinding Host header with 403', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.base}/health`, { headers: { host: 'attacker.example:8000' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('answers malformed JSON with a JSON-RPC parse error, and an oversized body with 413', async () => {
    const bad = await fetch(server.url, { method: 'POST', headers: HEADERS, body: '{"jsonrpc": "2.0", "id": 1, "method": ' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error: the body is not valid JSON' }, id: null });
    const big = await fetch(server.url, { method: 'POST', headers: HEADERS, body: JSON.stringify({ ...INIT, padding: 'x'.repeat(70_000) }) });
    expect(big.status).toBe(413);
  });

  it('answers well-formed JSON that is not JSON-RPC with a 400 JSON-RPC error, and keeps the session usable', async () => {
    const sessionId = await openSession();
    const headers = { ...HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' };
    const notRpc = await fetch(server.url, { method: 'POST', headers, body: JSON.stringify({ hello: 'world' }) });
    expect(notRpc.status).toBe(400);
    expect(((await notRpc.json()) as { error: { code: number } }).error.code).toBe(-32700);
    const ok = await fetch(server.url, { method: 'POST', headers: { ...headers, accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }) });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('"id":9');
  });

  it('answers an unknown session with 404, a missing one with 400, and a bad protocol version with 400', async () => {
    const unknown = await fetch(server.url, { method: 'POST', headers: { ...HEADERS, 'mcp-session-id': 'no-such-session' }, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) });
    expect(unknown.status).toBe(404);
    // The error answers the request by its id, so a client can match it.
    expect(await unknown.json()).toMatchObject({ id: 2, error: { code: -32001 } });
    const missing = await fetch(server.url, { method: 'POST', headers: HEADERS, body: JSON.stringify({ jsonrpc: '2.0', id: 'req-9', method: 'tools/list' }) });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ id: 'req-9', error: { code: -32000 } });
    const sessionId = await openSession();
    const version = await fetch(server.url, {
      method: 'POST',
      headers: { ...HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': '1999-01-01' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(version.status).toBe(400);
    expect(await version.text()).toMatch(/Unsupported protocol version: 1999-01-01/);
    const ended = await fetch(server.url, { method: 'DELETE', headers: { 'mcp-session-id': sessionId } });
    expect(ended.status).toBe(200);
    const afterDelete = await fetch(server.url, { method: 'POST', headers: { ...HEADERS, 'mcp-session-id': sessionId }, body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }) });
    expect(afterDelete.status).toBe(404);
  });
});

describe('authentication and binding', () => {
  it('requires the bearer token when one is set, and never logs it', async () => {
    const secured = await startHttpProcess(['--config-dir', config.dir, '--log-level', 'debug'], { GLOBALMCP_TOKEN: 's3cret-token-value' });
    try {
      const anonymous = await fetch(secured.url, { method: 'POST', headers: HEADERS, body: JSON.stringify(INIT) });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="globalmcp"');
      const wrong = await fetch(secured.url, { method: 'POST', headers: { ...HEADERS, authorization: 'Bearer nope' }, body: JSON.stringify(INIT) });
      expect(wrong.status).toBe(401);
      const client = new Client({ name: 'auth', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(secured.url), { requestInit: { headers: { authorization: 'Bearer s3cret-token-value' } } }));
      expect((await client.listTools()).tools).toHaveLength(7);
      await client.close();
      expect(secured.stderr()).not.toContain('s3cret-token-value');
    } finally {
      await secured.stop();
    }
  });

  it('refuses to listen beyond loopback without a token', async () => {
    const child = spawn(process.execPath, [MAIN, '--http', '--host', '0.0.0.0', '--port', '0', '--config-dir', config.dir], { env: { ...process.env, GLOBALMCP_TOKEN: '' } });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without a bearer token/);
  });

  it('rejects bad flags with exit code 2 and the usage', async () => {
    const child = spawn(process.execPath, [MAIN, '--http', '--port', 'eighty']);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(2);
    expect(stderr).toMatch(/port "eighty" \(from --port\): expected an integer from 0 to 65535/);
    expect(stderr).toMatch(/Usage: globalmcp-server/);
  });
});

describe('configuration', () => {
  it('applies an edit of model_registry.json without a restart', async () => {
    const { readFile, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const file = join(config.dir, 'model_registry.json');
    const original = await readFile(file, 'utf8');
    try {
      const doc = JSON.parse(original) as { models: Record<string, string>; complexity_mapping: Record<string, string[]> };
      doc.models['coder'] = 'ollama://mistral';
      doc.complexity_mapping['simple'] = ['coder'];
      await writeFile(file, JSON.stringify(doc));
      const client = await connect();
      await expect
        .poll(async () => ((await client.callTool({ name: 'route_prompt', arguments: { prompt: 'Rename variable x' } })).structuredContent as { model_used: string }).model_used, { timeout: 5_000 })
        .toBe('coder');
      await client.close();
    } finally {
      await writeFile(file, original);
      await expect.poll(async () => ((await (await fetch(`${server.base}/health`)).json()) as { models: unknown[] }).models.length, { timeout: 5_000 }).toBe(4);
    }
  });
});

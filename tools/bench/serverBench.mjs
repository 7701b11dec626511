// npm run bench (server part): the GlobalMCP server over Streamable HTTP with a few
// concurrent SDK clients. It measures route_prompt on a mock endpoint and compress_kv_cache
// on a 1 MB tensor, each beside the same work done by a direct call in-process (no
// gateway), and the time from start to /health answering.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Agent, request } from 'undici';
import { compress } from '@globalmcp/freqkv';
import { ModelRegistry } from '@globalmcp/registry';
import { Router } from '@globalmcp/router';
import { syntheticSequence } from '@globalmcp/tensor';

const MAIN = fileURLToPath(new URL('../../apps/mcp-server/dist/main.js', import.meta.url));
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 4);
const ROUTE_CALLS = Number(process.env.BENCH_CALLS ?? 2000);
const COMPRESS_CALLS = Number(process.env.BENCH_COMPRESS_CALLS ?? 80);
const STARTS = 7;

const dir = mkdtempSync(join(tmpdir(), 'globalmcp-server-bench-'));
const registryDoc = {
  models: { 'mock-simple': 'mock://simple', 'mock-moderate': 'mock://moderate', 'mock-complex': 'mock://complex' },
  complexity_mapping: { simple: ['mock-simple'], moderate: ['mock-moderate'], complex: ['mock-complex'] },
};
writeFileSync(join(dir, 'model_registry.json'), JSON.stringify(registryDoc));

const freePort = () =>
  new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

async function startServer() {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [MAIN, '--http', '--port', String(port), '--config-dir', dir, '--log-level', 'error'], { stdio: 'ignore' });
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.ok) {
        await res.text();
        return { child, port, readyMs: performance.now() - started };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 2));
  }
}

const stop = (child) => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM')));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function stats(times, wallMs) {
  const s = [...times].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: at(0.5), p99: at(0.99), perSecond: wallMs === undefined ? undefined : (times.length / wallMs) * 1000 };
}

async function concurrently(clients, calls, fn) {
  const times = [];
  const started = performance.now();
  await Promise.all(
    clients.map(async (client, c) => {
      for (let i = c; i < calls; i += clients.length) {
        const t = performance.now();
        await fn(client, i);
        times.push(performance.now() - t);
      }
    }),
  );
  return stats(times, performance.now() - started);
}

// 1 MB of float32: [2 (K, V), 4 heads, 2048 tokens, 16] as base64
const kv = syntheticSequence({ tokens: 2048, dim: 16, seed: 3, dtype: 'float32' });
const kvData = new Float32Array(2 * 4 * 2048 * 16);
for (let h = 0; h < 8; h++) kvData.set(kv.data, h * kv.data.length);
const kvTensor = { data: kvData, shape: [2, 4, 2048, 16] };
const kvArg = { dtype: 'float32', shape: kvTensor.shape, data: Buffer.from(kvData.buffer).toString('base64') };
const prompts = ['Rename variable x to count', 'Refactor this class to use dependency injection', 'Design microservices for billing and migrate the monolith'];

try {
  const readies = [];
  for (let i = 0; i < STARTS; i++) {
    const { child, readyMs } = await startServer();
    readies.push(readyMs);
    await stop(child);
  }

  const { child, port } = await startServer();
  const url = new URL(`http://127.0.0.1:${port}/mcp`);
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const client = new Client({ name: 'bench', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(url));
      return client;
    }),
  );
  let sink = 0;
  const route = (client, i) => client.callTool({ name: 'route_prompt', arguments: { prompt: prompts[i % 3] } }).then((r) => (sink += r.structuredContent.response.length));
  const squeeze = (client) => client.callTool({ name: 'compress_kv_cache', arguments: { kv_cache: kvArg, compression_ratio: 0.5, output: 'base64' } }).then((r) => (sink += r.structuredContent.stats.compressed_size));
  await concurrently(clients, 200, route);
  await concurrently(clients, 8, squeeze);
  const routeGateway = await concurrently(clients, ROUTE_CALLS, route);
  const compressGateway = await concurrently(clients, COMPRESS_CALLS, squeeze);
  await Promise.all(clients.map((c) => c.close()));

  // The same route_prompt calls from a plain keep-alive HTTP client speaking JSON-RPC, one session each:
  // the server's share without the SDK client's own costs.
  const agent = new Agent({ connections: CLIENTS });
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };
  const post = async (session, body) => {
    const res = await request(url, { method: 'POST', dispatcher: agent, headers: session ? { ...headers, 'mcp-session-id': session } : headers, body: JSON.stringify(body) });
    const text = await res.body.text();
    return { session: res.headers['mcp-session-id'], text };
  };
  const sessions = await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const { session } = await post(undefined, { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
      await post(session, { jsonrpc: '2.0', method: 'notifications/initialized' });
      return session;
    }),
  );
  const rawRoute = (session, i) => post(session, { jsonrpc: '2.0', id: i + 1, method: 'tools/call', params: { name: 'route_prompt', arguments: { prompt: prompts[i % 3] } } }).then((r) => (sink += r.text.length));
  await concurrently(sessions, 200, rawRoute);
  const routeRaw = await concurrently(sessions, ROUTE_CALLS, rawRoute);
  await agent.close();
  await stop(child);

  // The same work without the gateway: in-process calls, one at a time.
  const router = new Router({ registry: ModelRegistry.fromDocument(registryDoc) });
  const direct = async (n, fn) => {
    for (let i = 0; i < Math.min(50, n); i++) await fn(i);
    const times = [];
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await fn(i);
      times.push(performance.now() - t);
    }
    return stats(times, performance.now() - started);
  };
  const routeDirect = await direct(ROUTE_CALLS, async (i) => (sink += (await router.route(prompts[i % 3])).response.text.length));
  const compressDirect = await direct(COMPRESS_CALLS, async () => (sink += compress(kvTensor, { sinkTokens: 4, retention: 0.5 }).stats.tokensOut));
  if (sink === 0) throw new Error('no work done');

  const f = (x, d = 2) => (x === undefined ? '' : x.toFixed(d));
  console.log(`GlobalMCP server over Streamable HTTP, ${CLIENTS} concurrent SDK clients; direct = the same call in-process, sequential`);
  console.log(`machine: ${cpus()[0]?.model ?? '?'} x${cpus().length}, Node ${process.version}; times in ms`);
  console.log('');
  console.log('| call | gateway p50 | gateway p99 | gateway calls/s | direct p50 | direct p99 | direct calls/s |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(`| route_prompt (mock endpoint), ${ROUTE_CALLS} calls | ${f(routeGateway.p50)} | ${f(routeGateway.p99)} | ${f(routeGateway.perSecond, 0)} | ${f(routeDirect.p50, 3)} | ${f(routeDirect.p99, 3)} | ${f(routeDirect.perSecond, 0)} |`);
  console.log(`| route_prompt, plain keep-alive HTTP client | ${f(routeRaw.p50)} | ${f(routeRaw.p99)} | ${f(routeRaw.perSecond, 0)} | | | |`);
  console.log(`| compress_kv_cache, 1 MB float32 as base64, ${COMPRESS_CALLS} calls | ${f(compressGateway.p50)} | ${f(compressGateway.p99)} | ${f(compressGateway.perSecond, 0)} | ${f(compressDirect.p50)} | ${f(compressDirect.p99)} | ${f(compressDirect.perSecond, 0)} |`);
  console.log('');
  console.log(`start to /health answering: median ${f(median(readies), 0)} ms over ${STARTS} starts (min ${f(Math.min(...readies), 0)}, max ${f(Math.max(...readies), 0)}); target < 1000 ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

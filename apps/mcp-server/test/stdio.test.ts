import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { startFakeModelServer } from '@globalmcp/registry/testing';
import type { FakeModelServer } from '@globalmcp/registry/testing';
import { MAIN, configFor } from './support.ts';

const TOOL_NAMES = ['classify_prompt', 'compress_kv_cache', 'gateway_status', 'list_models', 'process_full_pipeline', 'route_prompt', 'router_feedback'];

let models: FakeModelServer;
let config: Awaited<ReturnType<typeof configFor>>;
let client: Client;

beforeAll(async () => {
  models = await startFakeModelServer();
  config = await configFor(models.url);
  client = new Client({ name: 'stdio-test', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [MAIN, '--stdio', '--config-dir', config.dir, '--tensor-dir', config.dir], stderr: 'pipe' }));
});
afterAll(async () => {
  await client.close();
  await models.close();
  await config.cleanup();
});

function text(result: unknown): string {
  return ((result as { content: { text: string }[] }).content[0] as { text: string }).text;
}

describe('the server over stdio, with the SDK client', () => {
  it('lists every tool with input and output schemas', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOL_NAMES);
    for (const tool of tools) {
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema?.type).toBe('object');
      expect(tool.description?.length).toBeGreaterThan(40);
    }
  });

  it('routes a prompt to the tier model and reports the decision and attempts', async () => {
    const result = await client.callTool({ name: 'route_prompt', arguments: { prompt: 'Rename variable x to count', context: 'utils.ts' } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ complexity: 'simple', model_used: 'phi3', mock: false, response: 'echo(phi3): Rename variable x to count', chain: ['phi3', 'mistral'] });
    expect((result.structuredContent as { attempts: unknown[] }).attempts).toHaveLength(1);
    expect(text(result)).toMatch(/^echo\(phi3\): Rename variable x to count\n\n— simple \(confidence/);
  });

  it('classifies without calling a model, and takes feedback on the id', async () => {
    const before = models.requests.length;
    const classified = await client.callTool({ name: 'classify_prompt', arguments: { prompt: 'Design microservices for billing and migrate the database' } });
    expect(classified.structuredContent).toMatchObject({ complexity: 'complex', path: 'rules' });
    expect(models.requests.length).toBe(before);
    const id = (classified.structuredContent as { id: string }).id;
    const feedback = await client.callTool({ name: 'router_feedback', arguments: { id, tier: 'moderate' } });
    expect(feedback.structuredContent).toMatchObject({ id, predicted: 'complex', actual: 'moderate', correct: false, feedback_count: 1 });
  });

  it('compresses a KV cache sent as nested arrays and reports the stats, with progress', async () => {
    const tokens = 64;
    const kv = Array.from({ length: tokens }, (_, t) => Array.from({ length: 8 }, (_, d) => Math.sin(t / 7 + d)));
    const progress: number[] = [];
    const result = await client.callTool(
      { name: 'compress_kv_cache', arguments: { kv_cache: kv, sink_tokens: 4, compression_ratio: 0.5 } },
      undefined,
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as { shape: number[]; stats: Record<string, number>; counts: number[]; tensor: number[][] };
    expect(out.shape).toEqual([34, 8]);
    expect(out.stats).toMatchObject({ original_size: 64, compressed_size: 34 });
    expect(out.stats['energy_kept']).toBeGreaterThan(0.99);
    expect(out.counts.reduce((a, b) => a + b, 0)).toBeCloseTo(64, 9);
    expect(out.tensor).toHaveLength(34);
    // The SDK client can drop the last notification when it arrives in the same read as the
    // result (it handles notifications a microtask late); the wire order is checked below.
    expect(progress).toEqual([0, 1, 2, 3].slice(0, progress.length));
  });

  it('runs the full pipeline on a base64 KV cache and routes the prompt', async () => {
    const shape = [1, 2, 2, 600, 16];
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i / 50));
    const result = await client.callTool({
      name: 'process_full_pipeline',
      arguments: { prompt: 'Implement a function that parses dates', kv_cache: { dtype: 'float32', shape, data: Buffer.from(data.buffer).toString('base64') }, slots: 64 },
    });
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as { compression: { original_size: number; compressed_size: number; stages: { stage: string }[] }; routing: { complexity: string }; response: string };
    expect(out.compression).toMatchObject({ original_size: 600, compressed_size: 64 });
    expect(out.compression.stages.map((s) => s.stage)).toEqual(['freqkv', 'lococo']);
    expect(out.routing.complexity).toBe('moderate');
    expect(out.response).toBe('echo(mistral): Implement a function that parses dates');
  });

  it('lists models with their state, and reports gateway status', async () => {
    const listed = await client.callTool({ name: 'list_models', arguments: { probe: true } });
    const modelsOut = (listed.structuredContent as { models: { name: string; status: string; installed?: boolean }[] }).models;
    expect(modelsOut.find((m) => m.name === 'phi3')).toMatchObject({ status: 'up', installed: true });
    expect(modelsOut.find((m) => m.name === 'slow')).toMatchObject({ installed: false });
    const status = await client.callTool({ name: 'gateway_status', arguments: {} });
    expect(status.structuredContent).toMatchObject({ status: 'ok', name: 'globalmcp' });
  });

  it('answers bad arguments with a tool error that names the field, and unknown tools with a protocol error', async () => {
    const bad = await client.callTool({ name: 'compress_kv_cache', arguments: { kv_cache: [[1, 2], [3]], compression_ratio: 2 } });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toMatch(/compression_ratio: Too big: expected number to be <1/);
    const ragged = await client.callTool({ name: 'compress_kv_cache', arguments: { kv_cache: [[1, 2], [3]] } });
    expect(text(ragged)).toBe('GatewayError INVALID_ARGUMENT: kv_cache[1]: ragged array: expected 2 elements at depth 1 (shape [2, 2]); got 1');
    const empty = await client.callTool({ name: 'route_prompt', arguments: { prompt: '' } });
    expect(text(empty)).toMatch(/prompt: must not be empty/);
    const outside = await client.callTool({ name: 'compress_kv_cache', arguments: { kv_cache: { path: '/etc/passwd' } } });
    expect(text(outside)).toMatch(/FORBIDDEN_PATH: kv_cache\.path: "\/etc\/passwd" is outside the allowed directories/);
    await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toThrow(/Unknown tool "nope"/);
  });
});

describe('stdout', () => {
  it('carries nothing but JSON-RPC, even for malformed input', async () => {
    const child = spawn(process.execPath, [MAIN, '--stdio', '--config-dir', config.dir, '--log-level', 'debug'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const send = (line: string) => child.stdin.write(`${line}\n`);
    send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } }));
    send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    send('{ this is not json');
    send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }));
    send(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'no/such/method' }));
    send(JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'route_prompt', arguments: { prompt: 'Fix indentation' } } }));
    send(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'compress_kv_cache', arguments: { kv_cache: [[1], [2], [3], [4], [5], [6]] }, _meta: { progressToken: 'p1' } } }));
    await expect.poll(() => stdout.split('\n').filter(Boolean).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(9);
    child.stdin.end();
    await new Promise((resolve) => child.once('exit', resolve));
    const messages = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { jsonrpc: string; id?: number; error?: { code: number }; params?: { progressToken?: string; progress?: number } });
    for (const m of messages) expect(m.jsonrpc).toBe('2.0');
    expect(messages.find((m) => m.id === 3)?.error?.code).toBe(-32601);
    expect(messages.find((m) => m.id === 4)).toBeDefined();
    // Every progress notification goes out before the result it belongs to.
    const order = messages.filter((m) => m.id === 5 || m.params?.progressToken === 'p1').map((m) => (m.id === 5 ? 'result' : m.params?.progress));
    expect(order).toEqual([0, 1, 2, 3, 'result']);
    expect(stderr).toMatch(/"level":"info","msg":"serving MCP on stdio"/);
  });
});

import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { MAIN, configFor, startHttpProcess } from './support.ts';
import type { ServerProcess } from './support.ts';

const EVERYTHING = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js');
const TEST_CHILD = fileURLToPath(new URL('../../../packages/integrations/test/fixtures/testChild.mjs', import.meta.url));
const NODE = process.execPath;

let config: Awaited<ReturnType<typeof configFor>>;

async function writeServers(servers: Record<string, unknown>): Promise<void> {
  await writeFile(join(config.dir, 'servers.json'), JSON.stringify({ mcpServers: servers }));
}

beforeAll(async () => {
  config = await configFor(undefined);
  await writeServers({ ev: { command: NODE, args: [EVERYTHING] }, t: { command: NODE, args: [TEST_CHILD] } });
});
afterAll(async () => {
  await config.cleanup();
});

/** Process ids whose parent is `pid` (Linux /proc). */
function listChildren(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]?.split(' ')[1] === String(pid);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function text(result: unknown): string {
  return ((result as { content: { text: string }[] }).content[0] as { text: string }).text;
}

describe('federated children behind the server, over stdio', () => {
  let client: Client;
  beforeAll(async () => {
    client = new Client({ name: 'fed-test', version: '1.0.0' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => ({
      model: 'client-llm',
      role: 'assistant',
      content: { type: 'text', text: `client sampled ${request.params.messages.length} message(s)` },
    }));
    await client.connect(new StdioClientTransport({ command: NODE, args: [MAIN, '--stdio', '--config-dir', config.dir], stderr: 'pipe' }));
  });
  afterAll(async () => {
    await client.close();
  });

  it("lists the children's tools beside the gateway's own and calls them", async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['route_prompt', 'compress_kv_cache', 'ev__echo', 'ev__trigger-sampling-request', 't__echo']));
    expect(text(await client.callTool({ name: 'ev__echo', arguments: { message: 'through the gateway' } }))).toBe('Echo: through the gateway');
    expect(text(await client.callTool({ name: 't__echo', arguments: { text: 'x' } }))).toBe('echo: x');
  }, 20_000);

  it("forwards a child's sampling request to the client and returns the child's result", async () => {
    const result = await client.callTool({ name: 'ev__trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } });
    expect(text(result)).toContain('client sampled 1 message(s)');
  }, 20_000);

  it('serves resources, prompts and completion of the children', async () => {
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain('test://note');
    expect(JSON.stringify(await client.readResource({ uri: 'test://note' }))).toContain('a note');
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toContain('ev__args-prompt');
    const completion = await client.complete({ ref: { type: 'ref/prompt', name: 'ev__completable-prompt' }, argument: { name: 'department', value: 'Eng' } });
    expect(completion.completion.values).toEqual(['Engineering']);
    await expect(client.readResource({ uri: 'nowhere://x' })).rejects.toThrow(/no child server offers the resource nowhere:\/\/x/);
    await expect(client.readResource({ uri: 'nowhere://x' })).rejects.toMatchObject({ code: -32002, data: { uri: 'nowhere://x' } });
  }, 20_000);

  it('reports the children in gateway_status', async () => {
    const status = await client.callTool({ name: 'gateway_status', arguments: {} });
    expect(text(status)).toMatch(/Child servers: ev ready \(\d+ tools\); t ready \(\d+ tools\)/);
    const children = (status.structuredContent as { children: { name: string; state: string; pid: number }[] }).children;
    expect(children.map((c) => [c.name, c.state])).toEqual([
      ['ev', 'ready'],
      ['t', 'ready'],
    ]);
  }, 20_000);
});

describe('wire order over stdio', () => {
  it("re-emits every progress notification with the client's token, all before the result", async () => {
    const gateway = spawn(NODE, [MAIN, '--stdio', '--config-dir', config.dir], { stdio: ['pipe', 'pipe', 'ignore'] });
    const lines: Record<string, unknown>[] = [];
    let buffer = '';
    gateway.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let i;
      while ((i = buffer.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buffer.slice(0, i)) as Record<string, unknown>);
        buffer = buffer.slice(i + 1);
      }
    });
    const send = (m: unknown) => gateway.stdin.write(`${JSON.stringify(m)}\n`);
    try {
      send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
      await expect.poll(() => lines.some((l) => l['id'] === 1), { timeout: 10_000 }).toBe(true);
      send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 't__progress', arguments: { steps: 5 }, _meta: { progressToken: 'client-token-7' } } });
      await expect.poll(() => lines.some((l) => l['id'] === 2), { timeout: 10_000 }).toBe(true);
      const progress = lines.filter((l) => l['method'] === 'notifications/progress').map((l) => l['params'] as { progressToken: string; progress: number; message: string });
      expect(progress.map((p) => [p.progressToken, p.progress])).toEqual([1, 2, 3, 4, 5].map((n) => ['client-token-7', n]));
      expect(lines.findIndex((l) => l['id'] === 2)).toBeGreaterThan(lines.findIndex((l) => (l['params'] as { progress?: number } | undefined)?.progress === 5));
      expect(text(lines.find((l) => l['id'] === 2)?.['result'])).toBe('done 5');
    } finally {
      gateway.kill();
    }
  }, 20_000);
});

describe('shutdown', () => {
  it('SIGTERM to a stdio gateway stops its child servers too, even ones that outlive a closed stdin', async () => {
    const own = await configFor(undefined);
    try {
      await writeFile(join(own.dir, 'servers.json'), JSON.stringify({ mcpServers: { stubborn: { command: NODE, args: [TEST_CHILD], env: { KEEP_ALIVE: '1' } } } }));
      const gateway = spawn(NODE, [MAIN, '--stdio', '--config-dir', own.dir], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      gateway.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      await expect.poll(() => stderr, { timeout: 10_000 }).toMatch(/child \\"stubborn\\" ready/);
      const childPids = listChildren(gateway.pid as number);
      expect(childPids.length).toBe(1);
      const exited = new Promise((resolve) => gateway.once('exit', resolve));
      gateway.kill('SIGTERM');
      await exited;
      await expect.poll(() => childPids.filter(isAlive), { timeout: 5_000 }).toEqual([]);
    } finally {
      await own.cleanup();
    }
  }, 20_000);
});

describe('federated children over Streamable HTTP', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startHttpProcess(['--config-dir', config.dir]);
  });
  afterAll(async () => {
    await server.stop();
  });

  it('shows each child and its state in /health', async () => {
    const client = new Client({ name: 'h', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    await client.listTools();
    const health = (await (await fetch(`${server.base}/health`)).json()) as { children: { name: string; state: string; tools: number }[] };
    expect(health.children.map((c) => c.name)).toEqual(['ev', 't']);
    expect(health.children.every((c) => c.state === 'ready' && c.tools > 0)).toBe(true);
    await client.close();
  }, 20_000);

  it('a child crash is reported, it comes back, and a servers.json edit reaches every session as list_changed', async () => {
    const client = new Client({ name: 'h', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    const crashed = await client.callTool({ name: 't__crash', arguments: {} });
    expect(crashed.isError).toBe(true);
    expect(text(crashed)).toMatch(/exited during tools\/call/);
    await expect
      .poll(async () => ((await (await fetch(`${server.base}/health`)).json()) as { children: { name: string; state: string; restarts: number }[] }).children.find((c) => c.name === 't'), { timeout: 10_000 })
      .toMatchObject({ state: 'ready', restarts: 1 });

    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
    await writeServers({ ev: { command: NODE, args: [EVERYTHING] }, t: { command: NODE, args: [TEST_CHILD] }, more: { command: NODE, args: [TEST_CHILD], startup: 'boot' } });
    await expect.poll(() => changed, { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(async () => (await client.listTools()).tools.map((t) => t.name), { timeout: 10_000 }).toContain('more__echo');
    await client.close();
  }, 30_000);
});

import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer } from '@globalmcp/registry/testing';
import type { FakeModelServer } from '@globalmcp/registry/testing';
import { MAIN, configFor, startHttpProcess } from './support.ts';
import type { ServerProcess } from './support.ts';

// The MCP Inspector's CLI mode, a third-party client, run as a child process.
// 0.17.5 declares Node >= 22.7.5 but its CLI runs on Node 20; newer releases need Node 22.
const INSPECTOR = join(dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/inspector/package.json')), 'cli', 'build', 'cli.js');
const run = promisify(execFile);

let models: FakeModelServer;
let config: Awaited<ReturnType<typeof configFor>>;
let http: ServerProcess;

beforeAll(async () => {
  models = await startFakeModelServer();
  config = await configFor(models.url);
  http = await startHttpProcess(['--config-dir', config.dir]);
});
afterAll(async () => {
  await http.stop();
  await models.close();
  await config.cleanup();
});

async function inspect(target: 'stdio' | 'http', ...all: string[]): Promise<Record<string, unknown>> {
  // Flags before --method go to our server (stdio only); the rest to the Inspector.
  const split = all.indexOf('--method');
  const serverArgs = all.slice(0, split);
  const args = all.slice(split);
  const server =
    target === 'stdio'
      ? [process.execPath, MAIN, '--stdio', '--config-dir', config.dir, '--tensor-dir', config.dir, '--log-level', 'error', ...serverArgs]
      : [http.url, '--transport', 'http'];
  const { stdout } = await run(process.execPath, [INSPECTOR, '--cli', ...server, ...args], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

const CALLS: Record<string, string[]> = {
  classify_prompt: ['prompt=Fix indentation'],
  route_prompt: ['prompt=Optimize database queries'],
  compress_kv_cache: ['kv_cache=[[1,2],[3,4],[5,6],[7,8],[9,10],[11,12]]', 'sink_tokens=1'],
  process_full_pipeline: ['prompt=Implement function'],
  list_models: [],
  gateway_status: [],
};

describe('the MCP Inspector CLI', () => {
  for (const target of ['stdio', 'http'] as const) {
    it(`lists every tool over ${target}`, async () => {
      const listed = (await inspect(target, '--method', 'tools/list')) as { tools: { name: string }[] };
      expect(listed.tools.map((t) => t.name).sort()).toEqual([...Object.keys(CALLS), 'router_feedback'].sort());
    });
  }

  it('calls every tool over stdio and gets structured results', async () => {
    const results: Record<string, Record<string, unknown>> = {};
    for (const [tool, args] of Object.entries(CALLS)) {
      const result = (await inspect('stdio', '--method', 'tools/call', '--tool-name', tool, ...args.flatMap((a) => ['--tool-arg', a]))) as { isError?: boolean; structuredContent: Record<string, unknown> };
      expect(result.isError ?? false, tool).toBe(false);
      results[tool] = result.structuredContent;
    }
    expect(results['classify_prompt']).toMatchObject({ complexity: 'simple' });
    expect(results['route_prompt']).toMatchObject({ complexity: 'complex', model_used: 'llama3', response: 'echo(llama3): Optimize database queries' });
    expect(results['compress_kv_cache']).toMatchObject({ shape: [3, 2], stats: { original_size: 6, compressed_size: 3 } });
    expect(results['process_full_pipeline']).toMatchObject({ routing: { complexity: 'moderate' }, response: 'echo(mistral): Implement function' });
    expect(results['gateway_status']).toMatchObject({ name: 'globalmcp', status: 'ok' });
  });

  it('takes feedback in one process on a prompt classified in another, through the analytics file', async () => {
    const analytics = ['--analytics-file', join(config.dir, 'analytics.json')];
    const classified = (await inspect('stdio', ...analytics, '--method', 'tools/call', '--tool-name', 'classify_prompt', '--tool-arg', 'prompt=Rename variable')) as {
      structuredContent: { id: string };
    };
    const feedback = (await inspect('stdio', ...analytics, '--method', 'tools/call', '--tool-name', 'router_feedback', '--tool-arg', `id=${classified.structuredContent.id}`, '--tool-arg', 'tier=moderate')) as {
      structuredContent: Record<string, unknown>;
    };
    expect(feedback.structuredContent).toMatchObject({ predicted: 'simple', actual: 'moderate', correct: false, feedback_count: 1 });
  });

  it('calls a tool over HTTP', async () => {
    const result = (await inspect('http', '--method', 'tools/call', '--tool-name', 'route_prompt', '--tool-arg', 'prompt=Rename variable')) as { structuredContent: Record<string, unknown> };
    expect(result.structuredContent).toMatchObject({ complexity: 'simple', model_used: 'phi3' });
  });
});

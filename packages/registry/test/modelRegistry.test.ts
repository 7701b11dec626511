import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ModelRegistry, RegistryError } from '../src/index.ts';
import { startFakeModelServer } from '../src/testing/fakeModelServer.ts';
import type { FakeModelServer } from '../src/testing/fakeModelServer.ts';

const run = promisify(execFile);
const DIST_INDEX = fileURLToPath(new URL('../dist/index.js', import.meta.url));

let server: FakeModelServer;
let deadHost: string;
let dir: string;

beforeAll(async () => {
  server = await startFakeModelServer();
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  deadHost = `127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise((resolve) => probe.close(resolve));
});
afterAll(() => server.close());
beforeEach(async () => {
  server.reset();
  dir = await mkdtemp(join(tmpdir(), 'globalmcp-registry-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('fallback', () => {
  function registry(fallback: 'mock' | 'error' = 'mock') {
    return ModelRegistry.fromDocument({
      ollamaHost: server.url,
      fallback,
      models: {
        down: `ollama://${deadHost}/phi3`,
        missing: 'ollama://phi4',
        phi3: 'ollama://phi3',
        mistral: 'ollama://mistral',
        llama3: 'ollama://llama3',
      },
      complexity_mapping: { simple: ['down', 'missing'], moderate: ['mistral'], complex: ['llama3'] },
    });
  }

  it('tries the tier in order, then the neighbouring tier, and lists every attempt', async () => {
    const result = await registry().invoke({ tier: 'simple', prompt: 'rename x' });
    expect(result).toMatchObject({ model: 'mistral', tier: 'moderate', mock: false, text: 'echo(mistral): rename x' });
    expect(result.attempts.map((a) => [a.model, a.tier, a.outcome, a.error?.code])).toEqual([
      ['down', 'simple', 'failed', 'CONNECTION_REFUSED'],
      ['missing', 'simple', 'failed', 'MODEL_NOT_FOUND'],
      ['mistral', 'moderate', 'ok', undefined],
    ]);
    for (const a of result.attempts) expect(a.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('ends with a mock answer that says it is one when nothing else answers', async () => {
    server.setModels([]);
    try {
      const result = await registry().invoke({ tier: 'complex', prompt: 'design a system' });
      expect(result.mock).toBe(true);
      expect(result.model).toBe('mock-complex');
      expect(result.text).toMatch(/^\[MOCK complex\] No model answered/);
      expect(result.attempts.map((a) => a.outcome)).toEqual(['failed', 'failed', 'ok']);
    } finally {
      server.setModels(['phi3', 'mistral', 'llama3']);
    }
  });

  it('fails with ALL_FAILED and the attempts when the fallback is "error"', async () => {
    const error = (await registry('error')
      .invoke({ tier: 'simple', prompt: 'x', neighbours: false })
      .catch((e: unknown) => e)) as RegistryError;
    expect(error).toBeInstanceOf(RegistryError);
    expect(error.code).toBe('ALL_FAILED');
    expect(error.message).toBe('no model answered (down: CONNECTION_REFUSED; missing: MODEL_NOT_FOUND)');
    expect(error.attempts).toHaveLength(2);
  });

  it('skips a server in cooldown after it failed, and says so', async () => {
    const reg = registry();
    await reg.invoke({ tier: 'simple', prompt: 'x' });
    const second = await reg.invoke({ tier: 'simple', prompt: 'x' });
    expect(second.attempts[0]).toMatchObject({ model: 'down', outcome: 'skipped', error: { code: 'COOLDOWN' } });
    expect(second.attempts[0]?.error?.message).toMatch(new RegExp(`http://${deadHost} is in cooldown until .* after CONNECTION_REFUSED`));
    expect(second.model).toBe('mistral');
  });

  it('tries the first server in cooldown anyway when every model is in cooldown, and brings back one that recovered', async () => {
    const reg = ModelRegistry.fromDocument({ ollamaHost: server.url, fallback: 'error', models: { phi3: 'ollama://phi3' }, complexity_mapping: { simple: ['phi3'] } });
    server.script('phi3', { kind: 'drop' });
    await expect(reg.invoke({ tier: 'simple', prompt: 'x', neighbours: false })).rejects.toMatchObject({ code: 'ALL_FAILED' });
    expect(reg.health.cooldown(reg.getModel('phi3'))).toBeDefined();
    server.script('phi3', undefined);
    const result = await reg.invoke({ tier: 'simple', prompt: 'x', neighbours: false });
    expect(result.attempts.map((a) => [a.outcome, a.error?.code])).toEqual([
      ['skipped', 'COOLDOWN'],
      ['ok', undefined],
    ]);
    expect(reg.health.cooldown(reg.getModel('phi3'))).toBeUndefined();
  });

  it('probes only the first model when the whole chain is in cooldown', async () => {
    const reg = ModelRegistry.fromDocument({
      ollamaHost: `http://${deadHost}`,
      models: { a: 'ollama://a', b: 'ollama://b' },
      complexity_mapping: { simple: ['a', 'b'] },
    });
    await reg.invoke({ tier: 'simple', prompt: 'x', neighbours: false });
    const again = await reg.invoke({ tier: 'simple', prompt: 'x', neighbours: false });
    expect(again.attempts.map((a) => [a.model, a.outcome])).toEqual([
      ['a', 'skipped'],
      ['b', 'skipped'],
      ['a', 'failed'],
      ['mock-simple', 'ok'],
    ]);
  });

  it('honours exclusions and explicit model lists', async () => {
    const result = await registry().invoke({ models: ['llama3'], tier: 'simple', exclude: ['down'], prompt: 'x' });
    expect(result.attempts.map((a) => a.model)).toEqual(['llama3']);
    expect(result.tier).toBeUndefined();
  });

  it('validates requests before calling anything', async () => {
    const reg = registry();
    await expect(reg.invoke({ tier: 'simple', prompt: '   ' })).rejects.toThrow('invalid model request: prompt: must not be empty');
    await expect(reg.invoke({ tier: 'simple' })).rejects.toThrow('give either "prompt" or "messages"');
    await expect(reg.invoke({ prompt: 'x' })).rejects.toThrow('give a "tier" or a non-empty "models" list');
    await expect(reg.invoke({ tier: 'simple', prompt: 'x', maxTokens: Number.NaN })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(reg.invoke({ tier: 'huge' as 'simple', prompt: 'x' })).rejects.toThrow(/tier: Invalid option/);
    await expect(reg.invoke({ models: ['nope'], prompt: 'x' })).rejects.toThrow('unknown model "nope"; registered: down, missing, phi3, mistral, llama3');
    expect(server.requests).toHaveLength(0);
  });
});

describe('health', () => {
  it('probes each server once and tells which mapped models are installed', async () => {
    const reg = ModelRegistry.fromDocument({
      ollamaHost: server.url,
      models: { phi3: 'ollama://phi3', phi4: 'ollama://phi4', down: `ollama://${deadHost}/x`, mock: 'mock://simple', api: { endpoint: `${server.url}/v1`, provider: 'openai', model: 'mistral:latest' } },
    });
    const status = await reg.status();
    const byName = Object.fromEntries(status.map((s) => [s.name, s]));
    expect(byName['phi3']).toMatchObject({ installed: true, server: { status: 'up', installedModels: ['phi3:latest', 'mistral:latest', 'llama3:latest'] } });
    expect(byName['phi4']).toMatchObject({ installed: false, server: { status: 'up' } });
    expect(byName['down']?.server).toMatchObject({ status: 'down', error: { code: 'CONNECTION_REFUSED' } });
    expect(byName['down']?.server?.cooldownUntil).toBeDefined();
    expect(byName['mock']).toMatchObject({ server: { status: 'up' } });
    expect(byName['api']).toMatchObject({ installed: true, server: { status: 'up' } });
    expect(server.requests.map((r) => r.path).sort()).toEqual(['/api/tags', '/v1/models']);

    // Cached: a second look within cacheMs asks nobody.
    await reg.status();
    expect(server.requests).toHaveLength(2);
    await reg.status({ force: true });
    expect(server.requests).toHaveLength(4);
  });
});

describe('the registry file', () => {
  it('starts from the seed defaults when the file does not exist, and creates it on the first edit', async () => {
    const file = join(dir, 'model_registry.json');
    const reg = await ModelRegistry.open(file);
    expect(reg.tiers()).toEqual({ simple: ['phi3'], moderate: ['mistral'], complex: ['llama3'] });
    await reg.register('coder', { endpoint: 'ollama://qwen2.5-coder:7b', timeoutMs: 60_000 });
    await reg.map('moderate', ['coder', 'mistral']);
    const saved = JSON.parse(await readFile(file, 'utf8'));
    expect(saved.models.coder).toEqual({ endpoint: 'ollama://qwen2.5-coder:7b', timeoutMs: 60_000 });
    expect(saved.complexity_mapping.moderate).toEqual(['coder', 'mistral']);
    expect((await ModelRegistry.open(file)).tiers().moderate).toEqual(['coder', 'mistral']);
  });

  it('refuses an edit that would break the file, and leaves the file as it was', async () => {
    const file = join(dir, 'model_registry.json');
    await writeFile(file, JSON.stringify({ models: { phi3: 'ollama://phi3' }, complexity_mapping: { simple: 'ollama://phi3' } }));
    const before = await readFile(file, 'utf8');
    const reg = await ModelRegistry.open(file);
    await expect(reg.register('bad', 'ftp://x')).rejects.toThrow(/\$\.models\.bad: endpoint "ftp:\/\/x" has unknown scheme "ftp"/);
    await expect(reg.register('phi3', 'ollama://phi3:mini')).rejects.toThrow(/already registered/);
    await expect(reg.map('simple', ['ghost'])).rejects.toThrow(/unknown model "ghost"/);
    await expect(reg.remove('ghost')).rejects.toMatchObject({ code: 'UNKNOWN_MODEL' });
    expect(await readFile(file, 'utf8')).toBe(before);
    expect((await readdir(dir)).sort()).toEqual(['model_registry.json']);
  });

  it('removes a model from every tier it was mapped to, in the seed format too', async () => {
    const file = join(dir, 'model_registry.json');
    await writeFile(file, JSON.stringify({ models: { phi3: 'ollama://phi3', mistral: 'ollama://mistral' }, complexity_mapping: { simple: 'ollama://phi3', moderate: ['phi3', 'mistral'] } }));
    const reg = await ModelRegistry.open(file);
    await reg.remove('phi3');
    expect(reg.tiers()).toEqual({ simple: [], moderate: ['mistral'], complex: [] });
  });

  it('reports a file that is not JSON with its name', async () => {
    const file = join(dir, 'model_registry.json');
    await writeFile(file, '{"models": {');
    await expect(ModelRegistry.open(file)).rejects.toThrow(`${file}:1:13: invalid JSON: `);
  });

  it('loses no update when two processes edit the file at once', async () => {
    const file = join(dir, 'model_registry.json');
    const writer = (prefix: string) =>
      run(process.execPath, [
        '--input-type=module',
        '-e',
        `import { ModelRegistry } from ${JSON.stringify(DIST_INDEX)};
         const reg = await ModelRegistry.open(${JSON.stringify(file)});
         for (let i = 0; i < 15; i++) await reg.register('${prefix}' + i, 'ollama://m' + i);`,
      ]);
    await Promise.all([writer('a'), writer('b'), writer('c')]);
    const saved = JSON.parse(await readFile(file, 'utf8'));
    const names = Object.keys(saved.models).filter((n) => /^[abc]\d+$/.test(n));
    expect(names).toHaveLength(45);
    expect((await readdir(dir)).sort()).toEqual(['model_registry.json']);
  });

  it('reaches a running registry that watches the file when another process edits it', async () => {
    const file = join(dir, 'model_registry.json');
    const running = await ModelRegistry.open(file);
    running.watch();
    try {
      const changed = new Promise((resolve) => running.onChange(resolve));
      const cli = await ModelRegistry.open(file);
      await cli.register('fresh', 'ollama://qwen3');
      await cli.map('simple', ['fresh']);
      await changed;
      await expect.poll(() => running.tiers().simple, { timeout: 2_000 }).toEqual(['fresh']);
      expect(running.getModel('fresh').model).toBe('qwen3');

      // A broken file is reported, and the last good configuration stays.
      await writeFile(file, '{ not json');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(running.tiers().simple).toEqual(['fresh']);
    } finally {
      running.close();
    }
  });
});

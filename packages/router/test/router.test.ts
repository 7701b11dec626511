import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ModelRegistry } from '@globalmcp/registry';
import { startFakeModelServer } from '@globalmcp/registry/testing';
import type { FakeModelServer } from '@globalmcp/registry/testing';
import { Analytics, Router, RouterError } from '../src/index.ts';
import type { RouteStreamEvent, RouterConfigInput } from '../src/index.ts';

let server: FakeModelServer;
let dir: string;

beforeAll(async () => {
  server = await startFakeModelServer({ models: ['phi3', 'mistral', 'llama3', 'judge'] });
});
afterAll(() => server.close());
beforeEach(async () => {
  server.reset();
  dir = await mkdtemp(join(tmpdir(), 'globalmcp-router-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function router(config: RouterConfigInput = {}, analytics?: Analytics): Router {
  const registry = ModelRegistry.fromDocument({
    ollamaHost: server.url,
    models: { phi3: 'ollama://phi3', mistral: 'ollama://mistral', llama3: 'ollama://llama3', judge: 'ollama://judge' },
    complexity_mapping: { simple: ['phi3'], moderate: ['mistral'], complex: ['llama3'] },
  });
  return new Router({ registry, config, ...(analytics ? { analytics } : {}) });
}

const SIMPLE = 'Rename variable x to count';
const COMPLEX = 'Design microservices for the billing, auth and notification systems and migrate the monolith';

describe('route', () => {
  it('classifies, calls the tier model and returns the answer with the decision, chain, attempts and timings', async () => {
    const result = await router().route(SIMPLE);
    expect(result.decision).toMatchObject({ tier: 'simple', path: 'rules', model: undefined });
    expect(result.decision.reasons[0]).toMatch(/^simple with confidence \d\.\d\d/);
    expect(result.chain).toEqual(['phi3', 'mistral']);
    expect(result.response).toMatchObject({ text: `echo(phi3): ${SIMPLE}`, model: 'phi3', tier: 'simple', mock: false });
    expect(result.response?.attempts.map((a) => a.outcome)).toEqual(['ok']);
    expect(result.timings.classifyMs).toBeGreaterThanOrEqual(0);
    expect(result.timings.totalMs).toBeGreaterThanOrEqual(result.timings.modelMs ?? 0);
    expect(result.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends the context as the system text', async () => {
    await router().route(SIMPLE, 'file: utils.ts');
    expect(server.requests[0]?.body).toMatchObject({ prompt: SIMPLE, system: 'file: utils.ts' });
  });

  it('sends a complex prompt to the complex model', async () => {
    const result = await router().route(COMPLEX);
    expect(result.decision.tier).toBe('complex');
    expect(result.response?.model).toBe('llama3');
  });

  it("applies the tier's allowed and excluded models", async () => {
    expect(router({ tiers: { simple: { exclude: ['phi3'] } } }).chainFor('simple')).toEqual(['mistral']);
    expect(router({ tiers: { moderate: { allow: ['phi3'] } } }).chainFor('moderate')).toEqual(['phi3']);
    const result = await router({ tiers: { simple: { exclude: ['phi3'] } } }).route(SIMPLE);
    expect(result.response?.model).toBe('mistral');
    expect(server.requests.map((r) => (r.body as { model: string }).model)).toEqual(['mistral']);
  });

  it('decides without calling a model on a dry run', async () => {
    const result = await router().route(SIMPLE, undefined, { dryRun: true });
    expect(result.response).toBeUndefined();
    expect(result.chain).toEqual(['phi3', 'mistral']);
    expect(server.requests).toHaveLength(0);
  });

  it('streams: the decision first, then the text as it comes, then the result', async () => {
    const events: RouteStreamEvent[] = [];
    for await (const event of router().routeStream('Rename x')) events.push(event);
    expect(events[0]).toMatchObject({ type: 'decision', decision: { tier: 'simple' }, chain: ['phi3', 'mistral'] });
    expect(events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text)).toEqual(['echo(phi3): ', 'Rename ', 'x']);
    const done = events.at(-1);
    expect(done?.type === 'done' && done.result.response?.text).toBe('echo(phi3): Rename x');
    expect(done?.type === 'done' && done.result.id).toBe(events[0]?.type === 'decision' && events[0].id);
  });
});

describe('the hybrid path', () => {
  const hybrid = { hybrid: { model: 'judge', threshold: 1, timeoutMs: 300 } };

  it('asks the classifier model when the rules are unsure, and its answer decides', async () => {
    server.script('judge', { kind: 'reply', text: 'Complex.' });
    const result = await router(hybrid).route(SIMPLE);
    expect(result.decision).toMatchObject({ tier: 'complex', path: 'model', rules: { tier: 'simple' }, model: { model: 'judge', outcome: 'answered', tier: 'complex' } });
    expect(result.decision.confidence).toBe(0.6);
    expect(result.decision.reasons[0]).toMatch(/^classifier model judge answered "complex" because the rules' confidence .* was below 1 \(rules said simple\)/);
    expect(result.response?.model).toBe('llama3');
    const asked = server.requests[0]?.body as { prompt: string; options: { num_predict: number; temperature: number } };
    expect(asked.prompt).toContain('Answer with exactly one word: simple, moderate or complex.');
    expect(asked.prompt).toContain(SIMPLE);
    expect(asked.options).toMatchObject({ num_predict: 8, temperature: 0 });
  });

  it('keeps the rules when the model answers garbage', async () => {
    server.script('judge', { kind: 'reply', text: 'It depends on the codebase.' });
    const decision = await router(hybrid).decide(SIMPLE);
    expect(decision).toMatchObject({ tier: 'simple', path: 'rules', model: { outcome: 'garbage', answer: 'It depends on the codebase.' } });
    expect(decision.reasons[0]).toBe('rules decided: the classifier model judge answered "It depends on the codebase.", which is not a tier');
  });

  it('keeps the rules when the model is too slow', async () => {
    server.script('judge', { kind: 'delay', ms: 3_000 });
    const started = performance.now();
    const decision = await router(hybrid).decide(SIMPLE);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(decision).toMatchObject({ tier: 'simple', path: 'rules', model: { outcome: 'timeout', error: 'no answer within 300 ms' } });
  });

  it('keeps the rules when the model fails, and does not ask when the rules are sure enough', async () => {
    server.setModels(['phi3', 'mistral', 'llama3']);
    try {
      const failed = await router(hybrid).decide(SIMPLE);
      expect(failed).toMatchObject({ path: 'rules', model: { outcome: 'error', error: expect.stringMatching(/ollama pull judge/) } });
    } finally {
      server.setModels(['phi3', 'mistral', 'llama3', 'judge']);
    }
    server.reset();
    const sure = await router({ hybrid: { model: 'judge', threshold: 0 } }).decide(SIMPLE);
    expect(sure.model).toBeUndefined();
    expect(server.requests).toHaveLength(0);
  });
});

describe('analytics and feedback', () => {
  it('counts tiers, paths, rule hits and model calls, and turns feedback into accuracy', async () => {
    const r = router();
    const a = await r.route(SIMPLE);
    const b = await r.route(COMPLEX);
    await r.route('Rename y', undefined, { dryRun: true });
    expect(r.feedback(a.id, 'simple')).toEqual({ id: a.id, predicted: 'simple', actual: 'simple', correct: true });
    expect(r.feedback(b.id, 'moderate').correct).toBe(false);
    const stats = r.stats();
    expect(stats.total).toBe(3);
    expect(stats.tiers).toEqual({ simple: 2, moderate: 0, complex: 1 });
    expect(stats.paths).toEqual({ rules: 3, model: 0 });
    expect(stats.models).toEqual({ phi3: { calls: 1, failures: 0, mock: 0 }, llama3: { calls: 1, failures: 0, mock: 0 } });
    expect(Object.values(stats.patternHits).reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
    expect(stats.latencyMs.samples).toBe(3);
    expect(stats.feedback).toMatchObject({ count: 2, accuracy: 0.5 });
    expect(stats.feedback.confusion.complex.moderate).toBe(1);
  });

  it('refuses feedback for an unknown prompt id or tier', () => {
    const r = router();
    expect(() => r.feedback('nope', 'simple')).toThrow(RouterError);
    expect(() => r.feedback('nope', 'simple')).toThrow('no routed prompt has id "nope"');
  });

  it('persists to a JSON file, and counters from two processes add up', async () => {
    const file = join(dir, 'analytics.json');
    const first = await Analytics.open(file, { flushMs: 10_000 });
    const second = await Analytics.open(file, { flushMs: 10_000 });
    const r1 = router({}, first);
    const r2 = router({}, second);
    const routed = await r1.route(SIMPLE, undefined, { dryRun: true });
    await r2.route(COMPLEX, undefined, { dryRun: true });
    r1.feedback(routed.id, 'moderate');
    await first.flush();
    await second.flush();
    const saved = JSON.parse(await readFile(file, 'utf8'));
    expect(saved.routed).toBe(2);
    expect(saved.tiers).toEqual({ simple: 1, complex: 1 });
    const reopened = await Analytics.open(file);
    expect(reopened.snapshot()).toMatchObject({ total: 2, feedback: { count: 1, accuracy: 0 } });
  });
});

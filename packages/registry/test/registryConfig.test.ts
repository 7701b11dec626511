import { describe, expect, it } from 'vitest';
import { DEFAULT_OLLAMA_HOST, RegistryError, ollamaBaseUrl, parseRegistryFile, resolveEndpoint, resolveRegistry } from '../src/index.ts';

const SEED_FILE = {
  models: {
    phi3: 'ollama://phi3',
    mistral: 'ollama://mistral',
    llama3: 'ollama://llama3',
    'mock-simple': 'mock://simple',
    'mock-moderate': 'mock://moderate',
    'mock-complex': 'mock://complex',
  },
  complexity_mapping: { simple: 'ollama://phi3', moderate: 'ollama://mistral', complex: 'ollama://llama3' },
};

function errorOf(fn: () => unknown): RegistryError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RegistryError) return error;
    throw error;
  }
  throw new Error('expected a RegistryError');
}

describe('endpoints', () => {
  it('reads OLLAMA_HOST the way Ollama does', () => {
    expect(ollamaBaseUrl(undefined)).toBe(DEFAULT_OLLAMA_HOST);
    expect(ollamaBaseUrl('')).toBe('http://127.0.0.1:11434');
    expect(ollamaBaseUrl('10.0.0.5')).toBe('http://10.0.0.5:11434');
    expect(ollamaBaseUrl('gpu-box:9000')).toBe('http://gpu-box:9000');
    expect(ollamaBaseUrl('0.0.0.0')).toBe('http://127.0.0.1:11434');
    expect(ollamaBaseUrl('https://ollama.example.com')).toBe('https://ollama.example.com:443');
    expect(ollamaBaseUrl('http://box:8080/')).toBe('http://box:8080');
    expect(() => ollamaBaseUrl('ftp://box')).toThrow(/must use http or https/);
  });

  it('parses ollama:// with and without a host', () => {
    const host = 'http://127.0.0.1:11434';
    expect(resolveEndpoint('ollama://phi3', { ollamaHost: host })).toEqual({ provider: 'ollama', baseUrl: host, model: 'phi3' });
    expect(resolveEndpoint('ollama://llama3:8b-instruct-q4_0', { ollamaHost: host })).toEqual({ provider: 'ollama', baseUrl: host, model: 'llama3:8b-instruct-q4_0' });
    expect(resolveEndpoint('ollama://gpu:11434/qwen2.5-coder:7b', { ollamaHost: host })).toEqual({ provider: 'ollama', baseUrl: 'http://gpu:11434', model: 'qwen2.5-coder:7b' });
    expect(resolveEndpoint('ollama://localhost/phi3', { ollamaHost: host }).baseUrl).toBe('http://localhost:11434');
    // A namespaced model name is not a host.
    expect(resolveEndpoint('ollama://hf.co/bartowski/Qwen:Q4', { ollamaHost: host })).toEqual({ provider: 'ollama', baseUrl: host, model: 'hf.co/bartowski/Qwen:Q4' });
  });

  it('parses mock, plain HTTP and OpenAI-compatible endpoints', () => {
    expect(resolveEndpoint('mock://simple', { ollamaHost: '' })).toEqual({ provider: 'mock', baseUrl: 'mock://simple', model: 'simple' });
    expect(resolveEndpoint('http://127.0.0.1:5000/generate', { ollamaHost: '' })).toEqual({ provider: 'http', baseUrl: 'http://127.0.0.1:5000/generate', model: '' });
    expect(resolveEndpoint('http://127.0.0.1:8080/v1/', { ollamaHost: '', provider: 'openai', model: 'qwen' })).toEqual({
      provider: 'openai',
      baseUrl: 'http://127.0.0.1:8080/v1',
      model: 'qwen',
    });
  });

  it('refuses endpoints it cannot use, saying what it expected', () => {
    expect(errorOf(() => resolveEndpoint('phi3', { ollamaHost: '' })).message).toMatch(/has no scheme; expected ollama:\/\/model, mock:\/\/name or an http\(s\):\/\/ URL/);
    expect(errorOf(() => resolveEndpoint('grpc://x', { ollamaHost: '' })).message).toMatch(/unknown scheme "grpc"/);
    expect(errorOf(() => resolveEndpoint('ollama://', { ollamaHost: '' })).message).toMatch(/names no model/);
    expect(errorOf(() => resolveEndpoint('mock://a b', { ollamaHost: '' })).code).toBe('INVALID_ENDPOINT');
    expect(errorOf(() => resolveEndpoint('http://x/v1', { ollamaHost: '', provider: 'openai' })).message).toMatch(/needs "model"/);
    expect(errorOf(() => resolveEndpoint('ollama://phi3', { ollamaHost: '', provider: 'openai' })).message).toMatch(/give the API root as an http/);
  });
});

describe('the registry file', () => {
  it("accepts the seed's file as it is, mapping each tier to the registered model with that endpoint", () => {
    const resolved = resolveRegistry(parseRegistryFile(SEED_FILE), {});
    expect(resolved.tiers).toEqual({ simple: ['phi3'], moderate: ['mistral'], complex: ['llama3'] });
    expect(resolved.models.get('phi3')).toMatchObject({ provider: 'ollama', baseUrl: 'http://127.0.0.1:11434', model: 'phi3', timeoutMs: 30_000, maxTokens: 512 });
    expect(resolved.fallback).toBe('mock');
  });

  it('takes the Ollama host from OLLAMA_HOST, and from the file over the environment', () => {
    expect(resolveRegistry(parseRegistryFile(SEED_FILE), { OLLAMA_HOST: '10.1.1.1:9999' }).models.get('phi3')?.baseUrl).toBe('http://10.1.1.1:9999');
    const withHost = parseRegistryFile({ ...SEED_FILE, ollamaHost: 'http://box:1234' });
    expect(resolveRegistry(withHost, { OLLAMA_HOST: '10.1.1.1:9999' }).models.get('phi3')?.baseUrl).toBe('http://box:1234');
  });

  it('accepts the extended form: per-model settings, ordered tiers, defaults and endpoints registered implicitly', () => {
    const doc = parseRegistryFile({
      fallback: 'error',
      defaults: { timeoutMs: 10_000, retries: 1 },
      models: {
        coder: { endpoint: 'ollama://qwen2.5-coder:7b', timeoutMs: 60_000, maxTokens: 2048, contextLength: 32768 },
        studio: { endpoint: 'http://127.0.0.1:1234/v1', provider: 'openai', model: 'qwen2.5-7b', apiKeyEnv: 'LMSTUDIO_KEY' },
      },
      complexity_mapping: { simple: ['coder', 'ollama://phi3'], moderate: ['studio'], complex: [] },
    });
    const resolved = resolveRegistry(doc, {});
    expect(resolved.fallback).toBe('error');
    expect(resolved.tiers.simple).toEqual(['coder', 'ollama://phi3']);
    expect(resolved.models.get('coder')).toMatchObject({ timeoutMs: 60_000, maxTokens: 2048, contextLength: 32768, retries: 1 });
    expect(resolved.models.get('studio')).toMatchObject({ provider: 'openai', baseUrl: 'http://127.0.0.1:1234/v1', apiKeyEnv: 'LMSTUDIO_KEY', timeoutMs: 10_000 });
    expect(resolved.models.get('ollama://phi3')).toMatchObject({ provider: 'ollama', model: 'phi3' });
  });

  it('names the file, the JSON path and what was expected when the file is wrong', () => {
    const file = 'config/model_registry.json';
    expect(errorOf(() => parseRegistryFile({ models: { phi3: 42 } }, file)).message).toContain('config/model_registry.json: $.models.phi3:');
    const unknownKey = errorOf(() => parseRegistryFile({ models: {}, complexity_maping: {} }, file));
    expect(unknownKey.code).toBe('CONFIG_INVALID');
    expect(unknownKey.message).toBe('config/model_registry.json: $: unknown key(s) "complexity_maping"');
    expect(errorOf(() => parseRegistryFile({ models: { a: { endpoint: 'ollama://a', timeoutMs: -1 } } }, file)).message).toMatch(
      /\$\.models\.a\.timeoutMs: Too small: expected number to be >=1 \(got -1\)/,
    );
    expect(errorOf(() => parseRegistryFile({ complexity_mapping: { simple: [1] } }, file)).message).toContain('$.complexity_mapping.simple');
    expect(errorOf(() => resolveRegistry(parseRegistryFile({ complexity_mapping: { simple: ['nope'] } }, file), {}, file)).message).toBe(
      'config/model_registry.json: $.complexity_mapping.simple[0]: unknown model "nope"; expected a name from "models" (none registered) or an endpoint such as ollama://phi3',
    );
    expect(errorOf(() => resolveRegistry(parseRegistryFile({ models: { x: 'ollama:/phi3' } }, file), {}, file)).message).toMatch(
      /^config\/model_registry\.json: \$\.models\.x: endpoint "ollama:\/phi3" has no scheme/,
    );
  });
});

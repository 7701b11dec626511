import { z } from 'zod';
import { formatConfigIssues, jsonPath } from './configIssues.js';
import { ollamaBaseUrl, resolveEndpoint } from './endpoint.js';
import type { ProviderKind } from './endpoint.js';
import { RegistryError } from './registryError.js';
import { TIERS } from './tiers.js';
import type { Tier } from './tiers.js';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_TOKENS = 512;
export const DEFAULT_RETRIES = 2;

const MODEL_NAME = /^[A-Za-z0-9][\w.:/@+-]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const limits = {
  timeoutMs: z.number().int().min(1).max(3_600_000).optional(),
  maxTokens: z.number().int().min(1).max(1_000_000).optional(),
  retries: z.number().int().min(0).max(10).optional(),
};

/** A model in the file: an endpoint string (the seed's form) or an object with per-model settings. */
export const ModelEntrySchema = z.union([
  z.string().min(1),
  z.strictObject({
    endpoint: z.string().min(1),
    provider: z.enum(['ollama', 'openai', 'http', 'mock']).optional(),
    model: z.string().min(1).optional(),
    apiKeyEnv: z.string().regex(ENV_NAME, 'expected an environment variable name').optional(),
    headers: z.record(z.string(), z.string()).optional(),
    contextLength: z.number().int().min(1).optional(),
    ...limits,
  }),
]);
export type ModelEntry = z.infer<typeof ModelEntrySchema>;

const TierModelsSchema = z.union([z.string().min(1), z.array(z.string().min(1))]);

/**
 * `config/model_registry.json`. The seed's file (`models` as name -> endpoint
 * string, `complexity_mapping` as tier -> endpoint) is valid as it is; the
 * extended form adds per-model settings, ordered lists per tier and defaults.
 */
export const RegistryFileSchema = z.strictObject({
  $schema: z.string().optional(),
  /** Overrides `OLLAMA_HOST` for `ollama://model` endpoints. */
  ollamaHost: z.string().min(1).optional(),
  /** What happens when every model of a chain failed: a labelled mock answer (default) or an error. */
  fallback: z.enum(['mock', 'error']).optional(),
  defaults: z.strictObject(limits).optional(),
  health: z
    .strictObject({
      cacheMs: z.number().int().min(0).optional(),
      cooldownMs: z.number().int().min(0).optional(),
      maxCooldownMs: z.number().int().min(0).optional(),
    })
    .optional(),
  models: z.record(z.string().regex(MODEL_NAME, 'expected a model name of letters, digits and _ . : / @ + -'), ModelEntrySchema).default({}),
  complexity_mapping: z
    .strictObject({ simple: TierModelsSchema.optional(), moderate: TierModelsSchema.optional(), complex: TierModelsSchema.optional() })
    .default({}),
});
export type RegistryFile = z.output<typeof RegistryFileSchema>;
export type RegistryFileInput = z.input<typeof RegistryFileSchema>;

/** The seed's defaults: phi3, mistral and llama3 on a local Ollama, and a mock per tier. */
export const DEFAULT_REGISTRY_FILE: RegistryFile = {
  models: {
    phi3: 'ollama://phi3',
    mistral: 'ollama://mistral',
    llama3: 'ollama://llama3',
    'mock-simple': 'mock://simple',
    'mock-moderate': 'mock://moderate',
    'mock-complex': 'mock://complex',
  },
  complexity_mapping: { simple: ['phi3'], moderate: ['mistral'], complex: ['llama3'] },
};

/** A registered model with every setting resolved. */
export interface ModelSpec {
  readonly name: string;
  /** The endpoint as written in the config. */
  readonly endpoint: string;
  readonly provider: ProviderKind;
  readonly baseUrl: string;
  readonly model: string;
  readonly apiKeyEnv: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly maxTokens: number;
  readonly retries: number;
  readonly contextLength: number | undefined;
}

export interface HealthSettings {
  /** How long a probe result is reused (ms). */
  readonly cacheMs: number;
  /** First cooldown after an endpoint failure (ms); doubles with each further failure. */
  readonly cooldownMs: number;
  readonly maxCooldownMs: number;
}

export interface ResolvedRegistry {
  readonly models: ReadonlyMap<string, ModelSpec>;
  readonly tiers: Readonly<Record<Tier, readonly string[]>>;
  readonly fallback: 'mock' | 'error';
  readonly health: HealthSettings;
}

export function parseRegistryFile(raw: unknown, file = 'model registry'): RegistryFile {
  const parsed = RegistryFileSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new RegistryError('CONFIG_INVALID', formatConfigIssues(file, parsed.error.issues));
  return parsed.data;
}

/**
 * Resolves a registry document: endpoints parsed, defaults applied, tier lists
 * turned into model names. A tier entry may name a registered model or give an
 * endpoint (the seed maps tiers to `ollama://phi3`): an endpoint that no
 * registered model has is registered under its own string.
 */
export function resolveRegistry(doc: RegistryFile, env: Readonly<Record<string, string | undefined>> = process.env, file = 'model registry'): ResolvedRegistry {
  const ollamaHost = ollamaBaseUrl(doc.ollamaHost ?? env['OLLAMA_HOST']);
  const models = new Map<string, ModelSpec>();
  const at = (path: string, error: unknown): never => {
    const message = error instanceof RegistryError ? error.message : String(error);
    throw new RegistryError('CONFIG_INVALID', `${file}: ${path}: ${message}`, { cause: error });
  };
  const toSpec = (name: string, entry: ModelEntry, path: string): ModelSpec => {
    const object = typeof entry === 'string' ? { endpoint: entry } : entry;
    try {
      const resolved = resolveEndpoint(object.endpoint, { ollamaHost, provider: object.provider, model: object.model });
      return {
        name,
        endpoint: object.endpoint,
        ...resolved,
        apiKeyEnv: object.apiKeyEnv,
        headers: object.headers ?? {},
        timeoutMs: object.timeoutMs ?? doc.defaults?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        maxTokens: object.maxTokens ?? doc.defaults?.maxTokens ?? DEFAULT_MAX_TOKENS,
        retries: object.retries ?? doc.defaults?.retries ?? DEFAULT_RETRIES,
        contextLength: object.contextLength,
      };
    } catch (error) {
      return at(path, error);
    }
  };
  for (const [name, entry] of Object.entries(doc.models)) models.set(name, toSpec(name, entry, jsonPath(['models', name])));

  const tiers = {} as Record<Tier, string[]>;
  for (const tier of TIERS) {
    const value = doc.complexity_mapping[tier];
    const list = value === undefined ? [] : typeof value === 'string' ? [value] : value;
    tiers[tier] = list.map((ref, index) => {
      const path = jsonPath(typeof value === 'string' ? ['complexity_mapping', tier] : ['complexity_mapping', tier, index]);
      if (models.has(ref)) return ref;
      if (!ref.includes('://')) {
        return at(path, `unknown model ${JSON.stringify(ref)}; expected a name from "models" (${[...models.keys()].join(', ') || 'none registered'}) or an endpoint such as ollama://phi3`);
      }
      for (const spec of models.values()) if (spec.endpoint === ref) return spec.name;
      models.set(ref, toSpec(ref, ref, path));
      return ref;
    });
  }
  return {
    models,
    tiers,
    fallback: doc.fallback ?? 'mock',
    health: {
      cacheMs: doc.health?.cacheMs ?? 5_000,
      cooldownMs: doc.health?.cooldownMs ?? 5_000,
      maxCooldownMs: doc.health?.maxCooldownMs ?? 60_000,
    },
  };
}

import type { ProbeResult } from './providers/provider.js';
import type { HealthSettings, ModelSpec } from './registryConfig.js';
import type { RegistryError } from './registryError.js';
import { isEndpointFailure } from './registryError.js';

/** What is known about one server (all models on the same Ollama share it). */
export interface EndpointHealth {
  readonly key: string;
  readonly provider: ModelSpec['provider'];
  readonly baseUrl: string;
  /** `up`: last probe or call succeeded; `down`: failing and in cooldown until `cooldownUntil`; `unknown`: never checked, or nothing to probe. */
  readonly status: 'up' | 'down' | 'unknown';
  readonly checkedAt: string | undefined;
  readonly latencyMs: number | undefined;
  /** Models the server reported (Ollama `/api/tags`, OpenAI `/v1/models`). */
  readonly installedModels: readonly string[] | undefined;
  readonly error: { readonly code: string; readonly message: string } | undefined;
  readonly consecutiveFailures: number;
  readonly cooldownUntil: string | undefined;
}

interface EndpointState {
  provider: ModelSpec['provider'];
  baseUrl: string;
  status: EndpointHealth['status'];
  checkedAt: number | undefined;
  latencyMs: number | undefined;
  installedModels: readonly string[] | undefined;
  error: { code: string; message: string } | undefined;
  consecutiveFailures: number;
  cooldownUntil: number;
  pending: Promise<void> | undefined;
}

export function endpointKey(spec: Pick<ModelSpec, 'provider' | 'baseUrl'>): string {
  return `${spec.provider} ${spec.baseUrl}`;
}

/**
 * Health of model servers: probe results cached for `cacheMs`, and a cooldown
 * for servers that fail (refused, dropped, timed out, rate-limited) that starts
 * at `cooldownMs` and doubles with each further failure up to `maxCooldownMs`.
 * Any success (a call or a probe) brings a server back at once.
 */
export class HealthMonitor {
  private readonly states = new Map<string, EndpointState>();

  constructor(
    private settings: HealthSettings,
    private readonly probeFn: (spec: ModelSpec) => Promise<ProbeResult>,
    private readonly now: () => number = Date.now,
  ) {}

  configure(settings: HealthSettings): void {
    this.settings = settings;
  }

  /** Probes the servers of `specs` (each once, concurrently), unless a result younger than `cacheMs` exists or `force` is not set. */
  async check(specs: Iterable<ModelSpec>, options: { force?: boolean } = {}): Promise<EndpointHealth[]> {
    const byKey = new Map<string, ModelSpec>();
    for (const spec of specs) if (!byKey.has(endpointKey(spec))) byKey.set(endpointKey(spec), spec);
    await Promise.all(
      [...byKey.values()].map((spec) => {
        const state = this.state(spec);
        const fresh = state.checkedAt !== undefined && this.now() - state.checkedAt < this.settings.cacheMs;
        if (fresh && options.force !== true) return undefined;
        state.pending ??= this.probe(spec, state).finally(() => {
          state.pending = undefined;
        });
        return state.pending;
      }),
    );
    return [...byKey.keys()].map((key) => this.describe(key));
  }

  /** The cooldown an endpoint is in, if any. */
  cooldown(spec: ModelSpec): { until: number; error: EndpointState['error'] } | undefined {
    const state = this.states.get(endpointKey(spec));
    if (state === undefined || state.cooldownUntil <= this.now()) return undefined;
    return { until: state.cooldownUntil, error: state.error };
  }

  recordSuccess(spec: ModelSpec, latencyMs?: number): void {
    const state = this.state(spec);
    state.status = 'up';
    state.error = undefined;
    state.consecutiveFailures = 0;
    state.cooldownUntil = 0;
    if (latencyMs !== undefined) state.latencyMs = latencyMs;
  }

  /** Only failures of the server itself count; a missing model or a bad request leaves the server's health alone. */
  recordFailure(spec: ModelSpec, error: RegistryError): void {
    if (!isEndpointFailure(error)) return;
    const state = this.state(spec);
    state.consecutiveFailures++;
    state.status = 'down';
    state.error = { code: error.code, message: error.message };
    const wait = Math.min(this.settings.maxCooldownMs, this.settings.cooldownMs * 2 ** (state.consecutiveFailures - 1));
    state.cooldownUntil = this.now() + Math.max(wait, error.retryAfterMs ?? 0);
  }

  snapshot(): EndpointHealth[] {
    return [...this.states.keys()].map((key) => this.describe(key));
  }

  /** Forgets servers no registered model uses any more. */
  retain(specs: Iterable<ModelSpec>): void {
    const keep = new Set([...specs].map(endpointKey));
    for (const key of this.states.keys()) if (!keep.has(key)) this.states.delete(key);
  }

  private async probe(spec: ModelSpec, state: EndpointState): Promise<void> {
    const started = performance.now();
    const result = await this.probeFn(spec);
    state.checkedAt = this.now();
    state.latencyMs = performance.now() - started;
    state.installedModels = result.models;
    if (result.ok === true) this.recordSuccess(spec);
    else if (result.ok === null) state.status = state.consecutiveFailures > 0 ? 'down' : 'unknown';
    else if (result.error !== undefined) {
      if (isEndpointFailure(result.error)) this.recordFailure(spec, result.error);
      else {
        state.status = 'down';
        state.error = { code: result.error.code, message: result.error.message };
      }
    }
  }

  private state(spec: ModelSpec): EndpointState {
    const key = endpointKey(spec);
    let state = this.states.get(key);
    if (state === undefined) {
      state = {
        provider: spec.provider,
        baseUrl: spec.baseUrl,
        status: 'unknown',
        checkedAt: undefined,
        latencyMs: undefined,
        installedModels: undefined,
        error: undefined,
        consecutiveFailures: 0,
        cooldownUntil: 0,
        pending: undefined,
      };
      this.states.set(key, state);
    }
    return state;
  }

  private describe(key: string): EndpointHealth {
    const s = this.states.get(key) as EndpointState;
    const cooling = s.cooldownUntil > this.now();
    return {
      key,
      provider: s.provider,
      baseUrl: s.baseUrl,
      status: s.status,
      checkedAt: s.checkedAt === undefined ? undefined : new Date(s.checkedAt).toISOString(),
      latencyMs: s.latencyMs === undefined ? undefined : Math.round(s.latencyMs * 100) / 100,
      installedModels: s.installedModels,
      error: s.error,
      consecutiveFailures: s.consecutiveFailures,
      cooldownUntil: cooling ? new Date(s.cooldownUntil).toISOString() : undefined,
    };
  }
}

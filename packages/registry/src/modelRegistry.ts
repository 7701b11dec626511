import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Dispatcher } from 'undici';
import type { Attempt } from './attempt.js';
import { resolveEndpoint } from './endpoint.js';
import { HealthMonitor } from './healthMonitor.js';
import type { EndpointHealth } from './healthMonitor.js';
import { parseInvokeRequest } from './invokeRequest.js';
import type { InvokeRequest } from './invokeRequest.js';
import { readJsonFile, updateJsonFile } from './jsonFile.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import { CallDeadline } from './providers/http.js';
import { mockProvider } from './providers/mock.js';
import { ollamaProvider, sameOllamaModel } from './providers/ollama.js';
import { openAiProvider } from './providers/openai.js';
import { plainHttpProvider } from './providers/plainHttp.js';
import type { CallContext, CompletionMeta, ModelRequest, Provider, Usage } from './providers/provider.js';
import { DEFAULT_REGISTRY_FILE, ModelEntrySchema, parseRegistryFile, resolveRegistry } from './registryConfig.js';
import type { ModelEntry, ModelSpec, RegistryFile, RegistryFileInput, ResolvedRegistry } from './registryConfig.js';
import { RegistryError } from './registryError.js';
import { NEIGHBOUR_TIERS, TIERS } from './tiers.js';
import type { Tier } from './tiers.js';

const PROVIDERS: Readonly<Record<ModelSpec['provider'], Provider>> = {
  ollama: ollamaProvider,
  openai: openAiProvider,
  http: plainHttpProvider,
  mock: mockProvider,
};

export interface ModelRegistryOptions {
  /** Environment for `OLLAMA_HOST` and API keys (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** undici dispatcher for every model request (default: undici's global keep-alive agent). */
  readonly dispatcher?: Dispatcher;
  readonly logger?: Logger;
  readonly now?: () => number;
}

/** The answer of a call through the registry, with every model tried on the way. */
export interface InvocationResult {
  readonly text: string;
  /** The registered name of the model that answered. */
  readonly model: string;
  readonly endpoint: string;
  readonly provider: ModelSpec['provider'];
  /** The tier the answering model was taken from (`undefined` for a model named explicitly). */
  readonly tier: Tier | undefined;
  /** True when the answer is a placeholder from a mock endpoint, not a model's. */
  readonly mock: boolean;
  readonly finishReason: string | undefined;
  readonly usage: Usage | undefined;
  readonly attempts: readonly Attempt[];
  readonly durationMs: number;
}

export type StreamEvent =
  | { readonly type: 'delta'; readonly text: string; readonly model: string }
  | { readonly type: 'attempt'; readonly attempt: Attempt }
  | { readonly type: 'done'; readonly result: InvocationResult };

export interface ModelStatus {
  readonly name: string;
  readonly endpoint: string;
  readonly provider: ModelSpec['provider'];
  readonly tiers: readonly Tier[];
  /** `true`/`false` when the server's model list says so, `undefined` when it was not or cannot be checked. */
  readonly installed: boolean | undefined;
  readonly server: EndpointHealth | undefined;
}

export type RegistryChange = { readonly reason: 'edit' | 'reload' };

interface Candidate {
  readonly spec: ModelSpec;
  readonly tier: Tier | undefined;
}

/**
 * Named models, the tier mapping, and calls to models with retries, cooldowns
 * and fallback. Backed by a JSON file when opened with {@link ModelRegistry.open}:
 * edits (`register`, `remove`, `map`) are written atomically under a lock, and
 * `watch()` picks up edits from other processes (the CLI beside a running server).
 */
export class ModelRegistry {
  readonly health: HealthMonitor;
  private doc: RegistryFile;
  private config: ResolvedRegistry;
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly dispatcher: Dispatcher | undefined;
  private readonly logger: Logger;
  private readonly listeners = new Set<(change: RegistryChange) => void>();
  private watcher: FSWatcher | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;

  private constructor(
    doc: RegistryFile,
    readonly file: string | undefined,
    options: ModelRegistryOptions,
  ) {
    this.env = options.env ?? process.env;
    this.dispatcher = options.dispatcher;
    this.logger = options.logger ?? silentLogger;
    this.doc = doc;
    this.config = resolveRegistry(doc, this.env, file);
    this.health = new HealthMonitor(this.config.health, (spec) => this.probe(spec), options.now);
  }

  /** A registry kept in memory only, from a document in the file format (default: the seed's models). */
  static fromDocument(doc: RegistryFileInput = DEFAULT_REGISTRY_FILE, options: ModelRegistryOptions = {}): ModelRegistry {
    return new ModelRegistry(parseRegistryFile(doc), undefined, options);
  }

  /** Loads `file` (the seed's defaults when it does not exist yet; it is created by the first edit). */
  static async open(file: string, options: ModelRegistryOptions = {}): Promise<ModelRegistry> {
    const path = resolve(file);
    const doc = (await readJsonFile(path, parseRegistryFile)) ?? DEFAULT_REGISTRY_FILE;
    return new ModelRegistry(doc, path, options);
  }

  /** The configuration as written in the file format. */
  get document(): RegistryFile {
    return structuredClone(this.doc);
  }

  get fallback(): 'mock' | 'error' {
    return this.config.fallback;
  }

  listModels(): ModelSpec[] {
    return [...this.config.models.values()];
  }

  getModel(name: string): ModelSpec {
    const spec = this.config.models.get(name);
    if (spec === undefined) {
      throw new RegistryError('UNKNOWN_MODEL', `unknown model "${name}"; registered: ${[...this.config.models.keys()].join(', ') || 'none'}`);
    }
    return spec;
  }

  /** The ordered model names of each tier. */
  tiers(): Record<Tier, string[]> {
    return { simple: [...this.config.tiers.simple], moderate: [...this.config.tiers.moderate], complex: [...this.config.tiers.complex] };
  }

  onChange(listener: (change: RegistryChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Adds a model (or replaces it with `replace`). */
  async register(name: string, entry: ModelEntry, options: { replace?: boolean } = {}): Promise<ModelSpec> {
    const parsedEntry = ModelEntrySchema.safeParse(entry);
    if (!parsedEntry.success) throw new RegistryError('INVALID_ENDPOINT', `model "${name}": ${parsedEntry.error.issues.map((i) => i.message).join('; ')}`);
    await this.edit((doc) => {
      if (doc.models[name] !== undefined && options.replace !== true) {
        throw new RegistryError('INVALID_REQUEST', `model "${name}" is already registered (as ${JSON.stringify(doc.models[name])}); replace it explicitly`);
      }
      doc.models[name] = parsedEntry.data;
    });
    return this.getModel(name);
  }

  /** Removes a model, and takes it out of every tier it was mapped to. */
  async remove(name: string): Promise<void> {
    await this.edit((doc) => {
      if (doc.models[name] === undefined) throw new RegistryError('UNKNOWN_MODEL', `unknown model "${name}"; registered: ${Object.keys(doc.models).join(', ') || 'none'}`);
      const endpoint = doc.models[name];
      delete doc.models[name];
      for (const tier of TIERS) {
        const value = doc.complexity_mapping[tier];
        if (value === undefined) continue;
        const list = (typeof value === 'string' ? [value] : value).filter((ref) => ref !== name && ref !== endpoint);
        doc.complexity_mapping[tier] = list;
      }
    });
  }

  /** Sets a tier's ordered model list (registered names or endpoints). */
  async map(tier: Tier, models: readonly string[]): Promise<void> {
    if (!TIERS.includes(tier)) throw new RegistryError('INVALID_REQUEST', `unknown tier "${String(tier)}"; expected one of ${TIERS.join(', ')}`);
    await this.edit((doc) => {
      doc.complexity_mapping[tier] = [...models];
    });
  }

  /** Re-reads the file (a no-op for an in-memory registry). */
  async reload(): Promise<boolean> {
    if (this.file === undefined) return false;
    const doc = (await readJsonFile(this.file, parseRegistryFile)) ?? DEFAULT_REGISTRY_FILE;
    if (JSON.stringify(doc) === JSON.stringify(this.doc)) return false;
    this.apply(doc, 'reload');
    return true;
  }

  /**
   * Follows the file: changes written by other processes are applied within
   * ~50 ms. A file that stops being valid is reported through the logger and the
   * last good configuration stays in force.
   */
  watch(): void {
    if (this.file === undefined || this.watcher !== undefined) return;
    const file = this.file;
    this.watcher = watch(dirname(file), { persistent: false }, (_event, name) => {
      if (name !== null && name !== basename(file)) return;
      clearTimeout(this.reloadTimer);
      this.reloadTimer = setTimeout(() => {
        this.reload().catch((error: unknown) => {
          this.logger.log('error', `kept the previous model registry: ${(error as Error).message}`, { file });
        });
      }, 50);
    });
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    clearTimeout(this.reloadTimer);
  }

  /** Probes every registered server and reports each model: is its server up, is it installed there. */
  async status(options: { force?: boolean } = {}): Promise<ModelStatus[]> {
    const specs = this.listModels();
    await this.health.check(specs, options);
    const servers = new Map(this.health.snapshot().map((h) => [h.key, h]));
    return specs.map((spec) => {
      const server = servers.get(`${spec.provider} ${spec.baseUrl}`);
      const installed =
        server?.installedModels === undefined
          ? undefined
          : server.installedModels.some((m) => (spec.provider === 'ollama' ? sameOllamaModel(m, spec.model) : m === spec.model));
      return {
        name: spec.name,
        endpoint: spec.endpoint,
        provider: spec.provider,
        tiers: TIERS.filter((t) => this.config.tiers[t].includes(spec.name)),
        installed,
        server,
      };
    });
  }

  /**
   * Calls the first model of the chain that answers: the tier's models in order,
   * then its neighbouring tiers', then a labelled mock (or `ALL_FAILED` when the
   * fallback is `"error"`). Servers in cooldown are skipped; when every model is
   * in cooldown, the first one is tried anyway. Every step is in `attempts`.
   */
  async invoke(request: InvokeRequest): Promise<InvocationResult> {
    const started = performance.now();
    const req = parseInvokeRequest(request);
    const attempts: Attempt[] = [];
    const message = toModelRequest(req);
    for (const candidate of this.chain(req, attempts)) {
      const attemptStarted = performance.now();
      const ctx = this.context(candidate.spec, req.maxTokens, req.temperature, req.signal);
      try {
        const completion = await PROVIDERS[candidate.spec.provider].complete(candidate.spec, message, ctx);
        const durationMs = performance.now() - attemptStarted;
        this.health.recordSuccess(candidate.spec, durationMs);
        attempts.push(attempt(candidate, 'ok', durationMs, ctx.requests));
        return this.result(candidate, completion.text, completion, attempts, started);
      } catch (error) {
        const failure = this.failed(candidate, error, attempts, attemptStarted, ctx.requests);
        if (failure.code === 'ABORTED') throw failure;
      } finally {
        ctx.deadline.dispose();
      }
    }
    throw allFailed(attempts);
  }

  /**
   * The streaming form of {@link invoke}: `delta` events as text arrives,
   * `attempt` events as models are tried, and a final `done` event with the
   * result. A model that fails before its first chunk is replaced by the next in
   * the chain; one that fails after it ends the stream with its error (carrying
   * `attempts`), since the text already sent cannot be taken back.
   */
  async *stream(request: InvokeRequest): AsyncGenerator<StreamEvent, void> {
    const started = performance.now();
    const req = parseInvokeRequest(request);
    const attempts: Attempt[] = [];
    const message = toModelRequest(req);
    for (const candidate of this.chain(req, attempts)) {
      const attemptStarted = performance.now();
      const ctx = this.context(candidate.spec, req.maxTokens, req.temperature, req.signal);
      const iterator = PROVIDERS[candidate.spec.provider].stream(candidate.spec, message, ctx);
      let text = '';
      let sent = false;
      try {
        let step = await iterator.next();
        while (step.done !== true) {
          text += step.value;
          sent = true;
          yield { type: 'delta', text: step.value, model: candidate.spec.name };
          step = await iterator.next();
        }
        const durationMs = performance.now() - attemptStarted;
        this.health.recordSuccess(candidate.spec, durationMs);
        const ok = attempt(candidate, 'ok', durationMs, ctx.requests);
        attempts.push(ok);
        yield { type: 'attempt', attempt: ok };
        yield { type: 'done', result: this.result(candidate, text, step.value, attempts, started) };
        return;
      } catch (error) {
        const failure = this.failed(candidate, error, attempts, attemptStarted, ctx.requests);
        yield { type: 'attempt', attempt: attempts[attempts.length - 1] as Attempt };
        if (sent || failure.code === 'ABORTED') {
          throw new RegistryError(failure.code, `${candidate.spec.name} failed after streaming began: ${failure.message}`, {
            ...(failure.url === undefined ? {} : { url: failure.url }),
            ...(failure.status === undefined ? {} : { status: failure.status }),
            cause: failure,
            attempts,
          });
        }
      } finally {
        ctx.deadline.dispose();
        await iterator.return?.(undefined as unknown as CompletionMeta).catch(() => undefined);
      }
    }
    throw allFailed(attempts);
  }

  private *chain(req: ReturnType<typeof parseInvokeRequest>, attempts: Attempt[]): Generator<Candidate> {
    const seen = new Set<string>(req.exclude ?? []);
    const ordered: Candidate[] = [];
    const add = (name: string, tier: Tier | undefined) => {
      if (seen.has(name)) return;
      seen.add(name);
      ordered.push({ spec: this.getModel(name), tier });
    };
    for (const name of req.models ?? []) add(name, undefined);
    if (req.tier !== undefined) {
      for (const name of this.config.tiers[req.tier]) add(name, req.tier);
      if (req.neighbours !== false) for (const t of NEIGHBOUR_TIERS[req.tier]) for (const name of this.config.tiers[t]) add(name, t);
    }
    const skipped: Candidate[] = [];
    let tried = 0;
    for (const candidate of ordered) {
      const cooling = this.health.cooldown(candidate.spec);
      if (cooling !== undefined && candidate.spec.provider !== 'mock') {
        skipped.push(candidate);
        attempts.push({
          ...attempt(candidate, 'skipped', 0, 0),
          error: {
            code: 'COOLDOWN',
            message: `${candidate.spec.baseUrl} is in cooldown until ${new Date(cooling.until).toISOString()} after ${cooling.error?.code ?? 'a failure'}`,
          },
        });
        continue;
      }
      tried++;
      yield candidate;
    }
    // Everything in cooldown: rather than fail (or answer with a mock) without trying, probe the first one.
    if (tried === 0 && skipped[0] !== undefined) yield skipped[0];
    if ((req.fallback ?? this.config.fallback) === 'mock') {
      const tier = req.tier ?? 'moderate';
      const registered = [...this.config.models.values()].find((s) => s.provider === 'mock' && s.model === tier);
      yield { spec: registered ?? mockSpec(tier), tier: req.tier };
    }
  }

  private context(spec: ModelSpec, maxTokens: number | undefined, temperature: number | undefined, signal: AbortSignal | undefined): CallContext {
    return {
      deadline: new CallDeadline(spec.timeoutMs, signal),
      dispatcher: this.dispatcher,
      maxTokens: Math.min(maxTokens ?? spec.maxTokens, spec.maxTokens),
      temperature,
      env: this.env,
      requests: 0,
    };
  }

  private failed(candidate: Candidate, error: unknown, attempts: Attempt[], started: number, requests: number): RegistryError {
    const failure =
      error instanceof RegistryError ? error : new RegistryError('BAD_RESPONSE', `${candidate.spec.name}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    this.health.recordFailure(candidate.spec, failure);
    attempts.push({ ...attempt(candidate, 'failed', performance.now() - started, requests), error: { code: failure.code, message: failure.message } });
    this.logger.log('debug', `model ${candidate.spec.name} failed: ${failure.message}`, { model: candidate.spec.name, code: failure.code });
    return failure;
  }

  private result(candidate: Candidate, text: string, meta: CompletionMeta, attempts: Attempt[], started: number): InvocationResult {
    const failed = attempts.filter((a) => a.outcome !== 'ok');
    if (failed.length > 0) {
      this.logger.log(candidate.spec.provider === 'mock' ? 'warn' : 'info', `${candidate.spec.name} answered after ${failed.length} other model(s) failed or were skipped`, {
        tried: failed.map((a) => `${a.model}: ${a.error?.code ?? a.outcome}`).join('; '),
      });
    }
    return {
      text,
      model: candidate.spec.name,
      endpoint: candidate.spec.endpoint,
      provider: candidate.spec.provider,
      tier: candidate.tier,
      mock: candidate.spec.provider === 'mock',
      finishReason: meta.finishReason,
      usage: meta.usage,
      attempts,
      durationMs: performance.now() - started,
    };
  }

  private async probe(spec: ModelSpec) {
    const ctx = this.context(spec, undefined, undefined, undefined);
    const deadline = new CallDeadline(Math.min(spec.timeoutMs, 5_000), undefined);
    try {
      return await PROVIDERS[spec.provider].probe(spec, { ...ctx, deadline });
    } finally {
      ctx.deadline.dispose();
      deadline.dispose();
    }
  }

  private async edit(mutate: (doc: RegistryFile) => void): Promise<void> {
    const next = (current: RegistryFile | undefined): RegistryFile => {
      const doc = structuredClone(current ?? this.doc);
      mutate(doc);
      const checked = parseRegistryFile(doc, this.file);
      resolveRegistry(checked, this.env, this.file);
      return checked;
    };
    const doc = this.file === undefined ? next(this.doc) : await updateJsonFile(this.file, parseRegistryFile, next);
    this.apply(doc, 'edit');
  }

  private apply(doc: RegistryFile, reason: RegistryChange['reason']): void {
    const config = resolveRegistry(doc, this.env, this.file);
    this.doc = doc;
    this.config = config;
    this.health.configure(config.health);
    this.health.retain(config.models.values());
    this.logger.log('info', `model registry ${reason === 'edit' ? 'updated' : 'reloaded'}`, { models: config.models.size });
    for (const listener of this.listeners) listener({ reason });
  }
}

function toModelRequest(req: ReturnType<typeof parseInvokeRequest>): ModelRequest {
  if (req.messages !== undefined) {
    return { kind: 'chat', messages: req.system === undefined ? req.messages : [{ role: 'system', content: req.system }, ...req.messages] };
  }
  return { kind: 'generate', prompt: req.prompt as string, system: req.system };
}

function attempt(candidate: Candidate, outcome: Attempt['outcome'], durationMs: number, requests: number): Attempt {
  return {
    model: candidate.spec.name,
    endpoint: candidate.spec.endpoint,
    tier: candidate.tier,
    outcome,
    durationMs: Math.round(durationMs * 1000) / 1000,
    requests,
  };
}

function mockSpec(tier: Tier): ModelSpec {
  const endpoint = `mock://${tier}`;
  return {
    name: `mock-${tier}`,
    endpoint,
    ...resolveEndpoint(endpoint, { ollamaHost: '' }),
    apiKeyEnv: undefined,
    headers: {},
    timeoutMs: 1_000,
    maxTokens: 512,
    retries: 0,
    contextLength: undefined,
  };
}

function allFailed(attempts: readonly Attempt[]): RegistryError {
  const list = attempts.map((a) => `${a.model}: ${a.error?.code ?? a.outcome}`).join('; ');
  return new RegistryError('ALL_FAILED', `no model answered (${list || 'no model configured for this request'})`, { attempts });
}

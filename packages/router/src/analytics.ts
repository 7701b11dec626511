import { z } from 'zod';
import { formatConfigIssues, updateJsonFile } from '@globalmcp/registry';
import type { Tier } from '@globalmcp/registry';
import { RouterError } from './routerError.js';

const TIER = z.enum(['simple', 'moderate', 'complex']);
const Counts = z.record(z.string(), z.number().int().min(0));

const DecisionRecordSchema = z.strictObject({
  id: z.string(),
  at: z.string(),
  tier: TIER,
  path: z.enum(['rules', 'model']),
  confidence: z.number(),
  chars: z.number().int().min(0),
});

const FeedbackRecordSchema = z.strictObject({ id: z.string(), at: z.string(), predicted: TIER, actual: TIER });
type FeedbackRecord = z.infer<typeof FeedbackRecordSchema>;

/** The analytics file: counters summed over every process that wrote to it, plus bounded recent history. */
const AnalyticsFileSchema = z.strictObject({
  version: z.literal(1),
  since: z.string(),
  routed: z.number().int().min(0),
  tiers: Counts,
  paths: Counts,
  patternHits: Counts,
  models: z.record(z.string(), z.strictObject({ calls: z.number().int().min(0), failures: z.number().int().min(0), mock: z.number().int().min(0) })),
  latenciesMs: z.array(z.number()),
  decisions: z.array(DecisionRecordSchema),
  feedback: z.array(FeedbackRecordSchema),
});
type AnalyticsFile = z.infer<typeof AnalyticsFileSchema>;

const MAX_DECISIONS = 5_000;
const MAX_FEEDBACK = 5_000;
const MAX_LATENCIES = 2_000;

export interface RouteRecord {
  readonly id: string;
  readonly tier: Tier;
  readonly path: 'rules' | 'model';
  readonly confidence: number;
  readonly chars: number;
  /** Ids of the rules that fired. */
  readonly rules: readonly string[];
  /** The attempts of the model call (absent for classification only). */
  readonly attempts?: readonly { readonly model: string; readonly outcome: string }[];
  readonly mock?: boolean;
  readonly latencyMs?: number;
}

export interface AnalyticsSnapshot {
  readonly since: string;
  /** Prompts classified (routed or not). */
  readonly total: number;
  readonly tiers: Readonly<Record<Tier, number>>;
  /** Which path decided: the rules, or the classifier model. */
  readonly paths: Readonly<Record<'rules' | 'model', number>>;
  readonly patternHits: Readonly<Record<string, number>>;
  readonly models: Readonly<Record<string, { calls: number; failures: number; mock: number }>>;
  readonly latencyMs: { readonly p50: number | undefined; readonly p95: number | undefined; readonly max: number | undefined; readonly samples: number };
  readonly feedback: {
    readonly count: number;
    /** Share of corrected prompts whose predicted tier was right; `undefined` before any feedback. */
    readonly accuracy: number | undefined;
    /** confusion[predicted][actual]. */
    readonly confusion: Readonly<Record<Tier, Readonly<Record<Tier, number>>>>;
  };
}

export interface FeedbackResult {
  readonly id: string;
  readonly predicted: Tier;
  readonly actual: Tier;
  readonly correct: boolean;
}

function emptyFile(): AnalyticsFile {
  return { version: 1, since: new Date().toISOString(), routed: 0, tiers: {}, paths: {}, patternHits: {}, models: {}, latenciesMs: [], decisions: [], feedback: [] };
}

/**
 * Routing analytics: counts per tier and path, rule hits, model calls and
 * failures, latency, and user feedback (the right tier for a prompt id) with the
 * accuracy it implies. In memory by default; with a file, changes are merged
 * into it under a lock (counters add up across processes) at most once per
 * `flushMs` and on `flush()`.
 */
export class Analytics {
  private state: AnalyticsFile;
  private pending: AnalyticsFile = emptyFile();
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string | undefined,
    initial: AnalyticsFile,
    private readonly flushMs: number,
  ) {
    this.state = initial;
  }

  static inMemory(): Analytics {
    return new Analytics(undefined, emptyFile(), 0);
  }

  static async open(file: string, options: { flushMs?: number } = {}): Promise<Analytics> {
    const analytics = new Analytics(file, emptyFile(), options.flushMs ?? 1_000);
    await analytics.flush();
    return analytics;
  }

  record(route: RouteRecord): void {
    const at = new Date().toISOString();
    for (const target of this.targets()) {
      target.routed++;
      bump(target.tiers, route.tier);
      bump(target.paths, route.path);
      for (const rule of route.rules) bump(target.patternHits, rule);
      for (const attempt of route.attempts ?? []) {
        if (attempt.outcome === 'skipped') continue;
        const m = (target.models[attempt.model] ??= { calls: 0, failures: 0, mock: 0 });
        m.calls++;
        if (attempt.outcome === 'failed') m.failures++;
        else if (route.mock === true) m.mock++;
      }
      if (route.latencyMs !== undefined) pushBounded(target.latenciesMs, Math.round(route.latencyMs * 1000) / 1000, MAX_LATENCIES);
      pushBounded(target.decisions, { id: route.id, at, tier: route.tier, path: route.path, confidence: route.confidence, chars: route.chars }, MAX_DECISIONS);
    }
    this.schedule();
  }

  /** Records the right tier for a prompt that was classified earlier (by its id). */
  feedback(id: string, actual: Tier): FeedbackResult {
    if (!TIER.safeParse(actual).success) throw new RouterError('INVALID_FEEDBACK', `tier must be simple, moderate or complex; got ${JSON.stringify(actual)}`);
    const decision = findLast(this.state.decisions, (d) => d.id === id);
    if (decision === undefined) {
      throw new RouterError('UNKNOWN_PROMPT_ID', `no routed prompt has id ${JSON.stringify(id)} (the last ${MAX_DECISIONS} decisions are kept)`);
    }
    const record: FeedbackRecord = { id, at: new Date().toISOString(), predicted: decision.tier, actual };
    for (const target of this.targets()) pushBounded(target.feedback, record, MAX_FEEDBACK);
    this.schedule();
    return { id, predicted: decision.tier, actual, correct: decision.tier === actual };
  }

  snapshot(): AnalyticsSnapshot {
    const s = this.state;
    const latencies = [...s.latenciesMs].sort((a, b) => a - b);
    const at = (q: number) => (latencies.length === 0 ? undefined : latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]);
    // The latest correction of a prompt counts.
    const latest = new Map<string, FeedbackRecord>();
    for (const f of s.feedback) latest.set(f.id, f);
    const confusion = { simple: { simple: 0, moderate: 0, complex: 0 }, moderate: { simple: 0, moderate: 0, complex: 0 }, complex: { simple: 0, moderate: 0, complex: 0 } };
    let correct = 0;
    for (const f of latest.values()) {
      confusion[f.predicted][f.actual]++;
      if (f.predicted === f.actual) correct++;
    }
    return {
      since: s.since,
      total: s.routed,
      tiers: { simple: s.tiers['simple'] ?? 0, moderate: s.tiers['moderate'] ?? 0, complex: s.tiers['complex'] ?? 0 },
      paths: { rules: s.paths['rules'] ?? 0, model: s.paths['model'] ?? 0 },
      patternHits: { ...s.patternHits },
      models: structuredClone(s.models),
      latencyMs: { p50: at(0.5), p95: at(0.95), max: latencies.at(-1), samples: latencies.length },
      feedback: { count: latest.size, accuracy: latest.size === 0 ? undefined : correct / latest.size, confusion },
    };
  }

  /** Writes what changed since the last flush (a no-op in memory). */
  async flush(): Promise<void> {
    const file = this.file;
    if (file === undefined) return;
    this.flushing = this.flushing.then(async () => {
      clearTimeout(this.timer);
      this.timer = undefined;
      const delta = this.pending;
      this.pending = emptyFile();
      this.dirty = false;
      const merged = await updateJsonFile(file, parseAnalyticsFile, (current) => merge(current ?? emptyFile(), delta));
      // Keep what was recorded while the file was being written.
      this.state = merge(structuredClone(merged), this.pending);
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    await this.flush();
  }

  private targets(): AnalyticsFile[] {
    return this.file === undefined ? [this.state] : [this.state, this.pending];
  }

  private schedule(): void {
    if (this.file === undefined) return;
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      if (this.dirty) void this.flush().catch(() => undefined);
    }, this.flushMs);
    this.timer.unref();
  }
}

function parseAnalyticsFile(raw: unknown, file: string): AnalyticsFile {
  const parsed = AnalyticsFileSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new RouterError('CONFIG_INVALID', formatConfigIssues(file, parsed.error.issues));
  return parsed.data;
}

function merge(base: AnalyticsFile, delta: AnalyticsFile): AnalyticsFile {
  base.routed += delta.routed;
  for (const key of ['tiers', 'paths', 'patternHits'] as const) for (const [k, v] of Object.entries(delta[key])) base[key][k] = (base[key][k] ?? 0) + v;
  for (const [name, m] of Object.entries(delta.models)) {
    const into = (base.models[name] ??= { calls: 0, failures: 0, mock: 0 });
    into.calls += m.calls;
    into.failures += m.failures;
    into.mock += m.mock;
  }
  base.latenciesMs = [...base.latenciesMs, ...delta.latenciesMs].slice(-MAX_LATENCIES);
  base.decisions = [...base.decisions, ...delta.decisions].slice(-MAX_DECISIONS);
  base.feedback = [...base.feedback, ...delta.feedback].slice(-MAX_FEEDBACK);
  return base;
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function pushBounded<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}

function findLast<T>(list: readonly T[], predicate: (item: T) => boolean): T | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (predicate(list[i] as T)) return list[i];
  return undefined;
}

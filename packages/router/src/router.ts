import { randomUUID } from 'node:crypto';
import { NEIGHBOUR_TIERS, silentLogger } from '@globalmcp/registry';
import type { InvocationResult, Logger, ModelRegistry, StreamEvent, Tier } from '@globalmcp/registry';
import { Analytics } from './analytics.js';
import type { AnalyticsSnapshot, FeedbackResult } from './analytics.js';
import { Classifier } from './classify.js';
import type { Classification } from './classify.js';
import { askClassifierModel } from './hybrid.js';
import type { ModelVerdict } from './hybrid.js';
import type { RouterConfig, RouterConfigInput } from './routerConfig.js';
import { RouterError } from './routerError.js';

/** Confidence reported when the classifier model decided: it gives no calibrated probability, so a fixed, documented value. */
export const MODEL_AGREES_CONFIDENCE = 0.8;
export const MODEL_DISAGREES_CONFIDENCE = 0.6;

/** A classification with the path that decided it. */
export interface Decision extends Omit<Classification, 'path'> {
  /** `rules`: the rule classifier decided; `model`: the classifier model was asked and its answer decided. */
  readonly path: 'rules' | 'model';
  /** The rules' own tier and confidence, kept when the model overrode them. */
  readonly rules: { readonly tier: Tier; readonly confidence: number };
  /** Set when the classifier model was asked (whatever came of it). */
  readonly model: ModelVerdict | undefined;
  /** Why this tier: one line per reason, most important first. */
  readonly reasons: readonly string[];
}

export interface RouteOptions {
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly signal?: AbortSignal;
  /** Decide and pick the chain without calling a model. */
  readonly dryRun?: boolean;
}

export interface RouteResult {
  /** Pass it to `feedback()` to correct the tier. */
  readonly id: string;
  readonly decision: Decision;
  /** The models that would be tried, in order (after allow/exclude). */
  readonly chain: readonly string[];
  /** The model's answer with every attempt; absent for a dry run. */
  readonly response: InvocationResult | undefined;
  readonly timings: { readonly classifyMs: number; readonly modelMs: number | undefined; readonly totalMs: number };
}

export type RouteStreamEvent =
  | { readonly type: 'decision'; readonly id: string; readonly decision: Decision; readonly chain: readonly string[] }
  | Exclude<StreamEvent, { type: 'done' }>
  | { readonly type: 'done'; readonly result: RouteResult };

export interface RouterOptions {
  readonly registry: ModelRegistry;
  /** Rules, signals, thresholds, the hybrid model and per-tier policies (`config/router.json`; default: built in). */
  readonly config?: RouterConfigInput;
  readonly analytics?: Analytics;
  readonly logger?: Logger;
}

/**
 * Classifies prompts, picks models through the registry, calls them, and keeps
 * analytics and feedback. Everything it decides is in the result: the tier,
 * confidence and evidence, which path decided, the chain of models, every attempt and the timings.
 */
export class Router {
  readonly registry: ModelRegistry;
  readonly analytics: Analytics;
  private classifier: Classifier;
  private readonly logger: Logger;

  constructor(options: RouterOptions) {
    this.registry = options.registry;
    this.classifier = new Classifier(options.config);
    this.analytics = options.analytics ?? Analytics.inMemory();
    this.logger = options.logger ?? silentLogger;
  }

  get config(): RouterConfig {
    return this.classifier.config;
  }

  /** Swaps the configuration (a reload of router.json) without dropping analytics. A bad config throws and changes nothing. */
  configure(config: RouterConfigInput): void {
    this.classifier = new Classifier(config);
  }

  /** Classification only: the rules, and the classifier model when the rules are unsure and one is configured. Nothing is recorded. */
  async decide(prompt: string, context?: string, signal?: AbortSignal): Promise<Decision> {
    const rules = this.classifier.classify(prompt, context);
    const base = { ...rules, rules: { tier: rules.tier, confidence: rules.confidence } };
    const hybrid = this.config.hybrid;
    if (hybrid.model === undefined || rules.confidence >= hybrid.threshold) {
      return { ...base, path: 'rules', model: undefined, reasons: reasonsOf(rules) };
    }
    const verdict = await askClassifierModel(this.registry, hybrid.model, context ? `${prompt}\n\n${context}` : prompt, hybrid.timeoutMs, signal);
    if (verdict.tier === undefined) {
      this.logger.log('info', `classifier model ${verdict.model} gave no usable answer (${verdict.outcome}); the rules decide`, { outcome: verdict.outcome });
      return {
        ...base,
        path: 'rules',
        model: verdict,
        reasons: [`rules decided: the classifier model ${verdict.model} ${describeVerdict(verdict)}`, ...reasonsOf(rules)],
      };
    }
    const agrees = verdict.tier === rules.tier;
    return {
      ...base,
      tier: verdict.tier,
      confidence: agrees ? Math.max(rules.confidence, MODEL_AGREES_CONFIDENCE) : MODEL_DISAGREES_CONFIDENCE,
      path: 'model',
      model: verdict,
      reasons: [
        `classifier model ${verdict.model} answered "${verdict.tier}" because the rules' confidence ${rules.confidence.toFixed(2)} was below ${hybrid.threshold}${agrees ? '' : ` (rules said ${rules.tier})`}`,
        ...reasonsOf(rules),
      ],
    };
  }

  /** Classifies and records the decision (so that feedback can refer to it), without calling a model. */
  async classify(prompt: string, context?: string, signal?: AbortSignal): Promise<{ id: string; decision: Decision }> {
    const started = performance.now();
    const decision = await this.decide(prompt, context, signal);
    const id = randomUUID();
    this.analytics.record({ id, ...summary(decision, prompt, context), latencyMs: performance.now() - started });
    return { id, decision };
  }

  /** The models a tier's prompt may go to, in order: the tier's list, then its neighbours', filtered by the tier's allow/exclude. */
  chainFor(tier: Tier): string[] {
    const tiers = this.registry.tiers();
    const names = [...new Set([...tiers[tier], ...NEIGHBOUR_TIERS[tier].flatMap((t) => tiers[t])])];
    const policy = this.config.tiers[tier];
    return names.filter((name) => (policy?.allow === undefined || policy.allow.includes(name)) && !(policy?.exclude ?? []).includes(name));
  }

  async route(prompt: string, context?: string, options: RouteOptions = {}): Promise<RouteResult> {
    const started = performance.now();
    const decision = await this.decide(prompt, context, options.signal);
    const classifyMs = performance.now() - started;
    const id = randomUUID();
    const chain = this.chainFor(decision.tier);
    if (options.dryRun === true) {
      this.analytics.record({ id, ...summary(decision, prompt, context), latencyMs: classifyMs });
      return { id, decision, chain, response: undefined, timings: { classifyMs, modelMs: undefined, totalMs: classifyMs } };
    }
    const modelStarted = performance.now();
    try {
      const response = await this.registry.invoke(this.invocation(decision.tier, chain, prompt, context, options));
      // one clock reading for both, taken before recording (which may take its time): the model's share never exceeds the total
      const done = performance.now();
      const totalMs = done - started;
      this.analytics.record({ id, ...summary(decision, prompt, context), attempts: response.attempts, mock: response.mock, latencyMs: totalMs });
      return { id, decision, chain, response, timings: { classifyMs, modelMs: done - modelStarted, totalMs } };
    } catch (error) {
      const attempts = (error as { attempts?: RouteRecordAttempts }).attempts;
      this.analytics.record({ id, ...summary(decision, prompt, context), ...(attempts ? { attempts } : {}), latencyMs: performance.now() - started });
      throw error;
    }
  }

  /**
   * The streaming form of {@link route}: a `decision` event first, then the
   * registry's `delta` and `attempt` events as they come, then `done`.
   */
  async *routeStream(prompt: string, context?: string, options: RouteOptions = {}): AsyncGenerator<RouteStreamEvent, void> {
    const started = performance.now();
    const decision = await this.decide(prompt, context, options.signal);
    const classifyMs = performance.now() - started;
    const id = randomUUID();
    const chain = this.chainFor(decision.tier);
    yield { type: 'decision', id, decision, chain };
    const modelStarted = performance.now();
    const attempts: { model: string; outcome: string }[] = [];
    try {
      for await (const event of this.registry.stream(this.invocation(decision.tier, chain, prompt, context, options))) {
        if (event.type === 'attempt') attempts.push(event.attempt);
        if (event.type !== 'done') {
          yield event;
          continue;
        }
        const done = performance.now();
        const totalMs = done - started;
        this.analytics.record({ id, ...summary(decision, prompt, context), attempts, mock: event.result.mock, latencyMs: totalMs });
        yield { type: 'done', result: { id, decision, chain, response: event.result, timings: { classifyMs, modelMs: done - modelStarted, totalMs } } };
      }
    } catch (error) {
      this.analytics.record({ id, ...summary(decision, prompt, context), attempts, latencyMs: performance.now() - started });
      throw error;
    }
  }

  feedback(id: string, tier: Tier): FeedbackResult {
    return this.analytics.feedback(id, tier);
  }

  stats(): AnalyticsSnapshot {
    return this.analytics.snapshot();
  }

  private invocation(tier: Tier, chain: readonly string[], prompt: string, context: string | undefined, options: RouteOptions) {
    const exclude = this.registry.listModels().map((m) => m.name).filter((name) => !chain.includes(name));
    if (chain.length === 0 && this.registry.fallback === 'error') {
      throw new RouterError('NO_MODEL', `no model may answer a ${tier} prompt: the tier's allow/exclude lists leave none, and the fallback is "error"`);
    }
    return {
      tier,
      exclude,
      prompt,
      ...(context ? { system: context } : {}),
      ...(options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens }),
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    };
  }
}

type RouteRecordAttempts = readonly { readonly model: string; readonly outcome: string }[];

function summary(decision: Decision, prompt: string, context: string | undefined) {
  return {
    tier: decision.tier,
    path: decision.path,
    confidence: decision.confidence,
    chars: prompt.length + (context?.length ?? 0),
    rules: decision.evidence.filter((e) => e.kind === 'rule').map((e) => e.id),
  };
}

function describeVerdict(verdict: ModelVerdict): string {
  if (verdict.outcome === 'timeout') return `did not answer within the timeout`;
  if (verdict.outcome === 'garbage') return `answered ${JSON.stringify(verdict.answer)}, which is not a tier`;
  return `failed: ${verdict.error ?? 'unknown error'}`;
}

function reasonsOf(c: Classification): string[] {
  const top = [...c.evidence].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight)).slice(0, 5);
  return [
    `${c.tier} with confidence ${c.confidence.toFixed(2)} (scores: simple ${c.scores.simple.toFixed(2)}, moderate ${c.scores.moderate.toFixed(2)}, complex ${c.scores.complex.toFixed(2)})`,
    ...top.map((e) => `${e.kind} ${e.id} → ${e.tier} ${e.weight >= 0 ? '+' : ''}${e.weight.toFixed(2)}${e.detail ? ` (${e.detail})` : ''}`),
  ];
}

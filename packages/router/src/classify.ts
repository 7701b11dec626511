import type { FeatureName, Features } from './features.js';
import { FEATURE_NAMES, featureValues, measure, wordKey } from './features.js';
import type { CheckedRule, RouterConfig, RouterConfigInput, Signal, Tier } from './routerConfig.js';
import { DEFAULT_ROUTER_CONFIG, checkRules, parseRouterConfig } from './routerConfig.js';
import { RouterError } from './routerError.js';

/** One rule or signal that fired, with what it added to its tier's score. */
export interface Evidence {
  kind: 'rule' | 'feature';
  id: string;
  tier: Tier;
  /** What it added to `scores[tier]`: a rule's weight times its counted matches, or a signal's weight. */
  weight: number;
  /** The matched text (truncated, at most 60 characters), or the measured value and the band, e.g. "412 words (>= 80)". */
  detail: string;
}

/** The numbers the decision used, so that it can be checked by hand. */
export interface Thresholds {
  /** Score each tier starts from. */
  bias: Record<Tier, number>;
  /** Softmax temperature turning the scores into `confidence`. */
  temperature: number;
  /** Characters the rules scanned at most. */
  scanChars: number;
}

export interface Classification {
  tier: Tier;
  /** Softmax of the scores at `thresholds.temperature`, for the chosen tier: in [1/3, 1]. */
  confidence: number;
  /** bias + the weights of the evidence for each tier. */
  scores: Record<Tier, number>;
  /** Every rule and signal that fired, rules first, in config order. */
  evidence: Evidence[];
  features: Features;
  thresholds: Thresholds;
  /** How the tier was decided; the router adds 'model' for its hybrid path. */
  path: 'rules';
}

const DETAIL_CHARS = 60;
/** Printable ASCII with no quote, backslash or run of spaces: quoted as it is. */
const PLAIN = /^(?:[!#-[\]-~]| (?! ))*$/;

const FEATURE_UNITS: Record<FeatureName, string> = {
  chars: 'characters',
  words: 'words',
  lines: 'lines',
  scannedChars: 'characters scanned',
  codeBlocks: 'code blocks',
  codeLines: 'code lines',
  stackTraces: 'stack traces',
  stackFrames: 'stack frames',
  errorTypes: 'error types',
  files: 'files',
  components: 'components',
  systems: 'systems',
  listItems: 'list items',
  questions: 'questions',
};

interface Hit {
  count: number;
  first: string;
}

/**
 * The deterministic, explainable complexity classifier: rules (regular expressions per tier) and signals (bands of
 * measured features) add weights to per-tier scores; the highest score wins.
 *
 * Patterns are compiled once, here. A rule that starts with `\b` and a few letters (as all built-in ones do) only
 * runs where a word of the prose starts with them: one pass over the words picks the candidates from a table, so
 * the cost hardly grows with the number of rules. Other rules scan the prose on their own.
 */
export class Classifier {
  readonly config: RouterConfig;
  private readonly rules: readonly CheckedRule[];
  /** The signals with open bounds made infinite and the text after the value in their evidence ("words (>= 80)"). */
  private readonly signals: ReadonlyArray<{ id: string; index: number; min: number; max: number; tier: Tier; weight: number; suffix: string }>;
  /** Each rule, sticky, to try it at a candidate word. */
  private readonly sticky: readonly RegExp[];
  /** Each rule whose start is not known, global, to scan the prose with. */
  private readonly global: ReadonlyArray<RegExp | undefined>;
  /** Rules by the packed first 1–4 letters of a word: exactly those letters (or the first four of a longer word). */
  private readonly byWord = new Map<number, number[]>();
  /** Rules by the packed first 1–3 letters a word starts with. */
  private readonly byStart = new Map<number, number[]>();
  /** Bits of the keys in byWord (16 bits of each): most words of a prose fail this test and skip the lookup. */
  private readonly wordFilter = new Uint8Array(1 << 13);
  private readonly thresholds: Thresholds;
  /** Per rule: the (offset) position before which it may not match again, and the last position it was tried at. */
  private readonly next: Float64Array;
  private readonly tried: Float64Array;
  private base = 0;

  constructor(config?: RouterConfigInput) {
    this.config = config === undefined ? DEFAULT_ROUTER_CONFIG : parseRouterConfig(config);
    this.rules = checkRules(this.config);
    this.signals = this.config.signals.map((s) => ({
      id: s.id,
      index: FEATURE_NAMES.indexOf(s.feature),
      min: s.min ?? -Infinity,
      max: s.max ?? Infinity,
      tier: s.tier,
      weight: s.weight,
      suffix: `${FEATURE_UNITS[s.feature]} (${band(s)})`,
    }));
    this.sticky = this.rules.map((r) => new RegExp(r.pattern, 'iy'));
    this.global = this.rules.map((r) => (r.prefixes === undefined ? new RegExp(r.pattern, 'gi') : undefined));
    this.rules.forEach((rule, i) => {
      for (const p of rule.prefixes?.exact ?? []) {
        const key = wordKey(p, 0, p.length);
        add(this.byWord, key, i);
        this.wordFilter[(key >>> 3) & 0x1fff]! |= 1 << (key & 7);
      }
      for (const p of rule.prefixes?.open ?? []) add(this.byStart, wordKey(p, 0, p.length), i);
    });
    this.thresholds = Object.freeze({
      bias: Object.freeze({ ...this.config.thresholds.bias }),
      temperature: this.config.thresholds.temperature,
      scanChars: this.config.scanChars,
    });
    this.next = new Float64Array(this.rules.length);
    this.tried = new Float64Array(this.rules.length).fill(-1);
  }

  /**
   * Classifies a prompt, with optional context (read as more of the prompt). Throws `RouterError`
   * (`INVALID_PROMPT`) when the prompt is not a string or is only whitespace, or the context is not a string.
   */
  classify(prompt: string, context?: string): Classification {
    if (typeof prompt !== 'string') throw new RouterError('INVALID_PROMPT', `prompt must be a string; got ${describe(prompt)}`);
    if (context !== undefined && typeof context !== 'string') throw new RouterError('INVALID_PROMPT', `context must be a string; got ${describe(context)}`);
    if (isBlank(prompt)) throw new RouterError('INVALID_PROMPT', prompt.length === 0 ? 'prompt is empty' : 'prompt is only whitespace');
    const text = context === undefined || isBlank(context) ? prompt : `${prompt}\n\n${context}`;

    const { features, prose, words, wordSlots } = measure(text, this.config.scanChars);
    const bias = this.thresholds.bias;
    const scores: Record<Tier, number> = { simple: bias.simple, moderate: bias.moderate, complex: bias.complex };
    const evidence: Evidence[] = [];

    const hits = this.scan(prose, words, wordSlots);
    for (let i = 0; i < this.rules.length; i++) {
      const hit = hits[i];
      if (hit === undefined) continue;
      const rule = this.rules[i]!;
      const weight = rule.weight * hit.count;
      scores[rule.tier] += weight;
      evidence.push({ kind: 'rule', id: rule.id, tier: rule.tier, weight, detail: hit.count > 1 ? `${quote(hit.first)} (${hit.count} matches)` : quote(hit.first) });
    }
    const values = featureValues(features);
    for (const signal of this.signals) {
      const value = values[signal.index]!;
      if (value < signal.min || value > signal.max) continue;
      scores[signal.tier] += signal.weight;
      evidence.push({ kind: 'feature', id: signal.id, tier: signal.tier, weight: signal.weight, detail: `${value} ${signal.suffix}` });
    }

    scores.simple = round(scores.simple);
    scores.moderate = round(scores.moderate);
    scores.complex = round(scores.complex);
    // ties go to moderate, then to simple
    let tier: Tier = 'moderate';
    if (scores.simple > scores[tier]) tier = 'simple';
    if (scores.complex > scores[tier]) tier = 'complex';
    const top = scores[tier];
    const t = this.thresholds.temperature;
    const sum = Math.exp((scores.simple - top) / t) + Math.exp((scores.moderate - top) / t) + Math.exp((scores.complex - top) / t);
    return {
      tier,
      confidence: round(1 / sum),
      scores,
      evidence,
      features,
      thresholds: this.thresholds,
      path: 'rules',
    };
  }

  /**
   * Matches of each rule in `prose`, counted as a global regular expression would find them (non-overlapping, up
   * to maxHits): rules with known word prefixes at the candidate words only, the others by a scan of their own.
   */
  private scan(prose: string, words: Int32Array, wordSlots: number): Array<Hit | undefined> {
    const rules = this.rules;
    const hits: Array<Hit | undefined> = new Array(rules.length);
    // positions are offset by `base`, which grows with every call, so the scratch arrays never need clearing
    const base = this.base;
    this.base += prose.length + 1;
    const { next, tried } = this;
    const useStart = this.byStart.size > 0;
    const filter = this.wordFilter;
    for (let w = 0; w < wordSlots; w += 3) {
      const at = words[w]!;
      const key = words[w + 2]!;
      if ((filter[(key >>> 3) & 0x1fff]! & (1 << (key & 7))) !== 0) this.tryAt(prose, this.byWord.get(key), at, base, hits, next, tried);
      if (useStart) for (let k = 1; k <= 3 && k <= words[w + 1]!; k++) this.tryAt(prose, this.byStart.get(wordKey(prose, at, k)), at, base, hits, next, tried);
    }
    for (let r = 0; r < rules.length; r++) {
      const re = this.global[r];
      if (re === undefined) continue;
      re.lastIndex = 0;
      for (let m = re.exec(prose); m !== null && (hits[r]?.count ?? 0) < rules[r]!.maxHits; m = re.exec(prose)) {
        record(hits, r, m[0]);
        if (m[0].length === 0) re.lastIndex++;
      }
    }
    return hits;
  }

  private tryAt(prose: string, candidates: number[] | undefined, at: number, base: number, hits: Array<Hit | undefined>, next: Float64Array, tried: Float64Array): void {
    if (candidates === undefined) return;
    const stamp = base + at;
    for (const r of candidates) {
      if (tried[r] === stamp || next[r]! > stamp || (hits[r]?.count ?? 0) >= this.rules[r]!.maxHits) continue;
      tried[r] = stamp;
      const re = this.sticky[r]!;
      re.lastIndex = at;
      const m = re.exec(prose);
      if (m === null) continue;
      record(hits, r, m[0]);
      next[r] = stamp + Math.max(1, m[0].length);
    }
  }
}

function record(hits: Array<Hit | undefined>, r: number, text: string): void {
  const hit = hits[r];
  if (hit === undefined) hits[r] = { count: 1, first: text };
  else hit.count++;
}

function add(map: Map<number, number[]>, key: number, rule: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [rule]);
  else if (!list.includes(rule)) list.push(rule);
}

/** True if `s` has no character other than whitespace (checked without copying a large string). */
function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!(c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029 || (c >= 0x2000 && c <= 0x200a) || c === 0x3000)) return false;
  }
  return true;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function band(signal: Signal): string {
  if (signal.min !== undefined && signal.max !== undefined) return signal.min === signal.max ? `= ${signal.min}` : `${signal.min}..${signal.max}`;
  return signal.min !== undefined ? `>= ${signal.min}` : `<= ${signal.max}`;
}

/** The matched text for evidence: at most DETAIL_CHARS characters, whitespace collapsed, control characters and lone surrogates replaced. */
function quote(text: string): string {
  let s = text.length > DETAIL_CHARS ? `${text.slice(0, DETAIL_CHARS)}…` : text;
  if (PLAIN.test(s)) return `"${s}"`;
  // eslint-disable-next-line no-control-regex
  s = s.replace(/\s+/g, ' ').replace(/[\x00-\x08\x0e-\x1f\x7f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  return JSON.stringify(s);
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

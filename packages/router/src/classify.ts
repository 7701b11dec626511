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
const TIER_INDEX: Readonly<Record<Tier, number>> = { simple: 0, moderate: 1, complex: 2 };
/** Feature values (counts, so integers >= 0) below this have their signal details made once. */
const CACHED_DETAILS = 64;

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

/** A signal with open bounds made infinite, and the text after the value in its evidence ("words (>= 80)"). */
interface CompiledSignal {
  id: string;
  index: number;
  min: number;
  max: number;
  tier: Tier;
  tierIndex: number;
  weight: number;
  suffix: string;
  /** The evidence detail for each value below CACHED_DETAILS, made when first needed: most prompts repeat them. */
  details: Array<string | undefined>;
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
  private readonly signals: readonly CompiledSignal[];
  /** Each rule's tier as an index into the per-tier sums of classify(). */
  private readonly ruleTiers: Uint8Array;
  /** Each rule, sticky, to try it at a candidate word. */
  private readonly sticky: readonly RegExp[];
  /** The rules whose start is not known, each with its pattern, global, to scan the prose with. */
  private readonly global: ReadonlyArray<{ rule: number; re: RegExp }>;
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
  private readonly maxHits: Int32Array;
  /** Per rule, for the call under way: the matches counted, and where the first one starts and ends in the prose. */
  private readonly hits: Int32Array;
  private readonly firstStart: Int32Array;
  private readonly firstEnd: Int32Array;
  /** The scores by TIER_INDEX while they add up (an index is cheaper than a property named by a variable). */
  private readonly sums = new Float64Array(3);

  constructor(config?: RouterConfigInput) {
    this.config = config === undefined ? DEFAULT_ROUTER_CONFIG : parseRouterConfig(config);
    this.rules = checkRules(this.config);
    this.signals = this.config.signals.map((s) => ({
      id: s.id,
      index: FEATURE_NAMES.indexOf(s.feature),
      min: s.min ?? -Infinity,
      max: s.max ?? Infinity,
      tier: s.tier,
      tierIndex: TIER_INDEX[s.tier],
      weight: s.weight,
      suffix: `${FEATURE_UNITS[s.feature]} (${band(s)})`,
      details: new Array<string | undefined>(CACHED_DETAILS).fill(undefined),
    }));
    this.ruleTiers = Uint8Array.from(this.rules, (r) => TIER_INDEX[r.tier]);
    this.sticky = this.rules.map((r) => new RegExp(r.pattern, 'iy'));
    this.global = this.rules.flatMap((r, rule) => (r.prefixes === undefined ? [{ rule, re: new RegExp(r.pattern, 'gi') }] : []));
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
    this.maxHits = Int32Array.from(this.rules, (r) => r.maxHits);
    this.hits = new Int32Array(this.rules.length);
    this.firstStart = new Int32Array(this.rules.length);
    this.firstEnd = new Int32Array(this.rules.length);
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
    const sums = this.sums;
    sums[TIER_INDEX.simple] = bias.simple;
    sums[TIER_INDEX.moderate] = bias.moderate;
    sums[TIER_INDEX.complex] = bias.complex;
    const evidence: Evidence[] = [];

    this.scan(prose, words, wordSlots);
    const hits = this.hits;
    for (let i = 0; i < this.rules.length; i++) {
      const count = hits[i]!;
      if (count === 0) continue;
      const rule = this.rules[i]!;
      const weight = rule.weight * count;
      sums[this.ruleTiers[i]!] += weight;
      const first = quote(prose, this.firstStart[i]!, this.firstEnd[i]!);
      evidence.push({ kind: 'rule', id: rule.id, tier: rule.tier, weight, detail: count > 1 ? `${first} (${count} matches)` : first });
    }
    const values = featureValues(features);
    for (const signal of this.signals) {
      const value = values[signal.index]!;
      if (value < signal.min || value > signal.max) continue;
      sums[signal.tierIndex] += signal.weight;
      const detail = value < CACHED_DETAILS ? (signal.details[value] ??= `${value} ${signal.suffix}`) : `${value} ${signal.suffix}`;
      evidence.push({ kind: 'feature', id: signal.id, tier: signal.tier, weight: signal.weight, detail });
    }

    const simple = round(sums[TIER_INDEX.simple]!);
    const moderate = round(sums[TIER_INDEX.moderate]!);
    const complex = round(sums[TIER_INDEX.complex]!);
    // ties go to moderate, then to simple
    let tier: Tier = 'moderate';
    let top = moderate;
    if (simple > top) {
      tier = 'simple';
      top = simple;
    }
    if (complex > top) {
      tier = 'complex';
      top = complex;
    }
    const t = this.thresholds.temperature;
    const sum = Math.exp((simple - top) / t) + Math.exp((moderate - top) / t) + Math.exp((complex - top) / t);
    return {
      tier,
      confidence: round(1 / sum),
      scores: { simple, moderate, complex },
      evidence,
      features,
      thresholds: this.thresholds,
      path: 'rules',
    };
  }

  /**
   * Matches of each rule in `prose`, counted as a global regular expression would find them (non-overlapping, up
   * to maxHits), into `hits`, `firstStart` and `firstEnd`: rules with known word prefixes at the candidate words
   * only, the others by a scan of their own.
   */
  private scan(prose: string, words: Int32Array, wordSlots: number): void {
    const hits = this.hits;
    for (let r = 0; r < this.rules.length; r++) hits[r] = 0;
    // positions are offset by `base`, which grows with every call, so `next` and `tried` never need clearing
    const base = this.base;
    this.base += prose.length + 1;
    const useStart = this.byStart.size > 0;
    const filter = this.wordFilter;
    for (let w = 0; w < wordSlots; w += 3) {
      const at = words[w]!;
      const key = words[w + 2]!;
      if ((filter[(key >>> 3) & 0x1fff]! & (1 << (key & 7))) !== 0) this.tryAt(prose, this.byWord.get(key), at, base);
      if (useStart) for (let k = 1; k <= 3 && k <= words[w + 1]!; k++) this.tryAt(prose, this.byStart.get(wordKey(prose, at, k)), at, base);
    }
    for (const { rule: r, re } of this.global) {
      re.lastIndex = 0;
      for (let m = re.exec(prose); m !== null && hits[r]! < this.maxHits[r]!; m = re.exec(prose)) {
        this.record(r, m.index, m.index + m[0].length);
        if (m[0].length === 0) re.lastIndex++;
      }
    }
  }

  private tryAt(prose: string, candidates: number[] | undefined, at: number, base: number): void {
    if (candidates === undefined) return;
    const { next, tried, hits, maxHits } = this;
    const stamp = base + at;
    for (let c = 0; c < candidates.length; c++) {
      const r = candidates[c]!;
      if (tried[r] === stamp || next[r]! > stamp || hits[r]! >= maxHits[r]!) continue;
      tried[r] = stamp;
      const re = this.sticky[r]!;
      re.lastIndex = at;
      // test() rather than exec(): a sticky match starts at `at` and ends at lastIndex, and no match array is built
      if (!re.test(prose)) continue;
      const end = re.lastIndex;
      this.record(r, at, end);
      next[r] = stamp + Math.max(1, end - at);
    }
  }

  private record(r: number, start: number, end: number): void {
    if (this.hits[r] === 0) {
      this.firstStart[r] = start;
      this.firstEnd[r] = end;
    }
    this.hits[r]++;
  }
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

/**
 * The text from `start` to `end` for evidence: at most DETAIL_CHARS characters, whitespace collapsed, control
 * characters and lone surrogates replaced.
 */
function quote(text: string, start: number, end: number): string {
  let s = end - start > DETAIL_CHARS ? `${text.slice(start, start + DETAIL_CHARS)}…` : text.slice(start, end);
  if (PLAIN.test(s)) return `"${s}"`;
  // eslint-disable-next-line no-control-regex
  s = s.replace(/\s+/g, ' ').replace(/[\x00-\x08\x0e-\x1f\x7f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  return JSON.stringify(s);
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

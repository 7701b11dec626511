import { readFile } from 'node:fs/promises';
import { TIERS, describeJsonError, formatConfigIssues, jsonPath } from '@globalmcp/registry';
import type { Tier } from '@globalmcp/registry';
import { z } from 'zod';
import { DEFAULT_BIAS, DEFAULT_RULES, DEFAULT_SCAN_CHARS, DEFAULT_SIGNALS, DEFAULT_TEMPERATURE } from './defaultRules.js';
import { FEATURE_NAMES } from './features.js';
import { analyzePattern, isPatternProblem } from './patternSafety.js';
import type { WordPrefixes } from './patternSafety.js';
import { RouterError } from './routerError.js';
import { HybridSchema, TierPoliciesSchema } from './routingConfig.js';

export type { Tier };
/** The tiers from the cheapest to the most capable (the registry's, so both packages agree). */
export { TIERS };

/** Longest rule pattern accepted, in characters. */
export const MAX_PATTERN_LENGTH = 2000;

const id = (what: string) =>
  z
    .string({ error: `expected a string: the ${what}'s id` })
    .regex(/^[A-Za-z0-9][\w.-]{0,79}$/, { error: `expected an id of letters, digits, ".", "_" or "-" (at most 80 characters): the ${what}'s id` });

const weight = (what: string) =>
  z
    .number({ error: `expected a number in (0, 100]: the score ${what} adds to its tier` })
    .gt(0, { error: `expected a number in (0, 100]: the score ${what} adds to its tier` })
    .max(100, { error: `expected a number in (0, 100]: the score ${what} adds to its tier` });

const tier = z.enum(['simple', 'moderate', 'complex'], { error: 'expected "simple", "moderate" or "complex"' });

export const RuleSchema = z.strictObject({
  id: id('rule'),
  pattern: z
    .string({ error: 'expected a string: a regular expression (JavaScript syntax, matched case-insensitively)' })
    .min(1, { error: 'expected a non-empty regular expression' })
    .max(MAX_PATTERN_LENGTH, { error: `expected a regular expression of at most ${MAX_PATTERN_LENGTH} characters` }),
  weight: weight('each match of the rule'),
  maxHits: z
    .number({ error: 'expected an integer in [1, 100]: how many matches count' })
    .int({ error: 'expected an integer in [1, 100]: how many matches count' })
    .min(1, { error: 'expected an integer in [1, 100]: how many matches count' })
    .max(100, { error: 'expected an integer in [1, 100]: how many matches count' })
    .default(1),
  description: z.string({ error: 'expected a string' }).optional(),
});

const bound = z.number({ error: 'expected a finite number' }).refine(Number.isFinite, { error: 'expected a finite number' });

export const SignalSchema = z
  .strictObject({
    id: id('signal'),
    feature: z.enum(FEATURE_NAMES, { error: `expected one of ${FEATURE_NAMES.map((f) => `"${f}"`).join(', ')}` }),
    min: bound.optional(),
    max: bound.optional(),
    tier,
    weight: weight('the signal'),
    description: z.string({ error: 'expected a string' }).optional(),
  })
  .superRefine((signal, ctx) => {
    if (signal.min === undefined && signal.max === undefined) ctx.addIssue({ code: 'custom', input: undefined, message: 'expected "min", "max" or both: the band of the feature where the signal fires' });
    else if (signal.min !== undefined && signal.max !== undefined && signal.min > signal.max) ctx.addIssue({ code: 'custom', path: ['max'], input: signal.max, message: `expected max >= min (${signal.min})` });
  });

const score = z.number({ error: 'expected a finite number' }).refine(Number.isFinite, { error: 'expected a finite number' });

const rulesOf = (t: Tier) => z.array(RuleSchema, { error: `expected an array of rules { id, pattern, weight, maxHits?, description? } for the ${t} tier` }).max(500, { error: 'expected at most 500 rules per tier' });

export const RouterConfigSchema = z
  .strictObject({
    $comment: z.string({ error: 'expected a string' }).optional(),
    rules: z
      .strictObject({
        simple: rulesOf('simple').default(() => defaultRules('simple')),
        moderate: rulesOf('moderate').default(() => defaultRules('moderate')),
        complex: rulesOf('complex').default(() => defaultRules('complex')),
      })
      .prefault({}),
    signals: z
      .array(SignalSchema, { error: 'expected an array of signals { id, feature, min?, max?, tier, weight, description? }' })
      .max(200, { error: 'expected at most 200 signals' })
      .default(() => DEFAULT_SIGNALS.map((s) => ({ ...s }))),
    thresholds: z
      .strictObject({
        bias: z
          .strictObject({ simple: score.default(DEFAULT_BIAS.simple), moderate: score.default(DEFAULT_BIAS.moderate), complex: score.default(DEFAULT_BIAS.complex) })
          .prefault({}),
        temperature: z
          .number({ error: 'expected a number > 0: the softmax temperature that turns scores into a confidence' })
          .gt(0, { error: 'expected a number > 0: the softmax temperature that turns scores into a confidence' })
          .refine(Number.isFinite, { error: 'expected a finite number' })
          .default(DEFAULT_TEMPERATURE),
      })
      .prefault({}),
    scanChars: z
      .number({ error: 'expected an integer in [1024, 16777216]: how many characters the rules scan' })
      .int({ error: 'expected an integer in [1024, 16777216]: how many characters the rules scan' })
      .min(1024, { error: 'expected an integer in [1024, 16777216]: how many characters the rules scan' })
      .max(16 * 1024 * 1024, { error: 'expected an integer in [1024, 16777216]: how many characters the rules scan' })
      .default(DEFAULT_SCAN_CHARS),
    hybrid: HybridSchema,
    tiers: TierPoliciesSchema,
  })
  .superRefine((config, ctx) => {
    const seen = new Map<string, string>();
    for (const t of TIERS) {
      config.rules[t].forEach((rule, i) => {
        const where = jsonPath(['rules', t, i]);
        const first = seen.get(rule.id);
        if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['rules', t, i, 'id'], input: undefined, message: `duplicate rule id "${rule.id}" (also at ${first})` });
        else seen.set(rule.id, where);
      });
    }
    const signals = new Map<string, string>();
    config.signals.forEach((signal, i) => {
      const first = signals.get(signal.id);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['signals', i, 'id'], input: undefined, message: `duplicate signal id "${signal.id}" (also at ${first})` });
      else signals.set(signal.id, jsonPath(['signals', i]));
    });
  });

export type RouterConfig = z.output<typeof RouterConfigSchema>;
export type RouterConfigInput = z.input<typeof RouterConfigSchema>;
export type Rule = z.output<typeof RuleSchema>;
export type RuleInput = z.input<typeof RuleSchema>;
export type Signal = z.output<typeof SignalSchema>;
export type SignalInput = z.input<typeof SignalSchema>;

/** A rule whose pattern passed the checks, with the words its matches can start at (when known). */
export interface CheckedRule extends Rule {
  tier: Tier;
  prefixes: WordPrefixes | undefined;
}

const IN_MEMORY = 'router config';

function defaultRules(t: Tier): Rule[] {
  return DEFAULT_RULES[t].map(({ maxHits, ...rule }) => ({ ...rule, maxHits: maxHits ?? 1 }));
}

/**
 * Validates a config object (parsed JSON or built in code) and checks every rule's pattern. `file` names the
 * source in messages. Throws `RouterError` (`CONFIG_INVALID`, `INVALID_PATTERN` or `UNSAFE_PATTERN`).
 */
export function parseRouterConfig(raw: unknown, file: string = IN_MEMORY): RouterConfig {
  const result = RouterConfigSchema.safeParse(raw === undefined ? {} : raw, { reportInput: true });
  if (!result.success) throw new RouterError('CONFIG_INVALID', `invalid router config:\n${formatConfigIssues(file, result.error.issues)}`, { cause: result.error });
  checkRules(result.data, file);
  return result.data;
}

/**
 * Checks every rule's pattern: it must compile, have no backreference and pass the catastrophic-backtracking
 * checks (see patternSafety.ts). Returns the rules in tier order. One line per bad pattern in the message.
 */
export function checkRules(config: RouterConfig, file: string = IN_MEMORY): CheckedRule[] {
  const known = checkedRules.get(config);
  if (known !== undefined) return [...known];
  const checked: CheckedRule[] = [];
  const invalid: string[] = [];
  const unsafe: string[] = [];
  for (const t of TIERS) {
    config.rules[t].forEach((rule, i) => {
      const result = analyzePattern(rule.pattern);
      if (!isPatternProblem(result)) {
        checked.push({ ...rule, tier: t, prefixes: result.prefixes });
        return;
      }
      const line = `${file}: ${jsonPath(['rules', t, i, 'pattern'])}: rule "${rule.id}" (${t}): ${JSON.stringify(rule.pattern)}: ${result.message}`;
      if (result.kind === 'syntax' || result.kind === 'backreference') invalid.push(line);
      else unsafe.push(line);
    });
  }
  if (invalid.length > 0) throw new RouterError('INVALID_PATTERN', `invalid pattern in router config:\n${[...invalid, ...unsafe].join('\n')}`);
  if (unsafe.length > 0) throw new RouterError('UNSAFE_PATTERN', `unsafe pattern in router config (catastrophic backtracking):\n${unsafe.join('\n')}`);
  checkedRules.set(config, checked);
  return [...checked];
}

/**
 * The analysis costs ~0.5 ms per rule, and a config is checked twice on its way into a Classifier (by
 * parseRouterConfig, then by the Classifier for the prefixes); the built-in one at load and by every Classifier.
 * Keyed by identity: the configs that reach here are the frozen built-in one or fresh parses (a Classifier parses
 * what it is given again), so a config mutated by a caller is never looked up.
 */
const checkedRules = new WeakMap<RouterConfig, readonly CheckedRule[]>();

/**
 * Reads and validates a JSON config file. A missing file is an error (`CONFIG_NOT_FOUND`), not a silent fallback
 * to the defaults: a typo in a path should not change how prompts are routed.
 */
export async function loadRouterConfig(file: string): Promise<RouterConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new RouterError('CONFIG_NOT_FOUND', `router config not found: ${file}`, { cause: error });
    throw new RouterError('CONFIG_INVALID', `cannot read router config ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new RouterError('CONFIG_INVALID', describeJsonError(file, text, error), { cause: error });
  }
  return parseRouterConfig(raw, file);
}

/** The built-in config (see defaultRules.ts), validated; frozen. config/router.json holds the same values. */
export const DEFAULT_ROUTER_CONFIG: RouterConfig = deepFreeze(parseRouterConfig({}, 'built-in router config'));

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

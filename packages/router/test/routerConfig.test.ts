import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Classifier, DEFAULT_ROUTER_CONFIG, RouterError, TIERS, analyzePattern, loadRouterConfig, parseRouterConfig } from '../src/index.js';
import type { RouterConfigInput } from '../src/index.js';

const SHIPPED = fileURLToPath(new URL('../../../config/router.json', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'router-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fileWith(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function errorOf(fn: () => unknown): RouterError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RouterError) return error;
    throw error;
  }
  throw new Error('expected a RouterError');
}

async function asyncErrorOf(promise: Promise<unknown>): Promise<RouterError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RouterError) return error;
    throw error;
  }
  throw new Error('expected a RouterError');
}

const rule = (id: string, pattern: string) => ({ id, pattern, weight: 1 });

describe('the router config', () => {
  it('ships config/router.json with exactly the built-in defaults', async () => {
    const { $comment, ...shipped } = await loadRouterConfig(SHIPPED);
    expect(shipped).toEqual(DEFAULT_ROUTER_CONFIG);
    expect($comment).toMatch(/^The router classifier's built-in config/);
  });

  it('fills what a config leaves out from the defaults, and replaces the lists it gives', () => {
    expect(parseRouterConfig({})).toEqual(DEFAULT_ROUTER_CONFIG);
    expect(parseRouterConfig(undefined)).toEqual(DEFAULT_ROUTER_CONFIG);
    const config = parseRouterConfig({ thresholds: { bias: { complex: 1 } }, rules: { complex: [rule('complex.k8s', String.raw`\bkubernetes\b`)] } });
    expect(config.thresholds.bias).toEqual({ simple: DEFAULT_ROUTER_CONFIG.thresholds.bias.simple, moderate: DEFAULT_ROUTER_CONFIG.thresholds.bias.moderate, complex: 1 });
    expect(config.thresholds.temperature).toBe(DEFAULT_ROUTER_CONFIG.thresholds.temperature);
    expect(config.rules.complex).toEqual([{ id: 'complex.k8s', pattern: String.raw`\bkubernetes\b`, weight: 1, maxHits: 1 }]);
    expect(config.rules.simple).toEqual(DEFAULT_ROUTER_CONFIG.rules.simple);
    expect(config.signals).toEqual(DEFAULT_ROUTER_CONFIG.signals);
  });

  it('keeps the defaults frozen', () => {
    expect(Object.isFrozen(DEFAULT_ROUTER_CONFIG)).toBe(true);
    expect(Object.isFrozen(DEFAULT_ROUTER_CONFIG.rules.simple[0])).toBe(true);
    expect(TIERS).toEqual(['simple', 'moderate', 'complex']);
  });

  it('names the file, the JSON path and what was expected for each problem', () => {
    const invalid = (raw: unknown) => errorOf(() => parseRouterConfig(raw, 'config/router.json'));
    const unknown = invalid({ rulez: [] });
    expect(unknown.code).toBe('CONFIG_INVALID');
    expect(unknown.message).toBe('invalid router config:\nconfig/router.json: $: unknown key(s) "rulez"');
    expect(invalid({ rules: { simple: [{ ...rule('x', 'a'), extra: true }] } }).message).toContain('config/router.json: $.rules.simple[0]: unknown key(s) "extra"');
    expect(invalid({ thresholds: { temperature: 'hot' } }).message).toContain(
      'config/router.json: $.thresholds.temperature: expected a number > 0: the softmax temperature that turns scores into a confidence (got "hot")',
    );
    expect(invalid({ rules: { moderate: [{ id: 'm', pattern: 'a', weight: -1 }] } }).message).toContain(
      'config/router.json: $.rules.moderate[0].weight: expected a number in (0, 100]: the score each match of the rule adds to its tier (got -1)',
    );
    expect(invalid({ rules: { simple: 'fix' } }).message).toContain('$.rules.simple: expected an array of rules { id, pattern, weight, maxHits?, description? } for the simple tier (got "fix")');
    expect(invalid({ signals: [{ id: 's', feature: 'tokens', min: 1, tier: 'simple', weight: 1 }] }).message).toContain('$.signals[0].feature: expected one of "chars", "words", ');
    expect(invalid({ signals: [{ id: 's', feature: 'words', tier: 'simple', weight: 1 }] }).message).toContain('$.signals[0]: expected "min", "max" or both');
    expect(invalid({ signals: [{ id: 's', feature: 'words', min: 5, max: 1, tier: 'simple', weight: 1 }] }).message).toContain('$.signals[0].max: expected max >= min (5) (got 1)');
    expect(invalid({ signals: [{ id: 's', feature: 'words', min: 5, tier: 'hard', weight: 1 }] }).message).toContain('$.signals[0].tier: expected "simple", "moderate" or "complex" (got "hard")');
    expect(invalid({ scanChars: 10 }).message).toContain('$.scanChars: expected an integer in [1024, 16777216]');
    expect(invalid({ rules: { simple: [rule('same', String.raw`\bfoo`)], complex: [rule('same', String.raw`\bbar`)] } }).message).toContain(
      '$.rules.complex[0].id: duplicate rule id "same" (also at $.rules.simple[0])',
    );
    expect(invalid(null).message).toContain('config/router.json: $: Invalid input: expected object, received null');
  });

  it('lists every problem, one line each', () => {
    const error = errorOf(() => parseRouterConfig({ scanChars: 1, thresholds: { temperature: -1 } }, 'r.json'));
    expect(error.message.split('\n')).toEqual([
      'invalid router config:',
      'r.json: $.thresholds.temperature: expected a number > 0: the softmax temperature that turns scores into a confidence (got -1)',
      'r.json: $.scanChars: expected an integer in [1024, 16777216]: how many characters the rules scan (got 1)',
    ]);
  });

  it('refuses a pattern that does not compile, naming the rule, its tier and the engine complaint', () => {
    const error = errorOf(() => parseRouterConfig({ rules: { simple: [rule('simple.broken', '(fix')] } }, 'config/router.json'));
    expect(error.code).toBe('INVALID_PATTERN');
    expect(error.message).toBe(
      'invalid pattern in router config:\nconfig/router.json: $.rules.simple[0].pattern: rule "simple.broken" (simple): "(fix": Invalid regular expression: /(fix/i: Unterminated group',
    );
    expect(errorOf(() => parseRouterConfig({ rules: { moderate: [rule('m.backref', String.raw`\b(\w)\1`)] } })).message).toContain(
      'router config: $.rules.moderate[0].pattern: rule "m.backref" (moderate): "\\\\b(\\\\w)\\\\1": backreferences are not supported ("\\\\1")',
    );
  });

  it('refuses a pattern that can backtrack catastrophically, naming the fragment at fault', () => {
    const error = errorOf(() => parseRouterConfig({ rules: { complex: [rule('complex.evil', '(a+)+$')] } }, 'config/router.json'));
    expect(error.code).toBe('UNSAFE_PATTERN');
    expect(error.message).toBe(
      'unsafe pattern in router config (catastrophic backtracking):\nconfig/router.json: $.rules.complex[0].pattern: rule "complex.evil" (complex): "(a+)+$": nested quantifier: "a+" inside the repeated "(a+)+" can match the same characters as the neighbouring repetitions, so a failing match backtracks exponentially',
    );
  });

  it('checks the patterns of a config given to the Classifier too', () => {
    expect(errorOf(() => new Classifier({ rules: { simple: [rule('s', '(a|aa)*b')] } })).code).toBe('UNSAFE_PATTERN');
    expect(errorOf(() => new Classifier({ thresholds: { temperature: 0 } })).code).toBe('CONFIG_INVALID');
  });
});

describe('loadRouterConfig', () => {
  it('reads and validates a file', async () => {
    const file = fileWith('ok.json', JSON.stringify({ thresholds: { temperature: 2 } }));
    expect((await loadRouterConfig(file)).thresholds.temperature).toBe(2);
    const bom = fileWith('bom.json', `\ufeff${JSON.stringify({ scanChars: 4096 })}`);
    expect((await loadRouterConfig(bom)).scanChars).toBe(4096);
  });

  it('says CONFIG_NOT_FOUND for a missing file rather than falling back to the defaults', async () => {
    const missing = join(dir, 'nope', 'router.json');
    const error = await asyncErrorOf(loadRouterConfig(missing));
    expect(error.code).toBe('CONFIG_NOT_FOUND');
    expect(error.message).toBe(`router config not found: ${missing}`);
  });

  it('points at the line and column of bad JSON', async () => {
    const file = fileWith('trailing-comma.json', '{\n  "thresholds": {\n    "temperature": 1,\n  }\n}\n');
    const error = await asyncErrorOf(loadRouterConfig(file));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:3: invalid JSON: `));
    const truncated = fileWith('truncated.json', '{"scanChars": 1');
    expect((await asyncErrorOf(loadRouterConfig(truncated))).message).toMatch(/truncated\.json:1:16: invalid JSON: /);
  });

  it('names the file in schema errors', async () => {
    const file = fileWith('bad.json', JSON.stringify({ rules: { simple: [{ id: 'x', pattern: 'a' }] } }));
    const error = await asyncErrorOf(loadRouterConfig(file));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(`${file}: $.rules.simple[0].weight: expected a number in (0, 100]`);
  });

  it('reports a directory as unreadable', async () => {
    const error = await asyncErrorOf(loadRouterConfig(dir));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(`cannot read router config ${dir}: EISDIR`);
  });
});

describe('the catastrophic-backtracking check', () => {
  const kind = (pattern: string) => {
    const result = analyzePattern(pattern);
    return 'kind' in result ? result.kind : 'safe';
  };

  it('refuses the classic exponential patterns', () => {
    expect(kind('(a+)+$')).toBe('nested-quantifier');
    expect(kind('(a|aa)*b')).toBe('overlapping-alternation');
    expect(kind('(.*a){20}')).toBe('nested-quantifier');
    expect(kind('([a-z]+)*=')).toBe('nested-quantifier');
    expect(kind(String.raw`(\w+\s?)*$`)).toBe('nested-quantifier');
    expect(kind('(a?){25}a{25}')).toBe('nested-quantifier');
    expect(kind('(x+x+)+y')).toBe('nested-quantifier');
    expect(kind('^(([a-z])+.)+[A-Z]([a-z])+$')).toBe('nested-quantifier');
    expect(kind('(a|b|ab)*c')).toBe('overlapping-alternation');
    expect(kind(String.raw`(\w|\d)+$`)).toBe('overlapping-alternation');
  });

  it('refuses polynomial ones: adjacent overlapping repetitions, unanchored leading repetitions, unbounded gaps', () => {
    expect(kind(String.raw`\d+\d+x`)).toBe('adjacent-quantifiers');
    expect(kind('.*.*=')).toBe('adjacent-quantifiers');
    expect(kind(String.raw`\w+\s*\w+!`)).toBe('adjacent-quantifiers');
    expect(kind(String.raw`\b(integrate|sync)\s+.*\b(api|service)\b`)).toBe('adjacent-quantifiers');
    expect(kind(String.raw`\w+ing`)).toBe('leading-repetition');
    expect(kind(String.raw`\s+$`)).toBe('leading-repetition');
    expect(kind('[^"]*"')).toBe('leading-repetition');
    expect(kind(String.raw`(\d+\.)+`)).toBe('leading-repetition');
    expect(kind(String.raw`\b(explain|describe|analyze)\b.*\b(code|algorithm|pattern)\b`)).toBe('unbounded-gap');
    expect(kind(String.raw`\bx[^ ]*y`)).toBe('unbounded-gap');
  });

  it('refuses backreferences and reports syntax errors', () => {
    expect(kind(String.raw`(a)\1`)).toBe('backreference');
    expect(kind(String.raw`(?<x>a)\k<x>`)).toBe('backreference');
    expect(kind('[')).toBe('syntax');
    expect(kind('a{2,}{3}')).toBe('syntax');
  });

  it('accepts the usual shapes of rules', () => {
    for (const pattern of [
      String.raw`\b(fix|rename)\b`,
      String.raw`\b\w+ing\b`,
      String.raw`\b(explain|describe|analyze)\b.{0,80}\b(code|algorithm|pattern)\b`,
      String.raw`\b(multi|cross)[-\s](platform|service|thread|process)\b`,
      String.raw`\b(deploy|ci\/cd|infrastructure|docker|kubernetes)\b`,
      String.raw`\b(?:explain|review)\s+(?:\w+\s+){0,3}?(?:code|algorithm)\b`,
      String.raw`(?:,\s*\w+)*`,
      String.raw`\b(?:ab|ac)*c`,
      String.raw`(\s|,)+`,
      String.raw`^\s+`,
      String.raw`\b(\d+\.)+\d+\b`,
      String.raw`\bO\(\s?n\s?\)`,
      String.raw`\b(?<verb>fix)(es)?\b`,
      String.raw`\b\s+x`,
    ]) {
      expect([pattern, kind(pattern)]).toEqual([pattern, 'safe']);
    }
  });

  it('passes every built-in rule', () => {
    for (const t of TIERS) for (const r of DEFAULT_ROUTER_CONFIG.rules[t]) expect([r.id, kind(r.pattern)]).toEqual([r.id, 'safe']);
  });

  it('finds the words a rule can start at, so that it runs only there', () => {
    expect(analyzePattern(String.raw`\b(?:fix|rename[sd]?)\b`)).toEqual({ source: String.raw`\b(?:fix|rename[sd]?)\b`, prefixes: { exact: ['fix', 'rena'], open: [] } });
    expect(analyzePattern(String.raw`\bci\s*\/\s*cd\b`)).toMatchObject({ prefixes: { exact: ['ci'], open: [] } });
    expect(analyzePattern(String.raw`\bfoo`)).toMatchObject({ prefixes: { exact: [], open: ['foo'] } });
    // no \b before the first letter: the match may start inside a word
    expect(analyzePattern('fix')).toMatchObject({ prefixes: undefined });
    expect(analyzePattern(String.raw`^\s*how\b`)).toMatchObject({ prefixes: undefined });
  });
});

// a config that exercises every part of the schema, as a type check of RouterConfigInput
const full: RouterConfigInput = {
  rules: { simple: [{ id: 's', pattern: String.raw`\bx\b`, weight: 1, maxHits: 2, description: 'x' }], moderate: [], complex: [] },
  signals: [{ id: 'w', feature: 'words', min: 1, max: 2, tier: 'simple', weight: 1 }],
  thresholds: { bias: { simple: 0, moderate: 0, complex: 0 }, temperature: 1 },
  scanChars: 2048,
};
it('accepts a config that sets everything', () => {
  expect(parseRouterConfig(full).rules.simple[0]?.maxHits).toBe(2);
});

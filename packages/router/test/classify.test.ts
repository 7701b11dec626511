import { describe, expect, it } from 'vitest';
import { Classifier, DEFAULT_ROUTER_CONFIG, RouterError, TIERS } from '../src/index.js';
import type { Classification, Tier } from '../src/index.js';

const classifier = new Classifier();
const classify = (prompt: string, context?: string) => classifier.classify(prompt, context);
// control characters and lone surrogates
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u0008\u000e-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Scores are rounded to 1e-6, so sums of weights compare exactly at this precision. */
const SCORE_DIGITS = 6;

function fired(c: Classification): string[] {
  return c.evidence.map((e) => e.id);
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

describe('Classifier', () => {
  it("puts the seed's own examples in the seed's tiers", () => {
    const examples: Record<Tier, string[]> = {
      simple: ['Fix indentation', 'Add import statement', 'Rename variable'],
      moderate: ['Implement function', 'Refactor class', 'Debug error'],
      complex: ['Design microservices', 'Optimize database queries', 'Build CI/CD pipeline'],
    };
    for (const tier of TIERS) for (const prompt of examples[tier]) expect([prompt, classify(prompt).tier]).toEqual([prompt, tier]);
  });

  it('classifies typical requests by what they ask for', () => {
    const examples: Array<[string, Tier]> = [
      ['Fix the typo in the README', 'simple'],
      ['How do I reverse a list in Python?', 'simple'],
      ['Remove the unused import in utils.py', 'simple'],
      ['Write a function that parses ISO dates and returns a Date or null', 'moderate'],
      ['Add unit tests for the parser module', 'moderate'],
      ['Refactor the PaymentService class to use dependency injection', 'moderate'],
      ['Migrate the monolith from MySQL to PostgreSQL without downtime', 'complex'],
      ['Refactor the entire codebase to replace callbacks with async/await while keeping backward compatibility', 'complex'],
      ['Integrate Stripe payments with our order service, the email notifications and the analytics dashboard', 'complex'],
    ];
    for (const [prompt, tier] of examples) expect([prompt, classify(prompt).tier]).toEqual([prompt, tier]);
  });

  it('is deterministic, and one prompt does not change the answer for the next', () => {
    const prompts = ['Rename variable', 'Design microservices\n```js\nconst a = 1;\n```', 'x'.repeat(70_000), 'Debug error'];
    const first = prompts.map((p) => classify(p));
    const again = [...prompts].reverse().map((p) => classify(p)).reverse();
    const fresh = prompts.map((p) => new Classifier().classify(p));
    expect(again).toEqual(first);
    expect(fresh).toEqual(first);
  });

  it('lists every rule and signal that fired, with its weight and what it saw, and adds them up into the scores', () => {
    const c = classify('Rename variable');
    expect(c.evidence).toEqual([
      { kind: 'rule', id: 'simple.rename', tier: 'simple', weight: 2, detail: '"Rename"' },
      { kind: 'feature', id: 'short-prompt', tier: 'simple', weight: 0.5, detail: '2 words (<= 12)' },
    ]);
    const bias = DEFAULT_ROUTER_CONFIG.thresholds.bias;
    expect(c.scores).toEqual({ simple: bias.simple + 2 + 0.5, moderate: bias.moderate, complex: bias.complex });
    expect(c.path).toBe('rules');
    expect(c.thresholds).toEqual({ bias, temperature: DEFAULT_ROUTER_CONFIG.thresholds.temperature, scanChars: DEFAULT_ROUTER_CONFIG.scanChars });

    const big = classify('Design a multi-tenant architecture for our SaaS: PostgreSQL per tenant, a Redis cache and a Kafka queue behind the API gateway.');
    for (const t of TIERS) {
      const sum = big.evidence.filter((e) => e.tier === t).reduce((s, e) => s + e.weight, big.thresholds.bias[t]);
      expect(big.scores[t]).toBeCloseTo(sum, SCORE_DIGITS);
    }
    expect(big.evidence).toContainEqual({ kind: 'rule', id: 'complex.design', tier: 'complex', weight: 3, detail: '"architecture"' });
    expect(big.evidence).toContainEqual({ kind: 'rule', id: 'complex.cross-cutting', tier: 'complex', weight: 2.5, detail: '"multi-tenant"' });
    expect(big.evidence).toContainEqual({ kind: 'feature', id: 'many-systems', tier: 'complex', weight: 2, detail: '5 systems (>= 3)' });
    expect(big.features.systems).toBe(5);
  });

  it('gives a confidence in [0, 1], higher for clear-cut prompts than for ambiguous ones', () => {
    const clear = classify('Design a distributed, event-driven architecture for order processing with Kafka across all services, without downtime');
    const unclear = classify('Look at the thing we talked about and sort it out');
    for (const c of [clear, unclear]) {
      expect(c.confidence).toBeGreaterThanOrEqual(0);
      expect(c.confidence).toBeLessThanOrEqual(1);
    }
    expect(clear.tier).toBe('complex');
    expect(clear.confidence).toBeGreaterThan(0.9);
    expect(unclear.evidence.filter((e) => e.kind === 'rule')).toEqual([]);
    expect(unclear.confidence).toBeLessThan(0.6);
    // the confidence is the softmax of the scores at the configured temperature
    const t = clear.thresholds.temperature;
    const exp = TIERS.map((tier) => Math.exp(clear.scores[tier] / t));
    expect(clear.confidence).toBeCloseTo(exp[2]! / (exp[0]! + exp[1]! + exp[2]!), SCORE_DIGITS);
  });

  it('measures code blocks, code lines, stack traces, files, components and systems', () => {
    const prompt = [
      'The importer crashes on empty rows in src/importer.py and csv_utils.py; see `parse_row()` and RowParser.',
      '```python',
      'def parse_row(row):',
      '    return row[0]',
      '```',
      'Traceback (most recent call last):',
      '  File "src/importer.py", line 12, in parse_row',
      '    return row[0]',
      'IndexError: list index out of range',
    ].join('\n');
    const c = classify(prompt);
    expect(c.features).toMatchObject({ codeBlocks: 1, codeLines: 3, stackTraces: 1, stackFrames: 1, files: 2, components: 2, errorTypes: 1, lines: 9 });
    expect(c.features.words).toBe(prompt.split(/\s+/).filter(Boolean).length);
    expect(fired(c)).toContain('stack-trace');
    expect(fired(c)).toContain('moderate.failure');
  });

  it('reads rules in the prose only: words inside code and stack traces do not count', () => {
    const inCode = classify('What does this print?\n```python\nimport os  # rename, design, migrate to kubernetes\n```');
    expect(fired(inCode).filter((id) => id.startsWith('complex.') || id === 'simple.rename')).toEqual([]);
    const template = classify('<!-- Please design your report so we can resolve your issue -->\nThe label is misaligned.');
    expect(fired(template)).not.toContain('complex.design');
    expect(fired(template)).not.toContain('moderate.debug');
  });

  it('counts matches the way a global regular expression would, up to maxHits', () => {
    const counting = new Classifier({
      rules: { simple: [{ id: 'typo', pattern: String.raw`\btypo\b`, weight: 1.5, maxHits: 3 }], moderate: [], complex: [] },
      signals: [],
    });
    const c = counting.classify('typo typo typo typo typo');
    expect(c.evidence).toEqual([{ kind: 'rule', id: 'typo', tier: 'simple', weight: 4.5, detail: '"typo" (3 matches)' }]);
    expect(counting.classify('typos and a typo').evidence[0]?.detail).toBe('"typo"');
  });

  it('finds the same matches whether or not a rule can be run only at the words it starts with', () => {
    // a lookahead in front keeps the classifier from seeing where a rule starts, so it scans the prose with it
    const rules = Object.fromEntries(TIERS.map((t) => [t, DEFAULT_ROUTER_CONFIG.rules[t].map((r) => ({ ...r, pattern: `(?=[\\s\\S])${r.pattern}`, maxHits: 3 }))]));
    const scanning = new Classifier({ rules });
    const fast = new Classifier({ rules: Object.fromEntries(TIERS.map((t) => [t, DEFAULT_ROUTER_CONFIG.rules[t].map((r) => ({ ...r, maxHits: 3 }))])) });
    const texts = [
      'Fix the typo in the docs. Rename getUser to fetchUser, then refactor the PaymentService class and add unit tests.',
      'Design the new architecture: migrate the monolith to microservices on Kubernetes, across all services, without breaking the API.',
      'The fix is simple: we should just raise a ValueError instead of returning None. It fails when used together with threads; race conditions!',
      'a-design/re-format/e-mail front-end CI / CD O(n log n) Some issues; both parts, several components. How is this done?',
    ];
    for (const text of texts) expect(scanning.classify(text).evidence).toEqual(fast.classify(text).evidence);
  });

  it('includes the context in the classification', () => {
    const alone = classify('Can you help with this?');
    const withContext = classify('Can you help with this?', 'We need to migrate the billing service to Kubernetes without downtime, across all regions.');
    expect(alone.tier).toBe('simple');
    expect(withContext.tier).toBe('complex');
    expect(fired(withContext)).toContain('complex.infrastructure');
    expect(withContext.features.words).toBe(alone.features.words + 14);
    expect(classify('Rename variable', '   ')).toEqual(classify('Rename variable'));
  });

  it('uses the thresholds it is given', () => {
    const leaning = new Classifier({ thresholds: { bias: { simple: 0, moderate: 0, complex: 5 } } });
    const c = leaning.classify('Rename variable');
    expect(c.tier).toBe('complex');
    expect(c.thresholds.bias).toEqual({ simple: 0, moderate: 0, complex: 5 });
    expect(new Classifier({ rules: { simple: [], moderate: [], complex: [] }, signals: [] }).classify('anything at all').scores).toEqual({ simple: 0.75, moderate: 0.5, complex: -0.75 });
  });

  it('rejects a prompt that is not a string or is empty after trimming', () => {
    expect(errorOf(() => classify('')).message).toBe('prompt is empty');
    expect(errorOf(() => classify(' \n\t\u00a0')).message).toBe('prompt is only whitespace');
    expect(errorOf(() => classify(42 as never)).message).toBe('prompt must be a string; got number');
    expect(errorOf(() => classify(null as never)).message).toBe('prompt must be a string; got null');
    expect(errorOf(() => classify('ok', {} as never)).message).toBe('context must be a string; got object');
    expect(errorOf(() => classify('')).code).toBe('INVALID_PROMPT');
  });

  it('classifies megabyte prompts, measuring their length in full and scanning their head and tail', () => {
    const filler = 'lorem ipsum dolor sit amet '.repeat(40_000); // 1,080,000 characters
    const prompt = `Please look at this log.\n${filler}\nNow migrate the whole system to Kubernetes.`;
    const c = classify(prompt);
    expect(c.features.words).toBe(5 + 200_000 + 7);
    expect(c.features.chars).toBe(prompt.length);
    expect(c.features.scannedChars).toBe(DEFAULT_ROUTER_CONFIG.scanChars + 1);
    expect(fired(c)).toContain('complex.infrastructure');
    expect(fired(c)).toContain('long-prompt');
    expect(c.tier).toBe('complex');
    // one word a megabyte long, and long runs that trouble naive patterns
    for (const junk of ['a'.repeat(1 << 20), ' '.repeat(1 << 20) + 'x', '1'.repeat(1 << 20), 'a.'.repeat(1 << 19), '<!--\n'.repeat(1 << 17)]) {
      expect(TIERS).toContain(classify(junk).tier);
    }
  });

  it('copes with binary junk: NUL bytes, lone surrogates, control characters', () => {
    const junk = ['\u0000\u0000\u0000', 'fix typo \ud800 in \udfff the docs', String.fromCharCode(...Array.from({ length: 4096 }, (_, i) => (i * 7919) % 65536)), '\u001b[31mred\u001b[0m typo'];
    for (const text of junk) {
      const c = classify(text);
      expect(TIERS).toContain(c.tier);
      expect(c.confidence).toBeGreaterThan(0);
      for (const e of c.evidence) expect(e.detail).not.toMatch(UNPRINTABLE);
    }
    expect(classify('fix typo \ud800 in \udfff the docs').evidence[0]).toEqual({ kind: 'rule', id: 'simple.cosmetic', tier: 'simple', weight: 2, detail: '"typo"' });
  });

  it('truncates what it quotes to 60 characters', () => {
    const long = new Classifier({ rules: { simple: [{ id: 'long', pattern: String.raw`\bx{80}`, weight: 1 }], moderate: [], complex: [] }, signals: [] });
    expect(long.classify('x'.repeat(80)).evidence[0]?.detail).toBe(`"${'x'.repeat(60)}…"`);
  });
});

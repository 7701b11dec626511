import type { ModelRegistry } from '@globalmcp/registry';
import { RegistryError } from '@globalmcp/registry';
import type { Tier } from '@globalmcp/registry';

/** What the classifier model said, or why it could not be used. */
export interface ModelVerdict {
  readonly model: string;
  readonly outcome: 'answered' | 'timeout' | 'garbage' | 'error';
  readonly tier: Tier | undefined;
  /** Its raw answer (first 80 characters), for `garbage`. */
  readonly answer: string | undefined;
  readonly error: string | undefined;
  readonly durationMs: number;
}

const PROMPT_CHARS = 2_000;

/** The short, constrained question put to the classifier model. */
export function classifierPrompt(prompt: string): string {
  const excerpt = prompt.length > PROMPT_CHARS ? `${prompt.slice(0, PROMPT_CHARS)}\n[…truncated]` : prompt;
  return [
    'Classify how much work this coding request needs. Answer with exactly one word: simple, moderate or complex.',
    'simple: a small local edit (rename, format, fix a typo, add an import, a one-line fix).',
    'moderate: a change within one function, class or module (implement, refactor, debug one error, write tests).',
    'complex: design or changes across several components or systems (architecture, migration, CI/CD, performance or security work).',
    'Request:',
    '"""',
    excerpt,
    '"""',
    'Answer (one word):',
  ].join('\n');
}

/** Accepts one tier word, optionally quoted or followed by a full stop; anything else is garbage. */
export function parseVerdict(answer: string): Tier | undefined {
  const word = answer
    .trim()
    .replace(/^["'`*]+|["'`*.!]+$/g, '')
    .toLowerCase();
  return word === 'simple' || word === 'moderate' || word === 'complex' ? word : undefined;
}

export async function askClassifierModel(registry: ModelRegistry, model: string, prompt: string, timeoutMs: number, signal?: AbortSignal): Promise<ModelVerdict> {
  const started = performance.now();
  const timeout = AbortSignal.timeout(timeoutMs);
  const verdict = (outcome: ModelVerdict['outcome'], fields: Partial<ModelVerdict> = {}): ModelVerdict => ({
    model,
    outcome,
    tier: undefined,
    answer: undefined,
    error: undefined,
    ...fields,
    durationMs: performance.now() - started,
  });
  try {
    const result = await registry.invoke({
      models: [model],
      prompt: classifierPrompt(prompt),
      maxTokens: 8,
      temperature: 0,
      fallback: 'error',
      signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
    });
    const tier = parseVerdict(result.text);
    return tier === undefined ? verdict('garbage', { answer: result.text.slice(0, 80) }) : verdict('answered', { tier });
  } catch (error) {
    if (timeout.aborted && !signal?.aborted) return verdict('timeout', { error: `no answer within ${timeoutMs} ms` });
    if (signal?.aborted) throw error;
    const message = error instanceof RegistryError && error.attempts?.[0]?.error ? error.attempts[0].error.message : (error as Error).message;
    return verdict('error', { error: message });
  }
}

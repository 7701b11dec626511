import type { z } from 'zod';

/**
 * One line per zod issue, each naming the file, the JSON path (`$.models.phi3.timeoutMs`)
 * and what was expected, e.g.
 * `config/model_registry.json: $.complexity_mapping.simple: expected string, received number (42)`.
 * Shared by every package that reads a JSON config file; parse with `{ reportInput: true }` so the
 * message can show what was given.
 */
export function formatConfigIssues(file: string, issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `${file}: ${jsonPath(issue.path)}: ${describeIssue(issue)}`).join('\n');
}

export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '$';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$-]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  const input = (issue as { input?: unknown }).input;
  return input === undefined ? issue.message : `${issue.message} (got ${preview(input)})`;
}

function preview(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (value === null || typeof value !== 'object') return String(value);
  return 'an object';
}

/**
 * `file:line:column: invalid JSON: what` for a JSON.parse error, the position
 * taken from the "position N" (or "line L column C") that V8's message gives.
 */
export function describeJsonError(file: string, text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const what = message.replace(/\s*\(line \d+ column \d+\)/, '').replace(/\s+in JSON at position \d+/, '');
  return `${file}${jsonErrorLocation(text, message)}: invalid JSON: ${what}`;
}

function jsonErrorLocation(text: string, message: string): string {
  const lc = /\(line (\d+) column (\d+)\)/.exec(message);
  if (lc) return `:${lc[1]}:${lc[2]}`;
  const at = /at position (\d+)/.exec(message);
  const pos = at ? Number(at[1]) : /Unexpected end of JSON input/.test(message) ? text.length : -1;
  if (pos < 0) return '';
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `:${line}:${pos - lineStart + 1}`;
}

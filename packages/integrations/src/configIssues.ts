import type { z } from 'zod';

// Modelled on formatConfigIssues/jsonPath in @globalmcp/registry (src/configIssues.ts). The dependency rules
// (tools/lint/dependencyDirection.mjs) forbid integrations from importing any other @globalmcp package, so this
// small duplication across the boundary is deliberate; keep the two message formats alike when editing either.
// One difference: our own refinements (code "custom") carry a complete message, so no "(got …)" is added to them.

/**
 * One line per zod issue, each naming the file, the JSON path and what was expected, e.g.
 * `config/servers.json: $.mcpServers.github.args: expected array, received string ("-y")`.
 * Parse with `{ reportInput: true }` so the message can show what was given.
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
  if (issue.code === 'custom') return issue.message;
  const input = (issue as { input?: unknown }).input;
  return input === undefined ? issue.message : `${issue.message} (got ${preview(input)})`;
}

function preview(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (value === null || typeof value !== 'object') return String(value);
  return 'an object';
}

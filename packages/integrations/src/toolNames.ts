import { createHash } from 'node:crypto';
import { matchesGlob } from './glob.js';
import { IntegrationsError } from './integrationsError.js';

/** Between a server's prefix and its tool's name: `github__create_issue`. */
export const TOOL_NAME_SEPARATOR = '__';
/**
 * Longest public tool name. The MCP spec allows 128 characters, but OpenAI's and Anthropic's APIs cap function
 * names at 64, and a client passes the names through to them.
 */
export const MAX_TOOL_NAME_LENGTH = 64;
/** Hex digits of sha256 appended to a shortened name. */
export const TOOL_NAME_HASH_LENGTH = 8;
/** VS Code Copilot (and the JetBrains and Eclipse plugins) refuse more tools than this in one request. */
export const DEFAULT_TOOL_BUDGET = 128;

/** What happens when the children offer more tools than the budget: keep the first ones, or fail. */
export type BudgetPolicy = 'truncate' | 'error';

const UNSAFE_CHARACTER = /[^A-Za-z0-9_-]/gu;

/**
 * A name that every client and model API accepts: each character outside `[A-Za-z0-9_-]` (dots, spaces, slashes,
 * non-ASCII letters …) becomes `_`. An empty name becomes `_`.
 */
export function sanitizeToolName(name: string): string {
  return name.replace(UNSAFE_CHARACTER, '_') || '_';
}

/**
 * The name clients see for `tool` of a server with `prefix` (`undefined` or `""`: none): `prefix__tool`,
 * sanitized. A name over {@link MAX_TOOL_NAME_LENGTH} keeps its first characters as a readable head and ends with
 * `_` and the first {@link TOOL_NAME_HASH_LENGTH} hex digits of sha256 of the full name as given (before
 * sanitizing), so two long names that share a head, or differ only in replaced characters, stay distinct, and the
 * same name is shortened the same way on every machine and every run.
 */
export function publicToolName(prefix: string | undefined, tool: string): string {
  return nameOf(prefix, tool).name;
}

function nameOf(prefix: string | undefined, tool: string): { name: string; shortened: boolean } {
  const hasPrefix = prefix !== undefined && prefix !== '';
  const full = hasPrefix ? `${sanitizeToolName(prefix)}${TOOL_NAME_SEPARATOR}${sanitizeToolName(tool)}` : sanitizeToolName(tool);
  if (full.length <= MAX_TOOL_NAME_LENGTH) return { name: full, shortened: false };
  const original = hasPrefix ? `${prefix}${TOOL_NAME_SEPARATOR}${tool}` : tool;
  const hash = createHash('sha256').update(original, 'utf8').digest('hex').slice(0, TOOL_NAME_HASH_LENGTH);
  // Trailing separators are trimmed so the hash is always joined by a single "_" and never looks like a prefix.
  const head = full.slice(0, MAX_TOOL_NAME_LENGTH - 1 - TOOL_NAME_HASH_LENGTH).replace(/[_-]+$/, '');
  return { name: `${head}_${hash}`, shortened: true };
}

/** A child server's tools as listed by the child, with the server's naming and filter settings. */
export interface ChildTools<T extends { readonly name: string } = { readonly name: string }> {
  readonly server: string;
  /** `undefined` (or `""`): the tools keep their own names. */
  readonly prefix: string | undefined;
  readonly tools: readonly T[];
  /** Globs (`*`, `?`) on the child's own tool names; when non-empty, only matching tools are exposed. */
  readonly allow?: readonly string[];
  /** Globs on the child's own tool names; a matching tool is hidden, even if `allow` matches it too. */
  readonly deny?: readonly string[];
}

/** Budget settings; a {@link ServersConfig} can be passed as it is. */
export interface ToolBudget {
  /** At most this many tools are exposed (default {@link DEFAULT_TOOL_BUDGET}). */
  readonly toolBudget?: number;
  /** Default `"truncate"`. */
  readonly budgetPolicy?: BudgetPolicy;
}

export interface ToolOrigin {
  readonly server: string;
  /** The tool's name at its server. */
  readonly tool: string;
}

export interface PlannedTool<T = { readonly name: string }> extends ToolOrigin {
  readonly publicName: string;
  /** The child's tool as given to {@link planToolNames}. */
  readonly definition: T;
  /** The name was too long and ends with a hash. */
  readonly shortened: boolean;
}

/** Two tools with one public name: the one earlier in config order is kept. */
export interface ToolCollision {
  readonly publicName: string;
  readonly kept: ToolOrigin;
  readonly dropped: ToolOrigin;
}

export interface HiddenTool extends ToolOrigin {
  /** `deny`: a deny glob matched (`pattern`); `allow`: the allow list is not empty and no glob in it matched. */
  readonly reason: 'deny' | 'allow';
  readonly pattern: string | undefined;
}

/** An allow or deny glob that matches none of its server's tools: probably a typo. */
export interface UnmatchedPattern {
  readonly server: string;
  readonly list: 'allow' | 'deny';
  readonly pattern: string;
}

export interface ToolNamePlan<T = { readonly name: string }> {
  /** The exposed tools, in config order: servers as listed, each server's tools as it listed them. */
  readonly tools: readonly PlannedTool<T>[];
  readonly byPublicName: ReadonlyMap<string, PlannedTool<T>>;
  readonly collisions: readonly ToolCollision[];
  readonly hidden: readonly HiddenTool[];
  /** Tools left out because the budget was exceeded (policy `"truncate"`), in config order. */
  readonly truncated: readonly PlannedTool<T>[];
  readonly unmatchedPatterns: readonly UnmatchedPattern[];
  readonly toolBudget: number;
  readonly budgetPolicy: BudgetPolicy;
  /** Tools that passed the filters and got a name of their own, before the budget was applied. */
  readonly candidateCount: number;
  /** One sentence per collision, truncation and unmatched glob, written for the user who edits servers.json. */
  readonly warnings: readonly string[];
}

/**
 * Decides which child tools are exposed and under which names. In config order (servers as listed, each
 * server's tools in the order the server listed them):
 *
 * 1. `deny` globs hide a tool; a non-empty `allow` list hides every tool it does not match.
 * 2. Each remaining tool gets its {@link publicToolName}. A name already taken is a collision: the earlier tool
 *    keeps it, the later one is dropped and reported with both origins.
 * 3. If more tools remain than `toolBudget`: policy `"truncate"` keeps the first `toolBudget` and reports the rest
 *    with a warning saying how to choose; policy `"error"` throws `TOOL_BUDGET_EXCEEDED`.
 */
export function planToolNames<T extends { readonly name: string }>(children: readonly ChildTools<T>[], budget: ToolBudget = {}): ToolNamePlan<T> {
  const toolBudget = budget.toolBudget ?? DEFAULT_TOOL_BUDGET;
  const budgetPolicy = budget.budgetPolicy ?? 'truncate';
  if (!Number.isInteger(toolBudget) || toolBudget < 1) {
    throw new IntegrationsError('CONFIG_INVALID', `toolBudget: expected an integer >= 1 (got ${String(toolBudget)})`);
  }

  const candidates: PlannedTool<T>[] = [];
  const byName = new Map<string, PlannedTool<T>>();
  const collisions: ToolCollision[] = [];
  const hidden: HiddenTool[] = [];
  const unmatchedPatterns: UnmatchedPattern[] = [];
  const warnings: string[] = [];

  for (const child of children) {
    const allow = child.allow ?? [];
    const deny = child.deny ?? [];
    const allowUsed = new Set<string>();
    const denyUsed = new Set<string>();
    for (const definition of child.tools) {
      const tool = definition.name;
      const denied = firstMatch(tool, deny, denyUsed);
      const allowed = allow.length === 0 || firstMatch(tool, allow, allowUsed) !== undefined;
      if (denied !== undefined) {
        hidden.push({ server: child.server, tool, reason: 'deny', pattern: denied });
        continue;
      }
      if (!allowed) {
        hidden.push({ server: child.server, tool, reason: 'allow', pattern: undefined });
        continue;
      }
      const { name: publicName, shortened } = nameOf(child.prefix, tool);
      const kept = byName.get(publicName);
      if (kept !== undefined) {
        collisions.push({ publicName, kept: { server: kept.server, tool: kept.tool }, dropped: { server: child.server, tool } });
        warnings.push(collisionWarning(publicName, kept, { server: child.server, tool }));
        continue;
      }
      const planned: PlannedTool<T> = { publicName, server: child.server, tool, definition, shortened };
      byName.set(publicName, planned);
      candidates.push(planned);
    }
    if (child.tools.length > 0) {
      for (const pattern of allow) if (!allowUsed.has(pattern)) unmatchedPatterns.push({ server: child.server, list: 'allow', pattern });
      for (const pattern of deny) if (!denyUsed.has(pattern)) unmatchedPatterns.push({ server: child.server, list: 'deny', pattern });
    }
  }
  for (const u of unmatchedPatterns) {
    warnings.push(`server "${u.server}": ${u.list} pattern ${JSON.stringify(u.pattern)} matches none of its tools; check it for typos (globs use * and ? and are case-sensitive).`);
  }

  const candidateCount = candidates.length;
  let tools = candidates;
  let truncated: PlannedTool<T>[] = [];
  if (candidateCount > toolBudget) {
    if (budgetPolicy === 'error') {
      throw new IntegrationsError(
        'TOOL_BUDGET_EXCEEDED',
        `${candidateCount} tools exceed the tool budget of ${toolBudget} ("budgetPolicy": "error"): ${countByServer(candidates)}. ${HOW_TO_CHOOSE}`,
      );
    }
    tools = candidates.slice(0, toolBudget);
    truncated = candidates.slice(toolBudget);
    for (const cut of truncated) byName.delete(cut.publicName);
    warnings.push(
      `${candidateCount} tools exceed the tool budget of ${toolBudget}: kept the first ${toolBudget} in config order and left out ${truncated.length} (${cutByServer(candidates, truncated)}). ${HOW_TO_CHOOSE}`,
    );
  }

  return { tools, byPublicName: byName, collisions, hidden, truncated, unmatchedPatterns, toolBudget, budgetPolicy, candidateCount, warnings };
}

/** The child server and tool behind a public name, or `undefined` if the plan exposes no such tool. */
export function resolvePublicName(plan: Pick<ToolNamePlan<unknown>, 'byPublicName'>, publicName: string): ToolOrigin | undefined {
  const planned = plan.byPublicName.get(publicName);
  return planned === undefined ? undefined : { server: planned.server, tool: planned.tool };
}

const HOW_TO_CHOOSE =
  'Clients such as VS Code refuse more than 128 tools. To choose which tools are exposed: hide tools with "allow" or "deny" globs per server, ' +
  'set "disabled": true on servers you do not need, list the servers that matter most first (the budget keeps tools in config order), ' +
  'or raise "toolBudget" if every client you use accepts more.';

function firstMatch(tool: string, patterns: readonly string[], used: Set<string>): string | undefined {
  let first: string | undefined;
  for (const pattern of patterns) {
    if (!matchesGlob(tool, pattern)) continue;
    used.add(pattern);
    first ??= pattern;
  }
  return first;
}

function collisionWarning(publicName: string, kept: ToolOrigin, dropped: ToolOrigin): string {
  if (kept.server === dropped.server && kept.tool === dropped.tool) {
    return `server "${kept.server}" lists tool "${kept.tool}" more than once; exposed it once as "${publicName}".`;
  }
  return (
    `tool "${dropped.tool}" of server "${dropped.server}" would be named "${publicName}", which tool "${kept.tool}" of server "${kept.server}" already has; ` +
    `kept the one from "${kept.server}" (earlier in config order) and left this one out. Give one of the servers another "prefix", or hide one of the tools with "deny".`
  );
}

function countByServer(tools: readonly ToolOrigin[]): string {
  const counts = new Map<string, number>();
  for (const t of tools) counts.set(t.server, (counts.get(t.server) ?? 0) + 1);
  return [...counts].map(([server, n]) => `${server} ${n}`).join(', ');
}

function cutByServer(all: readonly ToolOrigin[], cut: readonly ToolOrigin[]): string {
  const total = new Map<string, number>();
  for (const t of all) total.set(t.server, (total.get(t.server) ?? 0) + 1);
  const left = new Map<string, number>();
  for (const t of cut) left.set(t.server, (left.get(t.server) ?? 0) + 1);
  return [...left].map(([server, n]) => (n === total.get(server) ? `${server}: all ${n}` : `${server}: ${n} of ${total.get(server) ?? n}`)).join(', ');
}

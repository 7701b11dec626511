import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOOL_BUDGET,
  IntegrationsError,
  MAX_TOOL_NAME_LENGTH,
  matchesGlob,
  parseServersConfig,
  planToolNames,
  publicToolName,
  resolvePublicName,
  sanitizeToolName,
} from '../src/index.ts';
import type { ChildTools } from '../src/index.ts';

/** What every public name must look like for OpenAI's and Anthropic's APIs. */
const SAFE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

const tools = (...names: string[]) => names.map((name) => ({ name }));
const numbered = (stem: string, count: number) => Array.from({ length: count }, (_, i) => ({ name: `${stem}_${i}` }));
const sha8 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 8);

function errorOf(fn: () => unknown): IntegrationsError {
  try {
    fn();
  } catch (error) {
    if (error instanceof IntegrationsError) return error;
    throw error;
  }
  throw new Error('expected an IntegrationsError');
}

describe('sanitizing', () => {
  it('replaces every character outside [A-Za-z0-9_-] with "_"', () => {
    expect(sanitizeToolName('search_issues')).toBe('search_issues');
    expect(sanitizeToolName('jira.search')).toBe('jira_search');
    expect(sanitizeToolName('get file/contents v2')).toBe('get_file_contents_v2');
    expect(sanitizeToolName('read-file')).toBe('read-file');
    expect(sanitizeToolName('café')).toBe('caf_');
    // One "_" per character, not per UTF-16 unit.
    expect(sanitizeToolName('a😀b')).toBe('a_b');
  });

  it('turns an empty name into "_" so every public name is valid', () => {
    expect(sanitizeToolName('')).toBe('_');
  });
});

describe('public names', () => {
  it('joins the prefix and the tool with "__"', () => {
    expect(publicToolName('github', 'create_issue')).toBe('github__create_issue');
    expect(publicToolName('my.server', 'do it')).toBe('my_server__do_it');
  });

  it('keeps the tool name alone when there is no prefix', () => {
    expect(publicToolName(undefined, 'test_simple_text')).toBe('test_simple_text');
    expect(publicToolName('', 'read.file')).toBe('read_file');
  });

  it('keeps a name of exactly 64 characters as it is', () => {
    const tool = 'a'.repeat(64 - 'github__'.length);
    expect(publicToolName('github', tool)).toBe(`github__${tool}`);
    expect(publicToolName('github', tool)).toHaveLength(MAX_TOOL_NAME_LENGTH);
  });

  it('shortens a longer name to a readable head, "_" and 8 hex digits of sha256 of the full name', () => {
    const tool = `create_or_update_repository_branch_protection_rule_with_required_reviews`;
    const full = `github__${tool}`;
    const name = publicToolName('github', tool);
    expect(full.length).toBeGreaterThan(64);
    expect(name).toBe(`${full.slice(0, 55)}_${sha8(full)}`);
    expect(name).toHaveLength(64);
    expect(name).toMatch(SAFE_NAME);
  });

  it('shortens the same way every time', () => {
    const tool = 'x'.repeat(100);
    expect(publicToolName('p', tool)).toBe(publicToolName('p', tool));
    expect(publicToolName('p', tool)).toBe(`p__${'x'.repeat(52)}_${sha8(`p__${tool}`)}`);
  });

  it('keeps long names that share their head distinct', () => {
    const head = 'search_'.repeat(12);
    const names = ['issues', 'pull_requests', 'commits', 'code', 'users'].map((tail) => publicToolName('github', head + tail));
    expect(new Set(names).size).toBe(5);
    for (const name of names) expect(name).toMatch(SAFE_NAME);
    expect(names.every((n) => n.startsWith('github__search_search_'))).toBe(true);
  });

  it('keeps long names that differ only in replaced characters distinct, hashing the name as given', () => {
    const dotted = publicToolName('jira', `${'v'.repeat(60)}.search`);
    const underscored = publicToolName('jira', `${'v'.repeat(60)}_search`);
    expect(dotted).not.toBe(underscored);
    expect(dotted.slice(0, 55)).toBe(underscored.slice(0, 55));
  });

  it('never joins the hash with a double separator', () => {
    // The cut falls just after "__": the head loses its trailing underscores.
    const prefix = 'p'.repeat(53);
    const name = publicToolName(prefix, 'tool_with_a_long_name');
    expect(name).toBe(`${prefix}_${sha8(`${prefix}__tool_with_a_long_name`)}`);
    expect(name).not.toContain('__');
  });

  it('shortens long names without a prefix too', () => {
    const tool = 'n'.repeat(80);
    expect(publicToolName(undefined, tool)).toBe(`${'n'.repeat(55)}_${sha8(tool)}`);
  });

  it('keeps thousands of long names distinct and within the limit', () => {
    const names = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const name = publicToolName('server', `${'long_tool_name_'.repeat(5)}${i}`);
      expect(name.length).toBeLessThanOrEqual(64);
      names.add(name);
    }
    expect(names.size).toBe(5000);
  });
});

describe('globs', () => {
  it('matches * as any run of characters and ? as exactly one', () => {
    expect(matchesGlob('read_file', 'read_*')).toBe(true);
    expect(matchesGlob('read_', 'read_*')).toBe(true);
    expect(matchesGlob('write_file', 'read_*')).toBe(false);
    expect(matchesGlob('list_a', 'list_?')).toBe(true);
    expect(matchesGlob('list_', 'list_?')).toBe(false);
    expect(matchesGlob('list_ab', 'list_?')).toBe(false);
    expect(matchesGlob('create_or_update_file', '*_or_*')).toBe(true);
    expect(matchesGlob('anything', '*')).toBe(true);
    expect(matchesGlob('', '*')).toBe(true);
    expect(matchesGlob('abc', '**c')).toBe(true);
  });

  it('treats every other character literally and case-sensitively', () => {
    expect(matchesGlob('a.b', 'a.b')).toBe(true);
    expect(matchesGlob('axb', 'a.b')).toBe(false);
    expect(matchesGlob('f(x)+[y]', 'f(x)+[y]')).toBe(true);
    expect(matchesGlob('a^b$c|d\\e', 'a^b$c|d\\e')).toBe(true);
    expect(matchesGlob('Read_File', 'read_*')).toBe(false);
    expect(matchesGlob('x', '')).toBe(false);
  });

  it('counts ? as one character even outside the basic plane', () => {
    expect(matchesGlob('a😀b', 'a?b')).toBe(true);
  });

  it('answers at once for a pattern that would backtrack catastrophically as a regular expression', () => {
    const started = performance.now();
    expect(matchesGlob('a'.repeat(128), 'a*a*a*a*a*a*a*b')).toBe(false);
    expect(matchesGlob('a'.repeat(10_000), '*a*a*a*a*a*a*a*a*a*a*')).toBe(true);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('planning the exposed tools', () => {
  const children: ChildTools[] = [
    { server: 'filesystem', prefix: 'fs', tools: tools('read_file', 'write_file') },
    { server: 'github', prefix: 'github', tools: tools('search', 'create_issue') },
    { server: 'everything', prefix: undefined, tools: tools('echo') },
  ];

  it('exposes every tool under its public name, in config order', () => {
    const plan = planToolNames(children);
    expect(plan.tools.map((t) => [t.publicName, t.server, t.tool])).toEqual([
      ['fs__read_file', 'filesystem', 'read_file'],
      ['fs__write_file', 'filesystem', 'write_file'],
      ['github__search', 'github', 'search'],
      ['github__create_issue', 'github', 'create_issue'],
      ['echo', 'everything', 'echo'],
    ]);
    expect(plan.collisions).toEqual([]);
    expect(plan.hidden).toEqual([]);
    expect(plan.truncated).toEqual([]);
    expect(plan.warnings).toEqual([]);
    expect(plan.candidateCount).toBe(5);
    expect(plan.toolBudget).toBe(DEFAULT_TOOL_BUDGET);
    expect(plan.budgetPolicy).toBe('truncate');
  });

  it('resolves a public name back to its server and tool', () => {
    const plan = planToolNames(children);
    expect(resolvePublicName(plan, 'github__create_issue')).toEqual({ server: 'github', tool: 'create_issue' });
    expect(resolvePublicName(plan, 'echo')).toEqual({ server: 'everything', tool: 'echo' });
    expect(resolvePublicName(plan, 'create_issue')).toBeUndefined();
    expect(resolvePublicName(plan, 'github__nope')).toBeUndefined();
  });

  it('resolves a shortened name to the original, unsanitized tool name', () => {
    const tool = 'jira.search.issues.by.jql.with.pagination.and.field.expansion.v3';
    const plan = planToolNames([{ server: 'jira', prefix: 'jira', tools: tools(tool) }]);
    const [planned] = plan.tools;
    expect(planned?.shortened).toBe(true);
    expect(planned?.publicName).toMatch(SAFE_NAME);
    expect(resolvePublicName(plan, planned?.publicName ?? '')).toEqual({ server: 'jira', tool });
  });

  it('carries the child tool definition through', () => {
    const plan = planToolNames([{ server: 's', prefix: 's', tools: [{ name: 't', description: 'd', inputSchema: { type: 'object' } }] }]);
    expect(plan.tools[0]?.definition).toEqual({ name: 't', description: 'd', inputSchema: { type: 'object' } });
    expect(plan.byPublicName.get('s__t')?.definition.description).toBe('d');
  });

  it('plans nothing for no children', () => {
    const plan = planToolNames([]);
    expect(plan.tools).toEqual([]);
    expect(plan.warnings).toEqual([]);
  });
});

describe('collisions', () => {
  it('keeps the first of two unprefixed tools with one name and reports the other with both origins', () => {
    const plan = planToolNames([
      { server: 'a', prefix: undefined, tools: tools('search', 'a_only') },
      { server: 'b', prefix: undefined, tools: tools('search', 'b_only') },
    ]);
    expect(plan.tools.map((t) => t.publicName)).toEqual(['search', 'a_only', 'b_only']);
    expect(resolvePublicName(plan, 'search')).toEqual({ server: 'a', tool: 'search' });
    expect(plan.collisions).toEqual([{ publicName: 'search', kept: { server: 'a', tool: 'search' }, dropped: { server: 'b', tool: 'search' } }]);
    expect(plan.warnings).toEqual([
      'tool "search" of server "b" would be named "search", which tool "search" of server "a" already has; kept the one from "a" (earlier in config order) ' +
        'and left this one out. Give one of the servers another "prefix", or hide one of the tools with "deny".',
    ]);
  });

  it('reports names that meet only after sanitizing', () => {
    const plan = planToolNames([{ server: 'jira', prefix: 'jira', tools: tools('issue.get', 'issue_get') }]);
    expect(plan.tools.map((t) => t.tool)).toEqual(['issue.get']);
    expect(plan.collisions).toEqual([{ publicName: 'jira__issue_get', kept: { server: 'jira', tool: 'issue.get' }, dropped: { server: 'jira', tool: 'issue_get' } }]);
  });

  it('reports a prefixed name that equals another server’s unprefixed tool', () => {
    const plan = planToolNames([
      { server: 'gh', prefix: 'github', tools: tools('search') },
      { server: 'raw', prefix: undefined, tools: tools('github__search') },
    ]);
    expect(plan.collisions).toEqual([{ publicName: 'github__search', kept: { server: 'gh', tool: 'search' }, dropped: { server: 'raw', tool: 'github__search' } }]);
  });

  it('exposes a tool a server lists twice only once', () => {
    const plan = planToolNames([{ server: 's', prefix: 's', tools: tools('t', 't') }]);
    expect(plan.tools).toHaveLength(1);
    expect(plan.warnings).toEqual(['server "s" lists tool "t" more than once; exposed it once as "s__t".']);
  });
});

describe('allow and deny', () => {
  const fs = tools('read_file', 'read_multiple_files', 'write_file', 'edit_file', 'list_directory', 'move_file');

  it('exposes only the tools an allow list matches', () => {
    const plan = planToolNames([{ server: 'fs', prefix: 'fs', tools: fs, allow: ['read_*', 'list_*'] }]);
    expect(plan.tools.map((t) => t.tool)).toEqual(['read_file', 'read_multiple_files', 'list_directory']);
    expect(plan.hidden).toEqual([
      { server: 'fs', tool: 'write_file', reason: 'allow', pattern: undefined },
      { server: 'fs', tool: 'edit_file', reason: 'allow', pattern: undefined },
      { server: 'fs', tool: 'move_file', reason: 'allow', pattern: undefined },
    ]);
  });

  it('hides what a deny list matches, even when the allow list matches it too', () => {
    const plan = planToolNames([{ server: 'fs', prefix: 'fs', tools: fs, allow: ['*_file'], deny: ['write_*', 'edit_*'] }]);
    expect(plan.tools.map((t) => t.tool)).toEqual(['read_file', 'move_file']);
    expect(plan.hidden).toEqual([
      { server: 'fs', tool: 'read_multiple_files', reason: 'allow', pattern: undefined },
      { server: 'fs', tool: 'write_file', reason: 'deny', pattern: 'write_*' },
      { server: 'fs', tool: 'edit_file', reason: 'deny', pattern: 'edit_*' },
      { server: 'fs', tool: 'list_directory', reason: 'allow', pattern: undefined },
    ]);
  });

  it('matches globs against the tool’s own name, not the public one', () => {
    const plan = planToolNames([{ server: 'fs', prefix: 'fs', tools: fs, deny: ['fs__*'] }]);
    expect(plan.tools).toHaveLength(6);
  });

  it('warns about a glob that matches none of the server’s tools', () => {
    const plan = planToolNames([{ server: 'fs', prefix: 'fs', tools: fs, allow: ['read_*', 'raed_*'], deny: ['delete_*'] }]);
    expect(plan.unmatchedPatterns).toEqual([
      { server: 'fs', list: 'allow', pattern: 'raed_*' },
      { server: 'fs', list: 'deny', pattern: 'delete_*' },
    ]);
    expect(plan.warnings).toEqual([
      'server "fs": allow pattern "raed_*" matches none of its tools; check it for typos (globs use * and ? and are case-sensitive).',
      'server "fs": deny pattern "delete_*" matches none of its tools; check it for typos (globs use * and ? and are case-sensitive).',
    ]);
  });

  it('does not call globs unmatched for a server that listed no tools yet', () => {
    expect(planToolNames([{ server: 'lazy', prefix: 'lazy', tools: [], allow: ['x_*'] }]).unmatchedPatterns).toEqual([]);
  });

  it('does not count hidden tools against the budget or for collisions', () => {
    const plan = planToolNames(
      [
        { server: 'a', prefix: undefined, tools: tools('search', 'write'), deny: ['search'] },
        { server: 'b', prefix: undefined, tools: tools('search') },
      ],
      { toolBudget: 2 },
    );
    expect(plan.tools.map((t) => `${t.server}:${t.tool}`)).toEqual(['a:write', 'b:search']);
    expect(plan.collisions).toEqual([]);
    expect(plan.truncated).toEqual([]);
  });
});

describe('the tool budget', () => {
  const three: ChildTools[] = [
    { server: 'filesystem', prefix: 'fs', tools: numbered('fs', 3) },
    { server: 'github', prefix: 'gh', tools: numbered('gh', 4) },
    { server: 'jira', prefix: 'jira', tools: numbered('jira', 2) },
  ];

  it('keeps the first tools in config order and reports the rest with advice when truncating', () => {
    const plan = planToolNames(three, { toolBudget: 5 });
    expect(plan.tools.map((t) => t.publicName)).toEqual(['fs__fs_0', 'fs__fs_1', 'fs__fs_2', 'gh__gh_0', 'gh__gh_1']);
    expect(plan.truncated.map((t) => t.publicName)).toEqual(['gh__gh_2', 'gh__gh_3', 'jira__jira_0', 'jira__jira_1']);
    expect(plan.candidateCount).toBe(9);
    expect(plan.warnings).toEqual([
      '9 tools exceed the tool budget of 5: kept the first 5 in config order and left out 4 (github: 2 of 4, jira: all 2). ' +
        'Clients such as VS Code refuse more than 128 tools. To choose which tools are exposed: hide tools with "allow" or "deny" globs per server, ' +
        'set "disabled": true on servers you do not need, list the servers that matter most first (the budget keeps tools in config order), ' +
        'or raise "toolBudget" if every client you use accepts more.',
    ]);
  });

  it('does not resolve a tool that the budget left out', () => {
    const plan = planToolNames(three, { toolBudget: 5 });
    expect(resolvePublicName(plan, 'gh__gh_1')).toEqual({ server: 'github', tool: 'gh_1' });
    expect(resolvePublicName(plan, 'gh__gh_2')).toBeUndefined();
    expect(plan.byPublicName.size).toBe(5);
  });

  it('says nothing when the tools fit exactly', () => {
    const plan = planToolNames(three, { toolBudget: 9 });
    expect(plan.tools).toHaveLength(9);
    expect(plan.truncated).toEqual([]);
    expect(plan.warnings).toEqual([]);
  });

  it('applies the default budget of 128', () => {
    const plan = planToolNames([
      { server: 'big', prefix: 'big', tools: numbered('t', 100) },
      { server: 'more', prefix: 'more', tools: numbered('t', 30) },
    ]);
    expect(plan.tools).toHaveLength(128);
    expect(plan.truncated.map((t) => t.publicName)).toEqual(['more__t_28', 'more__t_29']);
    expect(plan.warnings[0]).toMatch(/^130 tools exceed the tool budget of 128: kept the first 128 in config order and left out 2 \(more: 2 of 30\)\. /);
  });

  it('throws TOOL_BUDGET_EXCEEDED with the count per server when the policy is "error"', () => {
    const error = errorOf(() => planToolNames(three, { toolBudget: 5, budgetPolicy: 'error' }));
    expect(error.code).toBe('TOOL_BUDGET_EXCEEDED');
    expect(error.message).toMatch(/^9 tools exceed the tool budget of 5 \("budgetPolicy": "error"\): filesystem 3, github 4, jira 2\. Clients such as VS Code refuse more than 128 tools\./);
    expect(error.message).toContain('raise "toolBudget"');
    expect(planToolNames(three, { toolBudget: 9, budgetPolicy: 'error' }).tools).toHaveLength(9);
  });

  it('takes the budget settings straight from a servers config', () => {
    const config = parseServersConfig({ mcpServers: {}, toolBudget: 2, budgetPolicy: 'error' }, { env: {} });
    expect(errorOf(() => planToolNames(three, config)).code).toBe('TOOL_BUDGET_EXCEEDED');
  });

  it('refuses a budget that is not a positive integer', () => {
    expect(errorOf(() => planToolNames(three, { toolBudget: 0 })).message).toBe('toolBudget: expected an integer >= 1 (got 0)');
    expect(errorOf(() => planToolNames(three, { toolBudget: 2.5 })).code).toBe('CONFIG_INVALID');
    expect(errorOf(() => planToolNames(three, { toolBudget: Number.NaN })).message).toBe('toolBudget: expected an integer >= 1 (got NaN)');
  });
});

describe('names from a servers config', () => {
  it('plans names with the prefixes and filters the config resolved', () => {
    const config = parseServersConfig(
      {
        mcpServers: {
          'file system': { command: 'npx', deny: ['write_*'] },
          everything: { command: 'npx', prefix: false },
        },
      },
      { env: {} },
    );
    const listed: Record<string, { name: string }[]> = { 'file system': tools('read_file', 'write_file'), everything: tools('echo') };
    const plan = planToolNames(
      config.servers.map((s) => ({ server: s.name, prefix: s.prefix, tools: listed[s.name] ?? [], allow: s.allow, deny: s.deny })),
      config,
    );
    expect(plan.tools.map((t) => t.publicName)).toEqual(['file_system__read_file', 'echo']);
  });
});

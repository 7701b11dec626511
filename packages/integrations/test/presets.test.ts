import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Federation, GITHUB_HOSTED_URL, parseServersConfig } from '../src/index.ts';
import type { ServersConfigOptions, UpstreamSession } from '../src/index.ts';
import { startFakeJira } from '../src/testing/index.ts';

const CHILD = fileURLToPath(new URL('./fixtures/testChild.mjs', import.meta.url));

let root: string;
const open: Federation[] = [];
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'globalmcp-presets-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});

/** How long listing waits for children still starting: generous, since a loaded CI machine can take seconds (clients get 3 s). */
const LIST_WAIT_MS = 20_000;

async function federate(servers: Record<string, unknown>, options: ServersConfigOptions): Promise<Federation> {
  const f = new Federation({ restartDelayMs: 200, listWaitMs: LIST_WAIT_MS });
  open.push(f);
  await f.apply(parseServersConfig({ mcpServers: servers }, { onMissingVariable: 'disable', ...options }));
  return f;
}

function text(result: Record<string, unknown>): string {
  return ((result['content'] as { text: string }[])[0] as { text: string }).text;
}

describe('the filesystem preset (real @modelcontextprotocol/server-filesystem)', () => {
  let dir: string;
  let writable: string;
  let readOnly: string;
  let outside: string;

  beforeAll(async () => {
    dir = join(root, 'fs');
    writable = join(dir, 'work');
    readOnly = join(dir, 'docs');
    outside = join(root, 'outside');
    for (const d of [writable, readOnly, outside]) await mkdir(d, { recursive: true });
    await writeFile(join(readOnly, 'guide.md'), '# Guide\n');
    await writeFile(join(outside, 'secret.txt'), 'top secret');
    await symlink(outside, join(writable, 'escape'));
    await symlink(readOnly, join(writable, 'docs-link'));
    await writeFile(join(dir, 'filesystem_config.json'), JSON.stringify({ paths: [{ path: 'work' }, { path: 'docs', readOnly: true }] }));
  });

  it('serves the configured directories; reads work everywhere, writes only where allowed', async () => {
    const f = await federate({ filesystem: { preset: 'filesystem' } }, { configDir: dir });
    const names = (await f.listTools()).map((t) => t.name);
    expect(names).toContain('filesystem__write_file');
    expect(text(await f.callTool('filesystem__read_text_file', { path: join(readOnly, 'guide.md') }))).toBe('# Guide\n');

    const ok = await f.callTool('filesystem__write_file', { path: join(writable, 'note.txt'), content: 'hello' });
    expect(ok['isError']).toBeFalsy();
    expect(await readFile(join(writable, 'note.txt'), 'utf8')).toBe('hello');

    const refused = await f.callTool('filesystem__write_file', { path: join(readOnly, 'new.md'), content: 'x' });
    expect(refused['isError']).toBe(true);
    expect(text(refused)).toMatch(/refused by the gateway: path ".*new\.md" is under .*docs, which is read-only in filesystem_config\.json/);
    expect(existsSync(join(readOnly, 'new.md'))).toBe(false);
  }, 20_000);

  it('refuses writes that reach a read-only directory through a symlink, a move or a relative path', async () => {
    const f = await federate({ filesystem: { preset: 'filesystem' } }, { configDir: dir });
    await f.listTools();
    const viaLink = await f.callTool('filesystem__write_file', { path: join(writable, 'docs-link', 'sneaky.md'), content: 'x' });
    expect(text(viaLink)).toMatch(/read-only/);
    expect(existsSync(join(readOnly, 'sneaky.md'))).toBe(false);
    const move = await f.callTool('filesystem__move_file', { source: join(writable, 'note.txt'), destination: join(readOnly, 'note.txt') });
    expect(text(move)).toMatch(/destination .* read-only/);
    const edit = await f.callTool('filesystem__edit_file', { path: join(writable, '..', 'docs', 'guide.md'), edits: [{ oldText: 'Guide', newText: 'Hacked' }] });
    expect(text(edit)).toMatch(/read-only/);
    expect(await readFile(join(readOnly, 'guide.md'), 'utf8')).toBe('# Guide\n');
  }, 20_000);

  it('path traversal and symlink escapes are refused by the server itself', async () => {
    const f = await federate({ filesystem: { preset: 'filesystem' } }, { configDir: dir });
    await f.listTools();
    const traversal = await f.callTool('filesystem__read_text_file', { path: join(writable, '..', '..', 'outside', 'secret.txt') });
    expect(traversal['isError']).toBe(true);
    expect(text(traversal)).toMatch(/Access denied - path outside allowed directories/);
    const escape = await f.callTool('filesystem__read_text_file', { path: join(writable, 'escape', 'secret.txt') });
    expect(escape['isError']).toBe(true);
    expect(text(escape)).toMatch(/Access denied - symlink target outside allowed directories/);
    expect(JSON.stringify([traversal, escape])).not.toContain('top secret');
  }, 20_000);

  it("does not hand the client's roots to the server, which would replace the configured directories", async () => {
    const f = await federate({ filesystem: { preset: 'filesystem' } }, { configDir: dir });
    const session: UpstreamSession = {
      id: 'with-roots',
      capabilities: () => ({ sampling: true, elicitation: true, roots: true }),
      notify: async () => undefined,
      request: async () => ({ roots: [{ uri: `file://${outside}` }] }),
    };
    f.attach(session);
    await f.listTools();
    const allowed = text(await f.callTool('filesystem__list_allowed_directories', {}, { session }));
    expect(allowed).toContain(writable);
    expect(allowed).not.toContain(outside);
  }, 20_000);

  it('lists no write tools when every directory is read-only', async () => {
    const only = join(root, 'ro');
    await mkdir(join(only, 'docs'), { recursive: true });
    await writeFile(join(only, 'filesystem_config.json'), JSON.stringify({ paths: [{ path: 'docs', readOnly: true }] }));
    const f = await federate({ fs: { preset: 'filesystem' } }, { configDir: only });
    const names = (await f.listTools()).map((t) => t.name);
    expect(names).toContain('fs__read_text_file');
    for (const write of ['fs__write_file', 'fs__edit_file', 'fs__create_directory', 'fs__move_file']) expect(names).not.toContain(write);
  }, 20_000);

  it('is disabled with the reason when filesystem_config.json is missing, and a bad one is a config error', async () => {
    const empty = join(root, 'empty');
    await mkdir(empty, { recursive: true });
    const f = await federate({ filesystem: { preset: 'filesystem' } }, { configDir: empty });
    expect(f.status().children[0]).toMatchObject({ state: 'disabled', disabledReason: expect.stringMatching(/no .*filesystem_config\.json: list the directories/) });
    await writeFile(join(empty, 'filesystem_config.json'), JSON.stringify({ paths: [{ path: 'nope', readOnly: 'yes' }] }));
    expect(() => parseServersConfig({ mcpServers: { filesystem: { preset: 'filesystem' } } }, { configDir: empty })).toThrow(/filesystem_config\.json: \$\.paths\[0\]/);
    expect(() => parseServersConfig({ mcpServers: { filesystem: { preset: 'filesystem', command: 'x' } } }, { configDir: empty })).toThrow(/"command" is supplied by the "filesystem" preset/);
  });
});

describe('the GitHub preset', () => {
  it("uses GitHub's server binary when it is on PATH, with the token and owner/repo defaults", async () => {
    const bin = join(root, 'bin');
    await mkdir(bin, { recursive: true });
    const fake = join(bin, 'github-mcp-server');
    // Stands in for github/github-mcp-server: any MCP server started as `github-mcp-server stdio`.
    await writeFile(fake, `#!/bin/sh\nexec "${process.execPath}" "${CHILD}" "$@"\n`);
    await chmod(fake, 0o755);
    const env = { PATH: bin, GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_test', GITHUB_OWNER: 'octo', GITHUB_REPO: 'hello', GITHUB_HOST: 'http://127.0.0.1:9' };
    const config = parseServersConfig({ mcpServers: { github: { preset: 'github' } } }, { env });
    expect(config.servers[0]).toMatchObject({ transport: 'stdio', command: fake, args: ['stdio'], preset: { name: 'github', mode: 'binary', owner: 'octo', repo: 'hello' } });
    const f = new Federation({ env, listWaitMs: LIST_WAIT_MS });
    open.push(f);
    await f.apply(config);
    const repoInfo = (await f.listTools()).find((t) => t.name === 'github__repo_info');
    expect((repoInfo?.['inputSchema'] as { required?: string[] }).required ?? []).not.toContain('owner');
    expect(JSON.stringify(repoInfo)).toContain('(default: octo)');
    expect(text(await f.callTool('github__repo_info', {}))).toBe('octo/hello');
    expect(text(await f.callTool('github__repo_info', { owner: 'other', repo: 'x' }))).toBe('other/x');
    expect(JSON.parse(text(await f.callTool('github__env', { names: ['GITHUB_PERSONAL_ACCESS_TOKEN', 'GITHUB_HOST', 'JIRA_API_TOKEN'] })))).toEqual({
      GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_test',
      GITHUB_HOST: 'http://127.0.0.1:9',
      JIRA_API_TOKEN: null,
    });
  }, 20_000);

  it("otherwise uses GitHub's hosted endpoint with the token as a bearer, and is disabled without a token", () => {
    const hosted = parseServersConfig({ mcpServers: { github: { preset: 'github' } } }, { env: { PATH: '', GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_x' } });
    expect(hosted.servers[0]).toMatchObject({ transport: 'http', url: GITHUB_HOSTED_URL, headers: { Authorization: 'Bearer ghp_x' }, preset: { name: 'github', mode: 'hosted' } });
    const missing = parseServersConfig({ mcpServers: { github: { preset: 'github' } } }, { env: { PATH: '' }, onMissingVariable: 'disable' });
    expect(missing.servers[0]).toMatchObject({ disabledReason: 'missing GITHUB_PERSONAL_ACCESS_TOKEN' });
    expect(JSON.stringify(missing.servers[0])).not.toContain('ghp_');
  });
});

describe('the Jira preset (real @nexus2520/jira-mcp-server against a fake Jira Cloud)', () => {
  it("maps JIRA_URL, JIRA_USERNAME and JIRA_API_TOKEN onto the server's variables and searches issues", async () => {
    const jira = await startFakeJira();
    try {
      const env = { JIRA_URL: jira.url, JIRA_USERNAME: 'ada@example.com', JIRA_API_TOKEN: 'ada-api-token' };
      const f = new Federation({ env, listWaitMs: LIST_WAIT_MS });
      open.push(f);
      await f.apply(parseServersConfig({ mcpServers: { jira: { preset: 'jira' } } }, { env }));
      const names = (await f.listTools()).map((t) => t.name);
      expect(names).toContain('jira__jira_search');
      const found = await f.callTool('jira__jira_search', { action: 'issues', jql: 'project = ENG' });
      expect(found['isError']).toBeFalsy();
      expect(JSON.stringify(found)).toContain('ENG-1');
      expect(jira.requests.some((r) => r.user === 'ada@example.com' && r.path.endsWith('/search/jql'))).toBe(true);
    } finally {
      await jira.close();
    }
  }, 30_000);

  it('is listed as disabled, naming the missing variables, and never started', async () => {
    const f = await federate({ jira: { preset: 'jira' } }, { env: { JIRA_URL: 'http://127.0.0.1:9' } });
    expect(f.status().children[0]).toMatchObject({ name: 'jira', state: 'disabled', disabledReason: 'missing JIRA_USERNAME, JIRA_API_TOKEN' });
    expect(await f.listTools()).toEqual([]);
  });
});

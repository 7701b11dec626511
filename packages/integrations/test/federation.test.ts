import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Federation, parseServersConfig } from '../src/index.ts';
import type { FederationOptions, McpMessage, ToolGuard, UpstreamSession } from '../src/index.ts';

const CHILD = fileURLToPath(new URL('./fixtures/testChild.mjs', import.meta.url));
const EVERYTHING = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js');
const NODE = process.execPath;

interface FakeSession extends UpstreamSession {
  readonly notifications: McpMessage[];
  readonly requests: { message: McpMessage; relatedRequestId: unknown }[];
}

function fakeSession(id: string, caps = { sampling: true, elicitation: true, roots: true }): FakeSession {
  const notifications: McpMessage[] = [];
  const requests: { message: McpMessage; relatedRequestId: unknown }[] = [];
  return {
    id,
    notifications,
    requests,
    capabilities: () => caps,
    async notify(n) {
      notifications.push(n);
    },
    async request(message, options) {
      requests.push({ message, relatedRequestId: options.relatedRequestId });
      if (message.method === 'sampling/createMessage') return { model: 'fake-llm', role: 'assistant', content: { type: 'text', text: `sampled for ${id}` } };
      if (message.method === 'elicitation/create') return { action: 'accept', content: { color: 'blue' } };
      if (message.method === 'roots/list') return { roots: [{ uri: 'file:///work/project', name: 'project' }] };
      throw new Error(`unexpected ${message.method}`);
    },
  };
}

const open: Federation[] = [];
const processes: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
  for (const p of processes.splice(0)) p.kill();
});

/** How long listing waits for children still starting: generous, since a loaded CI machine can take seconds (clients get 3 s). */
const LIST_WAIT_MS = 20_000;

function federation(servers: Record<string, unknown>, options: FederationOptions = {}, guards?: Map<string, ToolGuard>, extra: Record<string, unknown> = {}): Federation {
  const f = new Federation({ restartDelayMs: 100, listWaitMs: LIST_WAIT_MS, ...options });
  open.push(f);
  void f.apply(parseServersConfig({ mcpServers: servers, ...extra }), guards);
  return f;
}

function text(result: Record<string, unknown>): string {
  return ((result['content'] as { text: string }[])[0] as { text: string }).text;
}

async function until<T>(what: string, probe: () => T | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function startHttpChild(flag: '--http' | '--sse'): Promise<string> {
  const child = spawn(NODE, [CHILD, flag], { stdio: ['ignore', 'ignore', 'pipe'] });
  processes.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /listening (\S+)/.exec(err);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`child exited ${code}: ${err}`)));
  });
}

describe('federation with server-everything (a real third-party child)', () => {
  it('lists its tools under the prefix, calls them, and passes results through unchanged', async () => {
    const f = federation({ everything: { command: NODE, args: [EVERYTHING], descriptions: { echo: 'Say it back.' }, deny: ['gzip-*'] } });
    const tools = await f.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain('everything__echo');
    expect(names).toContain('everything__get-structured-content');
    expect(names).not.toContain('everything__gzip-file-as-resource');
    expect(tools.find((t) => t.name === 'everything__echo')?.['description']).toBe('Say it back.');
    expect(text(await f.callTool('everything__echo', { message: 'hi' }))).toBe('Echo: hi');
    const structured = await f.callTool('everything__get-structured-content', { location: 'New York' });
    expect(structured['structuredContent']).toMatchObject({ temperature: expect.any(Number) });
    expect(f.status().children[0]).toMatchObject({ name: 'everything', state: 'ready', restarts: 0, server: { name: 'mcp-servers/everything' } });
  }, 20_000);

  it("re-emits the child's progress with each notification, and forwards sampling, elicitation and roots to the calling client", async () => {
    const f = federation({ ev: { command: NODE, args: [EVERYTHING] } });
    const session = fakeSession('s1');
    f.attach(session);
    await f.listTools();
    const progress: number[] = [];
    const long = await f.callTool('ev__trigger-long-running-operation', { duration: 0.3, steps: 3 }, { session, requestId: 41, onProgress: (p) => progress.push(p.progress) });
    expect(text(long)).toMatch(/completed/);
    expect(progress).toEqual([1, 2, 3]);

    const sampled = await f.callTool('ev__trigger-sampling-request', { prompt: 'hello', maxTokens: 5 }, { session, requestId: 42 });
    expect(text(sampled)).toContain('sampled for s1');
    expect(session.requests.find((r) => r.message.method === 'sampling/createMessage')?.relatedRequestId).toBe(42);

    const elicited = await f.callTool('ev__trigger-elicitation-request', {}, { session, requestId: 43 });
    expect(JSON.stringify(elicited)).toContain('blue');
    const roots = await f.callTool('ev__get-roots-list', {}, { session, requestId: 44 });
    expect(text(roots)).toContain('file:///work/project');
  }, 20_000);

  it("a client's refusal reaches the child with the client's code and message, not wrapped twice", async () => {
    const f = federation({ ev: { command: NODE, args: [EVERYTHING] } });
    const session: UpstreamSession = {
      ...fakeSession('refuses'),
      request: async () => {
        throw Object.assign(new Error('MCP error -32602: the user declined'), { code: -32602 });
      },
    };
    f.attach(session);
    await f.listTools();
    const result = JSON.stringify(await f.callTool('ev__trigger-sampling-request', { prompt: 'x', maxTokens: 5 }, { session, requestId: 5 }));
    expect(result).toContain('the user declined');
    expect(result).not.toMatch(/MCP error -32602: MCP error -32602/);
  }, 20_000);

  it('a child asking for sampling gets a clear error when no client can sample', async () => {
    const f = federation({ ev: { command: NODE, args: [EVERYTHING] } });
    const session = fakeSession('nosampling', { sampling: false, elicitation: false, roots: false });
    f.attach(session);
    await f.listTools();
    const result = await f.callTool('ev__trigger-sampling-request', { prompt: 'x', maxTokens: 5 }, { session, requestId: 1 });
    expect(JSON.stringify(result)).toMatch(/no connected client supports sampling/);
    expect(session.requests).toHaveLength(0);
  }, 20_000);

  it('serves resources, templates, prompts and completion from the child', async () => {
    const f = federation({ ev: { command: NODE, args: [EVERYTHING] } });
    const resources = await f.listResources();
    expect(resources.length).toBeGreaterThan(0);
    expect((await f.listResourceTemplates()).map((t) => t.uriTemplate)).toContain('demo://resource/dynamic/text/{resourceId}');
    const read = await f.readResource('demo://resource/dynamic/text/7');
    expect(JSON.stringify(read)).toContain('Resource 7');
    expect((await f.listPrompts()).map((p) => p.name)).toContain('ev__args-prompt');
    const prompt = await f.getPrompt('ev__args-prompt', { city: 'Lyon' });
    expect(JSON.stringify(prompt)).toContain('Lyon');
    const completion = await f.complete({ ref: { type: 'ref/prompt', name: 'ev__completable-prompt' }, argument: { name: 'department', value: 'E' } });
    expect(completion).toMatchObject({ completion: { values: ['Engineering'] } });
    await expect(f.readResource('nowhere://x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  }, 20_000);
});

describe('federation resilience', () => {
  it('a child that crashes mid-call fails that call clearly, is restarted with backoff, and its tools come back', async () => {
    const f = federation({ t: { command: NODE, args: [CHILD] } }, { restartDelayMs: 300 });
    await f.listTools();
    const firstPid = Number(text(await f.callTool('t__pid', {})));
    const crashed = await f.callTool('t__crash', {});
    expect(crashed['isError']).toBe(true);
    expect(text(crashed)).toMatch(/server "t" exited during tools\/call; its stderr ended with: .*about to crash on purpose/);
    // While it is down, calls fail at once instead of waiting.
    const started = Date.now();
    const down = await f.callTool('t__echo', { text: 'x' });
    expect(Date.now() - started).toBeLessThan(200);
    expect(text(down)).toMatch(/server "t" is down .*next attempt in/);
    expect(f.status().children[0]?.state).toBe('restarting');
    await until('restart', () => f.status().children[0]?.state === 'ready');
    expect(f.status().children[0]?.restarts).toBe(1);
    expect(Number(text(await f.callTool('t__pid', {})))).not.toBe(firstPid);
    expect(text(await f.callTool('t__echo', { text: 'back' }))).toBe('echo: back');
  }, 20_000);

  it('a hanging call times out with a clear error and is cancelled at the child; the client can cancel too', async () => {
    const f = federation({ t: { command: NODE, args: [CHILD], timeoutMs: 400 } });
    await f.listTools();
    const timedOut = await f.callTool('t__hang', {});
    expect(text(timedOut)).toMatch(/server "t" did not answer within 400 ms/);
    const controller = new AbortController();
    const call = f.callTool('t__hang', {}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    expect(text(await call)).toMatch(/cancelled/);
    // Both calls were cancelled at the child (the SDK sent notifications/cancelled with the child's request id).
    let stats: { cancelled: number } = { cancelled: 0 };
    for (let i = 0; i < 50 && stats.cancelled < 2; i++) {
      stats = (await f.callTool('t__stats', {}))['structuredContent'] as { cancelled: number };
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(stats).toMatchObject({ cancelled: 2 });
  }, 20_000);

  it('a dead child and a slow child never hold up the listing of the others', async () => {
    const f = federation(
      {
        dead: { command: '/nonexistent/mcp-server' },
        slow: { command: NODE, args: [CHILD], env: { START_DELAY_MS: '4000' } },
        ok: { command: NODE, args: [CHILD] },
      },
      { listWaitMs: 1500 },
    );
    const session = fakeSession('s');
    f.attach(session);
    const started = Date.now();
    const names = (await f.listTools()).map((t) => t.name);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(names).toContain('ok__echo');
    expect(names.some((n) => n.startsWith('slow__'))).toBe(false);
    session.notifications.length = 0;
    const dead = f.status().children.find((c) => c.name === 'dead');
    expect(dead?.state).toBe('restarting');
    expect(dead?.lastError).toMatch(/ENOENT/);
    // The slow one is announced when it is ready.
    await until('list_changed for the slow child', () => session.notifications.some((n) => n.method === 'notifications/tools/list_changed'), 8000);
    expect((await f.listTools()).map((t) => t.name)).toContain('slow__echo');
  }, 20_000);

  it('a flood of log messages and list_changed notifications is throttled and coalesced', async () => {
    const f = federation({ t: { command: NODE, args: [CHILD] } });
    const session = fakeSession('s');
    f.attach(session);
    await f.listTools();
    const before = ((await f.callTool('t__stats', {}))['structuredContent'] as { listTools: number }).listTools;
    await f.callTool('t__flood', { logs: 3000, changes: 500 });
    expect(text(await f.callTool('t__echo', { text: 'still here' }))).toBe('echo: still here');
    await new Promise((r) => setTimeout(r, 300));
    const after = ((await f.callTool('t__stats', {}))['structuredContent'] as { listTools: number }).listTools;
    expect(after - before).toBeLessThanOrEqual(3);
    const logs = session.notifications.filter((n) => n.method === 'notifications/message');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.length).toBeLessThanOrEqual(100);
    expect(logs[0]?.params?.['logger']).toBe('t');
  }, 20_000);

  it('a child that writes garbage to stdout keeps working; the garbage is skipped', async () => {
    const f = federation({ t: { command: NODE, args: [CHILD] } });
    await f.listTools();
    expect(text(await f.callTool('t__garbage', {}))).toBe('answered after garbage');
    expect(text(await f.callTool('t__echo', { text: 'after' }))).toBe('echo: after');
    expect(f.status().children[0]).toMatchObject({ state: 'ready', restarts: 0 });
  }, 20_000);

  it('a tool added at run time is announced to every session and callable', async () => {
    const f = federation({ t: { command: NODE, args: [CHILD] } });
    const a = fakeSession('a');
    const b = fakeSession('b');
    f.attach(a);
    const detachB = f.attach(b);
    await f.listTools();
    a.notifications.length = 0;
    b.notifications.length = 0;
    await f.callTool('t__add_tool', { name: 'late' });
    await until('list_changed', () => a.notifications.some((n) => n.method === 'notifications/tools/list_changed'));
    expect(b.notifications.some((n) => n.method === 'notifications/tools/list_changed')).toBe(true);
    expect(await f.hasTool('t__late')).toBe(true);
    expect(text(await f.callTool('t__late', {}))).toBe('I am late');
    detachB();
  }, 20_000);

  it('passes resource updates to subscribed sessions only, and JSON-RPC errors through with code and data', async () => {
    const f = federation({ t: { command: NODE, args: [CHILD] } });
    const a = fakeSession('a');
    const b = fakeSession('b');
    f.attach(a);
    f.attach(b);
    await f.listResources();
    await f.subscribe('test://note', a);
    await f.callTool('t__touch', { uri: 'test://note' });
    await until('update', () => a.notifications.some((n) => n.method === 'notifications/resources/updated'));
    expect(b.notifications.some((n) => n.method === 'notifications/resources/updated')).toBe(false);
    const error = await f.callTool('t__bad_args', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    // The child's message as it sent it (its SDK put the "MCP error" prefix in itself).
    expect(error).toMatchObject({ code: -32602, message: 'MCP error -32602: bad_args always refuses', data: { hint: 'data kept' } });
  }, 20_000);

  it('subscriptions survive a restart of the child', async () => {
    const f = federation({ t: { command: NODE, args: [CHILD] } }, { restartDelayMs: 100 });
    const a = fakeSession('a');
    f.attach(a);
    await f.listResources();
    await f.subscribe('test://note', a);
    await f.callTool('t__crash', {});
    await until('restart', () => f.status().children[0]?.state === 'ready' && f.status().children[0]?.restarts === 1);
    let stats: { subscribes?: number } = {};
    for (let i = 0; i < 50 && stats.subscribes !== 1; i++) {
      stats = (await f.callTool('t__stats', {}))['structuredContent'] as { subscribes?: number };
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(stats.subscribes).toBe(1);
    await f.callTool('t__touch', { uri: 'test://note' });
    await until('update after restart', () => a.notifications.some((n) => n.method === 'notifications/resources/updated'));
  }, 20_000);

  it('hot reload restarts only the children whose process settings changed', async () => {
    const f = federation({ keep: { command: NODE, args: [CHILD] }, change: { command: NODE, args: [CHILD] }, drop: { command: NODE, args: [CHILD] } });
    await f.listTools();
    const pid = async (name: string) => Number(text(await f.callTool(`${name}__pid`, {})));
    const [keep, change] = [await pid('keep'), await pid('change')];
    await f.apply(
      parseServersConfig({
        mcpServers: {
          keep: { command: NODE, args: [CHILD], descriptions: { echo: 'renamed description' } },
          change: { command: NODE, args: [CHILD], env: { SOMETHING: 'new' } },
          added: { command: NODE, args: [CHILD] },
        },
      }),
    );
    const names = (await f.listTools()).map((t) => t.name);
    expect(names).toContain('added__echo');
    expect(names.some((n) => n.startsWith('drop__'))).toBe(false);
    expect(await pid('keep')).toBe(keep);
    expect(await pid('change')).not.toBe(change);
    expect((await f.listTools()).find((t) => t.name === 'keep__echo')?.['description']).toBe('renamed description');
  }, 20_000);

  it('disabled children are listed with the reason and never started', async () => {
    const f = new Federation();
    open.push(f);
    await f.apply(parseServersConfig({ mcpServers: { jira: { command: 'jira-mcp', env: { TOKEN: '${JIRA_TOKEN_UNSET_HERE}' } } } }, { env: {}, onMissingVariable: 'disable' }));
    expect(await f.listTools()).toEqual([]);
    expect(f.status().children[0]).toMatchObject({ name: 'jira', state: 'disabled', disabledReason: 'missing JIRA_TOKEN_UNSET_HERE' });
    expect(text(await f.callTool('jira__x', {}).catch((e: Error) => ({ content: [{ text: e.message }] })))).toMatch(/no child server offers a tool named "jira__x"/);
  });

  it("apply() resolves once a boot child's process runs, before the child is ready", async () => {
    const f = new Federation();
    open.push(f);
    await f.apply(parseServersConfig({ mcpServers: { t: { command: NODE, args: [CHILD] } } }));
    const child = f.status().children[0];
    expect(child?.state).toBe('starting');
    expect(typeof child?.pid).toBe('number');
    expect(process.kill(child?.pid as number, 0)).toBe(true);
    expect((await f.listTools()).map((t) => t.name)).toContain('t__echo');
    expect(f.status().children[0]).toMatchObject({ state: 'ready', pid: child?.pid });
  }, 20_000);

  it('a child removed, or the federation closed, right after apply() is stopped: no process is left behind', async () => {
    for (const end of ['remove', 'close'] as const) {
      const f = new Federation();
      open.push(f);
      // apply() returns once the process runs, before the SDK's client side has loaded: stop it in that gap
      await f.apply(parseServersConfig({ mcpServers: { t: { command: NODE, args: [CHILD] } } }));
      const child = f.servers()[0];
      const pid = f.status().children[0]?.pid as number;
      expect(typeof pid).toBe('number');
      if (end === 'remove') await f.apply(parseServersConfig({ mcpServers: {} }));
      else await f.close();
      await new Promise((r) => setTimeout(r, 1000));
      expect(child?.state, end).toBe('stopped');
      expect(() => process.kill(pid, 0), `${end}: process ${pid} still runs`).toThrow();
    }
  }, 20_000);

  it('a child that exits as soon as it starts is reported as exited, with the end of its stderr; one that cannot be spawned, with the spawn error', async () => {
    const f = federation({ quick: { command: NODE, args: ['-e', 'console.error("bad config: missing API key"); process.exit(3)'] } }, { restartDelayMs: 60_000 });
    const status = await until('the child to fail', () => {
      const c = f.status().children[0];
      return c?.state === 'restarting' ? c : undefined;
    });
    expect(status.lastError).toMatch(/exit|closed/);
    expect(status.lastError).toContain('bad config: missing API key');
    expect(status.lastError).not.toMatch(/Not connected/);
    // a command that cannot be spawned keeps its own error
    const missing = federation({ missing: { command: '/nonexistent/globalmcp-test-server' } }, { restartDelayMs: 60_000 });
    const failed = await until('the missing command to fail', () => {
      const c = missing.status().children[0];
      return c?.state === 'restarting' ? c : undefined;
    });
    expect(failed.lastError).toMatch(/ENOENT/);
  }, 20_000);

  it('lazy children start on first use', async () => {
    const f = federation({ t: { command: NODE, args: [CHILD], startup: 'lazy' } });
    await new Promise((r) => setTimeout(r, 200));
    expect(f.status().children[0]?.state).toBe('idle');
    expect((await f.listTools()).map((t) => t.name)).toContain('t__echo');
    expect(f.status().children[0]?.state).toBe('ready');
  }, 20_000);

  it('gateway tool names are reserved and count against the budget', async () => {
    const f = federation({ t: { command: NODE, args: [CHILD], prefix: false } }, { reservedToolNames: ['echo', 'a', 'b'] }, undefined, { toolBudget: 6 });
    const names = (await f.listTools()).map((t) => t.name);
    expect(names).not.toContain('echo');
    expect(names).toHaveLength(3);
    expect(f.status().warnings.join('\n')).toMatch(/would be named "echo", which tool "echo" of server .* already has/);
    expect(f.status().warnings.join('\n')).toMatch(/exceed the tool budget of 6/);
  }, 20_000);

  it('a guard hides tools and refuses calls before they reach the child', async () => {
    const guard: ToolGuard = { hide: (t) => (t.name === 'crash' ? 'dangerous' : undefined), refuse: (tool, args) => (tool === 'echo' && args['text'] === 'no' ? 'echo "no" is not allowed' : undefined) };
    const f = federation({ t: { command: NODE, args: [CHILD] } }, {}, new Map([['t', guard]]));
    const names = (await f.listTools()).map((t) => t.name);
    expect(names).not.toContain('t__crash');
    const refused = await f.callTool('t__echo', { text: 'no' });
    expect(refused).toMatchObject({ isError: true });
    expect(text(refused)).toBe('t__echo refused by the gateway: echo "no" is not allowed');
  }, 20_000);
});

describe('remote children', () => {
  it('a Streamable HTTP child whose session expired is re-initialized and the call goes through', async () => {
    const url = await startHttpChild('--http');
    const f = federation({ remote: { url } });
    await f.listTools();
    expect(text(await f.callTool('remote__echo', { text: 'one' }))).toBe('echo: one');
    await fetch(url.replace(/\/mcp$/, '/expire'));
    expect(text(await f.callTool('remote__echo', { text: 'two' }))).toBe('echo: two');
    const stats = (await f.callTool('remote__stats', {}))['structuredContent'];
    // One initialize per session: the first, and the one after the expiry.
    expect(stats).toMatchObject({ initialize: 2 });
    expect(f.status().children[0]).toMatchObject({ state: 'ready', transport: 'http' });
  }, 20_000);

  it('a url without a type falls back to the legacy SSE transport when the server answers 404', async () => {
    const url = await startHttpChild('--sse');
    const f = federation({ old: { url } });
    await f.listTools();
    expect(text(await f.callTool('old__echo', { text: 'fallback' }))).toBe('echo: fallback');
    expect(f.status().children[0]).toMatchObject({ state: 'ready' });
  }, 20_000);

  it('a legacy SSE child works', async () => {
    const url = await startHttpChild('--sse');
    const f = federation({ old: { type: 'sse', url } });
    expect((await f.listTools()).map((t) => t.name)).toContain('old__echo');
    expect(text(await f.callTool('old__echo', { text: 'sse' }))).toBe('echo: sse');
  }, 20_000);
});

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const TEST_CHILD = fileURLToPath(new URL('../../../packages/integrations/test/fixtures/testChild.mjs', import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'globalmcp-cli-servers-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function cli(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('globalmcp servers check', () => {
  it('starts each child, lists its tools, reports failures and exits 1 when one fails', async () => {
    await writeFile(
      join(dir, 'servers.json'),
      JSON.stringify({
        mcpServers: {
          good: { command: process.execPath, args: [TEST_CHILD] },
          broken: { command: join(dir, 'no-such-server') },
          jira: { preset: 'jira' },
        },
      }),
    );
    const run = await cli(['--config-dir', dir, '--json', 'servers', 'check', '--timeout', '20'], { JIRA_URL: '', JIRA_USERNAME: '', JIRA_API_TOKEN: '' });
    expect(run.code, run.stderr).toBe(1);
    const out = JSON.parse(run.stdout) as { servers: { name: string; state: string; tools: string[]; reason?: string; server?: { name: string } }[] };
    expect(out.servers.map((s) => [s.name, s.state])).toEqual([
      ['good', 'ready'],
      ['broken', 'failed'],
      ['jira', 'disabled'],
    ]);
    expect(out.servers[0]?.tools).toContain('echo');
    expect(out.servers[0]?.server?.name).toBe('test-child');
    expect(out.servers[1]?.reason).toMatch(/ENOENT/);
    expect(out.servers[2]?.reason).toBe('missing JIRA_URL, JIRA_USERNAME, JIRA_API_TOKEN');

    const human = await cli(['--config-dir', dir, 'servers', 'check', 'good']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^name +state +tools +ms +server \/ reason\ngood +ready +\d+ +\d+ +test-child 1\.0\.0/);
  }, 60_000);

  it('refuses unknown server names and a bad timeout as usage errors', async () => {
    const unknown = await cli(['--config-dir', dir, 'servers', 'check', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no server named "nope" in .*servers\.json; configured: good, broken, jira/);
    const timeout = await cli(['--config-dir', dir, 'servers', 'check', '--timeout', 'soon']);
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toMatch(/--timeout "soon": expected a positive number of seconds/);
  }, 30_000);
});

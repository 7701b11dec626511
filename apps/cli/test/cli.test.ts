import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compress } from '@globalmcp/freqkv';
import { startFakeModelServer } from '@globalmcp/registry/testing';
import type { FakeModelServer } from '@globalmcp/registry/testing';
import { parseNpy, parseSafetensors, serializeNpy, serializeSafetensors, syntheticSequence } from '@globalmcp/tensor';

const BIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const TENSOR_FIXTURES = fileURLToPath(new URL('../../../packages/tensor/test/fixtures/', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;
let models: FakeModelServer;

function cli(args: readonly string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '', ...options.env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(options.input ?? '');
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'globalmcp-cli-'));
  models = await startFakeModelServer();
  await writeFile(
    join(dir, 'registry.json'),
    JSON.stringify({ ollamaHost: models.url, models: { phi3: 'ollama://phi3', mistral: 'ollama://mistral', llama3: 'ollama://llama3' }, complexity_mapping: { simple: ['phi3'], moderate: ['mistral'], complex: ['llama3'] } }),
  );
  const kv = syntheticSequence({ tokens: 300, dim: 16, seed: 5, dtype: 'float32' });
  await writeFile(join(dir, 'kv.npy'), serializeNpy(kv));
  await writeFile(join(dir, 'kv.safetensors'), serializeSafetensors({ k: kv, v: kv }));
});
afterAll(async () => {
  await models.close();
  await rm(dir, { recursive: true, force: true });
});

async function configDir(name: string): Promise<string> {
  const path = join(dir, name);
  await rm(path, { recursive: true, force: true });
  const { mkdir } = await import('node:fs/promises');
  await mkdir(path);
  await copyFile(join(dir, 'registry.json'), join(path, 'model_registry.json'));
  return path;
}

describe('compress, fuse and pipeline', () => {
  it('round-trips: the file written matches the library result exactly, in every format', async () => {
    const input = parseNpy(new Uint8Array(await readFile(join(dir, 'kv.npy'))));
    const expected = compress(input, { sinkTokens: 4, retention: 0.3 }).tensor;
    for (const out of ['out.npy', 'out.safetensors', 'out.json']) {
      const run = await cli(['compress', 'kv.npy', '-o', out, '--ratio', '0.7']);
      expect(run.code, run.stderr).toBe(0);
      const bytes = new Uint8Array(await readFile(join(dir, out)));
      const back = out.endsWith('.npy') ? parseNpy(bytes) : out.endsWith('.safetensors') ? parseSafetensors(bytes).tensor() : { shape: [], data: new Float32Array((JSON.parse(new TextDecoder().decode(bytes)) as number[][]).flat()) };
      if (!out.endsWith('.json')) expect(back.shape).toEqual(expected.shape);
      expect([...back.data]).toEqual([...expected.data]);
    }
    // and a file the CLI wrote reads back into the CLI
    const again = await cli(['--json', 'compress', 'out.json', '--ratio', '0']);
    expect(JSON.parse(again.stdout).shapeIn).toEqual(expected.shape);
  });

  it('prints stats for people and JSON for scripts, results on stdout and nothing else there', async () => {
    const human = await cli(['compress', 'kv.npy', '--target', '100']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^input +kv\.npy \[300, 16\]\noutput +\[100, 16\] \(not written; give -o FILE\)\ntokens +300 -> 100 \(4 sinks kept raw\)/);
    expect(human.stdout).not.toContain(String.fromCharCode(27));
    const json = await cli(['--json', 'compress', 'kv.safetensors', '--tensor', 'v', '--target', '100']);
    const parsed = JSON.parse(json.stdout) as { shapeOut: number[]; stats: { tokensIn: number; tokensOut: number; energyKept: number } };
    expect(parsed.shapeOut).toEqual([100, 16]);
    expect(parsed.stats).toMatchObject({ tokensIn: 300, tokensOut: 100 });
    expect(parsed.stats.energyKept).toBeGreaterThan(0.9);
  });

  it('fuses into exactly the slots asked and runs the pipeline', async () => {
    const fused = JSON.parse((await cli(['--json', 'fuse', 'kv.npy', '--slots', '32', '-o', 'fused.npy'])).stdout) as { shapeOut: number[]; stats: { fusedSlots: number } };
    expect(fused.shapeOut).toEqual([32, 16]);
    expect(parseNpy(new Uint8Array(await readFile(join(dir, 'fused.npy')))).shape).toEqual([32, 16]);
    const piped = JSON.parse((await cli(['--json', 'pipeline', 'kv.npy', '--slots', '64'])).stdout) as { shapeOut: number[]; stats: { stages: { stage: string }[]; sizeReduction: number } };
    expect(piped.shapeOut).toEqual([64, 16]);
    expect(piped.stats.stages.map((s) => s.stage)).toEqual(['freqkv', 'lococo']);
    expect(piped.stats.sizeReduction).toBeCloseTo(1 - 64 / 300, 6);
  });

  it('refuses unreadable and corrupt files with exit code 1 and the reason', async () => {
    const good = await readFile(join(dir, 'kv.npy'));
    await writeFile(join(dir, 'truncated.npy'), good.subarray(0, good.length - 10));
    await writeFile(join(dir, 'garbage.npy'), 'not a numpy file at all');
    const header = Buffer.from('{"t":{"dtype":"F32","shape":[1000,16],"data_offsets":[0,64000]}}');
    const lying = Buffer.concat([Buffer.alloc(8), header, Buffer.alloc(64)]);
    lying.writeBigUInt64LE(BigInt(header.length), 0);
    await writeFile(join(dir, 'lying.safetensors'), lying);
    await writeFile(join(dir, 'bad.json'), '[[1, 2], [3');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'folder.npy'), { recursive: true });
    const cases: [string[], RegExp][] = [
      [['compress', 'missing.npy'], /missing\.npy: cannot read \(no such file\)/],
      [['compress', 'truncated.npy'], /truncated\.npy: header says shape \[300, 16\] of <f4 \(19200 bytes\) but the file holds 19190 data bytes \(truncated\?\)/],
      [['compress', 'garbage.npy'], /garbage\.npy: not a \.npy file/],
      [['compress', join(TENSOR_FIXTURES, 'f32_fortran_2x3.npy')], /Fortran-ordered arrays are not supported/],
      [['compress', join(TENSOR_FIXTURES, 'i32_4.npy')], /dtype '<i4' is not supported; expected float16, float32 or float64/],
      [['compress', 'lying.safetensors'], /tensor "t": data_offsets \[0, 64000\] run past the 64 data bytes \(truncated\?\)/],
      [['compress', 'bad.json'], /bad\.json: not valid JSON/],
      [['compress', 'folder.npy'], /folder\.npy: cannot read \(is a directory\)/],
    ];
    for (const [args, message] of cases) {
      const run = await cli(args);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe('');
    }
  });

  it('answers bad arguments with exit code 2 and a pointer to --help', async () => {
    const cases: [string[], RegExp][] = [
      [['compress', 'kv.npy', '--ratio', '2'], /--ratio "2": expected a number in \[0, 1\)/],
      [['compress', 'kv.npy', '--ratio', '0.5', '--target', '10'], /give either --ratio or --target, not both/],
      [['compress'], /missing required argument 'in'/],
      [['compress', 'kv.txt'], /unknown tensor format "\.txt"; expected \.npy, \.safetensors, \.json/],
      [['fuse', 'kv.npy'], /required option '--slots <n>' not specified/],
      [['fuse', 'kv.npy', '--slots', 'many'], /--slots "many": expected an integer >= 1/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['models', 'map', 'huge', 'phi3'], /tier "huge": expected simple, moderate or complex/],
      [['route', '   '], /the prompt is empty/],
    ];
    for (const [args, message] of cases) {
      const run = await cli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toMatch(/--help/);
    }
  });

  it('shows examples in the help of every command', async () => {
    for (const command of ['compress', 'fuse', 'pipeline', 'route', 'classify', 'models', 'serve', 'doctor']) {
      const run = await cli([command, '--help']);
      expect(run.code, command).toBe(0);
      expect(run.stdout, command).toMatch(/Examples:\n {2}\$ globalmcp /);
    }
  });
});

describe('classify and route', () => {
  it('classifies prompts from arguments and from stdin lines', async () => {
    const args = JSON.parse((await cli(['--json', 'classify', 'Fix indentation', 'Design microservices'])).stdout) as { tier: string; evidence: unknown[] }[];
    expect(args.map((r) => r.tier)).toEqual(['simple', 'complex']);
    expect(args[0]?.evidence.length).toBeGreaterThan(0);
    const stdin = await cli(['classify'], { input: 'Rename variable\n\nImplement function\n' });
    expect(stdin.stdout).toMatch(/^simple +0\.\d\d +Rename variable\n/m);
    expect(stdin.stdout).toMatch(/^moderate +0\.\d\d +Implement function\n/m);
    expect((await cli(['classify'], { input: '\n' })).code).toBe(2);
  });

  it('routes a prompt to the tier model and reports the attempts on stderr', async () => {
    const config = await configDir('route-config');
    const run = await cli(['--config-dir', config, 'route', 'Rename variable x to count']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('echo(phi3): Rename variable x to count\n');
    expect(run.stderr).toMatch(/tier: simple \(confidence 0\.\d\d, decided by rules\)\nanswered by: phi3\n {2}phi3: ok/);
    const json = JSON.parse((await cli(['--config-dir', config, '--json', 'route', 'Design microservices', '--dry-run'])).stdout) as { chain: string[]; response: unknown };
    expect(json).toMatchObject({ chain: ['llama3', 'mistral'], response: null });
  });

  it('streams the answer, and reads the context from stdin', async () => {
    const config = await configDir('stream-config');
    const run = await cli(['--config-dir', config, 'route', 'Implement function parse', '--context', '-', '--stream'], { input: 'def parse(): pass' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('echo(mistral): Implement function parse\n');
    expect(run.stderr).toMatch(/^moderate \(confidence .*\); trying mistral -> llama3 -> phi3/);
    expect(models.requests.at(-1)?.body).toMatchObject({ system: 'def parse(): pass', stream: true });
  });
});

describe('models and doctor', () => {
  it('adds, maps, lists, checks and removes models in the registry file', async () => {
    const config = await configDir('models-config');
    expect((await cli(['--config-dir', config, 'models', 'add', 'coder', 'ollama://mistral', '--timeout', '60000'])).code).toBe(0);
    expect((await cli(['--config-dir', config, 'models', 'map', 'simple', 'coder', 'phi3'])).stdout).toBe('simple: coder -> phi3\n');
    const saved = JSON.parse(await readFile(join(config, 'model_registry.json'), 'utf8')) as { models: Record<string, unknown>; complexity_mapping: Record<string, string[]> };
    expect(saved.models['coder']).toEqual({ endpoint: 'ollama://mistral', timeoutMs: 60000 });
    expect(saved.complexity_mapping['simple']).toEqual(['coder', 'phi3']);
    const listed = JSON.parse((await cli(['--config-dir', config, '--json', 'models', 'list'])).stdout) as { models: { name: string; tiers: string[] }[] };
    expect(listed.models.find((m) => m.name === 'coder')?.tiers).toEqual(['simple']);
    const check = await cli(['--config-dir', config, 'models', 'check']);
    expect(check.code, check.stdout).toBe(0);
    expect(check.stdout).toMatch(/^coder +ollama:\/\/mistral +up +yes/m);
    expect((await cli(['--config-dir', config, 'models', 'add', 'coder', 'ollama://x'])).stderr).toMatch(/RegistryError INVALID_REQUEST: model "coder" is already registered/);
    expect((await cli(['--config-dir', config, 'models', 'remove', 'coder'])).code).toBe(0);
    expect(JSON.parse(await readFile(join(config, 'model_registry.json'), 'utf8')).complexity_mapping.simple).toEqual(['phi3']);
  });

  it('exits 1 from models check when a mapped model is not installed', async () => {
    const config = await configDir('missing-config');
    await cli(['--config-dir', config, 'models', 'add', 'ghost', 'ollama://ghost']);
    const check = await cli(['--config-dir', config, 'models', 'check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/^ghost +ollama:\/\/ghost +up +no +pull it: ollama pull ghost/m);
  });

  it('doctor reports each check, and fails on a broken config file', async () => {
    const config = await configDir('doctor-config');
    await writeFile(join(config, 'servers.json'), JSON.stringify({ mcpServers: { github: { preset: 'github' }, jira: { preset: 'jira' } } }));
    const ok = await cli(['--config-dir', config, '--json', 'doctor'], { env: { JIRA_URL: '', JIRA_USERNAME: '', JIRA_API_TOKEN: '', GITHUB_PERSONAL_ACCESS_TOKEN: 'x' } });
    expect(ok.code, ok.stdout).toBe(0);
    const report = JSON.parse(ok.stdout) as { ok: boolean; checks: { check: string; status: string; detail: string }[] };
    const byName = Object.fromEntries(report.checks.map((c) => [c.check, c]));
    expect(byName['node']?.status).toBe('ok');
    expect(byName['ollama server']).toMatchObject({ status: 'ok', detail: `${models.url} reachable` });
    expect(byName['tier simple']).toMatchObject({ status: 'ok', detail: 'phi3' });
    expect(byName['servers config']?.status).toBe('ok');
    expect(byName['github server']?.status).toBe('ok');
    expect(byName['jira server']).toMatchObject({ status: 'warn', detail: 'disabled: missing JIRA_URL, JIRA_USERNAME, JIRA_API_TOKEN' });
    await writeFile(join(config, 'model_registry.json'), '{"models": {"a": 42}}');
    const broken = await cli(['--config-dir', config, 'doctor']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/model registry +fail +.*model_registry\.json: \$\.models\.a:/);
  });
});

describe('servers', () => {
  it('lists the configured children, with those missing credentials disabled and the reason', async () => {
    const config = await configDir('servers-config');
    await writeFile(
      join(config, 'servers.json'),
      JSON.stringify({
        mcpServers: {
          filesystem: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '${HOME}/projects'] },
          jira: { command: 'npx', args: ['-y', 'mcp-jira'], env: { JIRA_API_TOKEN: '${JIRA_API_TOKEN}' } },
        },
      }),
    );
    const run = await cli(['--config-dir', config, '--json', 'servers', 'list'], { env: { HOME: '/home/dev', JIRA_API_TOKEN: '' } });
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { servers: { name: string; target: string; state: string }[] };
    expect(out.servers).toEqual([
      expect.objectContaining({ name: 'filesystem', target: 'npx -y @modelcontextprotocol/server-filesystem /home/dev/projects', state: 'enabled' }),
      expect.objectContaining({ name: 'jira', state: 'disabled: missing JIRA_API_TOKEN' }),
    ]);
    const none = await cli(['--config-dir', await configDir('no-servers'), 'servers', 'list']);
    expect(none.stdout).toMatch(/no child servers: .*servers\.json does not exist/);
    await writeFile(join(config, 'servers.json'), '{"mcpServers": {"x": {"command": 42}}}');
    const broken = await cli(['--config-dir', config, 'servers', 'list']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/IntegrationsError CONFIG_INVALID: .*servers\.json/);
  });
});

describe('serve', () => {
  it('starts the HTTP server, which answers /health', async () => {
    const config = await configDir('serve-config');
    const child = spawn(process.execPath, [BIN, '--config-dir', config, 'serve', '--http', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        const m = /listening on (http:\/\/\S+)\/mcp/.exec(stderr);
        if (m) resolve(m[1] as string);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    const health = (await (await fetch(`${url}/health`)).json()) as { status: string; models: unknown[] };
    expect(health.models).toHaveLength(3);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

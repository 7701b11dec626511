import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_CHILD_TIMEOUT_MS,
  IntegrationsError,
  childEnvironment,
  loadServersConfig,
  parseServersConfig,
  parseServersFile,
} from '../src/index.ts';
import type { ChildServerConfig, ServersConfigOptions } from '../src/index.ts';

const FILE = 'config/servers.json';

/** The seed's config/servers.json, as it is. */
const SEED = {
  mcpServers: {
    filesystem: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '${HOME}/projects'] },
    github: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'], env: { GITHUB_PERSONAL_ACCESS_TOKEN: '${GITHUB_PERSONAL_ACCESS_TOKEN}' } },
    jira: {
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-jira'],
      env: { JIRA_URL: '${JIRA_URL}', JIRA_USERNAME: '${JIRA_USERNAME}', JIRA_API_TOKEN: '${JIRA_API_TOKEN}' },
    },
  },
};

const FULL_ENV = {
  HOME: '/home/ada',
  GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_secret',
  JIRA_URL: 'https://example.atlassian.net',
  JIRA_USERNAME: 'ada@example.com',
  JIRA_API_TOKEN: 'jira-secret',
};

function parse(raw: unknown, options: ServersConfigOptions = {}) {
  return parseServersConfig(raw, { file: FILE, env: {}, ...options });
}

function errorOf(fn: () => unknown): IntegrationsError {
  try {
    fn();
  } catch (error) {
    if (error instanceof IntegrationsError) return error;
    throw error;
  }
  throw new Error('expected an IntegrationsError');
}

async function rejectionOf(promise: Promise<unknown>): Promise<IntegrationsError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof IntegrationsError) return error;
    throw error;
  }
  throw new Error('expected an IntegrationsError');
}

function server(config: { servers: readonly ChildServerConfig[] }, name: string): ChildServerConfig {
  const found = config.servers.find((s) => s.name === name);
  if (found === undefined) throw new Error(`no server ${name}`);
  return found;
}

describe("the seed's mcpServers file", () => {
  it('resolves every server when the variables are set, with the defaults applied', () => {
    const config = parse(SEED, { env: FULL_ENV });
    expect(config.format).toBe('mcpServers');
    expect(config.file).toBe(FILE);
    expect(config.toolBudget).toBe(128);
    expect(config.budgetPolicy).toBe('truncate');
    expect(config.servers.map((s) => s.name)).toEqual(['filesystem', 'github', 'jira']);
    expect(server(config, 'filesystem')).toEqual({
      name: 'filesystem',
      transport: 'stdio',
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-filesystem', '/home/ada/projects'],
      env: {},
      headers: {},
      prefix: 'filesystem',
      allow: [],
      deny: [],
      descriptions: {},
      startup: 'boot',
      timeoutMs: DEFAULT_CHILD_TIMEOUT_MS,
      inheritEnv: [],
      missingVariables: [],
      forward: { sampling: true, elicitation: true, roots: true },
    });
    expect(server(config, 'github').env).toEqual({ GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_secret' });
    expect(server(config, 'jira').env).toEqual({ JIRA_URL: 'https://example.atlassian.net', JIRA_USERNAME: 'ada@example.com', JIRA_API_TOKEN: 'jira-secret' });
    expect(config.servers.every((s) => s.disabledReason === undefined)).toBe(true);
  });

  it('fails by default when credentials are missing, naming the file, the field, the server and the variable', () => {
    const error = errorOf(() => parse(SEED, { env: { HOME: '/home/ada' } }));
    expect(error.code).toBe('MISSING_VARIABLE');
    expect(error.file).toBe(FILE);
    expect(error.missing).toEqual([
      { server: 'github', field: '$.mcpServers.github.env.GITHUB_PERSONAL_ACCESS_TOKEN', variable: 'GITHUB_PERSONAL_ACCESS_TOKEN' },
      { server: 'jira', field: '$.mcpServers.jira.env.JIRA_URL', variable: 'JIRA_URL' },
      { server: 'jira', field: '$.mcpServers.jira.env.JIRA_USERNAME', variable: 'JIRA_USERNAME' },
      { server: 'jira', field: '$.mcpServers.jira.env.JIRA_API_TOKEN', variable: 'JIRA_API_TOKEN' },
    ]);
    expect(error.message.split('\n')[0]).toBe(
      'config/servers.json: $.mcpServers.github.env.GITHUB_PERSONAL_ACCESS_TOKEN: server "github" needs environment variable GITHUB_PERSONAL_ACCESS_TOKEN, ' +
        'which is not set; set it, write ${GITHUB_PERSONAL_ACCESS_TOKEN:-default}, or set "disabled": true on the server',
    );
    expect(error.message.split('\n')).toHaveLength(4);
  });

  it('disables the servers whose credentials are missing when asked, and keeps the others', () => {
    const config = parse(SEED, { env: { HOME: '/home/ada', JIRA_URL: 'https://example.atlassian.net' }, onMissingVariable: 'disable' });
    const filesystem = server(config, 'filesystem');
    const github = server(config, 'github');
    const jira = server(config, 'jira');
    expect(filesystem.disabledReason).toBeUndefined();
    expect(filesystem.args[2]).toBe('/home/ada/projects');
    expect(github.disabledReason).toBe('missing GITHUB_PERSONAL_ACCESS_TOKEN');
    expect(github.missingVariables).toEqual(['GITHUB_PERSONAL_ACCESS_TOKEN']);
    expect(jira.disabledReason).toBe('missing JIRA_USERNAME, JIRA_API_TOKEN');
    expect(jira.missingVariables).toEqual(['JIRA_USERNAME', 'JIRA_API_TOKEN']);
    // A server that will not start keeps its fields as written: the JIRA_URL that was set is not copied in.
    expect(jira.env).toEqual({ JIRA_URL: '${JIRA_URL}', JIRA_USERNAME: '${JIRA_USERNAME}', JIRA_API_TOKEN: '${JIRA_API_TOKEN}' });
  });

  it('parses a server whose npm package does not exist: the file is only configuration', () => {
    const jira = server(parse(SEED, { env: FULL_ENV }), 'jira');
    expect(jira.transport).toBe('stdio');
    expect(jira.command).toBe('npx');
    expect(jira.args).toEqual(['-y', '@modelcontextprotocol/server-jira']);
  });
});

describe('the two formats', () => {
  it("accepts VS Code's servers format with stdio, http and sse entries", () => {
    const config = parse(
      {
        servers: {
          memory: { type: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'], env: { DEBUG: '1' }, envFile: '${workspaceFolder}/.env' },
          github: { type: 'http', url: 'https://api.githubcopilot.com/mcp/', headers: { Authorization: 'Bearer ${GITHUB_PERSONAL_ACCESS_TOKEN}' } },
          legacy: { type: 'sse', url: 'http://127.0.0.1:3001/sse' },
        },
      },
      { env: { workspaceFolder: '/src/app', GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_x' } },
    );
    expect(config.format).toBe('servers');
    const memory = server(config, 'memory');
    expect(memory).toMatchObject({ transport: 'stdio', command: 'npx', env: { DEBUG: '1' }, envFile: '/src/app/.env', prefix: 'memory' });
    expect(server(config, 'github')).toMatchObject({ transport: 'http', url: 'https://api.githubcopilot.com/mcp/', headers: { Authorization: 'Bearer ghp_x' }, args: [], env: {} });
    expect(server(config, 'legacy')).toMatchObject({ transport: 'sse', url: 'http://127.0.0.1:3001/sse', headers: {} });
  });

  it('infers the transport from command or url, and takes "type" or "transport" in the mcpServers format', () => {
    const config = parse({
      mcpServers: {
        local: { command: 'node', args: ['server.js'], cwd: '/opt/local' },
        remote: { url: 'http://127.0.0.1:9000/mcp' },
        events: { url: 'http://127.0.0.1:9001/sse', transport: 'sse' },
        both: { url: 'http://127.0.0.1:9002/sse', type: 'sse', transport: 'sse' },
      },
    });
    expect(config.servers.map((s) => [s.name, s.transport])).toEqual([
      ['local', 'stdio'],
      ['remote', 'http'],
      ['events', 'sse'],
      ['both', 'sse'],
    ]);
    expect(server(config, 'local').cwd).toBe('/opt/local');
  });

  it('accepts an empty server list and a copied mcp.json with an empty "inputs" list', () => {
    expect(parse({ mcpServers: {} }).servers).toEqual([]);
    expect(parse({ servers: {}, inputs: [] }).format).toBe('servers');
  });

  it('reads the budget settings', () => {
    const config = parse({ mcpServers: {}, toolBudget: 40, budgetPolicy: 'error' });
    expect(config.toolBudget).toBe(40);
    expect(config.budgetPolicy).toBe('error');
  });
});

describe('gateway options', () => {
  it('defaults the prefix to the sanitized server name, and takes false or "" for none', () => {
    const config = parse({
      mcpServers: {
        'my server.v2': { command: 'a' },
        plain: { command: 'b', prefix: false },
        empty: { command: 'c', prefix: '' },
        custom: { command: 'd', prefix: 'gh-2' },
      },
    });
    expect(config.servers.map((s) => s.prefix)).toEqual(['my_server_v2', undefined, undefined, 'gh-2']);
  });

  it('carries allow, deny, descriptions, startup, timeoutMs and inheritEnv through unchanged', () => {
    const fs = server(
      parse({
        mcpServers: {
          fs: {
            command: 'npx',
            allow: ['read_*', 'list_?'],
            deny: ['*write*'],
            descriptions: { read_file: 'Read a file of the repository' },
            startup: 'lazy',
            timeoutMs: 300_000,
            inheritEnv: ['HTTPS_PROXY', 'NODE_EXTRA_CA_CERTS'],
          },
        },
      }),
      'fs',
    );
    expect(fs).toMatchObject({
      allow: ['read_*', 'list_?'],
      deny: ['*write*'],
      descriptions: { read_file: 'Read a file of the repository' },
      startup: 'lazy',
      timeoutMs: 300_000,
      inheritEnv: ['HTTPS_PROXY', 'NODE_EXTRA_CA_CERTS'],
    });
  });

  it('reports a server marked disabled as such and leaves its fields uninterpolated', () => {
    const config = parse({ mcpServers: { jira: { command: 'npx', args: ['${JIRA_PKG}'], env: { JIRA_API_TOKEN: '${JIRA_API_TOKEN}' }, disabled: true } } });
    const jira = server(config, 'jira');
    expect(jira.disabledReason).toBe('disabled in config');
    expect(jira.args).toEqual(['${JIRA_PKG}']);
    expect(jira.env).toEqual({ JIRA_API_TOKEN: '${JIRA_API_TOKEN}' });
    expect(jira.missingVariables).toEqual([]);
  });

  it('does not even check the references of a disabled server', () => {
    const config = parse({ mcpServers: { old: { url: '${input:url}', disabled: true } } });
    expect(server(config, 'old')).toMatchObject({ transport: 'http', url: '${input:url}', disabledReason: 'disabled in config' });
  });
});

describe('interpolation', () => {
  const one = (entry: object, env: Record<string, string>) => server(parse({ mcpServers: { s: entry } }, { env }), 's');

  it('replaces ${VAR} in command, args, env values, cwd, url and header values', () => {
    const stdio = one({ command: '${BIN}/server', args: ['--root', '${ROOT}', 'x${A}y${B}z'], env: { TOKEN: '${SECRET}' }, cwd: '${ROOT}' }, { BIN: '/usr/bin', ROOT: '/r', A: '1', B: '2', SECRET: 's3' });
    expect(stdio).toMatchObject({ command: '/usr/bin/server', args: ['--root', '/r', 'x1y2z'], env: { TOKEN: 's3' }, cwd: '/r' });
    const remote = one({ url: 'https://${HOST}/mcp', headers: { Authorization: 'Bearer ${TOKEN}' } }, { HOST: 'mcp.example.com', TOKEN: 't' });
    expect(remote).toMatchObject({ url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer t' } });
  });

  it('uses ${VAR:-default} when the variable is unset or empty, and the value otherwise', () => {
    const entry = { command: 'x', args: ['${PORT:-8080}', '${EMPTY:-fallback}', '${SET:-unused}', '${NONE:-}'] };
    expect(one(entry, { EMPTY: '', SET: 'given' }).args).toEqual(['8080', 'fallback', 'given', '']);
  });

  it('counts a variable set to the empty string as missing (an empty credential is no credential), unless a default allows it', () => {
    expect(() => one({ command: 'x', env: { A: '${EMPTY}' } }, { EMPTY: '' })).toThrow(/EMPTY/);
    expect(one({ command: 'x', env: { A: '${EMPTY:-}' } }, { EMPTY: '' }).env).toEqual({ A: '' });
  });

  it("accepts VS Code's ${env:VAR} and keeps $${ as a literal ${", () => {
    expect(one({ command: 'x', args: ['${env:HOME}', '$${NOT_A_VAR}', 'cost: $5', '$HOME'] }, { HOME: '/h' }).args).toEqual(['/h', '${NOT_A_VAR}', 'cost: $5', '$HOME']);
  });

  it('leaves the server key, prefix, globs and descriptions literal', () => {
    const s = one({ command: 'x', prefix: 'p', allow: ['${A}'], descriptions: { t: 'uses ${A}' } }, { A: 'no' });
    expect(s).toMatchObject({ prefix: 'p', allow: ['${A}'], descriptions: { t: 'uses ${A}' } });
  });

  it('refuses malformed references, naming the field and what was expected', () => {
    const error = errorOf(() =>
      parse({ mcpServers: { a: { command: 'x', args: ['${1BAD}'] }, b: { url: 'http://h/${input:token}' }, c: { command: 'x', env: { K: 'abc${OPEN' } } } }),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message.split('\n')).toEqual([
      'config/servers.json: $.mcpServers.a.args[0]: malformed reference ${1BAD}; expected ${NAME} or ${NAME:-default} with NAME of letters, digits and "_"',
      'config/servers.json: $.mcpServers.b.url: VS Code input variables such as ${input:token} are not supported by the gateway; set an environment variable and write ${NAME}',
      'config/servers.json: $.mcpServers.c.env.K: unterminated "${" in "abc${OPEN"; write ${NAME} or ${NAME:-default}, or $${ for a literal "${"',
    ]);
  });

  it('checks the URL after interpolation but quotes it as written, so a token never reaches the message', () => {
    const error = errorOf(() => parse({ mcpServers: { r: { url: '${BASE}/mcp?key=${KEY}' } } }, { env: { BASE: 'ftp://files', KEY: 'secret' } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe('config/servers.json: $.mcpServers.r.url: expected an http:// or https:// URL (got "${BASE}/mcp?key=${KEY}")');
    expect(error.message).not.toContain('secret');
  });

  it('reports a missing variable in a quoted server name with a bracketed JSON path', () => {
    const error = errorOf(() => parse({ servers: { 'my server': { type: 'http', url: 'https://h/mcp', headers: { 'X-Key': '${KEY}' } } } }));
    expect(error.missing).toEqual([{ server: 'my server', field: '$.servers["my server"].headers.X-Key', variable: 'KEY' }]);
  });

  it('lists a variable once in the reason even when it is used twice', () => {
    const s = server(parse({ mcpServers: { s: { command: 'x', args: ['${T}', '${T}'] } } }, { onMissingVariable: 'disable' }), 's');
    expect(s.disabledReason).toBe('missing T');
  });
});

describe('files that are wrong', () => {
  const message = (raw: unknown) => errorOf(() => parse(raw)).message;

  it('refuses a file with neither mcpServers nor servers, or with both', () => {
    expect(message({})).toBe('config/servers.json: $: expected "mcpServers" (the Claude Desktop format) or "servers" (the VS Code format), found neither');
    expect(message({ mcpServers: {}, servers: {} })).toBe('config/servers.json: $: found both "mcpServers" and "servers"; use one of them');
    expect(errorOf(() => parse({ mcpServers: {}, servers: {} })).code).toBe('CONFIG_INVALID');
  });

  it('refuses a document that is not an object', () => {
    expect(message([])).toBe('config/servers.json: $: Invalid input: expected object, received array (got an array of length 0)');
  });

  it('names unknown keys, so typos do not pass silently', () => {
    expect(message({ mcpServers: { a: { command: 'x', arg: ['y'] } } })).toBe('config/servers.json: $.mcpServers.a: unknown key(s) "arg"');
    expect(message({ mcpServers: {}, toolbudget: 10 })).toBe('config/servers.json: $: unknown key(s) "toolbudget"');
  });

  it('names the field and the value of the wrong type', () => {
    expect(message({ mcpServers: { github: { command: 'npx', args: '-y' } } })).toBe('config/servers.json: $.mcpServers.github.args: expected an array of string arguments (got "-y")');
    expect(message({ mcpServers: { github: { command: 'npx', env: { PORT: 8080 } } } })).toBe(
      'config/servers.json: $.mcpServers.github.env.PORT: expected a string environment variable value (got 8080)',
    );
    expect(message({ mcpServers: { a: { command: 'x', type: 'tcp' } } })).toBe('config/servers.json: $.mcpServers.a.type: expected "stdio", "http" or "sse" (got "tcp")');
    expect(message({ mcpServers: { a: { command: 'x', prefix: 'git.hub' } } })).toBe(
      'config/servers.json: $.mcpServers.a.prefix: expected a prefix of letters, digits, "_" and "-", or false (or "") for none (got "git.hub")',
    );
    expect(message({ mcpServers: { a: { command: 'x', prefix: true } } })).toContain('$.mcpServers.a.prefix: expected a prefix of letters');
    expect(message({ mcpServers: { a: { command: 'x', startup: 'eager' } } })).toBe('config/servers.json: $.mcpServers.a.startup: expected "boot" or "lazy" (got "eager")');
    expect(message({ mcpServers: { a: { command: 'x', inheritEnv: ['NOT-A-NAME'] } } })).toBe(
      'config/servers.json: $.mcpServers.a.inheritEnv[0]: expected an environment variable name (got "NOT-A-NAME")',
    );
    expect(message({ mcpServers: { a: { command: 'x', timeoutMs: 0 } } })).toBe('config/servers.json: $.mcpServers.a.timeoutMs: Too small: expected number to be >=1 (got 0)');
    expect(message({ mcpServers: {}, toolBudget: 0 })).toBe('config/servers.json: $.toolBudget: Too small: expected number to be >=1 (got 0)');
    expect(message({ mcpServers: {}, budgetPolicy: 'drop' })).toBe('config/servers.json: $.budgetPolicy: expected "truncate" or "error" (got "drop")');
    expect(message({ mcpServers: { a: 'npx server' } })).toContain('$.mcpServers.a: Invalid input: expected object, received string');
  });

  it('refuses entries whose fields do not fit their transport', () => {
    expect(message({ mcpServers: { a: {} } })).toBe('config/servers.json: $.mcpServers.a: expected "command" (a stdio server) or "url" (an http or sse server)');
    expect(message({ mcpServers: { a: { command: 'x', url: 'http://h' } } })).toBe(
      'config/servers.json: $.mcpServers.a: has both "command" (a stdio server) and "url" (an http or sse server); remove one, or set "type"',
    );
    expect(message({ servers: { a: { type: 'stdio', url: 'http://h', headers: {} } } }).split('\n')).toEqual([
      'config/servers.json: $.servers.a.command: a stdio server needs "command"',
      'config/servers.json: $.servers.a.url: "url" is for http and sse servers; this one is stdio',
      'config/servers.json: $.servers.a.headers: "headers" is for http and sse servers; this one is stdio',
    ]);
    expect(message({ servers: { a: { type: 'http', command: 'x', inheritEnv: ['PATH'] } } }).split('\n')).toEqual([
      'config/servers.json: $.servers.a.url: an http server needs "url"',
      'config/servers.json: $.servers.a.command: "command" is for stdio servers; this one is http',
      'config/servers.json: $.servers.a.inheritEnv: "inheritEnv" is for stdio servers; this one is http',
    ]);
    expect(message({ mcpServers: { a: { url: 'http://h', type: 'http', transport: 'sse' } } })).toBe(
      'config/servers.json: $.mcpServers.a.transport: "transport" is "sse" but "type" is "http"; give one of them',
    );
  });

  it('refuses VS Code input prompts, which a gateway cannot show', () => {
    expect(message({ servers: {}, inputs: [{ id: 'token', type: 'promptString' }] })).toBe(
      'config/servers.json: $.inputs: VS Code input prompts are not supported by the gateway; set environment variables and write ${NAME} instead',
    );
  });

  it('reports every problem of the file at once', () => {
    const lines = message({ mcpServers: { a: { command: 1 }, b: { url: 2 } }, toolBudget: -1 }).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^config\/servers\.json: \$\.mcpServers\.a\.command: /);
    expect(lines[1]).toMatch(/^config\/servers\.json: \$\.mcpServers\.b\.url: /);
    expect(lines[2]).toMatch(/^config\/servers\.json: \$\.toolBudget: /);
  });

  it('validates the shape alone with parseServersFile, without looking at variables', () => {
    expect(parseServersFile(SEED, FILE).mcpServers?.['jira']?.env).toEqual(SEED.mcpServers.jira.env);
    expect(errorOf(() => parseServersFile({ servers: [] }, FILE)).message).toContain('$.servers: expected an object of server names to server entries');
  });
});

describe('the child environment', () => {
  it('copies only the inherited variables that are set, and lets the entry env win', () => {
    const gateway = { PATH: '/bin', HTTPS_PROXY: 'http://proxy:3128', GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_secret', LANG: 'C' };
    expect(childEnvironment({ inheritEnv: ['HTTPS_PROXY', 'LANG', 'NOT_SET'], env: { LANG: 'en_GB.UTF-8', DEBUG: '1' } }, gateway)).toEqual({
      HTTPS_PROXY: 'http://proxy:3128',
      LANG: 'en_GB.UTF-8',
      DEBUG: '1',
    });
  });

  it('hands a child nothing of the gateway by default', () => {
    expect(childEnvironment({ inheritEnv: [], env: {} }, { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_secret' })).toEqual({});
  });
});

describe('loading a file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'globalmcp-integrations-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the file, names it in messages and tolerates a byte-order mark', async () => {
    const path = join(dir, 'servers.json');
    await writeFile(path, `\uFEFF${JSON.stringify(SEED, null, 2)}`);
    const config = await loadServersConfig(path, { env: FULL_ENV });
    expect(config.file).toBe(path);
    expect(config.servers).toHaveLength(3);
    const error = await rejectionOf(loadServersConfig(path, { env: {} }));
    expect(error.code).toBe('MISSING_VARIABLE');
    expect(error.message.startsWith(`${path}: $.mcpServers.filesystem.args[2]: server "filesystem" needs environment variable HOME`)).toBe(true);
  });

  it('says CONFIG_NOT_FOUND with the path when the file does not exist', async () => {
    const path = join(dir, 'nope.json');
    const error = await rejectionOf(loadServersConfig(path));
    expect(error.code).toBe('CONFIG_NOT_FOUND');
    expect(error.message).toBe(`servers config not found: ${path}`);
  });

  it('gives the line and column of invalid JSON', async () => {
    const path = join(dir, 'broken.json');
    await writeFile(path, '{\n  "mcpServers": {\n    "a": { "command": "x", }\n  }\n}\n');
    const error = await rejectionOf(loadServersConfig(path, { env: {} }));
    expect(error.code).toBe('CONFIG_INVALID');
    // Line 3, column 28 is the "}" after the trailing comma.
    expect(error.message.startsWith(`${path}:3:28: invalid JSON: `)).toBe(true);
    expect(error.message).not.toMatch(/at position/);
  });
});

import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { formatConfigIssues } from './configIssues.js';
import type { ToolGuard } from './federation.js';
import type { ChildServerConfig, ServerEntry } from './serversConfig.js';

/**
 * Ready-made child servers for the seed's integrations. An entry `{"preset": "jira"}` in servers.json becomes a
 * full entry; prefix, allow, deny, descriptions, startup, disabled, timeoutMs and forward can still be set on it.
 */
export const PRESET_NAMES = ['filesystem', 'github', 'jira'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** Versions the presets start with `npx` when the server is not installed beside this package. */
export const FILESYSTEM_SERVER = { package: '@modelcontextprotocol/server-filesystem', version: '2026.8.31', bin: 'dist/index.js' } as const;
export const JIRA_SERVER = { package: '@nexus2520/jira-mcp-server', version: '1.2.0', bin: 'build/index.js' } as const;
/** GitHub's hosted MCP server (Streamable HTTP, bearer PAT). */
export const GITHUB_HOSTED_URL = 'https://api.githubcopilot.com/mcp/';
/** GitHub's own server binary (github/github-mcp-server), used when it is on PATH. */
export const GITHUB_BINARY = 'github-mcp-server';
/** Its file name next to servers.json. */
export const FILESYSTEM_CONFIG_FILE = 'filesystem_config.json';

export interface FilesystemRoot {
  /** Absolute, as configured (not resolved through symlinks). */
  readonly path: string;
  readonly readOnly: boolean;
}

/** What a preset entry was made from; kept on the resolved server for its guard and for status output. */
export type PresetInfo =
  | { readonly name: 'filesystem'; readonly configFile: string; readonly roots: readonly FilesystemRoot[] }
  | { readonly name: 'github'; readonly mode: 'hosted' | 'binary'; readonly owner?: string; readonly repo?: string }
  | { readonly name: 'jira' };

export interface PresetContext {
  /** Where filesystem_config.json is looked for; relative paths in it are relative to it. */
  readonly configDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Finds an executable on PATH (default: a PATH search in `env`). */
  readonly which?: (command: string) => string | undefined;
}

export interface ExpandedPreset {
  /** A complete entry, with `${VAR}` references still to be resolved like any other entry's. */
  readonly entry: ServerEntry;
  readonly info: PresetInfo | undefined;
  /** Why the preset cannot run (e.g. no filesystem_config.json), when it cannot. */
  readonly disabledReason?: string;
  /** Problems in the preset's own config file: lines for `CONFIG_INVALID`. */
  readonly problems: readonly string[];
}

const FilesystemConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  paths: z
    .array(
      z.union([
        z.string().min(1, { error: 'expected a non-empty path' }),
        z.strictObject({ path: z.string().min(1, { error: 'expected a non-empty path' }), readOnly: z.boolean({ error: 'expected true or false' }).optional() }),
      ], { error: 'expected a path, or {"path": "...", "readOnly": true}' }),
      { error: 'expected an array of directories' },
    )
    .min(1, { error: 'expected at least one directory' }),
});

/** Turns a preset entry into a full one. Fields set on the entry win over the preset's, except what runs it. */
export function expandPreset(name: PresetName, entry: ServerEntry, context: PresetContext): ExpandedPreset {
  const { preset: _preset, ...own } = entry;
  switch (name) {
    case 'filesystem':
      return filesystemPreset(own, context);
    case 'github':
      return githubPreset(own, context);
    case 'jira':
      return {
        entry: {
          ...nodeCommand(JIRA_SERVER),
          ...own,
          // The server falls back to a placeholder domain without JIRA_BASE_URL, so JIRA_URL is required here.
          env: { JIRA_BASE_URL: '${JIRA_URL}', JIRA_EMAIL: '${JIRA_USERNAME}', JIRA_API_TOKEN: '${JIRA_API_TOKEN}', ...own.env },
        },
        info: { name: 'jira' },
        problems: [],
      };
  }
}

function filesystemPreset(own: ServerEntry, context: PresetContext): ExpandedPreset {
  const configFile = join(context.configDir, FILESYSTEM_CONFIG_FILE);
  const base = { ...nodeCommand(FILESYSTEM_SERVER), ...own, forward: { roots: false, ...own.forward } };
  if (!existsSync(configFile)) {
    return { entry: base, info: undefined, disabledReason: `no ${configFile}: list the directories it may use there`, problems: [] };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(configFile, 'utf8'));
  } catch (error) {
    return { entry: base, info: undefined, problems: [`${configFile}: invalid JSON: ${(error as Error).message}`] };
  }
  const parsed = FilesystemConfigSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) return { entry: base, info: undefined, problems: [formatConfigIssues(configFile, parsed.error.issues)] };
  const dir = dirname(configFile);
  const roots = parsed.data.paths.map((p) => {
    const given = typeof p === 'string' ? p : p.path;
    const expanded = given === '~' || given.startsWith('~/') ? join(homedir(), given.slice(1)) : given;
    return { path: resolve(dir, expanded), readOnly: typeof p === 'string' ? false : p.readOnly === true };
  });
  const problems = roots.filter((r) => !isDirectory(r.path)).map((r) => `${configFile}: ${r.path} is not a directory`);
  return {
    // The server gets every directory; the gateway enforces which are read-only. Roots are not forwarded: the
    // server would replace these directories with the client's roots.
    entry: { ...base, args: [...(base.args ?? []), ...roots.map((r) => r.path)] },
    info: { name: 'filesystem', configFile, roots },
    problems,
  };
}

function githubPreset(own: ServerEntry, context: PresetContext): ExpandedPreset {
  const env = context.env;
  const binary = (context.which ?? ((command: string) => findOnPath(command, env)))(GITHUB_BINARY);
  const defaults = { ...(env['GITHUB_OWNER'] ? { owner: env['GITHUB_OWNER'] } : {}), ...(env['GITHUB_REPO'] ? { repo: env['GITHUB_REPO'] } : {}) };
  if (binary !== undefined) {
    const passed = Object.fromEntries(['GITHUB_HOST', 'GITHUB_TOOLSETS', 'GITHUB_READ_ONLY'].filter((k) => env[k]).map((k) => [k, `\${${k}}`]));
    return {
      entry: { command: binary, args: ['stdio'], ...own, env: { GITHUB_PERSONAL_ACCESS_TOKEN: '${GITHUB_PERSONAL_ACCESS_TOKEN}', ...passed, ...own.env } },
      info: { name: 'github', mode: 'binary', ...defaults },
      problems: [],
    };
  }
  return {
    entry: { type: 'http', url: GITHUB_HOSTED_URL, ...own, headers: { Authorization: 'Bearer ${GITHUB_PERSONAL_ACCESS_TOKEN}', ...own.headers } },
    info: { name: 'github', mode: 'hosted', ...defaults },
    problems: [],
  };
}

/** The installed server run with this Node, or `npx -y package@version` when it is not installed. */
function nodeCommand(server: { readonly package: string; readonly version: string; readonly bin: string }): Pick<ServerEntry, 'command' | 'args'> {
  try {
    const packageJson = createRequire(import.meta.url).resolve(`${server.package}/package.json`);
    const bin = join(dirname(packageJson), server.bin);
    if (existsSync(bin)) return { command: process.execPath, args: [bin] };
  } catch {
    // Not installed: npx fetches it on first start.
  }
  return { command: 'npx', args: ['-y', `${server.package}@${server.version}`] };
}

function findOnPath(command: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const extensions = process.platform === 'win32' ? (env['PATHEXT'] ?? '.EXE;.CMD').split(';') : [''];
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    for (const ext of extensions) {
      const candidate = join(dir, command + ext);
      if (isFile(candidate)) return candidate;
    }
  }
  return undefined;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

// ---- guards ----

/** server-filesystem's tools that write, and the arguments that name what they write. */
export const FILESYSTEM_WRITE_TOOLS: Readonly<Record<string, readonly string[]>> = {
  write_file: ['path'],
  edit_file: ['path'],
  create_directory: ['path'],
  move_file: ['source', 'destination'],
};

/** The gateway-side rules of each preset server, by server name. */
export function presetGuards(servers: readonly ChildServerConfig[]): Map<string, ToolGuard> {
  const guards = new Map<string, ToolGuard>();
  for (const server of servers) {
    const info = server.preset;
    if (info?.name === 'filesystem') guards.set(server.name, filesystemGuard(info.roots));
    if (info?.name === 'github' && (info.owner !== undefined || info.repo !== undefined)) guards.set(server.name, githubDefaults({ ...(info.owner ? { owner: info.owner } : {}), ...(info.repo ? { repo: info.repo } : {}) }));
  }
  return guards;
}

/**
 * Read-only directories for server-filesystem: its write tools are refused when a path they write (after
 * `~`, relative paths and symlinks are resolved as the server resolves them) lies under a read-only directory
 * and under no more specific writable one; when every directory is read-only the write tools are not listed.
 */
export function filesystemGuard(roots: readonly FilesystemRoot[]): ToolGuard {
  const resolved = roots.map((r) => ({ ...r, real: realOrSelf(r.path) }));
  const allReadOnly = roots.every((r) => r.readOnly);
  return {
    hide: (tool) => (allReadOnly && tool.name in FILESYSTEM_WRITE_TOOLS ? 'every directory is read-only' : undefined),
    refuse(tool, args) {
      const fields = FILESYSTEM_WRITE_TOOLS[tool];
      if (fields === undefined) return undefined;
      for (const field of fields) {
        const value = args[field];
        if (typeof value !== 'string') continue;
        const target = realTarget(value, roots[0]?.path ?? process.cwd());
        const owner = resolved.filter((r) => within(target, r.real) || within(target, r.path)).sort((a, b) => b.real.length - a.real.length)[0];
        if (owner?.readOnly === true) return `${field} ${JSON.stringify(value)} is under ${owner.path}, which is read-only in ${FILESYSTEM_CONFIG_FILE}`;
      }
      return undefined;
    },
  };
}

/** Fills `owner` and `repo` from GITHUB_OWNER / GITHUB_REPO when a call leaves them out, and says so in the schema. */
export function githubDefaults(defaults: { readonly owner?: string; readonly repo?: string }): ToolGuard {
  const keys = Object.keys(defaults) as ('owner' | 'repo')[];
  return {
    rewriteTool(tool) {
      const schema = tool['inputSchema'] as { properties?: Record<string, Record<string, unknown>>; required?: string[] } | undefined;
      const properties = schema?.properties;
      if (properties === undefined || !keys.some((k) => k in properties)) return tool;
      const newProperties = { ...properties };
      for (const k of keys) {
        const property = newProperties[k];
        if (property !== undefined) newProperties[k] = { ...property, description: `${String(property['description'] ?? k)} (default: ${defaults[k] ?? ''})` };
      }
      return { ...tool, inputSchema: { ...schema, properties: newProperties, ...(schema?.required ? { required: schema.required.filter((r) => !keys.includes(r as 'owner' | 'repo')) } : {}) } };
    },
    rewriteArgs(tool, args) {
      const out = { ...args };
      const properties = (tool['inputSchema'] as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
      for (const k of keys) if (out[k] === undefined && k in properties) out[k] = defaults[k];
      return out;
    },
  };
}

function within(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The real path a write would land on: the nearest existing ancestor resolved through symlinks, plus the rest. */
function realTarget(given: string, base: string): string {
  const expanded = given === '~' || given.startsWith('~/') ? join(homedir(), given.slice(1)) : given;
  let current = isAbsolute(expanded) ? resolve(expanded) : resolve(base, expanded);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(current), ...rest.reverse());
    } catch {
      const parent = dirname(current);
      if (parent === current) return resolve(expanded);
      rest.push(current.slice(parent.length).replace(/^[\\/]/, ''));
      current = parent;
    }
  }
}
